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
local why_fns = setmetatable({}, { __mode = "k" })
local compile_eval, compile_why -- below

local function ev(n)
  local f = eval_fns[n]
  if not f then f = compile_eval(n); eval_fns[n] = f end
  return f
end

local function wh(n)
  local f = why_fns[n]
  if not f then f = compile_why(n); why_fns[n] = f end
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

-- The explanation of a fired rule as the library rendered it in Lua before
-- the C engine did (commit 702182c's calcinosis.rules.explain): the oracle
-- of the C explanations.

local render = require("calcinosis.rules.explain").render -- (AST to text, no values)
local fmt = require("calcinosis.util").fmt

-- how a node is shown: a name as itself, a number as written, else its text
local function label(n)
  if n.tag == "name" then return n.param or n.name end
  if n.tag == "num" then return fmt(n.value) end
  return render(n)
end

-- units as shown to readers
local SHOW_UNIT = { a = "years" }

-- a function of the value that shows node n with it (in `unit`, or the node's)
local function shower(n, unit)
  unit = unit or n.unit
  unit = unit and (SHOW_UNIT[unit] or unit)
  if n.tag == "num" and not n.param then
    local s = fmt(n.value) .. (unit and (" " .. unit) or "")
    if n.given and n.given[2] ~= unit then s = s .. (" (%s %s)"):format(fmt(n.given[1]), n.given[2]) end
    return function() return s end
  end
  local lbl = label(n) .. " "
  local whole = n.ty == "num" and not unit
  local tail = unit and (" " .. unit) or ""
  return function(v)
    local s = (v == v) and ("%.2f"):format(v) or "missing"
    if whole and v == math.floor(v) and math.abs(v) < 1e9 then s = ("%d"):format(v) end
    return lbl .. s .. ((v == v) and tail or "")
  end
end

local function unit_of(a, b)
  local u = a.unit or b.unit
  if u == false then return nil end
  return u
end

local function nothing() end

-- the term of a "kind:term" name, by term id, kept per term name table
local short_names = setmetatable({}, { __mode = "k" })
local function short_of(term_names)
  local t = short_names[term_names]
  if not t then
    t = setmetatable({}, { __index = function(self, id)
      local v = term_names[id]:match(":(.*)")
      rawset(self, id, v)
      return v
    end })
    short_names[term_names] = t
  end
  return t
end

compile_why = function(n)
  local tag = n.tag
  if tag == "and" then
    local a, b = wh(n.a), wh(n.b)
    return function(ctx, out, term_names) a(ctx, out, term_names); b(ctx, out, term_names) end
  elseif tag == "or" then
    local ea, eb, a, b = ev(n.a), ev(n.b), wh(n.a), wh(n.b)
    return function(ctx, out, term_names)
      if ea(ctx) == 1 then a(ctx, out, term_names) end
      if eb(ctx) == 1 then b(ctx, out, term_names) end
    end
  elseif tag == "bin" then
    local u = unit_of(n.a, n.b)
    local ea, eb, sa, sb = ev(n.a), ev(n.b), shower(n.a, u), shower(n.b, u)
    local op = " " .. n.op .. " "
    return function(ctx, out) out[#out + 1] = sa(ea(ctx)) .. op .. sb(eb(ctx)) end
  elseif tag == "between" then
    local u = unit_of(n.a, n.lo)
    local ea, elo, ehi = ev(n.a), ev(n.lo), ev(n.hi)
    local sa, slo, shi = shower(n.a, u), shower(n.lo, u), shower(n.hi, u)
    return function(ctx, out)
      out[#out + 1] = sa(ea(ctx)) .. " between " .. slo(elo(ctx)) .. " and " .. shi(ehi(ctx))
    end
  elseif tag == "setq" then
    local si = n.setidx + 1
    local setname = n.set.tag == "setref" and n.set.name or ("{" .. table.concat(n.terms, ", ") .. "}")
    if n.quant == "no" then
      local s = ("no %s in %s"):format(n.kind, setname)
      return function(_, out) out[#out + 1] = s end
    end
    local kind, tail = n.kind, " in " .. setname
    return function(ctx, out, term_names)
      local hits = {}
      local terms, short = ctx.terms, short_of(term_names)
      for _, id in ipairs(ctx.sets[si]) do
        if terms[id] then hits[#hits + 1] = short[id] end
      end
      out[#out + 1] = kind .. (#hits > 1 and "s" or "") .. " " .. table.concat(hits, ", ") .. tail
    end
  elseif tag == "call" and (n.fn == "present" or n.fn == "missing" or n.slot) then
    local s = ("%s(%s)"):format(n.fn, label(n.args[1]))
    return function(_, out) out[#out + 1] = s end
  elseif tag == "not" then
    local s = "not (" .. render(n.a) .. ")"
    return function(_, out) out[#out + 1] = s end
  elseif tag == "if" then
    -- the branch taken (the condition only chose it)
    local c, a, b = ev(n.c), wh(n.a), wh(n.b)
    return function(ctx, out, term_names)
      local cv = c(ctx)
      if cv == 1 then a(ctx, out, term_names)
      elseif cv == 0 then b(ctx, out, term_names) end
    end
  elseif tag == "name" and n.let then
    -- a condition named by a let: explain its definition
    local i, name = n.let + 1, n.name
    return function(ctx, out, term_names)
      local l = ctx.let_decls and ctx.let_decls[i]
      if l and l.ty == "bool" then wh(l.ast)(ctx, out, term_names) else out[#out + 1] = name end
    end
  end
  return nothing
end

--- Renders why a (true) condition is true: the comparisons and set tests
-- that were true, with the actual values and units.
-- @return list of strings
function M.why(n, ctx, out, term_names)
  out = out or {}
  wh(n)(ctx, out, term_names)
  return out
end

--- The reasons a fired rule fired: `why` without repeats, in order.
function M.reasons(n, ctx, term_names)
  local out, seen = {}, {}
  for _, s in ipairs(M.why(n, ctx, {}, term_names)) do
    if not seen[s] then seen[s] = true; out[#out + 1] = s end
  end
  return out
end


--- The reasons rule i of a ruleset fired on the inputs of its last run
-- (`rs:evaluate(inputs)`), with the values of this evaluator.
-- @treturn table list of strings, without repeats
function M.reasons(rs, i)
  local c = rs.compiled
  local present, term_names = {}, {}
  for _, id in ipairs(rs._terms) do present[id] = true end
  for key, id in pairs(c.term_ids) do term_names[id] = key end
  local lets = {}
  local ctx = { vars = rs._vars, lets = lets, terms = present, sets = c.setlist, let_decls = c.lets }
  for k, l in ipairs(c.lets) do lets[k] = M.eval(l.ast, ctx) end
  local out, seen = {}, {}
  for _, s in ipairs(M.why(c.rules[i].ast, ctx, {}, term_names)) do
    if not seen[s] then seen[s] = true; out[#out + 1] = s end
  end
  return out
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
