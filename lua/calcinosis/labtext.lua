--- Lab results as people paste them, into a patient record (an LPeg
-- grammar).
--
--     local labtext = require "calcinosis.labtext"
--     local records = labtext.records("Calcium 11.2 mg/dL (8.5-10.5) H\nAlb 3.1 g/dL", { id = "p1" })
--     records[1].labs.calcium   --> "11.2 mg/dL"
--
-- A line holds one or more results, each: an analyte name, an optional
-- `:`, an optional comparator (`<`, `>`, `<=`, `>=`, `≤`, `≥`), a number
-- (a decimal point or a decimal comma: `2,45`; a comma followed by exactly
-- three digits, `1,234`, could be a thousands separator, so such a line is
-- not read), an optional unit (any the C unit parser reads: `mg/dL`,
-- `mmol/l`, `mL/min/1.73m2`, `mL/min/1.73 m2`, `UMOLL`, ...), an optional
-- reference range in parentheses or brackets (`8.5-10.5`, `2.15–2.55` with
-- an en dash, `< 1.5`) and an optional flag (`H`, `L`, `HH`, `LL`, `HIGH`,
-- `LOW`, `*`, `**`, `***`, or one of them in parentheses; before or after
-- the range). Results on a
-- line are separated by spaces, `,` or `;`.
--
-- Analyte names are the names and aliases of the C analyte table
-- (`calcinosis.core.analyte`: case, spaces, `-` and `_` alike), after a
-- comma inside a name is read as a space (`PTH, intact` is `pth intact`)
-- and a trailing specimen word (`serum`, `plasma`, `blood`, `S`, `P`,
-- `ser/plas`, in parentheses or not) is dropped when the name is not known
-- with it. Nothing else is guessed: a line that is not results from start to
-- end is returned in `unrecognised` as it was written, and so is each
-- result whose analyte is not known (`Sodium 140 mmol/L`).
--
-- The record (the schema `calcinosis.classify` accepts, plus reader-only
-- keys, which classify ignores today): `id` (`opts.id`), `labs = { calcium
-- = "11.2 mg/dL", ... }` (the number with a decimal point, the comparator
-- and the unit as written), `<analyte>_range` and `<analyte>_flag` as
-- written, `<analyte>_values` (every result of that analyte: `{ value =
-- number, unit =, comparator =, range =, flag =, line = }`), `problems`
-- (an analyte given more than once: the last is in `labs`),
-- `unrecognised`.
--
-- Dependencies: lpeg, calcinosis.core, calcinosis.util.
-- @module calcinosis.labtext

local lpeg = require "lpeg"
local core = require "calcinosis.core"
local util = require "calcinosis.util"
local compat = require "calcinosis.compat"

local P, S, R, C, Ct, Cg, Cmt, Cc = lpeg.P, lpeg.S, lpeg.R, lpeg.C, lpeg.Ct, lpeg.Cg, lpeg.Cmt, lpeg.Cc

local M = {}

local OPTIONS = { id = true, index_date = true, window = true }

-- ---------------------------------------------------------------------------
-- The grammar of one line

local EN_DASH = P "\226\128\147"
local LE, GE = P "\226\137\164", P "\226\137\165" -- ≤ ≥
local sp = S " \t"^1
local osp = S " \t"^0
local digits = R "09"^1
local stop = S " \t,;"
-- a number; a comma followed by exactly three digits (and no more) is
-- refused: it may be a thousands separator
local ambiguous = digits * P "," * R "09" * R "09" * R "09" * -R "09"
local number = -ambiguous * ((digits * (S ".," * digits)^-1) + (S ".," * digits))
local comparator = (P "<=" + P ">=" + LE / "<=" + GE / ">=" + S "<>") / function(c) return c end
local value_start = (comparator * osp)^-1 * number * #(stop + -1)
local flag_base = P "HH" + P "LL" + P "HIGH" + P "LOW" + P "High" + P "Low" + P "high" + P "low" + P "H" +
  P "L" + P "*"^1
local flag_word = flag_base * #(stop + -1)
local flag = C(flag_word) + P "(" * C(flag_base) * P ")" * #(stop + -1)
-- a unit: a token the C unit parser reads (never a flag word); "1.73 m2" may be two tokens
local token = (1 - S " \t()[],;")^1
local function is_unit(_, _, t) return core.unit(t) ~= nil, t end
local unit = -flag_word * (Cmt(C(token * P " " * (P "m2" + P "m\194\178" + P "m^2") * #(stop + -1)), is_unit) +
  Cmt(C(token), is_unit))
local rnum = S "+-"^-1 * number
local dash = P "-" + EN_DASH
local range_body = osp * ((rnum * osp * dash * osp * rnum) + ((comparator) * osp * rnum)) * (sp * unit)^-1 * osp
local range = P "(" * C(range_body) * P ")" + P "[" * C(range_body) * P "]"
-- a word of a name: not a number, no ':' or brackets (a group in
-- parentheses may be part of it, as in "25(OH)D")
local word = -value_start * ((1 - S " \t:()[]")^1 + P "(" * (1 - S "()[]")^0 * P ")")^1
local name = word * (sp * word)^0
local result = Ct(Cg(lpeg.Cp(), "from") * Cg(C(name), "name") * osp * (P ":" * osp)^-1 *
  Cg(comparator + Cc "", "cmp") * osp * Cg(C(number), "num") *
  (sp * Cg(unit, "unit"))^-1 *
  ((sp * Cg(flag, "flag")) * (osp * Cg(range, "range")) + (osp * Cg(range, "range"))^-1 * (sp * Cg(flag, "flag"))^-1) *
  Cg(lpeg.Cp(), "to"))
local between = osp * S ",;" * osp + sp
local line = osp * Ct(result * (between * result)^0) * osp * -1

-- ---------------------------------------------------------------------------
-- Names

local SPECIMEN = { serum = true, plasma = true, blood = true, s = true, p = true, ["ser/plas"] = true,
  ["serum/plasma"] = true, ["(serum)"] = true, ["(plasma)"] = true, ["(blood)"] = true, ["(s)"] = true,
  ["(p)"] = true, ["(ser/plas)"] = true, ["(serum/plasma)"] = true }

-- the analyte a written name stands for, or nil
local function analyte_of(written)
  local raw = written:lower():gsub("%s+", " ")
  local a = core.analyte(raw) -- "1,25-dihydroxyvitamin d" has its comma
  if a then return a.name end
  local n = raw:gsub(",", " "):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  a = core.analyte(n)
  if a then return a.name end
  local nop = n:gsub("[()]", "")
  a = nop ~= n and core.analyte(nop)
  if a then return a.name end
  local last = n:match(" (%S+)$")
  if last and SPECIMEN[last] then
    a = core.analyte((n:gsub(" %S+$", "")))
    if a then return a.name end
  end
  return nil
end

--- Parses one line of pasted lab text (the grammar, without the record).
-- @tparam string s the line
-- @treturn table|nil the results `{ { name =, analyte = (nil when not
--   known), comparator =, number = (the text), value = (a number), unit =,
--   range =, flag =, text = (the result as written) }, ... }`; nil when the
--   line is not results from start to end
function M.parse_line(s)
  if type(s) ~= "string" then
    error(("calcinosis.labtext.parse_line: bad argument #1 (string expected, got %s)"):format(type(s)), 2)
  end
  local got = line:match(s)
  if not got then return nil end
  local out = {}
  for i, r in ipairs(got) do
    local num = r.num:gsub(",", ".")
    out[i] = { name = r.name, analyte = analyte_of(r.name), comparator = r.cmp ~= "" and r.cmp or nil,
      number = num, value = tonumber(num), unit = r.unit, range = r.range and (r.range:gsub("^%s+", ""):gsub("%s+$", "")),
      flag = r.flag, text = s:sub(r.from, r.to - 1) }
  end
  return out
end

--- Reads pasted lab text into one patient record.
-- @tparam string text the pasted lines (`\n`, `\r\n` or `\r` between them)
-- @tparam[opt] table opts `id`: the record's id; `index_date`, `window`
--   accepted as every reader accepts them, but pasted lines have no dates:
--   as for a wide CSV, the last value of an analyte is used and no window
--   applies
-- @treturn table the records: one (see the module description)
-- @treturn table the file-level problems (none today: every line goes into
--   the record, read or unrecognised)
function M.records(text, opts)
  if type(text) ~= "string" then
    error(("calcinosis.labtext.records: bad argument #1 (string expected, got %s)"):format(type(text)), 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error(("calcinosis.labtext.records: bad argument #2 (table expected, got %s)"):format(type(opts)), 2)
  end
  opts = opts or {}
  for k in pairs(opts) do
    if not OPTIONS[k] then
      local s = type(k) == "string" and util.suggest(k, { "id", "index_date", "window" })
      error(("calcinosis.labtext.records: unknown option '%s'%s"):format(tostring(k),
        s and (" (did you mean '" .. s .. "'?)") or ""), 2)
    end
  end
  if opts.id ~= nil and type(opts.id) ~= "string" and compat.math_type(opts.id) ~= "integer" then
    error(("calcinosis.labtext.records: option 'id' must be a string, got %s"):format(type(opts.id)), 2)
  end
  local rec = { id = opts.id ~= nil and tostring(opts.id) or nil, labs = {}, problems = {}, unrecognised = {} }
  local lines_of, order, texts = {}, {}, {}
  local n = 0
  for l in (text:gsub("\r\n?", "\n") .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if l:match("%S") then
      local results = M.parse_line(l)
      if not results then
        rec.unrecognised[#rec.unrecognised + 1] = l
      else
        for _, r in ipairs(results) do
          if not r.analyte then
            rec.unrecognised[#rec.unrecognised + 1] = r.text
          else
            local a = r.analyte
            local key = a .. "_values"
            if not rec[key] then
              rec[key] = {}
              lines_of[a] = {}
              texts[a] = {}
              order[#order + 1] = a
            end
            local list = rec[key]
            list[#list + 1] = { value = r.value, unit = r.unit, comparator = r.comparator, range = r.range,
              flag = r.flag, line = n }
            lines_of[a][#lines_of[a] + 1] = n
            texts[a][#list] = (r.comparator or "") .. r.number .. (r.unit and (" " .. r.unit) or "")
          end
        end
      end
    end
  end
  -- the value of each analyte: the C date logic's choice (core.choose_dated; undated, the last)
  local dates = {}
  for _, a in ipairs(order) do
    dates[a] = {}
    for i = 1, #texts[a] do dates[a][i] = false end
  end
  local pick = core.choose_dated(dates) -- (undated values: no index date or window to apply)
  for _, a in ipairs(order) do
    local i = pick[a]
    if i then
      local v = rec[a .. "_values"][i]
      rec.labs[a] = texts[a][i]
      rec[a .. "_range"], rec[a .. "_flag"] = v.range, v.flag
    end
  end
  for _, a in ipairs(order) do
    local ls = lines_of[a]
    if #ls > 1 then
      local where = {}
      for i, l in ipairs(ls) do where[i] = tostring(l) end
      rec.problems[#rec.problems + 1] = ("%s given %d times (lines %s); the last is used"):format(a, #ls,
        table.concat(where, ", "))
    end
  end
  return { rec }, {}
end

return M
