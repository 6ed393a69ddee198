--- The lab table of one patient: measured values in canonical units with
-- reference ranges and flags, derived values, and the problems found.
--
-- The values are read, converted, checked, derived and flagged by the C
-- record logic (src/record.c), the same code that reads every cohort file;
-- this module presents what it computed.
--
-- Each entry: `value` (number in `unit`, or nil), `unit` (canonical),
-- `flag` ("low", "normal", "high", "critical_low", "critical_high" or nil),
-- `range` (`{ low, high, unit, source }` or nil), and where they apply
-- `given` (the text as written), `key` (the key it was given under),
-- `qualitative` ("high"/"low"/"normal" when a case report gives no number),
-- `comparator` ("<", ">" ... for censored values), `method`, `source`.
-- `problems` lists what was wrong with the input; nothing is re-united
-- silently and a derived value whose input is missing is missing.
--
-- Dependencies: calcinosis.core, calcinosis.ranges, calcinosis.engine,
-- calcinosis.util.
-- @module calcinosis.labs

local core = require "calcinosis.core"
local engine = require "calcinosis.engine"
local ranges = require "calcinosis.ranges"
local util = require "calcinosis.util"

local M = {}

--- Variants of albumin-corrected calcium (docs/clinical-reference.md §5.1 [S40]): the
-- formulas as the result shows them (computed by src/derived.c).
M.ca_variants = {
  common = { key = "common", formula = "Ca + 0.8 x (4.0 - albumin) [mg/dL, g/dL]",
    note = "common clinical form, attributed to Payne by secondary sources [S40]" },
  payne = { key = "payne", formula = "Ca - albumin + 4.0 [mg/dL, g/dL]",
    note = "Payne 1973 abstract as printed, coefficient 1.0 [S40]" },
  si = { key = "si", formula = "Ca + 0.02 x (40 - albumin) [mmol/L, g/L]",
    note = "common SI form [S40]" },
}
M.ca_variants["0.8"] = M.ca_variants.common
M.ca_variants["1.0"] = M.ca_variants.payne

local FLAG_NAME = { [-2] = "critical_low", [-1] = "low", [0] = "normal", [1] = "high", [2] = "critical_high" }
local EGFR_METHOD = { [1] = "reported", [2] = "CKD-EPI 2021 creatinine [S41]", [3] = "bedside Schwartz [S42]" }
--- The eGFR methods by the C core's code (1 reported, 2 CKD-EPI 2021, 3
-- bedside Schwartz), with their sources.
M.egfr_methods = EGFR_METHOD

local analyte_cache = {}
local function analyte(name)
  local a = analyte_cache[name]
  if a == nil then
    a = core.analyte(name) or false
    analyte_cache[name] = a
  end
  return a or nil
end

-- a range entry's limits in the canonical unit of the analyte (converted
-- once per entry and analyte: entries are data)
local limits_cache = setmetatable({}, { __mode = "k" })
local function canonical_range(entry, a)
  if not entry then return nil end
  local by = limits_cache[entry]
  if not by then by = {}; limits_cache[entry] = by end
  local lim = by[a.name]
  if not lim then
    lim = {}
    for _, k in ipairs { "low", "high" } do
      local v = entry[k]
      if v and entry.unit and entry.unit ~= a.unit then v = core.convert(v, entry.unit, a.unit, a.name) end
      lim[k] = v
    end
    by[a.name] = lim
  end
  return { source = entry.source, unit = a.unit, inclusive = entry.inclusive, low = lim.low, high = lim.high }
end

-- the texts the labs were given as, by analyte (the first key in sorted
-- order, as the record logic keeps it)
local function given_texts(patient)
  local given, key = {}, {}
  local labs = type(patient) == "table" and patient.labs
  if type(labs) ~= "table" then return given, key end
  for k, raw in pairs(labs) do
    if type(k) == "string" then
      local a = analyte(k)
      local name = a and a.name
      if a and (key[name] == nil or k < key[name]) then
        local text
        if type(raw) == "table" then
          local v, u = raw.value or raw[1], raw.unit or raw[2]
          text = u and (tostring(v) .. " " .. tostring(u)) or tostring(v)
        else
          text = tostring(raw)
        end
        given[name], key[name] = text, k
      end
    end
  end
  return given, key
end

--- Presents the record the C core read (`raw.record` of a plan's result).
-- @tparam table record `{ age, sex, species, height_cm, ckd, egfr_method,
--   values, qualitative, flags, range, critical, dates, reported_ranges,
--   interpretations }` by analyte name
-- @tparam[opt] table patient the patient table (for the given texts)
-- @tparam[opt] table options `ca_coefficient`, `kdigo_rounding`, `ranges`, `critical`
-- @tparam[opt] table problems the record's problems
-- @treturn table lab table
function M.present(record, patient, options, problems)
  local opts = options or {}
  local t = { problems = util.list(problems or {}) }
  t.age = record.age and { value = record.age, unit = "a" } or nil
  t.sex, t.species = record.sex, record.species
  t.birth_date = record.birth_date
  local given, key = given_texts(patient)
  local _, origin = engine.range_entries(opts.ranges or ranges.reference)
  local _, corigin = engine.range_entries(opts.critical or ranges.critical)
  local names = {}
  for name in pairs(record.values) do names[name] = true end
  for name in pairs(record.qualitative) do names[name] = true end
  for name in pairs(given) do names[name] = true end
  for name in pairs(names) do
    local a = analyte(name)
    local e = { unit = a.unit, value = record.values[name], given = given[name], key = key[name] }
    local q = record.qualitative[name]
    if q and e.value == nil then e.qualitative, e.flag = q, q end
    if e.value ~= nil then
      e.flag = FLAG_NAME[record.flags[name]]
      local ri = record.range[name]
      e.range = ri and canonical_range(origin[ri], a) or nil
      local ci = record.critical[name]
      if ci then e.critical = canonical_range(corigin[ci], a) end
    end
    e.comparator = record.comparators and record.comparators[name] or nil
    e.date = record.dates and record.dates[name] or nil -- the value's date (YYYY-MM-DD), as the C reader chose it
    local rr = record.reported_ranges and record.reported_ranges[name]
    if rr then e.reported_range = { low = rr.low, high = rr.high, unit = a.unit } end -- the lab's own, beside e.range
    e.interpretation = record.interpretations and record.interpretations[name] or nil -- the lab's code (L, H, N, ...)
    t[name] = e
  end

  -- Albumin-corrected calcium: computed for humans only (docs/clinical-reference.md §5.1 [S38]).
  local variant = M.ca_variants[tostring(opts.ca_coefficient or "common")]
  if given.corrected_calcium and t.corrected_calcium.value then
    t.corrected_calcium.source = "reported"
  else
    local e = t.corrected_calcium or { unit = "mg/dL" }
    if record.species ~= "human" then
      e.note = "albumin correction is not applied to " .. record.species .. "s (docs/clinical-reference.md §5.1 [S38])"
    else
      e.method, e.variant, e.source = variant.formula, variant.key, "computed"
      if e.value == nil then
        e.missing = {}
        if not record.values.calcium then e.missing[#e.missing + 1] = "calcium" end
        if not record.values.albumin then e.missing[#e.missing + 1] = "albumin" end
      end
    end
    t.corrected_calcium = e
  end

  -- Ca x P: with corrected calcium when there is one, else total calcium.
  do
    local e = t.ca_x_p or { unit = "mg2/dL2" }
    if e.value and not given.ca_x_p then
      e.basis = record.values.corrected_calcium and "corrected_calcium" or "calcium"
      e.si = { value = core.convert(e.value, "mg2/dL2", "mmol2/L2", "ca_x_p"), unit = "mmol2/L2" }
    end
    t.ca_x_p = e
  end

  -- eGFR: CKD-EPI 2021 from 18 years, bedside Schwartz for children with a height.
  do
    local e = t.egfr or { unit = "mL/min/{1.73_m2}" }
    local m = record.egfr_method or 0
    if m == 1 then e.source = "reported"
    elseif m > 1 then
      e.method, e.source = EGFR_METHOD[m], "computed"
      if record.egfr_reported then
        -- a reported eGFR is kept beside the computed one, which the rules use
        e.reported = { value = record.egfr_reported, unit = e.unit, given = given.egfr }
        e.used = "the computed eGFR (" .. EGFR_METHOD[m] .. ") is used: it is computed from the record's " ..
          "creatinine, age and sex the same way for every patient; the reported value is kept as 'reported'"
      end
    end
    if e.value == nil then
      e.missing = {}
      local age = record.age
      if not record.values.creatinine then e.missing[#e.missing + 1] = "creatinine" end
      if not age then e.missing[#e.missing + 1] = "age"
      elseif age >= 18 and not record.sex then e.missing[#e.missing + 1] = "sex"
      elseif age < 18 and not record.height_cm then e.missing[#e.missing + 1] = "height_cm" end
    end
    t.egfr = e
  end

  -- KDIGO G category (docs/clinical-reference.md §5.4 [S43]); see derived.h for the band-edge rule.
  do
    -- the stage the record logic found (a censored "<15" is below 15: G5)
    local round = opts.kdigo_rounding and true or false
    local index = record.ckd
    local label, band
    if index then label, band = core.kdigo_stage(index) end
    local how = round and "the eGFR rounded to an integer, then banded" or "the raw eGFR banded (59.71 is G3a)"
    if t.egfr.comparator then
      how = ("the eGFR was reported as %s%s: it is %s that value"):format(t.egfr.comparator, util.fmt(t.egfr.value),
        t.egfr.comparator == "<" and "below" or "above")
    end
    t.ckd_stage = { value = label, index = index, unit = "",
      rule = label and ("%s: %s mL/min/1.73 m2 [S43]; %s"):format(label, band, how) or nil }
  end
  return t
end

--- Computes the lab table of one patient.
-- @tparam table patient `{ id, age, sex, species, height_cm, labs = { name = "10.2 mg/dL" | {10.2, "mg/dL"} | "high" } }`
-- @tparam[opt] table options `ca_coefficient` ("common" (default, 0.8), "payne" (1.0) or "si"),
--   `kdigo_rounding` (false: classify the raw eGFR, default; true: round first),
--   `ranges` / `critical` (lists of range entries, see `calcinosis.ranges`)
-- @treturn table lab table
function M.compute(patient, options)
  if type(patient) ~= "table" then
    error(("calcinosis.labs: bad argument #1 (table expected, got %s)"):format(type(patient)), 3)
  end
  if options ~= nil and type(options) ~= "table" then
    error(("calcinosis.labs: bad argument #2 (table expected, got %s)"):format(type(options)), 3)
  end
  local opts = options or {}
  if not M.ca_variants[tostring(opts.ca_coefficient or "common")] then
    error(("calcinosis.labs: unknown ca_coefficient '%s' (common, payne or si)"):format(tostring(opts.ca_coefficient)), 3)
  end
  local raw = engine.labs(patient, opts)
  return M.present(raw.record, patient, opts, raw.problems)
end

return M
