--- HL7 v2, phase 2: the encoding characters a message declares in MSH and
-- the grammar they give (LPeg patterns built for those characters): a
-- segment into fields, a field into repetitions, components and
-- subcomponents, and escape sequences decoded.
--
-- Escapes (HL7 v2.5 §2.7): `\F\` field, `\S\` component, `\T\`
-- subcomponent, `\R\` repetition, `\E\` escape character, `\Xhh...\` bytes
-- given in hexadecimal; the formatting escapes `\H\`, `\N\` (highlight on
-- and off) give nothing, `\.br\` and `\.sp\` a line break, the other
-- formatting commands (`\.in\`, `\.ti\`, `\.sk\`, `\.ce\`, `\.fi\`,
-- `\.nf\`) and the character set escapes (`\Cxxyy\`, `\Mxxyyzz\`, `\Zxx\`)
-- nothing. An escape sequence that is none of these (or has an odd number
-- of hexadecimal digits), and an escape character that opens no sequence,
-- are kept as written.
--
-- Dependencies: lpeg.
-- @module calcinosis.hl7.grammar

local lpeg = require "lpeg"

local P, R, C, Ct, Cs = lpeg.P, lpeg.R, lpeg.C, lpeg.Ct, lpeg.Cs

local M = {}

local alnum = R("az", "AZ", "09")

-- MSH, its field separator, then the encoding characters up to the next
-- field separator (or the end of the segment)
local function header_pattern(fs)
  return P "MSH" * P(fs) * C((1 - P(fs))^0) * lpeg.Cp()
end

--- Reads the encoding characters an MSH segment declares.
-- @tparam string seg the MSH segment's text
-- @treturn table|nil `{ field =, component =, repetition =, escape =,
--   subcomponent = [, truncation =] }` (characters)
-- @treturn[2] string what is wrong, naming the MSH field (MSH-1, MSH-2)
function M.encoding(seg)
  if seg:sub(1, 3) ~= "MSH" then return nil, "MSH: the segment does not begin with 'MSH'" end
  local fs = seg:sub(4, 4)
  if fs == "" then return nil, "MSH-1: no field separator after 'MSH'" end
  if alnum:match(fs) or fs == " " then
    return nil, ("MSH-1: field separator '%s' is a letter, digit or space"):format(fs)
  end
  local enc = header_pattern(fs):match(seg)
  if #enc < 4 then
    return nil, ("MSH-2: encoding characters '%s' are too few (4 needed: component, repetition, escape, " ..
      "subcomponent)"):format(enc)
  end
  if #enc > 5 then
    return nil, ("MSH-2: encoding characters '%s' are too many (4, or 5 with the truncation character)"):format(enc)
  end
  local seen = { [fs] = true }
  for i = 1, #enc do
    local c = enc:sub(i, i)
    if seen[c] then return nil, ("MSH-2: encoding characters '%s' repeat '%s'"):format(enc, c) end
    if alnum:match(c) or c == " " then
      return nil, ("MSH-2: encoding character '%s' in '%s' is a letter, digit or space"):format(c, enc)
    end
    seen[c] = true
  end
  return { field = fs, component = enc:sub(1, 1), repetition = enc:sub(2, 2), escape = enc:sub(3, 3),
    subcomponent = enc:sub(4, 4), truncation = enc:sub(5, 5) ~= "" and enc:sub(5, 5) or nil, text = enc }
end

-- the text an escape sequence's body (between the escape characters) stands for, or nil
local function escape_value(e, body)
  local simple = { F = e.field, S = e.component, T = e.subcomponent, R = e.repetition, E = e.escape,
    H = "", N = "" }
  if simple[body] then return simple[body] end
  local digits = body:match("^X(%x+)$")
  if digits then
    if #digits % 2 == 1 then return nil end
    return (digits:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end))
  end
  if body:match("^%.br$") or body:match("^%.sp%d*$") or body:match("^%.sp[+-]%d+$") then return "\n" end
  if body:match("^%.[a-z][a-z][+-]?%d*$") then return "" end
  if body:match("^C%x%x%x%x$") or body:match("^M%x%x%x%x%x%x$") or body:match("^Z%w*$") then return "" end
  return nil
end

--- The patterns of one set of encoding characters.
-- @tparam table e as `M.encoding` returns
-- @treturn table `{ fields = pattern (segment -> list of raw field texts),
--   field = pattern (raw field -> repetitions of components of
--   subcomponents, decoded), decode = pattern (text -> decoded text) }`
function M.compile(e)
  local E = P(e.escape)
  local body = (1 - E)^0
  local sequence = E * C(body) * E
  local function replace(b)
    return escape_value(e, b) or (e.escape .. b .. e.escape)
  end
  local decode = Cs(((sequence / replace) + 1)^0)
  local FS, CS, RS, SS = P(e.field), P(e.component), P(e.repetition), P(e.subcomponent)
  local fields = Ct(C((1 - FS)^0) * (FS * C((1 - FS)^0))^0) * -1
  -- an escape sequence is kept whole while splitting (it holds no delimiter,
  -- but an escape character that opens none is a plain character)
  local whole = E * (1 - (E + RS + CS + SS))^0 * E
  local leaf = C((whole + (1 - (RS + CS + SS)))^0) / function(s) return decode:match(s) end
  local sub = Ct(leaf * (SS * leaf)^0)
  local comp = Ct(sub * (CS * sub)^0)
  local field = Ct(comp * (RS * comp)^0) * -1
  return { fields = fields, field = field, decode = decode }
end

return M
