--- Reading patient records from any input: `calcinosis.read(path_or_string
-- [, opts])` gives an iterator of patient records, each with its problems.
--
-- CSV, long-format CSV, NDJSON and ARFF go through the C readers and the C
-- record logic (`calcinosis.cohort.rows`' path: the same values, units,
-- missing-value codes and problems as a cohort run); FHIR is a C reader of
-- the plan (`input_format = "fhir"`), HL7 v2 and lab-report text are the
-- Lua modules `calcinosis.hl7` and `calcinosis.labtext` (`M.records(text,
-- opts)`), where the build has them.
--
-- A record is a plain table in the record schema that `calcinosis.classify`
-- takes (`id`, `age`, `sex`, `species`, `height_cm`, `labs` with each value
-- given as `{ value, unit }` in the analyte's canonical unit, `findings`,
-- `sites`), plus `problems` (a list of messages) and `line`; classified, it
-- gives the result the cohort path gives.
--
-- `write_ndjson` is the bridge the other way: records read in Lua (HL7,
-- text) written as NDJSON lines, which the C pipeline then runs as any
-- file, their problems passed through.
--
-- Dependencies: calcinosis.core, calcinosis.util, calcinosis.engine,
-- calcinosis.detect.
-- @module calcinosis.read

local core = require "calcinosis.core"
local util = require "calcinosis.util"
local engine = require "calcinosis.engine"
local detect = require "calcinosis.detect"

local M = {}

--- The options `calcinosis.read` takes.
M.OPTIONS = { format = true, index_date = true, window = true, na = true, decimal_comma = true,
  delimiter = true, map = true, ca_coefficient = true, kdigo_rounding = true, ranges = true, critical = true }

--- The Lua reader module of each format read in Lua.
M.LUA_READERS = { hl7 = "calcinosis.hl7", text = "calcinosis.labtext" }

-- the ruleset of records read without rules (engine's labs ruleset)
local function no_rules()
  local compiler = require "calcinosis.rules.compiler"
  local c = compiler.compile { name = "read", version = "1", subtypes = { "none" }, decls = {} }
  return {
    compiled = c,
    program = assert(core.vm_load(c.bytes)),
    result_program = assert(core.vm_load(c.result.bytes)),
    confidence_program = assert(core.vm_load(c.result.conf_bytes)),
  }
end
local plain_ruleset
local function plain()
  plain_ruleset = plain_ruleset or no_rules()
  return plain_ruleset
end

--- Whether this build reads a format: true, or nil and why not ("FHIR
-- reading is not available in this build").
-- @tparam string format
-- @treturn boolean|nil
-- @treturn[2] string
function M.available(format)
  if format == "fhir" then
    local ok = pcall(engine.plan, plain(), { input_format = "fhir" })
    if ok then return true end
    return nil, "FHIR reading is not available in this build"
  end
  local mod = M.LUA_READERS[format]
  if mod then
    local ok, m = pcall(require, mod)
    if ok and type(m) == "table" and type(m.records) == "function" then return true end
    return nil, ("%s reading is not available in this build (no module %s)"):format(
      format == "hl7" and "HL7 v2" or "lab-report text", mod)
  end
  return true
end

-- a temporary file holding text (removed by the caller)
local function temp_with(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

local function check_options(opts)
  for k in pairs(opts) do
    if not M.OPTIONS[k] then
      local names = {}
      for n in pairs(M.OPTIONS) do names[#names + 1] = n end
      table.sort(names)
      local s = util.suggest(tostring(k), names)
      error(("calcinosis.read: unknown option '%s'%s"):format(tostring(k), s and (" (did you mean '%s'?)"):format(s) or ""), 3)
    end
  end
end

-- a list of ';'-separated terms, each once (a long-format patient repeats them)
local function terms(text)
  if not text or text == "" then return nil end
  local t, seen = {}, {}
  for x in text:gmatch("[^;]+") do
    x = x:match("^%s*(.-)%s*$")
    if x ~= "" and not seen[x] then t[#t + 1] = x; seen[x] = true end
  end
  return #t > 0 and t or nil
end

--- A patient record (the record schema) from a raw result of the C
-- readers (`plan:rows`): the values the record gave, in canonical units
-- (derived values are left to be derived again), its terms as written, its
-- problems and line.
-- @tparam table raw
-- @treturn table record
function M.record_of(raw)
  local r = raw.record
  local labs = {}
  for name in pairs(raw.given or {}) do
    local a = core.analyte(name)
    local v = r.values[name]
    if v then
      local cmp = r.comparators and r.comparators[name]
      -- "%.17g" reads back as the same double
      labs[name] = cmp and ("%s%.17g %s"):format(cmp, v, a.unit) or { v, a.unit }
    elseif r.qualitative[name] then
      labs[name] = r.qualitative[name]
    end
  end
  if r.egfr_reported and not labs.egfr then labs.egfr = { r.egfr_reported, core.analyte("egfr").unit } end
  local problems = {}
  for i, p in ipairs(raw.problems or {}) do problems[i] = p end
  return {
    id = raw.id, age = r.age, sex = r.sex, species = r.species, height_cm = r.height_cm,
    labs = labs, findings = terms(raw.findings_text), sites = terms(raw.sites_text),
    problems = problems, line = raw.line,
  }
end

local function plan_options(format, info, opts)
  local p = {
    input_format = format, delimiter = opts.delimiter or (info and info.delimiter) or nil,
    na = opts.na, decimal_comma = opts.decimal_comma, map = opts.map,
    ca_coefficient = opts.ca_coefficient, kdigo_rounding = opts.kdigo_rounding,
    ranges = opts.ranges, critical = opts.critical,
  }
  if format == "json" then p.input_format = "ndjson" end
  if opts.decimal_comma and not p.delimiter then p.delimiter = ";" end
  return p
end

-- the records of a Lua reader module, as an iterator
local function lua_records(format, text, opts)
  local ok, why = M.available(format)
  if not ok then return nil, why end
  local mod = require(M.LUA_READERS[format])
  -- (the values are chosen by date in C, core.choose_dated; decimal commas and missing codes are the
  -- modules' own: they take no na or decimal_comma)
  local recs, file_problems = mod.records(text, { index_date = opts.index_date, window = opts.window })
  local i = 0
  return function()
    i = i + 1
    return recs[i]
  end, file_problems or {}
end

--- Reads patient records.
-- @tparam string path_or_string a file path, or the content itself (a
--   string with a line break is content)
-- @tparam[opt] table opts `format` ("auto" (default) | "csv" | "long" |
--   "ndjson" | "json" | "arff" | "fhir" | "hl7" | "text"), `index_date`,
--   `window` (the readers of dated values: long format, FHIR, HL7), `na` (missing-value codes, default
--   `calcinosis.engine.NA_DEFAULT`), `decimal_comma`, `delimiter`, `map`
--   (`"sc=creatinine"` or `{ sc = "creatinine" }`), `ca_coefficient`,
--   `kdigo_rounding`, `ranges`, `critical`; an unknown key raises
-- @treturn function|nil iterator of records (see the module)
-- @treturn[1] table the file's problems (ignored columns and the like)
-- @treturn[2] string message: what the input looks like when it is not one
function M.read(path_or_string, opts)
  opts = opts or {}
  check_options(opts)
  if type(path_or_string) ~= "string" then error("calcinosis.read: expected a path or a string", 2) end
  local is_text = path_or_string:find("\n", 1, true) ~= nil
  local format = opts.format or "auto"
  local ok_format = format == "auto"
  for _, f in ipairs(detect.FORMATS) do if f == format then ok_format = true end end
  if not ok_format then
    local s = util.suggest(tostring(format), detect.FORMATS)
    error(("calcinosis.read: unknown format '%s'%s"):format(tostring(format), s and (" (did you mean '%s'?)"):format(s) or ""), 2)
  end
  local map
  if opts.map then
    local e
    map, e = engine.parse_map(opts.map)
    if not map then return nil, e end
  end
  local info, e = detect.input(not is_text and path_or_string or nil, {
    format = format, delimiter = opts.delimiter or (opts.decimal_comma and ";" or nil), map = map,
    available = M.available, head = is_text and path_or_string:sub(1, detect.HEAD_BYTES) or nil,
  })
  if not info then return nil, e end
  local fmt = info.format
  if M.LUA_READERS[fmt] then
    local text = path_or_string
    if not is_text then
      local f, oerr = io.open(path_or_string, "rb")
      if not f then return nil, oerr end
      text = f:read("*a")
      f:close()
    end
    return lua_records(fmt, text, opts)
  end
  local popts = plan_options(fmt, info, opts)
  if fmt == "fhir" or fmt == "long" then popts.index_date, popts.window = opts.index_date, opts.window end
  local plan, perr = engine.plan(plain(), popts)
  if not plan then return nil, perr end
  local path = path_or_string
  local tmp
  if is_text then tmp = temp_with(path_or_string); path = tmp end
  local it, rerr = plan:rows(path)
  if tmp then os.remove(tmp) end -- (open already: the reader keeps reading it)
  if not it then return nil, rerr end
  local file_problems = {}
  local first = true
  return function()
    local raw = it()
    if not raw then return nil end
    if first and raw.warnings then
      for w in raw.warnings:gmatch("%s*([^.]+%.)") do file_problems[#file_problems + 1] = w end
    end
    first = false
    return M.record_of(raw)
  end, file_problems
end

--- Writes records (tables in the record schema, with their `problems`) as
-- NDJSON lines, one per record, as the C NDJSON reader reads them back
-- (`plan:patient_json`: the reader-only keys are left out, the problems
-- kept).
-- @tparam {table,...}|function records a list, or an iterator
-- @tparam file|string out an open file or a path
-- @treturn integer|nil the number of records written
-- @treturn[2] string message
function M.write_ndjson(records, out)
  local plan = engine.for_patients(plain())
  local f, close = out, false
  if type(out) == "string" then
    local e
    f, e = io.open(out, "wb")
    if not f then return nil, e end
    close = true
  end
  local n = 0
  local function put(r)
    n = n + 1
    local p = {}
    for k, v in pairs(r) do p[k] = v end
    if type(p.problems) == "table" and #p.problems == 0 then p.problems = nil end
    -- what the reader did not recognise (HL7 v2 OBX codes with no mapping,
    -- lab text lines) is the record's `unmapped` note, as FHIR's codes are:
    -- always written, so that the column is there for every record
    if type(p.unrecognised) == "table" then p.unmapped = table.concat(p.unrecognised, "; ") end
    p.unrecognised = nil
    p.unmapped = p.unmapped or ""
    f:write(plan:patient_json(p), "\n")
  end
  if type(records) == "function" then
    for r in records do put(r) end
  else
    for _, r in ipairs(records) do put(r) end
  end
  if close then f:close() end
  return n
end

return M
