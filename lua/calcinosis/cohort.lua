--- Cohorts: classify many patients, streaming, one output row per input
-- record.
--
-- Wide CSV (one patient per row), long-format CSV (one observation per
-- row) and NDJSON (one patient record per line) run entirely in C
-- (`calcinosis.core.cohort_run`): the plan below tells the C pipeline which
-- VM slot takes which value, how terms map to the program's term bits, the
-- reference ranges for flags and the output columns. Result fields that
-- only the Lua classifier computes go through `ruleset:classify` per record,
-- still streaming.
--
-- Input CSV header: `id`, `age` (or `age_years`, `age [mo]`), `sex`,
-- `species`, `height_cm`, `findings`, `sites` (`;`-separated terms), and lab
-- columns named by analyte, alias or LOINC code, with the unit in the header
-- (`calcium [mg/dL]`), in a companion column (`calcium_unit`), or in the
-- cell (`11.2 mg/dL`); a bare number is in the analyte's canonical unit.
-- @module calcinosis.cohort

local core = require "calcinosis.core"

local M = {}

-- slot kinds and column kinds, matching src/cohort.h
local SLOT = { none = 0, value = 1, age = 2, ckd_stage = 3, female = 4, male = 5, flag = 6,
  human = 7, dog = 8, cat = 9 }
local COL = { id = 0, type = 1, score = 2, fired = 3, not_evaluable = 4, problems = 5, value = 6,
  let = 7, age = 8, sex = 9, ckd_stage = 10, line = 11 }
M.COL = COL

--- Columns written when none are asked for.
M.default_columns = { "id", "type", "score", "fired", "problems" }

local function c_key(s)
  -- the C pipeline's key (src/cohort.c normalize_key) of an ASCII string
  s = s:lower():gsub("'", ""):gsub("[^%w\128-\255]+", "_"):gsub("^_+", ""):gsub("_+$", "")
  return s
end

-- term maps: text key -> list of program term bits
local function term_maps(ruleset)
  local ids = ruleset.compiled.term_ids
  local maps = { finding = {}, site = {} }
  local ok, vocab = pcall(require, "calcinosis.vocab")
  if not ok then vocab = nil end
  local function bits_for(kind, term)
    local list, seen = {}, {}
    local terms = { term }
    if vocab then terms = vocab.expand({ term }) end
    for _, t in ipairs(terms) do
      local id = ids[kind .. ":" .. t]
      if id and not seen[id] then seen[id] = true; list[#list + 1] = id end
    end
    return list
  end
  -- every term the program mentions is known
  for key in pairs(ids) do
    local kind, term = key:match("^(%a+):(.*)$")
    if maps[kind] then maps[kind][c_key(term)] = bits_for(kind, term) end
  end
  if vocab then
    for term, e in pairs(vocab.terms) do
      local kind = vocab.kind(term) == "site" and "site" or "finding"
      local bits = bits_for(kind, term)
      local m = maps[kind]
      local function add(s)
        if type(s) ~= "string" or s == "" then return end
        local k1, k2 = c_key(s), vocab.key(s)
        if k1 ~= "" and m[k1] == nil then m[k1] = bits end
        if k2 ~= "" and m[k2] == nil then m[k2] = bits end
      end
      add(term)
      add(e.label)
      for _, syn in ipairs(e.synonyms or {}) do add(syn) end
      if kind == "finding" then
        for _, list in ipairs { e.icd10cm or {}, e.icd_prefix or {} } do
          for _, code in ipairs(list) do
            add(code)
            add((code:gsub("%.", "")))
          end
        end
      end
    end
  end
  return maps.finding, maps.site
end

local SPECIES = { human = 0, dog = 1, cat = 2 }
local SEXES = { F = 1, M = 2 }

local function range_entries(list)
  local out = {}
  local function add(e, analyte)
    local a = core.analyte(analyte)
    local idx = core.analyte_index(analyte)
    if not a or not idx then return end
    local r = { analyte = idx, species = SPECIES[e.species or "human"] or 0, sex = SEXES[e.sex] or 0,
      age_min = e.age_min, age_max = e.age_max, inclusive = e.inclusive or nil }
    for _, k in ipairs { "low", "high" } do
      if e[k] then
        r[k] = (e.unit and e.unit ~= a.unit) and core.convert(e[k], e.unit, a.unit, a.name) or e[k]
      end
    end
    out[#out + 1] = r
  end
  for _, e in ipairs(list) do add(e, e.analyte) end
  -- corrected calcium is flagged against the calcium ranges
  local n = #out
  local corr = core.analyte_index("corrected_calcium")
  local ca = core.analyte_index("calcium")
  for i = 1, n do
    if out[i].analyte == ca then
      local c = {}
      for k, v in pairs(out[i]) do c[k] = v end
      c.analyte = corr
      out[#out + 1] = c
    end
  end
  return out
end

--- Parses a column list ("id,type,ca_corr:%.2f") against a ruleset.
-- @tparam table ruleset a compiled ruleset
-- @param columns a list or a comma-separated string
-- @treturn table|nil list of `{ kind, index, decimals, name }`
-- @treturn[2] string message naming the unknown column
function M.columns(ruleset, columns)
  if type(columns) == "string" then
    local list = {}
    for c in columns:gmatch("[^,]+") do list[#list + 1] = c:match("^%s*(.-)%s*$") end
    columns = list
  end
  local lets = {}
  for i, l in ipairs(ruleset.compiled.lets) do lets[l.name] = i - 1 end
  local out = {}
  for _, spec in ipairs(columns) do
    local name, fmt = spec:match("^([^:]+):(.*)$")
    name = name or spec
    local decimals = -1
    if fmt then
      local d = fmt:match("^%%%.(%d+)f$") or fmt:match("^%.?(%d+)$")
      if not d then
        return nil, ("column '%s': format '%s' is not like %%.2f"):format(spec, fmt)
      end
      decimals = tonumber(d)
      if decimals > 20 then
        return nil, ("column '%s': at most 20 decimals"):format(spec)
      end
    end
    local col = { name = name, decimals = decimals }
    if COL[name] and name ~= "value" and name ~= "let" then
      col.kind = COL[name]
    elseif lets[name] then
      col.kind, col.index = COL.let, lets[name]
    elseif core.analyte_index(name) then
      col.kind, col.index = COL.value, core.analyte_index(name)
    else
      local known = { "id", "type", "score", "fired", "not_evaluable", "problems", "age", "sex", "ckd_stage", "line" }
      for n in pairs(lets) do known[#known + 1] = n end
      for _, a in ipairs(core.analytes()) do known[#known + 1] = a end
      local s = require("calcinosis.rules.compiler").suggest(name, known)
      return nil, ("unknown column '%s'%s"):format(name, s and (" (did you mean '%s'?)"):format(s) or "")
    end
    out[#out + 1] = col
  end
  return out
end

--- Builds the C pipeline's plan for a ruleset.
-- @tparam table ruleset compiled ruleset (`calcinosis.rules`)
-- @tparam[opt] table opts `columns`, `format` ("csv"|"ndjson"), `header`,
--   `strict`, `delimiter`, `ca_coefficient`, `kdigo_rounding`, `ranges`, `critical`
-- @treturn table|nil plan
-- @treturn[2] string message
function M.plan(ruleset, opts)
  opts = opts or {}
  local c = ruleset.compiled
  local slots = {}
  for i, s in ipairs(c.slots) do
    local kind = SLOT[s.kind] or SLOT.none
    if s.kind == "sex" then kind = (s.sex == "M" or s.name == "male") and SLOT.male or SLOT.female end
    if s.kind == "species" then kind = SLOT[s.name] or SLOT.none end
    local idx = (s.kind == "value" or s.kind == "flag") and core.analyte_index(s.name) or nil
    if (s.kind == "value" or s.kind == "flag") and not idx then kind = SLOT.none end
    slots[i] = { kind = kind, analyte = idx }
  end
  local columns, err = M.columns(ruleset, opts.columns or M.default_columns)
  if not columns then return nil, err end
  local findings, sites = term_maps(ruleset)
  local ranges = require "calcinosis.ranges"
  local rule_ids = {}
  for i, r in ipairs(c.rules) do rule_ids[i] = r.id end
  local variants = { common = 0, ["0.8"] = 0, payne = 1, ["1.0"] = 1, si = 2 }
  local ca_variant = variants[tostring(opts.ca_coefficient or "common")]
  if not ca_variant then return nil, ("unknown ca_coefficient '%s'"):format(tostring(opts.ca_coefficient)) end
  return {
    program = ruleset.program,
    slots = slots,
    columns = columns,
    findings = findings,
    sites = sites,
    ranges = range_entries(opts.ranges or ranges.reference_list()),
    critical = range_entries(opts.critical or ranges.critical_list()),
    rule_ids = rule_ids,
    type_names = c.subtypes,
    indeterminate = c.label,
    ca_variant = ca_variant,
    kdigo_round = opts.kdigo_rounding and true or false,
    ndjson = opts.format == "ndjson",
    header = opts.header ~= false,
    strict = opts.strict and true or false,
    delimiter = opts.delimiter or ",",
  }
end

--- Classifies a wide CSV cohort (or NDJSON records) in C, streaming.
-- @tparam table ruleset compiled ruleset
-- @tparam table opts as `plan`, plus `jobs` (processes, for a file input),
--   `input` (path, or nil/"-" for stdin), `input_format` ("csv", the
--   default; "ndjson": one patient record per line, see src/ndjson.h; or
--   "long": long-format CSV, one observation per row, see src/longcsv.h),
--   `output` (path, or nil/"-" for stdout), `progress` (function(records)
--   called every `every` records; return true to stop)
-- @treturn table|nil stats `{ records, with_problems, counts = {...}, stopped, stop_line, stop_message, warnings }`
-- @treturn[2] string message
function M.run_csv(ruleset, opts)
  local plan, err = M.plan(ruleset, opts)
  if not plan then return nil, err end
  plan.input, plan.output = opts.input, opts.output
  plan.progress, plan.every = opts.progress, opts.every
  plan.jobs = opts.jobs
  plan.input_format = opts.input_format
  local stats, rerr = core.cohort_run(plan)
  if not stats then return nil, rerr end
  stats.types = {}
  for i, name in ipairs(ruleset.compiled.subtypes) do stats.types[name] = stats.counts[i] end
  stats.types[ruleset.compiled.label] = stats.counts[#ruleset.compiled.subtypes + 1]
  return stats
end

return M
