--- Explanations of fired rules, as the compiler writes them for the C
-- engine (src/explain.h): for each rule, the pieces of text of its reasons
-- ("corrected_calcium 11.30 mg/dL > 10.5 mg/dL"), the holes that show the
-- values of operands (checked AST nodes, which the compiler turns into the
-- lets of operand programs that the VM computes), the set tests that list
-- the present terms of a set, and the guards (an `or` side, an `if`
-- branch) that choose what is shown. Nothing here evaluates an
-- expression: the values come from the VM, the text from src/explain.c.
-- Also the rendering of a checked AST back into text, and the inputs that a
-- not-evaluable rule lacked.
-- @module calcinosis.rules.explain
local compat = require "calcinosis.compat"
local util = require "calcinosis.util"

local M = {}
local fmt = util.fmt
local pack = compat.pack

local render -- forward (M.render)

-- how a node is shown: a name as itself, a number as written, else its text
local function label(n)
  if n.tag == "name" then return n.param or n.name end
  if n.tag == "num" then return fmt(n.value) end
  return render(n)
end

-- units as shown to readers
local SHOW_UNIT = { a = "years" }

local function unit_of(a, b)
  local u = a.unit or b.unit
  if u == false then return nil end
  return u
end

-- ---------------------------------------------------------------------------
-- Templates. A builder `t` collects the nodes of every rule (kinds of
-- core.EXPLAIN), the strings they name and the operands (AST nodes, by
-- identity: a let's nodes are shared by the rules that explain it).

local Builder = {}
Builder.__index = Builder

function Builder:str(s)
  local i = self.str_index[s]
  if not i then
    self.strs[#self.strs + 1] = s
    i = #self.strs - 1
    self.str_index[s] = i
  end
  return i
end

function Builder:op(n)
  local i = self.op_index[n]
  if not i then
    self.ops[#self.ops + 1] = n
    i = #self.ops - 1
    self.op_index[n] = i
  end
  return i
end

function Builder:node(kind, a, b, c)
  local nodes = self.nodes
  nodes[#nodes + 1] = { self.K[kind], a or 0, b or 0, c or 0 }
  return #nodes
end

-- one reason: a list of pieces (a string, or { op, whole, tail } for a
-- value, or { set = index, kind, tail }), adjacent strings joined
function Builder:reason(pieces)
  local text = nil
  for _, p in ipairs(pieces) do
    if type(p) == "string" then
      text = (text or "") .. p
    else
      if text then self:node("TEXT", self:str(text)); text = nil end
      if p.set then
        self:node("SET", p.set, self:str(p[1]), self:str(p[2]))
      else
        self:node("NUM", self:op(p[1]), p[2] and 1 or 0, self:str(p[3]))
      end
    end
  end
  if text then self:node("TEXT", self:str(text)) end
  self:node("END")
end

-- the nodes of `body` shown only when operand n has the value `want`
function Builder:guard(n, want, body)
  local at = self:node("GUARD", self:op(n), want, 0)
  body()
  self.nodes[at][4] = #self.nodes - at
end

-- the pieces that show node n with its value (in `unit`, or the node's)
local function show(out, n, unit)
  unit = unit or n.unit
  unit = unit and (SHOW_UNIT[unit] or unit)
  if n.tag == "num" and not n.param then
    local s = fmt(n.value) .. (unit and (" " .. unit) or "")
    if n.given and n.given[2] ~= unit then s = s .. (" (%s %s)"):format(fmt(n.given[1]), n.given[2]) end
    out[#out + 1] = s
    return
  end
  out[#out + 1] = label(n) .. " "
  out[#out + 1] = { n, n.ty == "num" and not unit, unit and (" " .. unit) or "" }
end

-- the reasons a true condition n shows: the comparisons and set tests that
-- were true, through `or` sides and `if` branches that were, and lets
-- that are conditions (explained by their definition)
function Builder:why(n)
  local tag = n.tag
  if tag == "and" then
    self:why(n.a); self:why(n.b)
  elseif tag == "or" then
    self:guard(n.a, 1, function() self:why(n.a) end)
    self:guard(n.b, 1, function() self:why(n.b) end)
  elseif tag == "bin" then
    local u, out = unit_of(n.a, n.b), {}
    show(out, n.a, u); out[#out + 1] = " " .. n.op .. " "; show(out, n.b, u)
    self:reason(out)
  elseif tag == "between" then
    local u, out = unit_of(n.a, n.lo), {}
    show(out, n.a, u); out[#out + 1] = " between "; show(out, n.lo, u)
    out[#out + 1] = " and "; show(out, n.hi, u)
    self:reason(out)
  elseif tag == "setq" then
    local setname = n.set.tag == "setref" and n.set.name or ("{" .. table.concat(n.terms, ", ") .. "}")
    if n.quant == "no" then
      self:reason { ("no %s in %s"):format(n.kind, setname) }
    else
      self:reason { { set = n.setidx, n.kind, " in " .. setname } }
    end
  elseif tag == "call" and (n.fn == "present" or n.fn == "missing" or n.slot) then
    self:reason { ("%s(%s)"):format(n.fn, label(n.args[1])) }
  elseif tag == "not" then
    self:reason { "not (" .. render(n.a) .. ")" }
  elseif tag == "if" then
    -- the branch taken (the condition only chose it)
    self:guard(n.c, 1, function() self:why(n.a) end)
    self:guard(n.c, 0, function() self:why(n.b) end)
  elseif tag == "name" and n.let then
    local l = self.lets[n.let + 1]
    if l and l.ty == "bool" then self:why(l.ast) else self:reason { n.name } end
  end
end

--- Builds the explanation templates of a ruleset's rules.
-- @tparam table rules the compiler's rules (each with its checked `ast`)
-- @tparam table lets the compiler's lets (`ty`, `ast`)
-- @tparam table term_names "kind:term" by term id (0-based), for the terms
--   the rules' sets use
-- @tparam number nslots the decision program's input slots
-- @treturn table `{ ops = { AST node, ... }, bytes = function(nops) }`: the
--   operands, in order (the compiler computes operand k as let k % 256 of
--   operand program k // 256), and the template bytes (src/explain.h)
function M.build(rules, lets, term_names, nslots)
  local K = require("calcinosis.core").EXPLAIN
  local t = setmetatable({ K = K, nodes = {}, strs = {}, str_index = {}, ops = {}, op_index = {},
    lets = lets }, Builder)
  local spans = {}
  for i, r in ipairs(rules) do
    local first = #t.nodes
    t:why(r.ast)
    spans[i] = { first, #t.nodes - first }
  end
  local terms, nterms = {}, 0
  for id in pairs(term_names) do if id + 1 > nterms then nterms = id + 1 end end
  for id = 0, nterms - 1 do
    terms[id + 1] = t:str(term_names[id] and term_names[id]:match(":(.*)") or "")
  end
  local pool, offs, at = {}, {}, 0
  for i, s in ipairs(t.strs) do
    pool[i], offs[i] = s, { at, #s }
    at = at + #s
  end
  local parts = { pack("<c4I4I4I4I4I4I4I4I4I4", "CALX", K.VERSION, nslots, #lets, #t.ops, #rules, #t.nodes,
    #t.strs, nterms, at) }
  for _, sp in ipairs(spans) do parts[#parts + 1] = pack("<I4I4", sp[1], sp[2]) end
  for _, x in ipairs(t.nodes) do parts[#parts + 1] = pack("<I4I4I4I4", x[1], x[2], x[3], x[4]) end
  for _, o in ipairs(offs) do parts[#parts + 1] = pack("<I4I4", o[1], o[2]) end
  for _, s in ipairs(terms) do parts[#parts + 1] = pack("<I4", s) end
  parts[#parts + 1] = table.concat(pool)
  return { ops = t.ops, bytes = table.concat(parts) }
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

-- the text of node n appended to out (pieces joined once at the end, so
-- that a deeply nested expression is rendered in linear time)
local function render_into(n, out)
  local tag = n.tag
  if tag == "num" then
    if n.logical then
      out[#out + 1] = n.value ~= n.value and "unknown" or (n.value == 1 and "true" or "false")
      return
    end
    local s = fmt(n.value or n.qvalue)
    local u = n.given and n.given[2] or n.unit or n.qunit
    out[#out + 1] = u and (s .. " " .. u) or s
  elseif tag == "name" then out[#out + 1] = n.name
  elseif tag == "neg" then out[#out + 1] = "-"; render_into(n.a, out)
  elseif tag == "not" then out[#out + 1] = "not "; render_into(n.a, out)
  elseif tag == "and" or tag == "or" or tag == "bin" then
    out[#out + 1] = "("
    render_into(n.a, out)
    out[#out + 1] = " " .. (tag == "bin" and n.op or tag) .. " "
    render_into(n.b, out)
    out[#out + 1] = ")"
  elseif tag == "between" then
    render_into(n.a, out); out[#out + 1] = " between "
    render_into(n.lo, out); out[#out + 1] = " and "
    render_into(n.hi, out)
  elseif tag == "if" then
    out[#out + 1] = "(if "; render_into(n.c, out)
    out[#out + 1] = " then "; render_into(n.a, out)
    out[#out + 1] = " else "; render_into(n.b, out)
    out[#out + 1] = ")"
  elseif tag == "call" then
    out[#out + 1] = n.fn .. "("
    for i, a in ipairs(n.args) do
      if i > 1 then out[#out + 1] = ", " end
      render_into(a, out)
    end
    out[#out + 1] = ")"
  elseif tag == "setq" then
    local set = n.set.tag == "setref" and n.set.name or ("{" .. table.concat(n.set.terms, ", ") .. "}")
    local q = n.quant == "atleast" and ("at least " .. n.k) or n.quant
    out[#out + 1] = ("%s %s in %s"):format(q, n.kind, set)
  else
    out[#out + 1] = "?"
  end
end

render = function(n)
  local out = {}
  render_into(n, out)
  return table.concat(out)
end

--- Renders a checked AST back into text (normalized spacing, settled units).
-- @param n a checked AST node
-- @treturn string
function M.render(n)
  return render(n)
end

return M
