--- The lab table of one patient: measured values in canonical units with
-- reference ranges and flags, derived values, and the problems found.
--
-- Each entry: `value` (number in `unit`, or nil), `unit` (canonical),
-- `flag` ("low", "normal", "high", "critical_low", "critical_high" or nil),
-- `range` (`{ low, high, unit, source }` or nil), and where they apply
-- `given` (the text as written), `qualitative` ("high"/"low"/"normal" when
-- a case report gives no number), `comparator` ("<", ">" ... for censored
-- values), `method`, `source`. `problems` lists what was wrong with the
-- input; nothing is re-united silently and a derived value whose input is
-- missing is missing.
-- @module calcinosis.labs

local core = require "calcinosis.core"
local ranges = require "calcinosis.ranges"

local M = {}

-- Analyte descriptions by name, alias or LOINC code (the C core builds a
-- new table on each call; these are read-only here, so they are kept).
local analyte_cache = {}
local function analyte(name)
  local a = analyte_cache[name]
  if a == nil then
    a = core.analyte(name) or false
    analyte_cache[name] = a
  end
  return a or nil
end

--- Variants of albumin-corrected calcium (DOMAIN.md §3.1 [S40]).
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

local QUALITATIVE = { normal = "normal", high = "high", low = "low",
  elevated = "high", raised = "high", increased = "high", decreased = "low",
  reduced = "low", ["within normal limits"] = "normal", wnl = "normal" }

local SEX = { f = "F", female = "F", w = "F", woman = "F", m = "M", male = "M", man = "M" }
local SPECIES = { human = "human", dog = "dog", canine = "dog", cat = "cat", feline = "cat" }

local function describe_record(patient)
  local id = patient.id
  if id == nil then return "" end
  return (" (record %s)"):format(tostring(id))
end

local function fmt(v)
  return (("%.4g"):format(v))
end

--- Flags a canonical value against a range entry and a critical entry.
-- @tparam number v value in the canonical unit
-- @tparam[opt] table range `{ low =, high = }` in the canonical unit
-- @tparam[opt] table crit `{ low =, high =, inclusive = }` in the canonical unit
-- @treturn string|nil flag
function M.flag(v, range, crit)
  if v == nil then return nil end
  if crit then
    local inc = crit.inclusive
    if crit.low and (v < crit.low or (inc and v == crit.low)) then return "critical_low" end
    if crit.high and (v > crit.high or (inc and v == crit.high)) then return "critical_high" end
  end
  if not range then return nil end
  if range.low and v < range.low then return "low" end
  if range.high and v > range.high then return "high" end
  return "normal"
end

-- Converts a range entry into the canonical unit of the analyte.
local function canonical_range(entry, name, unit)
  if not entry then return nil end
  local r = { source = entry.source, unit = unit }
  for _, k in ipairs { "low", "high" } do
    if entry[k] then
      local v = entry[k]
      if entry.unit and entry.unit ~= unit then
        v = core.convert(v, entry.unit, unit, name)
      end
      r[k] = v
    end
  end
  r.inclusive = entry.inclusive
  return r
end

-- Reads one lab value: returns an entry table (never nil) and maybe a problem.
local function read_value(name, a, raw, where)
  local e = { unit = a.unit }
  local text = raw
  if type(raw) == "table" then
    local v, u = raw.value or raw[1], raw.unit or raw[2]
    if type(v) == "string" and u == nil then
      text = v
    elseif type(v) ~= "number" then
      return e, ("%s: value must be a number, got %s%s"):format(name, type(v), where)
    else
      if u ~= nil and type(u) ~= "string" then
        return e, ("%s: unit must be a string, got %s%s"):format(name, type(u), where)
      end
      text = nil
      e.given = u and (fmt(v) .. " " .. u) or fmt(v)
      raw = { value = v, unit = u or "" }
    end
  end
  if type(text) == "number" then
    raw = { value = text, unit = "" }
    e.given = fmt(text)
  elseif type(text) == "string" then
    e.given = text
    local qual = QUALITATIVE[text:lower():match("^%s*(.-)%s*$")]
    if qual then
      e.qualitative = qual
      e.flag = qual
      return e
    end
    if text:match("^%s*$") then
      return e, ("%s: empty value%s"):format(name, where)
    end
    local q, err = require("calcinosis")._parse_quantity(text)
    if not q then return e, ("%s: %s%s"):format(name, err, where) end
    raw = q
    e.comparator = q.comparator
  elseif type(raw) ~= "table" then
    return e, ("%s: unsupported value of type %s%s"):format(name, type(raw), where)
  end
  local v, unit = raw.value, raw.unit
  if v ~= v or v == math.huge or v == -math.huge then
    return e, ("%s: value %s is not a finite number%s"):format(name, tostring(v), where)
  end
  if unit == "" then unit = a.unit end
  local c, err, likely, likely_value = core.measure(a.name, v, unit)
  if c then
    e.value = c
    return e
  end
  if likely then
    return e, ("%s: %s %s is implausible for %s; it looks like %s %s (= %s %s), please check the unit%s")
      :format(name, fmt(v), unit, a.label:lower(), fmt(v), likely, fmt(likely_value), a.unit, where)
  end
  return e, ("%s: %s%s"):format(name, err, where)
end

local function who_of(patient, problems, where)
  local who = { species = "human" }
  if patient.species ~= nil then
    local s = type(patient.species) == "string" and SPECIES[patient.species:lower()]
    if s then who.species = s
    else
      problems[#problems + 1] = ("species: unknown species '%s' (expected human, dog or cat)%s")
        :format(tostring(patient.species), where)
    end
  end
  if patient.sex ~= nil then
    local s = type(patient.sex) == "string" and SEX[patient.sex:lower()]
    if s then who.sex = s
    else
      problems[#problems + 1] = ("sex: unknown sex '%s' (expected F or M)%s")
        :format(tostring(patient.sex), where)
    end
  end
  if patient.age ~= nil then
    local y, err = require("calcinosis").age_years(patient.age)
    if y then who.age = y
    else problems[#problems + 1] = ("age: %s%s"):format(err, where) end
  end
  if patient.height_cm ~= nil then
    local h = patient.height_cm
    if type(h) == "string" then h = tonumber(h) end
    if type(h) == "number" and h > 20 and h < 260 then who.height_cm = h
    else
      problems[#problems + 1] = ("height_cm: '%s' is not a height between 20 and 260 cm%s")
        :format(tostring(patient.height_cm), where)
    end
  end
  return who
end

local function finish(t, name, who, opts)
  local e = t[name]
  if not e then return end
  local a = analyte(name)
  if e.value ~= nil and a then
    local entry = ranges.select(name, who, opts.ranges)
    local crit = ranges.select_critical(name, who, opts.critical)
    e.range = canonical_range(entry, a.name, a.unit)
    local c = canonical_range(crit, a.name, a.unit)
    e.flag = M.flag(e.value, e.range, c)
  end
end

--- Computes the lab table of one patient.
-- @tparam table patient `{ id, age, sex, species, height_cm, labs = { name = "10.2 mg/dL" | {10.2, "mg/dL"} | "high" } }`
-- @tparam[opt] table options `ca_coefficient` ("common" (default, 0.8), "payne" (1.0) or "si"),
--   `kdigo_rounding` (false: classify the raw eGFR, default; true: round first),
--   `ranges` / `critical` (replacement lists of range entries)
-- @treturn table lab table
function M.compute(patient, options)
  if type(patient) ~= "table" then
    error(("calcinosis.labs: bad argument #1 (table expected, got %s)"):format(type(patient)), 3)
  end
  if options ~= nil and type(options) ~= "table" then
    error(("calcinosis.labs: bad argument #2 (table expected, got %s)"):format(type(options)), 3)
  end
  local opts = options or {}
  local where = describe_record(patient)
  local problems = {}
  local t = { problems = problems }
  local who = who_of(patient, problems, where)
  t.age = who.age and { value = who.age, unit = "a" } or nil
  t.sex, t.species = who.sex, who.species

  local labs = patient.labs
  if labs ~= nil and type(labs) ~= "table" then
    problems[#problems + 1] = ("labs: expected a table, got %s%s"):format(type(labs), where)
    labs = nil
  end
  local keys = {}
  for k in pairs(labs or {}) do keys[#keys + 1] = k end
  table.sort(keys, function(x, y) return tostring(x) < tostring(y) end)
  for _, k in ipairs(keys) do
    local raw = labs[k]
    local a = type(k) == "string" and analyte(k)
    if not a then
      problems[#problems + 1] = ("labs: unknown analyte '%s'%s"):format(tostring(k), where)
    elseif t[a.name] and (t[a.name].value or t[a.name].qualitative) then
      problems[#problems + 1] = ("labs: %s given twice (as '%s' and '%s'); kept the first%s")
        :format(a.name, t[a.name].key, tostring(k), where)
    else
      local e, problem = read_value(a.name, a, raw, where)
      e.key = k
      if problem then problems[#problems + 1] = problem end
      if a.name == "egfr" and e.value then e.source = "reported" end
      if a.name == "corrected_calcium" and e.value then e.source = "reported" end
      t[a.name] = e
    end
  end

  local function val(name) return t[name] and t[name].value end

  -- Albumin-corrected calcium: not for dogs or cats (DOMAIN.md §2.5 [S38]).
  local variant = M.ca_variants[tostring(opts.ca_coefficient or "common")]
  if not variant then
    error(("calcinosis.labs: unknown ca_coefficient '%s' (common, payne or si)"):format(tostring(opts.ca_coefficient)), 3)
  end
  if not (t.corrected_calcium and t.corrected_calcium.value) then
    local e = { unit = "mg/dL" }
    if who.species ~= "human" then
      e.note = "albumin correction is not applied to " .. who.species .. "s (DOMAIN.md §2.5 [S38])"
    else
      e.value = core.corrected_calcium(val("calcium"), val("albumin"), variant.key)
      e.method = variant.formula
      e.variant = variant.key
      e.source = "computed"
      if e.value == nil then
        e.missing = {}
        if not val("calcium") then e.missing[#e.missing + 1] = "calcium" end
        if not val("albumin") then e.missing[#e.missing + 1] = "albumin" end
      end
    end
    t.corrected_calcium = e
  end

  -- Ca x P: with corrected calcium when there is one, else total calcium.
  do
    local ca, basis = val("corrected_calcium"), "corrected_calcium"
    if not ca then ca, basis = val("calcium"), "calcium" end
    local e = { unit = "mg2/dL2", value = core.ca_x_p(ca, val("phosphate")) }
    if e.value then
      e.basis = basis
      e.si = { value = core.convert(e.value, "mg2/dL2", "mmol2/L2", "ca_x_p"), unit = "mmol2/L2" }
    end
    t.ca_x_p = e
  end

  -- eGFR: CKD-EPI 2021 from creatinine for adults, bedside Schwartz for
  -- children with a height; a reported eGFR is kept when none can be computed.
  do
    local scr, age = val("creatinine"), who.age
    local e = { unit = "mL/min/{1.73_m2}" }
    if who.species == "human" and scr and age and age >= 18 and who.sex then
      e.value = core.egfr_ckd_epi_2021(scr, age, who.sex == "F")
      e.method = "CKD-EPI 2021 creatinine [S41]"
    elseif who.species == "human" and scr and age and age >= 1 and age < 18 and who.height_cm then
      e.value = core.egfr_schwartz(who.height_cm, scr)
      e.method = "bedside Schwartz [S42]"
    end
    if e.value then
      e.source = "computed"
      if t.egfr and t.egfr.value then e.reported = t.egfr end
    elseif t.egfr and t.egfr.value then
      e = t.egfr
    else
      e.missing = {}
      if not scr then e.missing[#e.missing + 1] = "creatinine" end
      if not age then e.missing[#e.missing + 1] = "age"
      elseif age >= 18 and not who.sex then e.missing[#e.missing + 1] = "sex"
      elseif age < 18 and not who.height_cm then e.missing[#e.missing + 1] = "height_cm" end
    end
    t.egfr = e
  end

  -- KDIGO G category (DOMAIN.md §3.5 [S43]); see derived.h for the band-edge rule.
  do
    local round = opts.kdigo_rounding and true or false
    local index, label = core.kdigo(val("egfr"), round)
    t.ckd_stage = { value = label, index = index, unit = "",
      rule = round and "eGFR rounded to an integer, then banded"
        or "raw eGFR banded: G3a is 45 <= eGFR < 60 (59.71 is G3a)" }
  end

  for name in pairs(t) do
    if name ~= "problems" and type(t[name]) == "table" and analyte(name) then
      finish(t, name, who, opts)
    end
  end
  return t
end

return M
