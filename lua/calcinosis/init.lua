--- calcinosis: classification of calcinosis cutis, with the laboratory logic
-- it needs (units, analytes, reference ranges, derived values).
--
-- A research tool, not a diagnosis: every result is a literature-based
-- suggestion for researchers, to be read by a clinician.
--
--     local calcinosis = require "calcinosis"
--     calcinosis.convert(11.2, "mg/dL", "mmol/L", "calcium")  --> 2.7945...
--     calcinosis.quantity("11.2 mg/dL")                      --> { value = 11.2, unit = "mg/dL" }
--     calcinosis.labs { age = 60, sex = "F", labs = { calcium = "10.5 mg/dL", albumin = "3.0 g/dL" } }
--
-- @module calcinosis

local core = require "calcinosis.core"

local M = {
  --- Version string.
  _VERSION = "calcinosis 0.1.0",
  --- The C core (units, analytes, derived values).
  core = core,
  --- The build's revision: `git describe --always --dirty` of the checkout
  -- the C core was built from, or nil when it was not built from one.
  REVISION = (core.REVISION or "") ~= "" and core.REVISION or nil,
}

local function check_string(fn, i, v, what)
  if type(v) ~= "string" then
    error(("calcinosis.%s: bad argument #%d (%s expected, got %s)"):format(fn, i, what, type(v)), 3)
  end
end

--- Converts a value between units.
-- Mass, substance (mol) and equivalent units of one analyte convert with its
-- molar mass and valence, so the analyte is needed for "mg/dL" to "mmol/L".
-- @tparam number value a finite, non-negative number
-- @tparam string from_unit UCUM code or a lab spelling ("mg/dl", "µmol/L")
-- @tparam string to_unit idem
-- @tparam[opt] string analyte name, alias or LOINC code
-- @treturn number|nil the converted value
-- @treturn[2] string message naming the problem
function M.convert(value, from_unit, to_unit, analyte)
  if type(value) ~= "number" then
    error(("calcinosis.convert: bad argument #1 (number expected, got %s)"):format(type(value)), 2)
  end
  check_string("convert", 2, from_unit, "string")
  check_string("convert", 3, to_unit, "string")
  if analyte ~= nil then
    check_string("convert", 4, analyte, "string")
    if not core.analyte(analyte) then
      return nil, ("unknown analyte '%s'"):format(analyte)
    end
  end
  if value ~= value or value == math.huge or value == -math.huge then
    return nil, ("value %s is not a finite number"):format(tostring(value))
  end
  if value < 0 then
    return nil, ("value %s is negative: a concentration cannot be"):format(tostring(value))
  end
  if from_unit == "" then return nil, "from_unit is empty" end
  if to_unit == "" then return nil, "to_unit is empty" end
  return core.convert(value, from_unit, to_unit, analyte)
end

--- Describes a unit.
-- @tparam string unit
-- @treturn table|nil `{ factor =, dimension = }` (factor to base units)
-- @treturn[2] string message
function M.unit_info(unit)
  check_string("unit_info", 1, unit, "string")
  if unit == "" then return nil, "unit is empty" end
  return core.unit(unit)
end

--- Looks an analyte up by name, alias or LOINC code.
-- @tparam string name
-- @treturn table|nil `{ name, label, unit, si_unit, molar_mass, valence, loinc, aliases, units, source }`
-- @treturn[2] string message
function M.analyte(name)
  check_string("analyte", 1, name, "string")
  local a = core.analyte(name)
  if a then return a end
  return nil, ("unknown analyte '%s'"):format(name)
end

--- Names of all analytes the core knows.
-- @treturn {string,...}
function M.analytes() return core.analytes() end

--- Parses a quantity written as text: "11.2 mg/dL", "11.2mg/dL", "<15 mL/min".
-- A leading comparator (`<`, `<=`, `>`, `>=`), as labs print censored values,
-- is kept in the field `comparator`. The text is split by the C record logic,
-- as a lab cell is; the unit is then checked.
-- @tparam string s
-- @treturn table|nil `{ value =, unit = [, comparator =] }`; unit is "" when none is given
-- @treturn[2] string message
function M.quantity(s)
  check_string("quantity", 1, s, "string")
  local v, unit, cmp = core.quantity(s)
  if not v then return nil, unit end
  if unit ~= "" then
    local ok, uerr = core.unit(unit)
    if not ok then return nil, ("'%s': %s"):format(s, uerr) end
  end
  return { value = v, unit = unit, comparator = cmp }
end

--- Parses an age into years: 54, "54", "54 y", "8 mo", "24 d", "3 wk", as
-- the record logic reads an age.
-- @param age number (years) or string
-- @treturn number|nil years
-- @treturn[2] string message
function M.age_years(age)
  if type(age) ~= "number" and type(age) ~= "string" then
    return nil, ("age must be a number or a text like '8 mo', got %s"):format(type(age))
  end
  local t = require("calcinosis.engine").labs({ age = age })
  if t.age then return t.age.value end
  if t.problems[1] then return nil, (t.problems[1]:gsub("^age: ", "")) end
  return nil, ("age '%s' is missing"):format(tostring(age))
end

--- Reference ranges and critical values (data; see `calcinosis.ranges`).
M.ranges = require "calcinosis.ranges"

--- Computes the lab table of one patient: every analyte given, converted into
-- its canonical unit and flagged, plus derived values. See `calcinosis.labs`.
-- @tparam table patient the patient record
-- @tparam[opt] table options
-- @treturn table keyed by analyte and derived names, plus `problems`
function M.labs(patient, options)
  return require("calcinosis.labs").compute(patient, options)
end

--- Classifies one patient: the ruleset's type, scores, fired rules with
-- their actual values, not-evaluable rules, and the clinical enrichment
-- (confidence, alternatives, alerts, missing inputs, work-up, referrals,
-- treatments, prognosis, problems). See `calcinosis.classify`.
-- @tparam table patient the patient record
-- @tparam[opt] table ruleset a compiled ruleset (default: `calcinosis.rules.default()`)
-- @tparam[opt] table options options of `calcinosis.labs`
-- @treturn table result
function M.classify(patient, ruleset, options)
  return require("calcinosis.classify").classify(patient, ruleset, options)
end

--- Fills in every field of a result of `calcinosis.classify` now. Its
-- presented lists (fired, alternatives, missing, confidence, ...) and its
-- knowledge fields (work-up, labs, ...) are filled in when first read,
-- iterated over with `pairs` or assigned, which code reading fields never
-- notices; code that reads the table with `next` or `rawget`, or hands it
-- to an encoder that does (lua-cjson), completes it first.
-- @param result a result (any other value is returned as it is)
-- @return the same result, complete
function M.complete(result)
  return require("calcinosis.classify").complete(result)
end

--- A deep copy of a value (see `calcinosis.util.copy`): for editing the
-- tables a result or a lab table shares with others of the same plan (the
-- `range` and `critical` tables of its lab entries, read-only).
-- @param v
-- @return the copy
function M.copy(v)
  return require("calcinosis.util").copy(v)
end

--- Reads patient records from a file or a string, in any input format
-- (detected from the content; CSV, long-format CSV, NDJSON and ARFF through
-- the C readers): an iterator of records in the record schema `classify`
-- takes, each with its `problems` and `line`. See `calcinosis.read`.
-- @tparam string path_or_string a path, or the content (a string with a line break)
-- @tparam[opt] table opts `format`, `index_date`, `window`, `na`,
--   `decimal_comma`, `delimiter`, `map`, ... (an unknown key raises)
-- @treturn function|nil iterator of records
-- @treturn[1] table the file's problems
-- @treturn[2] string message
function M.read(path_or_string, opts)
  return require("calcinosis.read").read(path_or_string, opts)
end

--- Compares two (or more) lists of classification results of the same
-- patients, in the same order: the counts by type under each, the confusion
-- matrix and Cohen's kappa of each pair, and the patients whose type changes
-- with the rules that made the difference.
-- @tparam table results_a list of results (`{ id =, type =, fired = {...} }`,
--   as `classify` returns; `fired` may hold rule ids or `{ id = }` tables)
-- @tparam table results_b list of results
-- @param ... more lists
-- @treturn table `{ n, names, labels, counts = { {type = n} ... }, pairs = { { a, b, matrix, kappa, changed, changes } } }`
function M.compare(results_a, results_b, ...)
  local lists = { results_a, results_b, ... }
  for i, l in ipairs(lists) do
    if type(l) ~= "table" then
      error(("calcinosis.compare: bad argument #%d (table expected, got %s)"):format(i, type(l)), 2)
    end
  end
  if #lists < 2 then error("calcinosis.compare: give at least two lists of results", 2) end
  local n = #lists[1]
  for i, l in ipairs(lists) do
    if #l ~= n then return nil, ("list %d has %d results, list 1 has %d"):format(i, #l, n) end
  end
  local labels, seen, names = {}, {}, {}
  local order = { "calciphylaxis", "iatrogenic", "metastatic", "dystrophic", "idiopathic", "indeterminate" }
  for i, l in ipairs(lists) do
    names[i] = (l[1] and (l[1].name or (l[1].ruleset and l[1].ruleset.name))) or ("list " .. i)
    for j = 1, i - 1 do if names[j] == names[i] then names[i] = names[i] .. "#" .. i end end
    for _, r in ipairs(l) do seen[r.type] = true end
  end
  for _, t in ipairs(order) do if seen[t] then labels[#labels + 1] = t; seen[t] = nil end end
  local rest = {}
  for t in pairs(seen) do rest[#rest + 1] = t end
  table.sort(rest)
  for _, t in ipairs(rest) do labels[#labels + 1] = t end
  local k = 0
  local function ids(fired)
    local t = {}
    for i, f in ipairs(fired or {}) do t[i] = type(f) == "table" and f.id or f end
    return t
  end
  local function next_rows()
    k = k + 1
    if k > n then return nil end
    local rows = {}
    for i, l in ipairs(lists) do
      local r = l[k]
      rows[i] = { id = r.id or (r.patient and r.patient.id) or k, type = r.type, fired = ids(r.fired) }
    end
    return rows
  end
  return require("calcinosis.compare").compare_rows(names, next_rows, labels, math.huge)
end

-- Lazily loaded parts: the rule engine (LPeg) is needed only when rules are.
local lazy = {
  rules = "calcinosis.rules",
  vocab = "calcinosis.vocab",
  knowledge = "calcinosis.knowledge",
}

setmetatable(M, {
  __index = function(t, k)
    local name = lazy[k]
    if name then
      local mod = require(name)
      rawset(t, k, mod)
      return mod
    end
  end,
})

return M
