--- Cohorts: classify many patients, streaming, one output row per input
-- record, in C.
--
-- Wide CSV (one patient per row), long-format CSV (one observation per
-- row) and NDJSON (one patient record per line) are read by the C readers
-- and classified by the same engine as one patient (`calcinosis.engine`):
-- every output column, the result declarations' ones (`confidence`,
-- `alternatives`, `alerts`, `missing`) included, is computed in C, and
-- `jobs` splits a file over processes.
--
-- Input CSV header: `id` (or `patient_id`, `case_id`, `mrn`, ...), `age`
-- (or `age_years`, `age [mo]`), `sex`, `species`, `height_cm`, `findings`
-- (or `diagnoses`, `conditions`), `sites` (`;`-separated terms), and lab
-- columns named by analyte, alias or LOINC code, with the unit in the
-- header (`calcium [mg/dL]`), in a companion column (`calcium_unit`), or in
-- the cell (`11.2 mg/dL`); a bare number is in the analyte's canonical unit.
--
-- Dependencies: calcinosis.core, calcinosis.engine.
-- @module calcinosis.cohort

local core = require "calcinosis.core"
local engine = require "calcinosis.engine"

local M = {}

--- Columns written when none are asked for.
M.default_columns = engine.default_columns

--- Parses a column list ("id,type,ca_corr:%.2f") against a ruleset.
-- @tparam Ruleset ruleset
-- @param columns a list or a comma-separated string
-- @treturn table|nil list of `{ kind, index, decimals, name }`
-- @treturn[2] string message naming the unknown column
function M.columns(ruleset, columns)
  return engine.columns(ruleset.compiled, columns)
end

local LONG_ANALYTE = { analyte = true, test = true, code = true, loinc = true, observation = true, name = true }
local ID_NAMES = { id = true, patient_id = true, patient = true, subject = true, subject_id = true,
  record_id = true, mrn = true, case = true, case_id = true }

--- The input format of a file: "ndjson" for `.ndjson` and `.jsonl`, "json"
-- for `.json` (one patient), else "csv", or "long" when its CSV header is
-- in long format (an id, an analyte and a value column).
-- @tparam string|nil path nil or "-" for standard input (read as CSV)
-- @tparam[opt] string delimiter
-- @treturn string
function M.input_format(path, delimiter)
  if not path or path == "-" then return "csv" end
  local ext = path:lower():match("%.([%w]+)$")
  if ext == "ndjson" or ext == "jsonl" then return "ndjson" end
  if ext == "json" then return "json" end
  -- a FIFO or a device is read once, by the run: its header is not looked at first
  if core.file_kind(path) ~= "regular" then return "csv" end
  local r = core.csv_open(path, delimiter or ",")
  if not r then return "csv" end
  local header = r:next()
  r:close()
  if not header then return "csv" end
  local has = {}
  for _, h in ipairs(header) do has[core.term_key((h:gsub("[%[%(].*$", "")))] = true end
  local id, analyte = false, false
  for k in pairs(ID_NAMES) do if has[k] then id = true end end
  for k in pairs(LONG_ANALYTE) do if has[k] then analyte = true end end
  return (id and analyte and has.value) and "long" or "csv"
end

--- The column names of an input file, as `--columns` and `--keep` can pass
-- them through: the CSV header (wide or long format), or the top-level
-- keys of the first NDJSON record (sorted). `false` for
-- standard input, a FIFO or a device (not known before the run).
-- @tparam string|nil path nil or "-" for standard input
-- @tparam[opt] string format "csv" | "long" | "ndjson" (default: `input_format`)
-- @tparam[opt] string delimiter
-- @treturn table|boolean the names, or false
function M.input_columns(path, format, delimiter)
  -- (standard input, a FIFO or a device can be read once only: by the run)
  if not path or path == "-" or core.file_kind(path) ~= "regular" then return false end
  format = format or M.input_format(path, delimiter)
  -- the FHIR record schema (unmapped, skipped, ...) and the ARFF @attribute names: the C run checks them
  if format == "fhir" or format == "arff" then return false end
  if format == "ndjson" or format == "json" then
    local f = io.open(path, "rb")
    if not f then return {} end
    local names = {}
    local first
    -- (a path that opens but cannot be read, a directory, is the run's to report)
    pcall(function()
      for line in f:lines() do
        if line:find("%S") then first = line break end
      end
    end)
    if first then
      -- the keys of the first record (sorted), as the C reader matches them
      local json = require "calcinosis.json"
      local ok, obj = pcall(json.decode, (first:gsub("^\239\187\191", "")))
      if ok and type(obj) == "table" then
        for k in pairs(obj) do if type(k) == "string" then names[#names + 1] = k end end
        table.sort(names)
      end
    end
    f:close()
    return names
  end
  local r = core.csv_open(path, delimiter or ",")
  if not r then return {} end
  local header = r:next() or {}
  r:close()
  return header
end

--- Classifies a cohort file in C, streaming.
-- @tparam Ruleset ruleset compiled ruleset
-- @tparam table opts `input` (path, or nil/"-" for standard input),
--   `output` (path, or nil/"-" for standard output), `input_format`
--   ("csv" | "long" | "ndjson"; default: from the file, see `input_format`),
--   `columns`, `format` ("csv" | "ndjson"), `header`, `strict`, `delimiter`,
--   `ca_coefficient`, `kdigo_rounding`, `ranges`, `critical`, `keep`,
--   `rule_counts` (as `calcinosis.engine.plan`; the input's columns are
--   read from the file, `input_columns`), `jobs` (processes, for a file), `shard`
--   ("K/N": only the K-th of N parts of a file, cut at record boundaries as
--   `jobs` cuts; the N outputs concatenated in order are the whole output), `progress`
--   (function(records, bytes) called every `every` records; return true to stop)
-- @treturn table|nil stats `{ records, with_problems, types = { [type] = n }, counts, stopped,
--   stop_line, stop_message, warnings, hash }` (`hash`: `calcinosis.engine.hash` of the
--   ruleset with the run's options, computed when first read)
-- @treturn[2] string message
function M.run(ruleset, opts)
  local popts, run = {}, {}
  for k, v in pairs(opts) do
    if k == "input" or k == "output" or k == "jobs" or k == "progress" or k == "every" then run[k] = v
    elseif k == "shard" then
      local a, b = tostring(v):match("^(%d+)/(%d+)$")
      a, b = tonumber(a), tonumber(b)
      if not a or a < 1 or b > 64 or a > b then
        return nil, ("shard must be K/N with 1 <= K <= N <= 64, got '%s'"):format(tostring(v))
      end
      run.shard, run.shards = a, b
    else popts[k] = v end
  end
  popts.input_format = popts.input_format or M.input_format(opts.input, opts.delimiter)
  if popts.input_format == "json" then popts.input_format = "ndjson" end
  if popts.input_columns == nil then
    popts.input_columns = M.input_columns(opts.input, popts.input_format, opts.delimiter)
  end
  if run.progress and not run.every then run.every = 50000 end
  local plan, err = engine.plan(ruleset, popts)
  if not plan then return nil, err end
  local stats, rerr = plan:run(run)
  if not stats then return nil, rerr end
  -- the hash when it is read (it costs most of a command's start-up, and
  -- most runs never show it)
  setmetatable(stats, { __index = function(t, k)
    if k ~= "hash" then return nil end
    local h = engine.hash(ruleset, popts)
    rawset(t, "hash", h)
    return h
  end })
  -- a column passed through is not "not known"
  for _, c in ipairs(engine.columns(ruleset.compiled, popts.columns or engine.default_columns,
      popts.input_columns, popts.keep) or {}) do
    if c.kind == core.COL.input and stats.warnings then
      local w = ("column '%s' is not known; ignored. "):format(c.name)
      local at = stats.warnings:find(w, 1, true)
      if at then stats.warnings = stats.warnings:sub(1, at - 1) .. stats.warnings:sub(at + #w) end
    end
  end
  if stats.warnings then stats.warnings = stats.warnings:gsub("%s+$", "") end
  stats.types = {}
  for i, name in ipairs(ruleset.compiled.subtypes) do stats.types[name] = stats.counts[i] end
  stats.types[ruleset.compiled.label] = stats.counts[#ruleset.compiled.subtypes + 1]
  return stats
end

--- The same as `run` (the name of earlier releases).
M.run_csv = M.run

--- The records of a cohort file, classified one by one in C, as results
-- (the shape `ruleset:classify` returns, plus `line`): for Lua report
-- generators that want every field of every record.
-- @tparam Ruleset ruleset
-- @tparam string|nil path nil or "-" for standard input
-- @tparam[opt] table opts as `run` (no output options): `input_format`,
--   `delimiter`, `ca_coefficient`, `kdigo_rounding`, `ranges`, `critical`,
--   `index_date`, `window`; `labs = true` keeps each record's lab table
--   (as `calcinosis.labs` gives it: values, units, flags, dates) in `labs`;
--   the reader's notes, when a record has any (FHIR: codes that map to
--   nothing, resources not used), are `unmapped` and `skipped`, the text of
--   the output columns of the same names
-- @treturn function|nil iterator of results
-- @treturn[2] string message
function M.rows(ruleset, path, opts)
  opts = opts or {}
  local popts = {}
  for k, v in pairs(opts) do popts[k] = v end
  popts.labs = nil
  popts.input_format = popts.input_format or M.input_format(path, opts.delimiter)
  if popts.input_format == "json" then popts.input_format = "ndjson" end
  local plan, err = engine.plan(ruleset, popts)
  if not plan then return nil, err end
  local it, rerr = plan:rows(path)
  if not it then return nil, rerr end
  local result = require "calcinosis.result"
  return function()
    local raw = it()
    if not raw then return nil end
    local r = result.present(ruleset, raw, nil, opts)
    if opts.labs then r.labs = r._labs:table() end
    r._labs = nil
    r.line = raw.line
    r.unmapped, r.skipped = raw.unmapped, raw.skipped
    return r
  end
end

return M
