--- A test oracle for the rule VM: an evaluator of checked ASTs in Lua,
-- written from the semantics the compiler documents
-- (lua/calcinosis/rules/compiler.lua), independent of src/vm.c. The
-- library has no evaluator but the VM; the specs cross-check the VM with
-- this one (spec/rules_vm_spec.lua).
local M = {}
local NaN = 0 / 0

local function truth_and(a, b)
  if a == 0 or b == 0 then return 0 end
  if a ~= a or b ~= b then return NaN end
  return 1
end

local function truth_or(a, b)
  if (a == a and a ~= 0) or (b == b and b ~= 0) then return 1 end
  if a ~= a or b ~= b then return NaN end
  return 0
end

local function cmp(a, b, f)
  if a ~= a or b ~= b then return NaN end
  return f(a, b) and 1 or 0
end

local REL = {
  ["<"] = function(a, b) return a < b end, ["<="] = function(a, b) return a <= b end,
  [">"] = function(a, b) return a > b end, [">="] = function(a, b) return a >= b end,
  ["=="] = function(a, b) return a == b end, ["!="] = function(a, b) return a ~= b end,
}

-- Each node is turned once into a Lua closure, kept by node (weak keys).
local eval_fns = setmetatable({}, { __mode = "k" })
local compile_eval -- below

local function ev(n)
  local f = eval_fns[n]
  if not f then f = compile_eval(n); eval_fns[n] = f end
  return f
end

compile_eval = function(n)
  local tag = n.tag
  -- floats throughout, as in C (so that -0.0 and 1 / -0.0 behave the same)
  if tag == "num" or n.param then
    if type(n.value) == "number" then
      local v = n.value + 0.0
      return function() return v end
    end
    return function() return n.value + 0.0 end
  end
  if tag == "name" then
    if n.let then
      local i = n.let + 1
      return function(ctx) return ctx.lets[i] end
    end
    local i = n.slot + 1
    return function(ctx)
      local v = ctx.vars[i]
      if v == nil then return NaN end
      return v + 0.0
    end
  elseif tag == "neg" then
    local a = ev(n.a)
    return function(ctx) return -a(ctx) end
  elseif tag == "not" then
    local a = ev(n.a)
    return function(ctx)
      local x = a(ctx)
      if x ~= x then return NaN end
      return x == 0 and 1 or 0
    end
  elseif tag == "and" then
    local a, b = ev(n.a), ev(n.b)
    return function(ctx) return truth_and(a(ctx), b(ctx)) end
  elseif tag == "or" then
    local a, b = ev(n.a), ev(n.b)
    return function(ctx) return truth_or(a(ctx), b(ctx)) end
  elseif tag == "bin" then
    local a, b = ev(n.a), ev(n.b)
    local op = n.op
    local rel = REL[op]
    if rel then return function(ctx) return cmp(a(ctx), b(ctx), rel) end end
    -- as the VM (src/vm.c FINITE_OR_NAN): a result that is not finite is unknown
    local function finite(r) if r - r ~= 0 then return NaN end return r end
    if op == "+" then return function(ctx) return finite(a(ctx) + b(ctx)) end
    elseif op == "-" then return function(ctx) return finite(a(ctx) - b(ctx)) end
    elseif op == "*" then return function(ctx) return finite(a(ctx) * b(ctx)) end
    elseif op == "/" then return function(ctx) return finite(a(ctx) / b(ctx)) end
    end
    return function(ctx)
      local x, y = a(ctx), b(ctx)
      if x ~= x or y ~= y then return NaN end
      return finite(x ^ y)
    end
  elseif tag == "between" then
    local a, lo, hi = ev(n.a), ev(n.lo), ev(n.hi)
    local ge, le = REL[">="], REL["<="]
    return function(ctx)
      local x = a(ctx)
      return truth_and(cmp(x, lo(ctx), ge), cmp(x, hi(ctx), le))
    end
  elseif tag == "if" then
    local c, a, b = ev(n.c), ev(n.a), ev(n.b)
    return function(ctx)
      local cv, av, bv = c(ctx), a(ctx), b(ctx)
      if cv ~= cv then return (av == bv) and av or NaN end
      return cv ~= 0 and av or bv
    end
  elseif tag == "call" then
    local fn = n.fn
    if fn == "present" or fn == "missing" then
      local a = ev(n.args[1])
      local want = fn == "present"
      return function(ctx)
        local v = a(ctx)
        return ((v == v) == want) and 1 or 0
      end
    elseif fn == "abs" then
      local a = ev(n.args[1])
      return function(ctx) return math.abs(a(ctx)) end
    elseif fn == "min" or fn == "max" then
      local a, b = ev(n.args[1]), ev(n.args[2])
      local m = math[fn]
      return function(ctx)
        local x, y = a(ctx), b(ctx)
        if x ~= x or y ~= y then return NaN end
        return m(x, y)
      end
    end
    local i = n.slot + 1
    return function(ctx)
      local f = ctx.vars[i]
      if f == nil or f ~= f then return NaN end
      if fn == "critical" then return math.abs(f) >= 2 and 1 or 0 end
      if fn == "high" then return f > 0 and 1 or 0 end
      if fn == "low" then return f < 0 and 1 or 0 end
      return f == 0 and 1 or 0
    end
  elseif tag == "setq" then
    local si, quant, k = n.setidx + 1, n.quant, n.k
    return function(ctx)
      local count = 0
      local terms = ctx.terms
      for _, id in ipairs(ctx.sets[si]) do
        if terms[id] then count = count + 1 end
      end
      if quant == "any" then return count > 0 and 1 or 0 end
      if quant == "no" then return count == 0 and 1 or 0 end
      return count >= k and 1 or 0
    end
  end
  return function() error("internal: cannot evaluate " .. tostring(tag)) end
end

--- Evaluates a checked AST node.
-- @param n node
-- @tparam table ctx `{ vars = {slot+1 -> number}, lets = {index+1 -> number},
-- terms = {term id -> true}, sets = {set index -> {term ids}} }`
-- @treturn number value (NaN = missing / unknown; truth values 0/1)
function M.eval(n, ctx)
  return ev(n)(ctx)
end

--- Every let and rule of a ruleset evaluated on the inputs of its last
-- run (`rs:evaluate(inputs)` fills them).
-- @treturn table states by rule index (0 false, 1 true, 2 unknown)
-- @treturn table let values
function M.run(rs)
  local c = rs.compiled
  local present = {}
  for _, id in ipairs(rs._terms) do present[id] = true end
  local lets = {}
  local ctx = { vars = rs._vars, lets = lets, terms = present, sets = c.setlist }
  for i, l in ipairs(c.lets) do lets[i] = M.eval(l.ast, ctx) end
  local states = {}
  for i, r in ipairs(c.rules) do
    local v = M.eval(r.ast, ctx)
    states[i] = v ~= v and 2 or (v ~= 0 and 1 or 0)
  end
  return states, lets
end

return M
