--- Parser of rule conditions (LPeg). Turns a condition string into an AST.
--
-- Grammar (EBNF; keywords are case-sensitive; `--` starts nothing, there are
-- no comments inside a condition):
--
--     expr    = 'if' expr 'then' expr 'else' expr | or ;
--     or      = and { 'or' and } ;
--     and     = not { 'and' not } ;
--     not     = 'not' not | cmp ;
--     cmp     = sum [ relop sum | 'between' sum 'and' sum ] ;
--     relop   = '<' | '<=' | '>' | '>=' | '==' | '=' | '!=' | '~=' ;
--     sum     = prod { ('+' | '-') prod } ;
--     prod    = unary { ('*' | '/') unary } ;
--     unary   = '-' unary | pow ;
--     pow     = atom [ '^' unary ] ;
--     atom    = number [ unit ] | 'true' | 'false' | 'unknown'
--             | setq | name '(' expr { ',' expr } ')' | name
--             | '(' expr ')' | 'if' expr 'then' expr 'else' expr ;
--     setq    = ('any' | 'no') kind 'in' set
--             | 'at' 'least' integer kind 'in' set
--             | kind term ;                       (* `finding ckd` *)
--     kind    = 'finding' | 'findings' | 'site' | 'sites' ;
--     set     = name | '{' term { ',' term } '}' ;
--     unit    = a word such as mg/dL, mmol/L, mg2/dL2, mL/min/{1.73_m2},
--               years, that is not a keyword ;
--
-- Nodes are tables with a `tag` and `pos` (1-based byte offset of the node's
-- token in the condition string).
-- @module calcinosis.rules.parser
local has_lpeg, lpeg = pcall(require, "lpeg")
if not has_lpeg then -- a host without LPeg: say which, and how to get it
  -- (5.1, LuaJIT: the modules being loaded keep require's marker, and a second
  -- require would say "loop or previous error"; every module here returns a
  -- table, so the markers are what is not a table: take them out)
  for name, v in pairs(package.loaded) do
    if type(v) ~= "table" and name:find("^calcinosis%.") then package.loaded[name] = nil end
  end
  error(("calcinosis.rules: the rule compiler needs LPeg, which %s cannot load (Debian: apt-get install "
    .. "lua-lpeg; LuaRocks: luarocks --lua-version=%s install lpeg): %s"):format(
    rawget(_G, "jit") and _G.jit.version or _VERSION, _VERSION:match("%d+%.%d+") or "5.4",
    (tostring(lpeg):gsub("\n.*", ""))), 0)
end

local P, R, S, V, C, Ct, Cc, Cp, Cmt = lpeg.P, lpeg.R, lpeg.S, lpeg.V, lpeg.C, lpeg.Ct, lpeg.Cc,
  lpeg.Cp, lpeg.Cmt

local M = {}

--- Words that cannot be names or units.
M.keywords = {}
for w in ([[and or not if then else between true false unknown any no at least
  finding findings site sites in]]):gmatch("%S+") do
  M.keywords[w] = true
end

-- The furthest position any token was tried at, for syntax errors. Reset by
-- each parse (the parser is not reentrant across coroutines mid-match, and
-- lpeg.match never yields, so this is safe).
local far = 1
local function mark(_, i)
  if i > far then far = i end
  return true
end

local space = S(" \t\r\n") ^ 0
local sp = Cmt(space, mark)
local alpha = R("az", "AZ") + P("_")
local alnum = alpha + R("09")
local word = alpha * alnum ^ 0

local function kw(w) return sp * P(w) * -alnum end
local function sym(s) return sp * P(s) end

local function not_keyword(_, i, w)
  if M.keywords[w] then return false end
  return i, w
end

local ident = Cmt(C(word), not_keyword)
local digits = R("09") ^ 1
local number = C(digits * (P(".") * digits) ^ -1 * (S("eE") * S("+-") ^ -1 * digits) ^ -1
  + P(".") * digits) / tonumber
local unitword = Cmt(C((alpha + S("{%")) * (alnum + S("/.{}%^*[]'-")) ^ 0), not_keyword)
local term = Cmt(C(word), function(_, i, w) return i, w end)

local function node(tag, ...)
  local keys = { ... }
  return function(pos, ...)
    local t = { tag = tag, pos = pos }
    local vals = { ... }
    for k = 1, #keys do t[keys[k]] = vals[k] end
    return t
  end
end

local function fold_left(first, ...)
  -- captures: first, (pos, op, rhs)*
  local acc = first
  local rest = { ... }
  for k = 1, #rest, 3 do
    local pos, op, rhs = rest[k], rest[k + 1], rest[k + 2]
    if op == "and" or op == "or" then
      acc = { tag = op, pos = pos, a = acc, b = rhs }
    else
      acc = { tag = "bin", op = op, pos = pos, a = acc, b = rhs }
    end
  end
  return acc
end

local relop = C(P("<=") + P(">=") + P("==") + P("!=") + P("~=") + P("<") + P(">") + P("=")) /
  function(op)
    if op == "=" then return "==" elseif op == "~=" then return "!=" end
    return op
  end

local kind = (P("findings") + P("finding")) * -alnum * Cc("finding")
  + (P("sites") + P("site")) * -alnum * Cc("site")

local grammar = P {
  "top",
  top = V("expr") * sp * -1,
  expr = V("ifx") + V("or_"),
  ifx = sp * Cp() * P("if") * -alnum * V("expr") * kw("then") * V("expr") * kw("else") * V("expr")
    / node("if", "c", "a", "b"),
  or_ = (V("and_") * (sp * Cp() * C(P("or")) * -alnum * V("and_")) ^ 0) / fold_left,
  and_ = (V("not_") * (sp * Cp() * C(P("and")) * -alnum * V("not_")) ^ 0) / fold_left,
  not_ = sp * Cp() * P("not") * -alnum * V("not_") / node("not", "a") + V("cmp"),
  -- one parse of the left operand, then either tail (no re-parse on failure:
  -- backtracking over a whole operand would be exponential in the nesting)
  cmp = (V("sum") * (sp * Cp() * P("between") * -alnum * Cc("between") * V("sum") * kw("and") * V("sum")
      + sp * Cp() * relop * V("sum")) ^ -1)
    / function(a, pos, op, lo, hi)
      if op == "between" then return { tag = "between", pos = pos, a = a, lo = lo, hi = hi } end
      if pos then return { tag = "bin", op = op, pos = pos, a = a, b = lo } end
      return a
    end,
  sum = (V("prod") * (sp * Cp() * C(S("+-")) * V("prod")) ^ 0) / fold_left,
  prod = (V("unary") * (sp * Cp() * C(S("*/")) * V("unary")) ^ 0) / fold_left,
  unary = sp * Cp() * P("-") * V("unary") / node("neg", "a") + V("pow"),
  pow = (V("atom") * (sp * Cp() * C(P("^")) * V("unary")) ^ -1) / fold_left,
  atom = V("num") + V("lit") + V("setq") + V("call") + V("name") + V("paren") + V("ifx"),
  num = sp * Cp() * number * (space * Cp() * unitword) ^ -1
    / function(pos, value, upos, unit)
      return { tag = "num", pos = pos, value = value, unit = unit, upos = upos }
    end,
  lit = sp * Cp() * (P("true") * Cc(1) + P("false") * Cc(0) + P("unknown") * Cc(0 / 0)) * -alnum
    / function(pos, v) return { tag = "num", pos = pos, value = v, logical = true } end,
  setq = sp * Cp() * (C(P("any") + P("no")) * -alnum * Cc(nil) + P("at") * -alnum * kw("least")
      * sp * Cc("atleast") * (digits / tonumber)) * sp * kind * kw("in") * V("set")
      / function(pos, quant, k, kd, set)
        return { tag = "setq", pos = pos, quant = quant, k = k, kind = kd, set = set }
      end
    + sp * Cp() * kind * sp * Cp() * term
      / function(pos, kd, tpos, t)
        return { tag = "setq", pos = pos, quant = "any", kind = kd,
          set = { tag = "setlit", pos = tpos, terms = { t } } }
      end,
  set = sp * Cp() * ident / node("setref", "name")
    + sp * Cp() * P("{") * Ct(sp * term * (sym(",") * sp * term) ^ 0) * sym("}")
      / node("setlit", "terms"),
  call = sp * Cp() * ident * sym("(") * Ct(V("expr") * (sym(",") * V("expr")) ^ 0) * sym(")")
    / node("call", "fn", "args"),
  name = sp * Cp() * ident / node("name", "name"),
  paren = sym("(") * V("expr") * sym(")"),
}

--- Parse a condition.
-- @tparam string src the condition text
-- @return the AST, or nil, message, position (1-based offset of the
-- offending token)
function M.parse(src)
  far = 1
  local ok, ast = pcall(lpeg.match, grammar, src)
  if ok and ast then return ast end
  if not ok then
    -- out of memory (a sandboxed load's memory budget): raised as it is, so
    -- that the load reports the budget, not a syntax error of the rule
    if type(ast) == "string" and ast:find("^not enough memory") then error(ast, 0) end
    local msg = tostring(ast)
    if msg:find("stack overflow", 1, true) or msg:find("too many", 1, true) then
      msg = "expression too deeply nested or too long: split it with let"
    end
    return nil, msg, 1
  end
  local pos = far
  -- skip the spaces the furthest token attempt started with
  pos = src:find("%S", pos) or (#src + 1)
  -- the token: a word, or one character (a whole UTF-8 sequence), shown
  -- with at most 40 bytes (cut on a character boundary)
  local tok = src:match("^[%w_%.]+", pos) or src:match("^[\194-\244][\128-\191]*", pos)
    or src:match("^%S", pos)
  if tok then
    if #tok > 40 then
      local cut = 41
      while cut > 1 and tok:byte(cut) >= 0x80 and tok:byte(cut) < 0xC0 do cut = cut - 1 end
      tok = tok:sub(1, cut - 1) .. "..."
    end
    tok = tok:gsub("[%z\1-\31\127]", function(c) return ("\\x%02x"):format(c:byte()) end)
    return nil, ("syntax error: unexpected '%s'"):format(tok), pos
  end
  return nil, "syntax error: unexpected end of expression", pos
end

return M
