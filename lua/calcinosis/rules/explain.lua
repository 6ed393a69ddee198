--- Explanations of results: a reference evaluator of checked ASTs (the same
-- semantics as the VM, used only for the fired and not-evaluable rules of
-- the patient being explained, and by the specs to cross-check the VM), the
-- rendering of the comparisons that made a rule fire, and the inputs that a
-- not-evaluable rule lacked.
-- @module calcinosis.rules.explain
local compiler = require "calcinosis.rules.compiler"

local M = {}
local NaN = 0 / 0
local fmt = compiler.fmt

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

--- Evaluates a checked AST node.
-- @param n node
-- @tparam table ctx `{ vars = {slot+1 -> number}, lets = {index+1 -> number},
-- terms = {term id -> true}, sets = {set index -> {term ids}} }`
-- @treturn number value (NaN = missing / unknown; truth values 0/1)
function M.eval(n, ctx)
  local tag = n.tag
  -- floats throughout, as in C (so that -0.0 and 1 / -0.0 behave the same)
  if tag == "num" or n.param then return n.value + 0.0 end
  if tag == "name" then
    if n.let then return ctx.lets[n.let + 1] end
    local v = ctx.vars[n.slot + 1]
    if v == nil then return NaN end
    return v + 0.0
  elseif tag == "neg" then return -M.eval(n.a, ctx)
  elseif tag == "not" then
    local a = M.eval(n.a, ctx)
    if a ~= a then return NaN end
    return a == 0 and 1 or 0
  elseif tag == "and" then return truth_and(M.eval(n.a, ctx), M.eval(n.b, ctx))
  elseif tag == "or" then return truth_or(M.eval(n.a, ctx), M.eval(n.b, ctx))
  elseif tag == "bin" then
    local a, b = M.eval(n.a, ctx), M.eval(n.b, ctx)
    local op = n.op
    if REL[op] then return cmp(a, b, REL[op]) end
    local r
    if op == "+" then r = a + b elseif op == "-" then r = a - b
    elseif op == "*" then r = a * b elseif op == "/" then r = a / b
    else
      if a ~= a or b ~= b then return NaN end
      r = a ^ b
    end
    -- as the VM (src/vm.c FINITE_OR_NAN): a result that is not finite is unknown
    if r - r ~= 0 then return NaN end
    return r
  elseif tag == "between" then
    local a = M.eval(n.a, ctx)
    return truth_and(cmp(a, M.eval(n.lo, ctx), REL[">="]), cmp(a, M.eval(n.hi, ctx), REL["<="]))
  elseif tag == "if" then
    local c, a, b = M.eval(n.c, ctx), M.eval(n.a, ctx), M.eval(n.b, ctx)
    if c ~= c then return (a == b) and a or NaN end
    return c ~= 0 and a or b
  elseif tag == "call" then
    local fn = n.fn
    if fn == "present" or fn == "missing" then
      local v = M.eval(n.args[1], ctx)
      local present = v == v
      if fn == "missing" then present = not present end
      return present and 1 or 0
    elseif fn == "abs" then return math.abs(M.eval(n.args[1], ctx))
    elseif fn == "min" or fn == "max" then
      local a, b = M.eval(n.args[1], ctx), M.eval(n.args[2], ctx)
      if a ~= a or b ~= b then return NaN end
      return math[fn](a, b)
    else
      local f = ctx.vars[n.slot + 1]
      if f == nil or f ~= f then return NaN end
      if fn == "critical" then return math.abs(f) >= 2 and 1 or 0 end
      if fn == "high" then return f > 0 and 1 or 0 end
      if fn == "low" then return f < 0 and 1 or 0 end
      return f == 0 and 1 or 0
    end
  elseif tag == "setq" then
    local count = 0
    for _, id in ipairs(ctx.sets[n.setidx + 1]) do
      if ctx.terms[id] then count = count + 1 end
    end
    if n.quant == "any" then return count > 0 and 1 or 0 end
    if n.quant == "no" then return count == 0 and 1 or 0 end
    return count >= n.k and 1 or 0
  end
  error("internal: cannot evaluate " .. tostring(tag))
end

local render -- forward (M.render)

-- how a node is shown: a name as itself, a number as written, else its text
local function label(n)
  if n.tag == "name" then return n.param or n.name end
  if n.tag == "num" then return fmt(n.value) end
  return render(n)
end

-- units as shown to readers
local SHOW_UNIT = { a = "years" }

local function show_value(n, v, unit)
  unit = unit or n.unit
  unit = unit and (SHOW_UNIT[unit] or unit)
  if n.tag == "num" and not n.param then
    local s = fmt(n.value) .. (unit and (" " .. unit) or "")
    if n.given and n.given[2] ~= unit then s = s .. (" (%s %s)"):format(fmt(n.given[1]), n.given[2]) end
    return s
  end
  local s = (v == v) and ("%.2f"):format(v) or "missing"
  if v == math.floor(v) and math.abs(v) < 1e9 and n.ty == "num" and not unit then s = ("%d"):format(v) end
  return label(n) .. " " .. s .. ((unit and v == v) and (" " .. unit) or "")
end

local function unit_of(a, b)
  local u = a.unit or b.unit
  if u == false then return nil end
  return u
end

--- Renders why a (true) condition is true: the comparisons and set tests
-- that were true, with the actual values and units.
-- @return list of strings
function M.why(n, ctx, out, term_names)
  out = out or {}
  local tag = n.tag
  if tag == "and" then
    M.why(n.a, ctx, out, term_names); M.why(n.b, ctx, out, term_names)
  elseif tag == "or" then
    if M.eval(n.a, ctx) == 1 then M.why(n.a, ctx, out, term_names) end
    if M.eval(n.b, ctx) == 1 then M.why(n.b, ctx, out, term_names) end
  elseif tag == "bin" then
    local u = unit_of(n.a, n.b)
    out[#out + 1] = ("%s %s %s"):format(show_value(n.a, M.eval(n.a, ctx), u), n.op,
      show_value(n.b, M.eval(n.b, ctx), u))
  elseif tag == "between" then
    local u = unit_of(n.a, n.lo)
    out[#out + 1] = ("%s between %s and %s"):format(show_value(n.a, M.eval(n.a, ctx), u),
      show_value(n.lo, M.eval(n.lo, ctx), u), show_value(n.hi, M.eval(n.hi, ctx), u))
  elseif tag == "setq" then
    local hits = {}
    for _, id in ipairs(ctx.sets[n.setidx + 1]) do
      if ctx.terms[id] then hits[#hits + 1] = term_names[id]:match(":(.*)") end
    end
    local setname = n.set.tag == "setref" and n.set.name or ("{" .. table.concat(n.terms, ", ") .. "}")
    if n.quant == "no" then
      out[#out + 1] = ("no %s in %s"):format(n.kind, setname)
    else
      out[#out + 1] = ("%s %s in %s"):format(n.kind .. (#hits > 1 and "s" or ""),
        table.concat(hits, ", "), setname)
    end
  elseif tag == "call" and (n.fn == "present" or n.fn == "missing") then
    out[#out + 1] = ("%s(%s)"):format(n.fn, label(n.args[1]))
  elseif tag == "call" and n.slot then
    out[#out + 1] = ("%s(%s)"):format(n.fn, label(n.args[1]))
  elseif tag == "not" then
    out[#out + 1] = "not (" .. M.render(n.a) .. ")"
  elseif tag == "if" then
    -- the branch taken (the condition only chose it)
    local c = M.eval(n.c, ctx)
    if c == 1 then M.why(n.a, ctx, out, term_names)
    elseif c == 0 then M.why(n.b, ctx, out, term_names) end
  elseif tag == "name" and n.let then
    -- a condition named by a let: explain its definition
    local l = ctx.let_decls and ctx.let_decls[n.let + 1]
    if l and l.ty == "bool" then M.why(l.ast, ctx, out, term_names) else out[#out + 1] = n.name end
  end
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

--- The names of the inputs a node needs that are missing (through lets).
function M.missing(n, ctx, lets, out, seen)
  out, seen = out or {}, seen or {}
  local function walk(x)
    if type(x) ~= "table" then return end
    if x.tag == "name" and x.let and not seen["let:" .. x.let] then
      seen["let:" .. x.let] = true
      walk(lets[x.let + 1].ast)
    elseif x.slot and (x.tag == "name" or x.tag == "call") then
      local v = ctx.vars[x.slot + 1]
      local name = x.input or (x.args and x.args[1].input) or x.name
      if (v == nil or v ~= v) and not seen[name] then
        seen[name] = true
        out[#out + 1] = name
      end
    end
    for _, k in ipairs { "a", "b", "c", "lo", "hi" } do walk(x[k]) end
    if x.args then for _, y in ipairs(x.args) do walk(y) end end
  end
  walk(n)
  return out
end

--- Renders a checked AST back into text (normalized spacing, settled units).
function M.render(n)
  return render(n)
end

render = function(n)
  local tag = n.tag
  if tag == "num" then
    if n.logical then
      return n.value ~= n.value and "unknown" or (n.value == 1 and "true" or "false")
    end
    local s = fmt(n.value or n.qvalue)
    local u = n.given and n.given[2] or n.unit or n.qunit
    return u and (s .. " " .. u) or s
  elseif tag == "name" then return n.name
  elseif tag == "neg" then return "-" .. M.render(n.a)
  elseif tag == "not" then return "not " .. M.render(n.a)
  elseif tag == "and" or tag == "or" then
    return "(" .. M.render(n.a) .. " " .. tag .. " " .. M.render(n.b) .. ")"
  elseif tag == "bin" then return "(" .. M.render(n.a) .. " " .. n.op .. " " .. M.render(n.b) .. ")"
  elseif tag == "between" then
    return M.render(n.a) .. " between " .. M.render(n.lo) .. " and " .. M.render(n.hi)
  elseif tag == "if" then
    return "(if " .. M.render(n.c) .. " then " .. M.render(n.a) .. " else " .. M.render(n.b) .. ")"
  elseif tag == "call" then
    local args = {}
    for i, a in ipairs(n.args) do args[i] = M.render(a) end
    return n.fn .. "(" .. table.concat(args, ", ") .. ")"
  elseif tag == "setq" then
    local set = n.set.tag == "setref" and n.set.name or ("{" .. table.concat(n.set.terms, ", ") .. "}")
    local q = n.quant == "atleast" and ("at least " .. n.k) or n.quant
    return ("%s %s in %s"):format(q, n.kind, set)
  end
  return "?"
end

return M
