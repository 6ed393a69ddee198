--- Compiler of rulesets: declarations -> checked ASTs -> VM program bytes.
--
-- Names, types and units are resolved at compile time:
--
-- * a name is an input (an analyte or derived value of `calcinosis.labs`,
--   `age` in years, `ckd_stage` as 1..6, `female`/`male` and
--   `human`/`dog`/`cat` as truth values), a
--   `let` (which may shadow a built-in derived value), or a `param`;
-- * arithmetic works on numbers in canonical units; a number written with a
--   unit (`10.5 mg/dL`, `2.62 mmol/L`, `18 years`) or a param with a unit is
--   converted, at compile time, into the unit of what it is compared with,
--   added to, or chosen with (mass <-> molar with the analyte on the other
--   side); a bare number is taken to be in that unit already;
-- * in `x between lo and hi`, a unit written on one bound only applies to both;
-- * comparing two things of different units (e.g. `age > 2 mmol/L`,
--   `calcium > albumin`) is a compile error naming both units;
-- * a product of two values of unit X/Y has unit X2/Y2 when that unit exists
--   (so `ca_corr * phosphate` is in mg2/dL2); a value times or divided by a
--   bare number has no fixed unit (a coefficient may carry one, as the 0.8
--   in `calcium + 0.8 * (4 - albumin)` is mg/dL per g/dL) and adapts to the
--   other side; a quotient of two values of one unit is a plain number;
--   other products, quotients and powers have a unit that cannot be told:
--   comparing them with a number written with a unit is an error that asks
--   for a `let` with a declared unit;
-- * the compiler keeps the VM's operand stack within 64 values.
--
-- Semantics (also the VM's): missing numbers are NaN; comparisons with a
-- missing side are unknown; `and`/`or`/`not` are Kleene's; `present(x)` and
-- `missing(x)` are always known; `if c then a else b` with unknown c is a
-- when a and b are equal, else unknown; `between` is inclusive; set tests
-- (`any`, `no`, `at least k`) are always known (an absent term is absent);
-- `high(x)`, `low(x)`, `normal(x)` test the lab's flag (critical flags count
-- as high/low) and are unknown when the lab has no flag.
-- @module calcinosis.rules.compiler
local parser = require "calcinosis.rules.parser"
local explain = require "calcinosis.rules.explain"
local util = require "calcinosis.util"

local M = {}

local compat = require "calcinosis.compat"
local pack = compat.pack
local inputs_of, missing_slots, compile_results, serialize -- defined below
local literal_value, const_value -- defined below

-- opcodes and their stack effects: the list of src/vm.h, exported by the core
local core = require "calcinosis.core"
local OP = core.OP
M.OP = OP

local BINOP = { ["+"] = OP.ADD, ["-"] = OP.SUB, ["*"] = OP.MUL, ["/"] = OP.DIV, ["^"] = OP.POW,
  ["<"] = OP.LT, ["<="] = OP.LE, [">"] = OP.GT, [">="] = OP.GE, ["=="] = OP.EQ, ["!="] = OP.NE }
local RELOP = { ["<"] = true, ["<="] = true, [">"] = true, [">="] = true, ["=="] = true, ["!="] = true }

-- canonical unit of each dimension reported by calcinosis.unit_info
local CANONICAL = {
  ["mass concentration"] = "mg/dL",
  ["substance concentration"] = "mmol/L",
  ["time"] = "a",
  ["length"] = "cm",
  ["volume flow"] = "mL/min/{1.73_m2}",
  ["squared mass concentration"] = "mg2/dL2",
  ["catalytic concentration"] = "U/L",
}

-- inputs that are not analytes
local EXTRA_INPUTS = {
  age = { unit = "a", kind = "age" },
  ckd_stage = { unit = nil, kind = "ckd_stage" },
  female = { kind = "sex", ty = "bool", sex = "F" },
  male = { kind = "sex", ty = "bool", sex = "M" },
  -- species as truth values (a record without species is human)
  human = { kind = "species", ty = "bool" },
  dog = { kind = "species", ty = "bool" },
  cat = { kind = "species", ty = "bool" },
}

local FUNCS = { present = 1, missing = 1, min = 2, max = 2, abs = 1, high = 1, low = 1, normal = 1,
  critical = 1 }

--- The closest candidate to `name`, or nil when none is close: the
-- bounded search of `calcinosis.util.suggest` (kept here as an alias for
-- the modules that ask the compiler).
M.suggest = util.suggest

local function did_you_mean(name, candidates)
  local s = M.suggest(name, candidates)
  return s and (" (did you mean '%s'?)"):format(s) or ""
end

-- the start of the UTF-8 character that holds byte i of s
local function char_start(s, i)
  while i > 1 do
    local b = s:byte(i)
    if not b or b < 0x80 or b >= 0xC0 then break end
    i = i - 1
  end
  return i
end

--- A name or token as messages show it: at most `n` bytes (default 60),
-- cut on a UTF-8 character boundary, with "..." when cut.
-- @tparam string s
-- @tparam[opt] number n
-- @treturn string
local function short(s, n)
  s = tostring(s)
  n = n or 60
  if #s <= n then return s end
  return s:sub(1, char_start(s, n + 1) - 1) .. "..."
end
M.short = short

-- ---------------------------------------------------------------------------
-- Errors: file:line:col: rule 'id': message, then the expression and a caret.

-- an expression is looked for in the source near its declaration's line
-- only (a bounded search: the message of a huge expression gives the
-- declaration's line)
local LOCATE_TEXT, LOCATE_WINDOW = 4096, 65536

local function locate(decl, pos, text)
  -- find the expression in the ruleset's source, to give its file position
  local src = decl.source_text
  local line, col = tonumber(decl.line) or 0, pos or 1
  if type(src) == "string" and type(text) == "string" and compat.math_type(decl.line) == "integer"
    and #text <= LOCATE_TEXT then
    local start = 1
    for _ = 2, decl.line do
      local nl = src:find("\n", start, true)
      if not nl then break end
      start = nl + 1
    end
    local at = src:sub(start, start + #text + LOCATE_WINDOW):find(text, 1, true)
    if at then at = start + at - 1 end
    if at then
      local off = at + (pos or 1) - 1
      local before = src:sub(1, off - 1)
      local _, nls = before:gsub("\n", "")
      line = nls + 1
      col = off - ((before:match(".*\n()") or 1)) + 1
    end
  end
  return line, col
end

-- bytes of an expression's line shown around the caret
local SHOWN = 120

--- Raises the compile error of a declaration, `{ compile_error = text }`
-- with text "file:line:col: rule 'id': message" and, when `text` and `pos`
-- are given, the expression's line with a caret under the token.
-- @tparam table decl the declaration (kind, id or name, file, line)
-- @tparam string msg
-- @tparam[opt] number pos byte offset of the token in `text`
-- @tparam[opt] string text the expression
local function compile_error(decl, msg, pos, text)
  local line, col = locate(decl, pos, text)
  local what = decl.kind == "rule" and ("rule '%s'"):format(short(decl.id))
    or ("%s '%s'"):format(short(decl.kind or "?"), short(decl.name))
  local out = ("%s:%d:%d: %s: %s"):format(tostring(decl.file or "?"), line, col, what, msg)
  if type(text) == "string" and pos then
    -- the line of the expression holding the token (at most SHOWN bytes
    -- around it, cut on UTF-8 boundaries), and a caret under it (one
    -- column per character)
    local first = 1
    for nl in text:gmatch("()\n") do
      if nl >= pos then break end
      first = nl + 1
    end
    local last = (text:find("\n", first, true) or (#text + 1)) - 1
    local from = math.max(first, pos - math.floor(SHOWN / 2))
    local to = math.min(last, from + SHOWN - 1)
    from = char_start(text, math.max(first, math.min(from, to - SHOWN + 1)))
    if to < last then to = char_start(text, to + 1) - 1 end
    local head, tail = from > first and "..." or "", to < last and "..." or ""
    -- control bytes (a NUL, an escape) shown as \xHH, so the line is seen whole
    local function visible(x)
      return (x:gsub("[%z\1-\8\11-\31\127]", function(c) return ("\\x%02x"):format(c:byte()) end))
    end
    local lead = visible(text:sub(from, pos - 1)):gsub("[\128-\191]", ""):gsub("[^\t]", " ")
    out = out .. "\n    " .. head .. visible(text:sub(from, to)) .. tail .. "\n    " .. (" "):rep(#head) .. lead .. "^"
  end
  error({ compile_error = out }, 0)
end
M.compile_error = compile_error

-- ---------------------------------------------------------------------------
-- Quantities

local function dimension(unit)
  if type(unit) ~= "string" or unit == "" then return nil end
  local info = core.unit(unit)
  return info and info.dimension
end

local function convert(value, from, to, analyte)
  if from == to then return value end
  local sign = value < 0 and -1 or 1
  local v, err = core.convert(math.abs(value), from, to, analyte)
  if not v and analyte then v = core.convert(math.abs(value), from, to) end
  if not v then return nil, err end
  return sign * v
end

--- Parses a param value: a number, or "55 mg2/dL2" (split by the C record
-- logic, as a lab cell is).
-- @return value, unit (unit nil for a bare number), or nil, message
function M.quantity(v)
  if type(v) == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      return nil, ("%s is not a finite number"):format(tostring(v))
    end
    return v, nil
  end
  if type(v) ~= "string" then return nil, "expected a number or a quantity like '55 mg2/dL2'" end
  local num, unit, cmp = core.quantity(v)
  if not num or cmp then
    local x = tonumber(v:match("^%s*([^%s]+)") or "")
    if x and (x == math.huge or x == -math.huge) then return nil, ("'%s' is not a finite number"):format(short(v)) end
    return nil, ("'%s' is not a number with a unit"):format(short(v))
  end
  if num ~= num or num == math.huge or num == -math.huge then
    return nil, ("'%s' is not a finite number"):format(short(v))
  end
  if unit == "" then return num, nil end
  if not dimension(unit) then return nil, ("unknown unit '%s'"):format(unit) end
  return num, unit
end

-- ---------------------------------------------------------------------------
-- Checking: types and units. Each node gets ty ("num"|"bool"), unit (string,
-- nil = free, false = unknown) and analyte; an unsettled quantity has
-- node.qunit and is settled into a unit by `settle`.

local Checker = {}
Checker.__index = Checker

function Checker:err(msg, pos) compile_error(self.decl, msg, pos, self.text) end

function Checker:settle(q, unit, analyte, other)
  if not q.qunit then return end
  local target = unit or CANONICAL[dimension(q.qunit) or ""] or q.qunit
  local v, err = convert(q.qvalue, q.qunit, target, analyte)
  if not v then
    self:err(("cannot compare %s %s with %s: %s"):format(M.fmt(q.qvalue), q.qunit,
      other or ("a value in " .. target), err or "incompatible units"), q.upos or q.pos)
  end
  q.value, q.unit, q.analyte, q.given = v, target, analyte, { q.qvalue, q.qunit }
  q.qunit, q.qvalue = nil, nil
end

local function describe_node(n)
  if n.tag == "name" then return ("'%s'"):format(n.name) end
  return "the expression"
end

-- unify the units of a and b (operands of a comparison, +, -, min, max or
-- the branches of an if); returns the unit and analyte of the result
function Checker:unify(a, b, pos)
  if a.qunit and b.qunit then
    self:settle(a)
    self:settle(b, a.unit, nil, ("%s %s"):format(M.fmt(a.given[1]), a.given[2]))
    return a.unit, nil
  end
  if b.qunit then a, b = b, a end
  if a.qunit then
    if b.unit == false then
      self:err("cannot tell the unit of " .. describe_node(b)
        .. "; put it in a let with a declared unit", b.pos)
    end
    self:settle(a, b.unit, b.analyte, b.unit and ("%s (%s)"):format(describe_node(b), b.unit))
    return a.unit, b.analyte
  end
  if a.unit and b.unit and a.unit ~= b.unit then
    self:err(("cannot compare %s (%s) with %s (%s): different units"):format(describe_node(a), a.unit,
      describe_node(b), b.unit), pos)
  end
  if a.unit == false or b.unit == false then return false, nil end
  -- the analyte carries over when only one side has one, or both agree
  local analyte = a.analyte or b.analyte
  if a.analyte and b.analyte and a.analyte ~= b.analyte then analyte = nil end
  return a.unit or b.unit, analyte
end

-- the value of a number written in the condition (folded with its sign and
-- settled into a unit), or nil
function literal_value(n)
  if n.qunit then return nil end
  if n.tag == "num" and not n.logical and not n.param then return n.value end
  if n.tag == "neg" then
    local v = literal_value(n.a)
    return v and -v
  end
  return nil
end

-- the same, params included (their values are known when compiling)
function const_value(n)
  if n.param and not n.qunit then return n.value end
  return literal_value(n)
end

function Checker:want(n, ty, what)
  if n.ty ~= ty and n.ty ~= "any" then
    self:err(("%s needs a %s, got a %s"):format(what, ty == "bool" and "condition" or "number",
      n.ty == "bool" and "condition" or "number"), n.pos)
  end
end

function Checker:resolve_name(n)
  local name = n.name
  local let = self.lets_by_name[name]
  if let and (not self.let_limit or let.index < self.let_limit) then
    n.ty, n.unit, n.analyte = let.ty, let.unit, let.analyte
    if self.result_names then
      -- a result declaration reads the let's value from the decision's run
      n.slot, n.let_value = self:slot("let", name, nil, let.index), let.index
    else
      n.let = let.index
    end
    return
  end
  local rn = self.result_names and self.result_names[name]
  if rn then
    n.slot, n.ty, n.unit, n.result = self:slot("result", name, nil, rn.index, rn.what), rn.ty, nil, name
    return
  end
  local param = self.params[name]
  if param then
    n.param = name
    n.ty = "num"
    if param.unit then
      n.qvalue, n.qunit = param.value, param.unit
    else
      n.value, n.unit = param.value, nil
    end
    return
  end
  local input = self.inputs(name)
  if input then
    n.slot = self:slot(input.kind, input.name, input.sex)
    n.ty = input.ty or "num"
    n.unit, n.analyte, n.input = input.unit, input.analyte, input.name
    return
  end
  if self.sets[name] then
    self:err(("'%s' is a set: use it as 'any finding in %s'"):format(short(name), short(name)), n.pos)
  end
  local cands = {}
  for k in pairs(self.lets_by_name) do cands[#cands + 1] = k end
  for k in pairs(self.params) do cands[#cands + 1] = k end
  for _, k in ipairs(self.input_names) do cands[#cands + 1] = k end
  for k in pairs(self.result_names or {}) do cands[#cands + 1] = k end
  table.sort(cands)
  self:err(("unknown name '%s'%s"):format(short(name), did_you_mean(name, cands)), n.pos)
end

function Checker:check(n)
  local tag = n.tag
  if tag == "num" then
    n.ty = n.logical and (n.value ~= n.value and "any" or "bool") or "num"
    if not n.logical and (n.value == math.huge or n.value == -math.huge or n.value ~= n.value) then
      local written = type(self.text) == "string" and self.text:match("^[%d.eE+-]+", n.pos)
      self:err(("the number %s is not finite (too large for a double)"):format(short(written or tostring(n.value))),
        n.pos)
    end
    if n.unit then
      if not dimension(n.unit) then
        self:err(("unknown unit '%s'"):format(short(n.unit)), n.upos)
      end
      n.qvalue, n.qunit, n.unit = n.value, n.unit, nil
    end
  elseif tag == "name" then
    self:resolve_name(n)
  elseif tag == "neg" then
    self:check(n.a)
    self:want(n.a, "num", "'-'")
    if n.a.qunit then -- fold -(quantity)
      n.tag, n.qvalue, n.qunit, n.upos = "num", -n.a.qvalue, n.a.qunit, n.a.upos
      n.given = nil
      n.ty = "num"
    else
      n.ty, n.unit, n.analyte = "num", n.a.unit, n.a.analyte
    end
  elseif tag == "not" then
    self:check(n.a)
    self:want(n.a, "bool", "'not'")
    n.ty = "bool"
  elseif tag == "and" or tag == "or" then
    self:check(n.a)
    self:check(n.b)
    self:want(n.a, "bool", "'" .. tag .. "'")
    self:want(n.b, "bool", "'" .. tag .. "'")
    n.ty = "bool"
  elseif tag == "bin" then
    self:check(n.a)
    self:check(n.b)
    local op = n.op
    self:want(n.a, "num", "'" .. op .. "'")
    self:want(n.b, "num", "'" .. op .. "'")
    if RELOP[op] then
      self:unify(n.a, n.b, n.pos)
      n.ty = "bool"
    elseif op == "+" or op == "-" then
      n.ty = "num"
      n.unit, n.analyte = self:unify(n.a, n.b, n.pos)
    else
      n.ty = "num"
      local a, b = n.a, n.b
      if a.qunit then self:settle(a) end
      if b.qunit then self:settle(b) end
      -- a division by the number 0 is infinite or unknown whatever the
      -- value divided: a warning (not an error: the specs of the VM divide
      -- by 0 on purpose)
      if op == "/" and literal_value(b) == 0 and self.warn then
        self.warn(("%s '%s': division by the number 0 (infinite or unknown whatever the value divided)")
          :format(self.decl.kind or "rule", short(self.decl.id or self.decl.name)))
      end
      local bare_a = a.tag == "num" and not a.param
      local bare_b = b.tag == "num" and not b.param
      if op == "^" then
        n.unit = (a.unit == nil and b.unit == nil) and nil or false
      elseif op == "*" then
        -- a bare coefficient may carry a unit (0.8 mg/dL per g/dL): the
        -- product of a bare number and a value has no fixed unit
        if bare_a or bare_b then n.unit = nil
        elseif a.unit == nil then n.unit = b.unit
        elseif b.unit == nil then n.unit = a.unit
        elseif a.unit and a.unit == b.unit then
          local x, y = a.unit:match("^(%a+)/(%a+)$")
          local sq = x and (x .. "2/" .. y .. "2")
          n.unit = (sq and dimension(sq)) and sq or false
        else n.unit = false end
      else -- "/"
        if b.unit == nil then n.unit = a.unit
        elseif a.unit and a.unit == b.unit then n.unit = nil
        else n.unit = false end
      end
      if n.unit == a.unit and b.unit == nil then n.analyte = a.analyte end
      if n.unit == b.unit and a.unit == nil and op == "*" then n.analyte = b.analyte end
    end
  elseif tag == "between" then
    self:check(n.a)
    self:check(n.lo)
    self:check(n.hi)
    for _, x in ipairs { n.a, n.lo, n.hi } do self:want(x, "num", "'between'") end
    -- a unit written on one bound only applies to both
    if n.hi.qunit and n.lo.tag == "num" and not n.lo.qunit and not n.lo.param then
      n.lo.qvalue, n.lo.qunit, n.lo.value = n.lo.value, n.hi.qunit, nil
    elseif n.lo.qunit and n.hi.tag == "num" and not n.hi.qunit and not n.hi.param then
      n.hi.qvalue, n.hi.qunit, n.hi.value = n.hi.value, n.lo.qunit, nil
    end
    self:unify(n.a, n.lo, n.pos)
    self:unify(n.a, n.hi, n.pos)
    n.ty = "bool"
    -- constant bounds the wrong way round: the condition never holds
    local lo, hi = const_value(n.lo), const_value(n.hi)
    if lo and hi and lo > hi and self.warn then
      self.warn(("%s '%s': 'between %s and %s' has its bounds reversed (the lower is above the upper): "
        .. "it never holds"):format(self.decl.kind or "rule", short(self.decl.id or self.decl.name),
        M.fmt(lo), M.fmt(hi)))
    end
  elseif tag == "if" then
    self:check(n.c)
    self:check(n.a)
    self:check(n.b)
    self:want(n.c, "bool", "'if'")
    if n.a.ty ~= n.b.ty and n.a.ty ~= "any" and n.b.ty ~= "any" then
      self:err("the branches of 'if' must both be numbers or both be conditions", n.pos)
    end
    n.ty = n.a.ty == "any" and n.b.ty or n.a.ty
    if n.ty == "num" then n.unit, n.analyte = self:unify(n.a, n.b, n.pos) end
  elseif tag == "call" then
    local arity = FUNCS[n.fn]
    if not arity then
      local names = {}
      for k in pairs(FUNCS) do names[#names + 1] = k end
      table.sort(names)
      self:err(("unknown function '%s'%s"):format(short(n.fn), did_you_mean(n.fn, names)), n.pos)
    end
    if #n.args ~= arity then
      self:err(("%s() takes %d argument%s, got %d"):format(n.fn, arity, arity == 1 and "" or "s",
        #n.args), n.pos)
    end
    for _, x in ipairs(n.args) do self:check(x) end
    local fn = n.fn
    if fn == "present" or fn == "missing" then
      n.ty = "bool"
    elseif fn == "abs" then
      self:want(n.args[1], "num", "abs()")
      if n.args[1].qunit then self:settle(n.args[1]) end
      n.ty, n.unit, n.analyte = "num", n.args[1].unit, n.args[1].analyte
    elseif fn == "min" or fn == "max" then
      self:want(n.args[1], "num", fn .. "()")
      self:want(n.args[2], "num", fn .. "()")
      n.ty = "num"
      n.unit, n.analyte = self:unify(n.args[1], n.args[2], n.pos)
    else -- high, low, normal, critical: a lab's flag
      local x = n.args[1]
      if x.tag ~= "name" or not x.input or x.ty ~= "num" then
        self:err(("%s() takes the name of a lab value"):format(fn), x.pos)
      end
      n.slot = self:slot("flag", x.input)
      n.ty = "bool"
    end
  elseif tag == "setq" then
    n.ty = "bool"
    local terms
    if n.set.tag == "setref" then
      terms = self.sets[n.set.name]
      if not terms then
        local cands = {}
        for k in pairs(self.sets) do cands[#cands + 1] = k end
        table.sort(cands)
        self:err(("unknown set '%s'%s"):format(short(n.set.name), did_you_mean(n.set.name, cands)), n.set.pos)
      end
    else
      terms = {}
      for _, t in ipairs(n.set.terms) do
        local x, msg = self.normalize(t)
        if msg then self.warn(("rule or let '%s': %s"):format(self.decl.id or self.decl.name, msg)) end
        terms[#terms + 1] = x
      end
    end
    n.terms = terms
    n.setidx = self:setindex(n.kind, terms)
  else
    self:err("internal: unknown node " .. tostring(tag), n.pos)
  end
end

-- ---------------------------------------------------------------------------
-- Code generation

function Checker:const(v)
  local key = v ~= v and "nan" or v
  local k = self.const_index[key]
  if not k then
    self.consts[#self.consts + 1] = v
    k = #self.consts - 1
    self.const_index[key] = k
  end
  return k
end

function Checker:slot(kind, name, sex, index, what)
  local key = kind .. ":" .. name
  local s = self.slot_index[key]
  if not s then
    self.slots[#self.slots + 1] = { kind = kind, name = name, sex = sex, index = index, what = what }
    s = #self.slots - 1
    self.slot_index[key] = s
  end
  return s
end

function Checker:term(kind, t)
  local key = kind .. ":" .. t
  local id = self.term_ids[key]
  if not id then
    id = self.nterms
    self.nterms = id + 1
    self.term_ids[key] = id
    self.term_names[id] = key
  end
  return id
end

function Checker:setindex(kind, terms)
  local ids = {}
  for _, t in ipairs(terms) do ids[#ids + 1] = self:term(kind, t) end
  table.sort(ids)
  local key = table.concat(ids, ",")
  local s = self.set_index[key]
  if not s then
    self.setlist[#self.setlist + 1] = ids
    s = #self.setlist - 1
    self.set_index[key] = s
  end
  return s
end

-- stack effect of each opcode (the verifier's rule: ANDJ/ORJ keep the top)
local EFFECT = {}
for name, e in pairs(core.OP_EFFECT) do EFFECT[OP[name]] = e[2] - e[1] end
local MAX_STACK = core.VM_STACK

function Checker:emit(op, arg)
  local code = self.code
  code[#code + 1] = op + (arg or 0) * 256
  self.depth = (self.depth or 0) + EFFECT[op]
  if self.depth > MAX_STACK then
    self:err(("expression too deep for the VM (more than %d pending values): split it with let")
      :format(MAX_STACK), 1)
  end
  return #code - 1
end

function Checker:gen(n)
  local tag = n.tag
  if n.qunit then self:settle(n) end
  if tag == "num" or n.param then
    self:emit(OP.CONST, self:const(n.value))
  elseif tag == "name" then
    if n.let then
      -- (an operand program reads the let values as inputs after the slots)
      if self.let_base then self:emit(OP.VAR, self.let_base + n.let) else self:emit(OP.LET, n.let) end
    else
      self:emit(OP.VAR, n.slot)
    end
  elseif tag == "neg" then
    self:gen(n.a); self:emit(OP.NEG)
  elseif tag == "not" then
    self:gen(n.a); self:emit(OP.NOT)
  elseif tag == "and" or tag == "or" then
    self:gen(n.a)
    local j = self:emit(tag == "and" and OP.ANDJ or OP.ORJ, 0)
    self:gen(n.b)
    self:emit(tag == "and" and OP.AND or OP.OR)
    self.code[j + 1] = (tag == "and" and OP.ANDJ or OP.ORJ) + #self.code * 256
  elseif tag == "bin" then
    self:gen(n.a); self:gen(n.b); self:emit(BINOP[n.op])
  elseif tag == "between" then
    self:gen(n.a); self:gen(n.lo); self:emit(OP.GE)
    self:gen(n.a); self:gen(n.hi); self:emit(OP.LE)
    self:emit(OP.AND)
  elseif tag == "if" then
    self:gen(n.c); self:gen(n.a); self:gen(n.b); self:emit(OP.SEL)
  elseif tag == "call" then
    local fn = n.fn
    if fn == "present" then
      self:gen(n.args[1]); self:emit(OP.ISNUM)
    elseif fn == "missing" then
      self:gen(n.args[1]); self:emit(OP.ISNUM); self:emit(OP.NOT)
    elseif fn == "abs" then
      self:gen(n.args[1]); self:emit(OP.ABS)
    elseif fn == "min" or fn == "max" then
      self:gen(n.args[1]); self:gen(n.args[2]); self:emit(fn == "min" and OP.MIN or OP.MAX)
    elseif fn == "critical" then -- |flag| >= 2
      self:emit(OP.VAR, n.slot); self:emit(OP.ABS)
      self:emit(OP.CONST, self:const(2)); self:emit(OP.GE)
    else -- flag slot: -2 critical low, -1 low, 0 normal, 1 high, 2 critical high
      self:emit(OP.VAR, n.slot)
      self:emit(OP.CONST, self:const(0))
      self:emit(fn == "high" and OP.GT or fn == "low" and OP.LT or OP.EQ)
    end
  elseif tag == "setq" then
    self:emit(OP.COUNT, n.setidx)
    if n.quant == "any" then
      self:emit(OP.CONST, self:const(0)); self:emit(OP.GT)
    elseif n.quant == "no" then
      self:emit(OP.CONST, self:const(0)); self:emit(OP.EQ)
    else
      self:emit(OP.CONST, self:const(n.k)); self:emit(OP.GE)
    end
  end
end

-- ---------------------------------------------------------------------------
-- The whole ruleset

local function flatten_sets(spec_sets, normalize, fail, warn)
  local out, visiting = {}, {}
  local function resolve(name)
    if out[name] then return out[name] end
    local decl = spec_sets[name]
    if not decl then return nil end
    if visiting[name] then fail(decl, ("set '%s' includes itself"):format(name)) end
    visiting[name] = true
    local terms, seen = {}, {}
    for _, t in ipairs(decl.terms) do
      local sub = spec_sets[t] and resolve(t)
      if sub then
        for _, x in ipairs(sub) do
          if not seen[x] then seen[x] = true; terms[#terms + 1] = x end
        end
      else
        local x, msg = normalize(t)
        if msg then warn(("set '%s': %s"):format(name, msg)) end
        if not seen[x] then seen[x] = true; terms[#terms + 1] = x end
      end
    end
    visiting[name] = nil
    out[name] = terms
    return terms
  end
  -- in sorted order: the warnings and the error of a cycle come in one
  -- order every run (hash order differs from one process to the next)
  for _, name in ipairs(util.sorted_keys(spec_sets)) do resolve(name) end
  return out
end

local function make_inputs()
  local c = core
  local names = {}
  for _, n in ipairs(c.analytes()) do names[#names + 1] = n end
  for n in pairs(EXTRA_INPUTS) do names[#names + 1] = n end
  table.sort(names)
  local function lookup(name)
    local x = EXTRA_INPUTS[name]
    if x then
      return { kind = x.kind, name = name, unit = x.unit, ty = x.ty, sex = x.sex }
    end
    local a = c.analyte(name)
    if a and a.name == name then
      return { kind = "value", name = a.name, unit = a.unit, analyte = a.molar_mass and a.name }
    end
    return nil
  end
  return lookup, names
end

-- the controlled vocabulary, when the module exists (false when it does not)
local vocab
local function get_vocab()
  if vocab == nil then
    local ok, v = pcall(require, "calcinosis.vocab")
    vocab = ok and type(v) == "table" and type(v.normalize) == "function" and v or false
  end
  return vocab
end

--- Normalizes a finding or site term: through `calcinosis.vocab.normalize`
-- when that module exists (synonyms, case, spacing), else lowercased as given.
-- Terms the vocabulary does not know are kept, lowercased.
-- @tparam string t
-- @treturn string term
-- @treturn[opt] string message from the vocabulary when it does not know the term
function M.normalize(t)
  t = tostring(t)
  local v = get_vocab()
  if v then
    local canon, msg = v.normalize(t)
    if canon then return canon end
    return t:lower(), msg
  end
  return t:lower()
end
local default_normalize = M.normalize

--- Adds the terms that normalized terms imply (`calcinosis.vocab.expand`:
-- `esrd` implies `ckd`, `fingertips` implies `hands`), when the vocabulary
-- exists; the C cohort pipeline maps terms the same way.
-- @tparam table terms list of normalized terms
-- @treturn table the list itself, or a new one with implied terms added
function M.expand(terms)
  local v = get_vocab()
  if v and v.expand then return v.expand(terms) end
  return terms
end

--- Formats a number briefly (no trailing zeros): `calcinosis.util.fmt`.
M.fmt = util.fmt

-- ---------------------------------------------------------------------------
-- Result declarations: what the result says besides the type, decided by
-- the ruleset like its rules (docs/clinical-reference.md for the conflicts).
--
--   alternative { id, when, labels = { subtype | label ... }, reason | reasons = { label = text }, source }
--   alert { id, when, severity = "urgent" | "critical" | "warning", text, source }
--   ask { id, when, inputs = { input names }, text, source [, priority = 1] [, weight = 0] [, changes] }
--   confidence { id, when, factor (0 < f <= 1), because }
--
-- Their conditions are evaluated after the decision and may read, besides
-- every input, let and param: is_<subtype> and is_<label> (the result's
-- type), score_<subtype>, best_score, second_score, unevaluable_share (the
-- share of the winning subtype's rules that were not evaluable) and
-- unknown_terms (findings and sites not recognized); confidence factors
-- also read alternative_count and alert_count.

local RESULT_KINDS = { alternative = true, alert = true, ask = true, confidence = true }
M.RESULT_KINDS = RESULT_KINDS
local SEVERITY = { urgent = 1, critical = 2, warning = 3 }
M.SEVERITY = SEVERITY

--- The inputs (names) a checked AST reads, through lets, in first-use order.
-- @tparam table ast a checked expression
-- @tparam table lets the compiler's lets (0-based ids)
-- @treturn {string,...}
function inputs_of(ast, lets)
  local out, seen, seen_let = {}, {}, {}
  local function walk(x)
    if type(x) ~= "table" then return end
    if x.tag == "name" and x.let then
      if not seen_let[x.let] then
        seen_let[x.let] = true
        local l = lets[x.let + 1]
        if l then walk(l.ast) end
      end
    elseif x.tag == "name" and x.input and not seen[x.input] then
      seen[x.input] = true
      out[#out + 1] = x.input
    elseif x.tag == "call" and x.slot and x.args and x.args[1] and x.args[1].input then
      local n = x.args[1].input
      if not seen[n] then seen[n] = true; out[#out + 1] = n end
    end
    for _, k in ipairs { "a", "b", "c", "lo", "hi" } do walk(x[k]) end
    if x.args then for _, y in ipairs(x.args) do walk(y) end end
  end
  walk(ast)
  return out
end
M.inputs_of = inputs_of

-- the input slots a checked AST reads, through lets, with the name each
-- reports when its value is missing, in the order of calcinosis.rules.explain's
-- walk (so that the missing inputs of a rule are found without walking it)
function missing_slots(ast, lets)
  local out, seen_let = {}, {}
  local function walk(x)
    if type(x) ~= "table" then return end
    if x.tag == "name" and x.let then
      if not seen_let[x.let] then
        seen_let[x.let] = true
        local l = lets[x.let + 1]
        if l then walk(l.ast) end
      end
    elseif x.slot and (x.tag == "name" or x.tag == "call") then
      out[#out + 1] = { x.slot, x.input or (x.args and x.args[1].input) or x.name }
    end
    for _, k in ipairs { "a", "b", "c", "lo", "hi" } do walk(x[k]) end
    if x.args then for _, y in ipairs(x.args) do walk(y) end end
  end
  walk(ast)
  return out
end

local function text_field(d, k, fail, what)
  if type(d[k]) ~= "string" or d[k] == "" then fail(d, ("%s needs %s ('%s')"):format(d.kind, what, k)) end
  return d[k]
end

function compile_results(self, post, spec, subtypes, subtype_index, label, rules, fail, warn)
  self.slots, self.slot_index, self.consts, self.const_index, self.code = {}, {}, {}, {}, {}
  local names = {}
  for i, st in ipairs(subtypes) do
    names["is_" .. st] = { ty = "bool", what = "is", index = i - 1 }
    names["score_" .. st] = { ty = "num", what = "score", index = i - 1 }
  end
  names["is_" .. label] = { ty = "bool", what = "is", index = -1 }
  names.best_score = { ty = "num", what = "best" }
  names.second_score = { ty = "num", what = "second" }
  names.unevaluable_share = { ty = "num", what = "unevaluable_share" }
  names.unknown_terms = { ty = "num", what = "unknown_terms" }
  local conf_names = {}
  for k, v in pairs(names) do conf_names[k] = v end
  conf_names.alternative_count = { ty = "num", what = "alternative_count" }
  conf_names.alert_count = { ty = "num", what = "alert_count" }
  local out = { alternatives = {}, alerts = {}, asks = {}, confidence = {}, decls = {} }
  local seen = {}
  local known_label = {}
  for _, st in ipairs(subtypes) do known_label[st] = true end
  known_label[label] = true
  local order = { "alternative", "alert", "ask", "confidence" }
  for _, kind in ipairs(order) do
    for _, d in ipairs(post) do
      if d.kind == kind then
        if type(d.id) ~= "string" or d.id == "" then fail(d, ("an %s needs an id"):format(kind)) end
        local qid = kind .. "." .. d.id
        if seen[qid] then fail(d, ("%s '%s' declared twice"):format(kind, d.id)) end
        seen[qid] = true
        if type(d.when) ~= "string" then fail(d, ("%s '%s' needs a condition ('when')"):format(kind, d.id)) end
        local x = { kind = kind, id = d.id, qid = qid, when = d.when, source = d.source, decl = d,
          conflict = d.conflict }
        if kind == "alternative" then
          if type(d.labels) ~= "table" or #d.labels == 0 then fail(d, "an alternative needs 'labels'") end
          x.labels, x.label_index = {}, {}
          for i, l in ipairs(d.labels) do
            if not known_label[l] then
              fail(d, ("alternative '%s': unknown label '%s'%s"):format(d.id, short(l),
                did_you_mean(tostring(l), subtypes)))
            end
            x.labels[i], x.label_index[i] = l, subtype_index[l] or -1
          end
          x.reasons = {}
          if type(d.reasons) == "table" then for k, v in pairs(d.reasons) do x.reasons[k] = tostring(v) end end
          if d.reason ~= nil then x.reason = tostring(d.reason) end
          for _, l in ipairs(x.labels) do
            if not x.reasons[l] and not x.reason then
              fail(d, ("alternative '%s' needs a reason for '%s' ('reason' or 'reasons')"):format(d.id, l))
            end
          end
          text_field(d, "source", fail, "a source key")
          out.alternatives[#out.alternatives + 1] = x
        elseif kind == "alert" then
          if not SEVERITY[d.severity] then fail(d, "an alert's severity is 'urgent', 'critical' or 'warning'") end
          x.severity, x.rank = d.severity, SEVERITY[d.severity]
          x.analytes = {}
          for i, name in ipairs(d.analytes or {}) do
            local a = self.inputs(name)
            if not a or a.kind ~= "value" then
              fail(d, ("alert '%s': '%s' is not an analyte"):format(d.id, tostring(name)))
            end
            x.analytes[i] = name
          end
          x.text = text_field(d, "text", fail, "a text")
          text_field(d, "source", fail, "a source key")
          out.alerts[#out.alerts + 1] = x
        elseif kind == "ask" then
          x.text = text_field(d, "text", fail, "a text")
          text_field(d, "source", fail, "a source key")
          x.priority = d.priority or 1
          x.weight = d.weight or 0
          if type(x.priority) ~= "number" or type(x.weight) ~= "number" or x.weight ~= x.weight
            or x.priority ~= x.priority or math.abs(x.weight) == math.huge or math.abs(x.priority) == math.huge then
            fail(d, "an ask's priority and weight are finite numbers")
          end
          x.changes = d.changes
          x.inputs = {}
          local want = {}
          for i, name in ipairs(d.inputs or {}) do
            if not self.inputs(name) then
              fail(d, ("ask '%s': unknown input '%s'%s"):format(d.id, short(name),
                did_you_mean(tostring(name), self.input_names)))
            end
            x.inputs[i] = name
            want[name] = true
          end
          x.rules = {}
          for i, r in ipairs(rules) do
            for _, name in ipairs(r.inputs) do
              if want[name] then x.rules[#x.rules + 1] = i - 1 break end
            end
          end
          out.asks[#out.asks + 1] = x
        else
          x.because = text_field(d, "because", fail, "a sentence")
          x.factor = d.factor
          if type(x.factor) ~= "number" or not (x.factor > 0 and x.factor <= 1) then
            fail(d, "a confidence factor is a number above 0 and at most 1")
          end
          out.confidence[#out.confidence + 1] = x
        end
        if x.source then
          for key in x.source:gmatch("[^%s,;]+") do
            if not key:match("^[SCX]%d+[%w%-]*$") and not key:match("^seed:%d+$") then
              warn(("%s: source '%s' does not look like a key of the bibliography (S1, C2, X1, seed:NNN: calcinosis.sources)"):format(qid, key))
            end
          end
        end
        self.result_names = kind == "confidence" and conf_names or names
        self.decl, self.text, self.let_limit = d, d.when, nil
        local ast, msg, pos = parser.parse(d.when)
        if not ast then self:err(msg, pos) end
        self:check(ast)
        if ast.ty ~= "bool" and ast.ty ~= "any" then
          self:err(("an %s's condition must be a condition, not a number"):format(kind), ast.pos)
        end
        x.start = #self.code
        self:gen(ast)
        self:emit(OP.RET)
        x.len, x.ast = #self.code - x.start, ast
        x.subtype, x.weight_vm = 0, 0
        out.decls[#out.decls + 1] = x
      end
    end
  end
  self.result_names = nil
  out.main_decls = {}
  for _, l in ipairs { out.alternatives, out.alerts, out.asks } do
    for _, x in ipairs(l) do out.main_decls[#out.main_decls + 1] = x end
  end
  if #out.main_decls > 1024 or #out.confidence > 1024 then fail(nil, "at most 1024 result declarations") end
  local levels = (spec.decision or {}).confidence or {}
  out.levels = { high = levels.high or 0.75, moderate = levels.moderate or 0.45 }
  if type(out.levels.high) ~= "number" or type(out.levels.moderate) ~= "number"
    or out.levels.high < out.levels.moderate then
    fail(nil, "decision.confidence needs numbers high >= moderate")
  end
  out.indeterminate_alternatives = (spec.decision or {}).indeterminate_alternatives ~= false
  out.slots, out.consts, out.code = self.slots, self.consts, self.code
  return out
end

-- the bytes of a program (src/vm.h); `rules` entries have start, len,
-- subtype and weight (or weight_vm)
function serialize(prog, setlist, term_words, lets, rules, nsubtypes, tie_code, at_most, metastr)
  local parts = {
    pack("<c4I2I2I2I2I2I2I2I2I2I2I4dI4", "CALV", 1, 0, #prog.slots, #lets, #prog.consts,
      #setlist, term_words, #rules, nsubtypes, tie_code, #prog.code, at_most, #metastr),
  }
  for _, v in ipairs(prog.consts) do parts[#parts + 1] = pack("<d", v) end
  for _, ids in ipairs(setlist) do
    -- term_words little-endian 64-bit words, written byte by byte
    local bytes = {}
    for b = 1, term_words * 8 do bytes[b] = 0 end
    for _, id in ipairs(ids) do
      local b, bit = math.floor(id / 8) + 1, 2 ^ (id % 8)
      if math.floor(bytes[b] / bit) % 2 == 0 then bytes[b] = bytes[b] + bit end
    end
    for b = 1, term_words * 8 do parts[#parts + 1] = string.char(bytes[b]) end
  end
  for _, ins in ipairs(prog.code) do parts[#parts + 1] = pack("<I4", ins) end
  for _, l in ipairs(lets) do parts[#parts + 1] = pack("<I4I4", l.start, l.len) end
  for _, r in ipairs(rules) do
    parts[#parts + 1] = pack("<I4I4I2d", r.start, r.len, r.subtype, r.weight_vm or r.weight)
  end
  parts[#parts + 1] = metastr
  return table.concat(parts)
end

--- Compiles a ruleset spec.
-- @tparam table spec `{ name, version, file, source_text, subtypes, decision, decls }`
-- where decls is the ordered list of set/param/let/rule declarations
-- @return a table `{ bytes, slots, term_ids, lets, rules, subtypes, ... }`
-- (raises `{ compile_error = message }` on error)
function M.compile(spec)
  local inputs, input_names = make_inputs()
  local self = setmetatable({
    consts = {}, const_index = {}, slots = {}, slot_index = {}, term_ids = {}, term_names = {},
    nterms = 0, setlist = {}, set_index = {}, code = {}, lets_by_name = {}, params = {},
    inputs = inputs, input_names = input_names, normalize = default_normalize,
  }, Checker)
  local base_decl = { kind = "ruleset", name = spec.name, file = spec.file, line = spec.line }
  local function fail(decl, msg) compile_error(decl or base_decl, msg) end

  if type(spec.name) ~= "string" or spec.name == "" then fail(nil, "a ruleset needs a name") end
  if type(spec.version) ~= "string" and type(spec.version) ~= "number" then
    fail(nil, "a ruleset needs a version")
  end
  local subtypes = spec.subtypes
  if type(subtypes) ~= "table" or #subtypes == 0 then
    fail(nil, "a ruleset needs 'subtypes', the list of subtypes in tie order")
  end
  if #subtypes > 16 then fail(nil, "at most 16 subtypes") end
  local subtype_index = {}
  for i, s in ipairs(subtypes) do subtype_index[s] = i - 1 end
  local decision = spec.decision or {}
  local tie = decision.tie or "order"
  if tie ~= "order" and tie ~= "indeterminate" then
    fail(nil, "decision.tie must be 'order' or 'indeterminate'")
  end
  local at_most = decision.indeterminate_at_most or 0
  if type(at_most) ~= "number" or at_most ~= at_most then
    fail(nil, "decision.indeterminate_at_most must be a number")
  end

  -- sets and params first (declaration order does not matter for them)
  local spec_sets, rules, lets = {}, {}, {}
  for _, d in ipairs(spec.decls) do
    if d.kind == "set" then
      if spec_sets[d.name] then fail(d, "set declared twice") end
      spec_sets[d.name] = d
    elseif d.kind == "param" then
      if self.params[d.name] then fail(d, "param declared twice") end
      local v, u = M.quantity(d.value)
      if not v then fail(d, u) end
      self.params[d.name] = { value = v, unit = u, decl = d }
    end
  end
  local warnings = {}
  local function warn(msg) warnings[#warnings + 1] = msg end
  self.warn = warn
  self.sets = flatten_sets(spec_sets, default_normalize, fail, warn)

  local seen_rule = {}
  local post = {}
  for _, d in ipairs(spec.decls) do
    if d.kind == "let" then
      if self.lets_by_name[d.name] or self.params[d.name] then
        fail(d, ("'%s' is declared twice"):format(d.name))
      end
      if #lets >= 256 then fail(d, "at most 256 lets") end
      self.decl, self.text, self.let_limit = d, d.expr, #lets
      local ast, msg, pos = parser.parse(d.expr)
      if not ast then self:err(msg, pos) end
      self:check(ast)
      local unit = ast.unit
      if ast.qunit then self:settle(ast, d.unit) end
      if d.unit then
        if not dimension(d.unit) then fail(d, ("unknown unit '%s'"):format(d.unit)) end
        if ast.unit and ast.unit ~= d.unit then
          local v = convert(1, ast.unit, d.unit, d.analyte or ast.analyte)
          if not v then
            fail(d, ("declared unit %s does not match the expression's unit %s"):format(d.unit, ast.unit))
          end
        end
        unit = d.unit
      elseif ast.qunit == nil and ast.unit ~= nil then
        unit = ast.unit
      end
      local start = #self.code
      self:gen(ast)
      self:emit(OP.RET)
      local let = { name = d.name, index = #lets, ty = ast.ty, unit = unit or nil,
        analyte = d.analyte or ast.analyte, ast = ast, expr = d.expr, start = start,
        len = #self.code - start, decl = d }
      lets[#lets + 1] = let
      self.lets_by_name[d.name] = let
    elseif RESULT_KINDS[d.kind] then
      post[#post + 1] = d
    elseif d.kind == "rule" then
      if type(d.id) ~= "string" or d.id == "" then fail(d, "a rule needs an id") end
      if seen_rule[d.id] then fail(d, "rule id declared twice") end
      seen_rule[d.id] = true
      if not subtype_index[d.supports] then
        fail(d, ("supports unknown subtype '%s'%s"):format(short(d.supports),
          did_you_mean(tostring(d.supports), subtypes)))
      end
      if type(d.weight) ~= "number" or d.weight ~= d.weight or math.abs(d.weight) == math.huge then
        fail(d, "weight must be a finite number")
      end
      if type(d.because) ~= "string" or d.because == "" then fail(d, "a rule needs a sentence ('because')") end
      if type(d.source) ~= "string" or d.source == "" then fail(d, "a rule needs a source key") end
      for key in d.source:gmatch("[^%s,;]+") do
        if not key:match("^[SCX]%d+[%w%-]*$") and not key:match("^seed:%d+$") then
          warn(("rule '%s': source '%s' does not look like a key of the bibliography (S1, C2, X1, seed:NNN: calcinosis.sources)")
            :format(d.id, key))
        end
      end
      if type(d.when) ~= "string" then fail(d, "a rule needs a condition ('when')") end
      if #rules >= 1024 then fail(d, "at most 1024 rules") end
      self.decl, self.text, self.let_limit = d, d.when, nil
      local ast, msg, pos = parser.parse(d.when)
      if not ast then self:err(msg, pos) end
      self:check(ast)
      if ast.ty ~= "bool" and ast.ty ~= "any" then self:err("a rule's condition must be a condition, not a number", ast.pos) end
      local start = #self.code
      self:gen(ast)
      self:emit(OP.RET)
      rules[#rules + 1] = { id = d.id, when = d.when, because = d.because, source = d.source,
        supports = d.supports, subtype = subtype_index[d.supports], weight = d.weight, ast = ast,
        start = start, len = #self.code - start, decl = d }
    end
  end
  for _, r in ipairs(rules) do
    r.inputs = inputs_of(r.ast, lets)
    r.missing_slots = missing_slots(r.ast, lets)
  end
  local label = tostring(decision.label or "indeterminate")
  local main = { slots = self.slots, consts = self.consts, code = self.code }
  local result = compile_results(self, post, spec, subtypes, subtype_index, label, rules, fail, warn)
  -- every term of the vocabulary has a term id, so that the record logic
  -- knows which were given (the knowledge lookups read them), not only
  -- those the rules name; the programs' term words cover only the terms
  -- their sets use (the ids before these), so the rules run no slower
  local program_terms = self.nterms
  do
    local v = get_vocab()
    if v then
      local all = {}
      for term in pairs(v.terms) do all[#all + 1] = term end
      table.sort(all)
      for _, term in ipairs(all) do self:term(v.kind(term) == "site" and "site" or "finding", term) end
    end
  end
  if self.nterms > 1024 then fail(nil, "at most 1024 distinct terms") end
  if #main.slots > 65535 or #main.consts > 65535 or #self.setlist > 65535 or #result.slots > 65535
    or #result.consts > 65535 then
    fail(nil, "ruleset too large")
  end

  -- serialize (see src/vm.h)
  local term_words = math.floor((program_terms + 63) / 64)
  -- meta: records separated by RS (0x1e), fields by US (0x1f); see src/vm.h
  local meta = {}
  local function rec(...) meta[#meta + 1] = table.concat({ ... }, "\31") end
  rec("name", spec.name)
  rec("version", tostring(spec.version))
  for _, s in ipairs(subtypes) do rec("subtype", s) end
  rec("label", label)
  for _, s in ipairs(main.slots) do rec("slot", s.kind, s.name) end
  for i = 0, self.nterms - 1 do
    local kind, term = self.term_names[i]:match("^(%a+):(.*)$")
    rec("term", kind, term)
  end
  for _, l in ipairs(lets) do rec("let", l.name, l.unit or "", l.expr) end
  for _, r in ipairs(rules) do rec("rule", r.id, r.supports, r.when, r.because, r.source) end
  local tie_code = tie == "order" and 0 or 1
  local bytes = serialize(main, self.setlist, term_words, lets, rules, #subtypes, tie_code, at_most,
    table.concat(meta, "\30"))
  -- the result programs: alternatives, alerts and asks, then the confidence
  -- factors (which read how many alternatives and alerts there are)
  local rmeta = {}
  for _, s in ipairs(result.slots) do rmeta[#rmeta + 1] = table.concat({ "slot", s.kind, s.name }, "\31") end
  for _, x in ipairs(result.decls) do
    rmeta[#rmeta + 1] = table.concat({ x.kind, x.id, x.when, x.text or x.reason or x.because or "",
      x.source or "", table.concat(x.labels or {}, ","), tostring(x.priority or ""), tostring(x.weight or ""),
      tostring(x.factor or ""), x.severity or "" }, "\31")
  end
  rmeta[#rmeta + 1] = table.concat({ "confidence_levels", tostring(result.levels.high),
    tostring(result.levels.moderate) }, "\31")
  local rm = table.concat(rmeta, "\30")
  local post_bytes = serialize(result, self.setlist, term_words, {}, result.main_decls, #subtypes, 0, 0, rm)
  local conf_bytes = serialize(result, self.setlist, term_words, {}, result.confidence, #subtypes, 0, 0, rm)
  result.bytes, result.conf_bytes = post_bytes, conf_bytes

  -- the explanations of fired rules (src/explain.h): templates, and the
  -- operand programs that compute the values they show (the lets of
  -- programs without rules, reading the slots and then the let values)
  local shown_terms = {}
  for id = 0, program_terms - 1 do shown_terms[id] = self.term_names[id] end
  local ex = explain.build(rules, lets, shown_terms, #main.slots)
  local per = core.EXPLAIN.OPS_PER_PROGRAM
  if #ex.ops > per * 64 then fail(nil, ("ruleset too large to explain (more than %d values shown)"):format(per * 64)) end
  if #main.slots + #lets > 65535 then fail(nil, "ruleset too large") end
  local inputs_ex = {}
  for i = 1, #main.slots + #lets do inputs_ex[i] = true end
  local programs = {}
  self.let_base = #main.slots
  local k = 1
  repeat
    self.consts, self.const_index, self.code, self.depth = {}, {}, {}, 0
    local blocks = {}
    for j = k, math.min(k + per - 1, #ex.ops) do
      local start = #self.code
      self:gen(ex.ops[j])
      self:emit(OP.RET)
      blocks[#blocks + 1] = { start = start, len = #self.code - start }
    end
    programs[#programs + 1] = serialize({ slots = inputs_ex, consts = self.consts, code = self.code },
      self.setlist, term_words, blocks, {}, 1, 0, 0, "")
    k = k + per
  until k > #ex.ops
  self.let_base = nil

  return {
    bytes = bytes,
    slots = main.slots,
    term_ids = self.term_ids,
    sets = self.sets,
    params = self.params,
    lets = lets,
    rules = rules,
    subtypes = subtypes,
    label = label,
    tie = tie,
    indeterminate_at_most = at_most,
    consts = main.consts,
    setlist = self.setlist,
    warnings = warnings,
    result = result,
    explain = { bytes = ex.bytes, programs = programs },
    term_words = term_words,
    term_words_all = math.floor((self.nterms + 63) / 64),
  }
end

return M
