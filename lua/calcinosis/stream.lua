--- Streaming classification in Lua: NDJSON, long-format CSV, and wide CSV
-- when the result needs fields only the Lua classifier computes.
--
-- Readers return iterators of `record` tables: `{ patient = {...}, line = n,
-- problems = {...} }`; a record that cannot be read at all still yields a
-- record (with an empty patient and its problem), so that the output has
-- one row per input record. `classify_stream` writes one row per record.
-- @module calcinosis.stream

local core = require "calcinosis.core"
local json = require "calcinosis.json"

local M = {}

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

local function split_terms(s)
  local out = {}
  for t in s:gmatch("[^;|,]+") do
    t = trim(t)
    if t ~= "" then out[#out + 1] = t end
  end
  return out
end

--- NDJSON: one patient record (a JSON object) per line.
-- @tparam[opt] string path nil or "-" for stdin
-- @treturn function iterator of records
-- @treturn[2] nil
-- @treturn[2] string message
function M.ndjson(path)
  local f, err
  if path and path ~= "-" then
    f, err = io.open(path, "rb")
    if not f then return nil, err end
  else
    f = io.stdin
  end
  local n = 0
  return function()
    while true do
      local line = f:read("l")
      if not line then
        if f ~= io.stdin then f:close() end
        return nil
      end
      n = n + 1
      if not line:match("^%s*$") then
        local p, derr = json.decode(line)
        if type(p) ~= "table" then
          return { patient = {}, line = n, problems = { ("line %d: not a JSON object (%s)"):format(n, derr or type(p)) } }
        end
        return { patient = p, line = n, problems = {} }
      end
    end
  end
end

local LONG_ANALYTE = { analyte = true, test = true, code = true, loinc = true, observation = true, name = true }
local ID_NAMES = { id = true, patient_id = true, patient = true, subject = true, subject_id = true,
  record_id = true, mrn = true }

local function header_key(h)
  local name, unit = h:match("^%s*(.-)%s*%[(.-)%]%s*$")
  if not name then name, unit = h:match("^%s*(.-)%s*%((.-)%)%s*$") end
  name = (name or h):lower():gsub("^%s+", ""):gsub("%s+$", ""):gsub("[%s%-]+", "_")
  return name, unit
end

--- Tells whether a CSV header is in long format (one observation per row).
-- @tparam {string,...} header
-- @treturn boolean
function M.is_long(header)
  local has = {}
  for _, h in ipairs(header) do has[(header_key(h))] = true end
  local id = false
  for k in pairs(ID_NAMES) do if has[k] then id = true end end
  local analyte = false
  for k in pairs(LONG_ANALYTE) do if has[k] then analyte = true end end
  return id and analyte and has.value == true
end

local PATIENT_COLS = { age = "age", age_years = "age", sex = "sex", gender = "sex", species = "species",
  height_cm = "height_cm", height = "height_cm", findings = "findings", finding = "findings",
  sites = "sites", site = "sites" }

--- CSV (wide or long format), read with the C reader.
-- Long format: columns id, analyte (or test/code/loinc), value, unit
-- (optional), date (optional), and optionally the patient columns; rows of
-- one patient must be consecutive; they make one record. When an analyte
-- repeats for a patient, the latest date (or the last row) is kept and the
-- repetition noted.
-- @tparam[opt] string path nil or "-" for stdin
-- @tparam[opt] string delimiter
-- @treturn function|nil iterator of records
-- @treturn[2] string message
function M.csv(path, delimiter)
  local r, err = core.csv_open(path, delimiter or ",")
  if not r then return nil, err end
  local header = r:next()
  if not header then return function() return nil end end
  local cols = {}
  for i, h in ipairs(header) do
    local name, unit = header_key(h)
    cols[i] = { name = name, unit = unit, raw = h }
  end
  if M.is_long(header) then
    local idcol, acol, vcol, ucol, dcol
    for i, c in ipairs(cols) do
      if ID_NAMES[c.name] and not idcol then idcol = i end
      if LONG_ANALYTE[c.name] and not acol then acol = i end
      if c.name == "value" then vcol = i end
      if c.name == "unit" or c.name == "units" then ucol = i end
      if c.name == "date" or c.name == "time" or c.name == "effective" then dcol = i end
    end
    local pending
    local done = false
    -- ids already finished, to report a patient whose rows are not
    -- consecutive; capped so that memory stays bounded on huge files
    local seen_ids, nseen, SEEN_CAP = {}, 0, 1000000
    local function start(fields, line)
      local id = trim(fields[idcol] or "")
      local rec = { patient = { id = id, labs = {} }, line = line, problems = {}, dates = {} }
      if seen_ids[id] then
        rec.problems[#rec.problems + 1] = ("line %d: id '%s' appears again after other patients (rows of a patient must be consecutive)")
          :format(line, id)
      end
      if nseen < SEEN_CAP and not seen_ids[id] then
        seen_ids[id] = true
        nseen = nseen + 1
      end
      return rec
    end
    local function add(rec, fields, line, problem)
      if problem then rec.problems[#rec.problems + 1] = ("line %d: %s"):format(line, problem) end
      for i, c in ipairs(cols) do
        local role = PATIENT_COLS[c.name]
        local v = fields[i]
        if role and v and trim(v) ~= "" then
          if role == "findings" or role == "sites" then
            local list = rec.patient[role] or {}
            for _, t in ipairs(split_terms(v)) do list[#list + 1] = t end
            rec.patient[role] = list
          elseif rec.patient[role] == nil then
            rec.patient[role] = (role == "age" or role == "height_cm") and (tonumber(v) or v) or trim(v)
          end
        end
      end
      local name = trim(fields[acol] or "")
      local value = trim(fields[vcol] or "")
      if name == "" then
        if value ~= "" then rec.problems[#rec.problems + 1] = ("line %d: analyte is empty"):format(line) end
        return
      end
      local unit = ucol and trim(fields[ucol] or "") or ""
      local text = (unit ~= "" and value ~= "" and not value:match("%a")) and (value .. " " .. unit) or value
      local a = core.analyte(name)
      if not a then
        rec.problems[#rec.problems + 1] = ("line %d: unknown analyte '%s'"):format(line, name)
        return
      end
      local key = a.name
      local date = dcol and trim(fields[dcol] or "") or ""
      if rec.patient.labs[key] ~= nil then
        local prev = rec.dates[key] or ""
        if date ~= "" and prev ~= "" and date < prev then
          rec.problems[#rec.problems + 1] = ("line %d: %s repeats; kept the later value (%s)"):format(line, key, prev)
          return
        end
        rec.problems[#rec.problems + 1] = ("line %d: %s repeats; kept the %s value"):format(line, key,
          date ~= "" and "later" or "last")
      end
      rec.patient.labs[key] = text
      rec.dates[key] = date
    end
    return function()
      if done then return nil end
      while true do
        local fields, line, problem = r:next()
        if not fields then
          done = true
          r:close()
          local out = pending
          pending = nil
          return out
        end
        local id = trim(fields[idcol] or "")
        if pending and id ~= pending.patient.id then
          local out = pending
          pending = start(fields, line)
          add(pending, fields, line, problem)
          return out
        end
        if not pending then pending = start(fields, line) end
        add(pending, fields, line, problem)
      end
    end
  end
  -- wide format
  return function()
    local fields, line, problem = r:next()
    if not fields then r:close() return nil end
    local rec = { patient = { labs = {} }, line = line, problems = {} }
    if problem then rec.problems[1] = ("line %d: %s"):format(line, problem) end
    local units = {}
    for i, c in ipairs(cols) do
      local base = c.name:match("^(.-)_units?$")
      if base and core.analyte(base) then units[core.analyte(base).name] = trim(fields[i] or "") end
    end
    for i, c in ipairs(cols) do
      local v = fields[i]
      if v and trim(v) ~= "" then
        v = trim(v)
        local role = PATIENT_COLS[c.name] or (ID_NAMES[c.name] and "id")
        if role == "findings" or role == "sites" then
          rec.patient[role] = split_terms(v)
        elseif role == "age" then
          rec.patient.age = c.unit and (v .. " " .. c.unit) or (tonumber(v) or v)
        elseif role then
          rec.patient[role] = (role == "height_cm") and (tonumber(v) or v) or v
        elseif not c.name:match("_units?$") then
          local a = core.analyte(c.name)
          if a then
            local unit = c.unit or units[a.name]
            rec.patient.labs[a.name] = (unit and unit ~= "" and not v:match("%a")) and (v .. " " .. unit) or v
          end
        end
      end
    end
    return rec
  end
end

-- ---------------------------------------------------------------------------
-- Output

local function fmt_value(v, decimals)
  if v == nil or v ~= v then return nil end
  if decimals and decimals >= 0 then return ("%." .. decimals .. "f"):format(v) end
  if v == math.floor(v) and math.abs(v) < 1e15 then return ("%d"):format(v) end
  return ("%.6g"):format(v)
end

local function csv_field(s)
  if s:find('[,"\r\n]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

local FIELD_COLUMNS = { id = true, type = true, score = true, fired = true, not_evaluable = true,
  problems = true, confidence = true, alerts = true, line = true, age = true, sex = true,
  ckd_stage = true, alternatives = true }

--- Parses a column list for the Lua path.
-- @param columns list or comma-separated string
-- @tparam table ruleset
-- @treturn table|nil list of `{ name, decimals, kind = "field"|"let"|"lab" }`
-- @treturn[2] string message
function M.columns(columns, ruleset)
  if type(columns) == "string" then
    local list = {}
    for c in columns:gmatch("[^,]+") do list[#list + 1] = trim(c) end
    columns = list
  end
  local lets = {}
  for _, l in ipairs(ruleset.compiled.lets) do lets[l.name] = true end
  local out = {}
  for _, spec in ipairs(columns) do
    local name, fmt = spec:match("^([^:]+):(.*)$")
    name = name or spec
    local decimals
    if fmt then
      decimals = tonumber(fmt:match("^%%%.(%d+)f$") or fmt:match("^%.?(%d+)$") or "")
      if not decimals then return nil, ("column '%s': format '%s' is not like %%.2f"):format(spec, fmt) end
      if decimals > 20 then return nil, ("column '%s': at most 20 decimals"):format(spec) end
    end
    local kind
    if FIELD_COLUMNS[name] then kind = "field"
    elseif lets[name] then kind = "let"
    elseif core.analyte(name) then kind = "lab"
    else return nil, ("unknown column '%s'"):format(name) end
    out[#out + 1] = { name = name, decimals = decimals, kind = kind }
  end
  return out
end

local function ids(list)
  local t = {}
  for i, x in ipairs(list or {}) do t[i] = type(x) == "table" and x.id or tostring(x) end
  return t
end

local function column_value(col, rec, result, labs)
  local n = col.name
  if col.kind == "let" then return fmt_value(result.values and result.values[n], col.decimals), true end
  if col.kind == "lab" then
    local e = labs and labs[core.analyte(n).name]
    return fmt_value(e and e.value, col.decimals), true
  end
  if n == "id" then return rec.patient.id ~= nil and tostring(rec.patient.id) or nil end
  if n == "type" then return result.type end
  if n == "score" then return fmt_value(result.type == result.label and 0 or result.score or 0, col.decimals), true end
  if n == "fired" then return ids(result.fired), "list" end
  if n == "not_evaluable" then return ids(result.not_evaluable), "list" end
  if n == "problems" then return rec.problems, "list" end
  if n == "confidence" then
    local c = result.confidence
    if type(c) == "table" then c = c.level or c.value end
    return c ~= nil and tostring(c) or nil
  end
  if n == "alerts" then
    local t = {}
    for i, a in ipairs(result.alerts or {}) do t[i] = type(a) == "table" and (a.message or a.id) or tostring(a) end
    return t, "list"
  end
  if n == "alternatives" then
    local t = {}
    for i, a in ipairs(result.alternatives or {}) do t[i] = type(a) == "table" and (a.type or a.label) or tostring(a) end
    return t, "list"
  end
  if n == "line" then return tostring(rec.line), true end
  if n == "age" then return fmt_value(labs and labs.age and labs.age.value, col.decimals), true end
  if n == "sex" then return labs and labs.sex end
  if n == "ckd_stage" then return labs and labs.ckd_stage and labs.ckd_stage.value end
end

--- Writes one output row.
-- @tparam function write receives text
-- @tparam table columns from `columns`
-- @tparam string format "csv" or "ndjson"
function M.write_row(write, columns, format, rec, result, labs)
  if format == "ndjson" then
    local obj = {}
    for _, col in ipairs(columns) do
      local v, kind = column_value(col, rec, result, labs)
      if kind == "list" then obj[col.name] = setmetatable(v, json.array)
      elseif kind == true and v then obj[col.name] = tonumber(v)
      else obj[col.name] = v end
    end
    write(json.encode(obj), "\n")
    return
  end
  local out = {}
  for i, col in ipairs(columns) do
    local v, kind = column_value(col, rec, result, labs)
    -- rule ids joined with ";", problems (sentences) with "; ", as the C pipeline writes them
    if kind == "list" then v = table.concat(v, col.name == "problems" and "; " or ";") end
    out[i] = csv_field(v or "")
  end
  write(table.concat(out, ","), "\n")
end

--- Classifies every record of an iterator and writes one row per record.
-- @tparam table ruleset compiled ruleset
-- @tparam function records iterator of records (from `ndjson` or `csv`)
-- @tparam table opts `columns` (parsed), `format`, `write` (function), `options` (labs options),
--   `strict`, `header` (default true), `progress` (function(n))
-- @treturn table stats `{ records, with_problems, types = { [type] = n }, stopped, stop_line, stop_message }`
function M.classify_stream(ruleset, records, opts)
  local write = opts.write or function(...) io.stdout:write(...) end
  local format = opts.format or "csv"
  local stats = { records = 0, with_problems = 0, types = {} }
  if format ~= "ndjson" and opts.header ~= false then
    local names = {}
    for i, c in ipairs(opts.columns) do names[i] = csv_field(c.name) end
    write(table.concat(names, ","), "\n")
  end
  -- the enriched result (calcinosis.classify) only when a column needs it
  local enrich = false
  for _, c in ipairs(opts.columns) do
    if c.name == "confidence" or c.name == "alerts" or c.name == "alternatives" then enrich = true end
  end
  local classify
  if enrich then
    classify = require("calcinosis.classify").classify
  else
    local vocab_ok, vocab = pcall(require, "calcinosis.vocab")
    local fast = {}
    for k, v in pairs(opts.options or {}) do fast[k] = v end
    fast.explain, fast.labs = false, true
    classify = function(p, rs)
      local terms_problems = {}
      if vocab_ok then
        for _, kind in ipairs { "finding", "site" } do
          local list = p[kind .. "s"]
          if type(list) == "table" then
            local norm, probs = vocab.normalize_list(list, kind)
            p[kind .. "s"] = vocab.expand(norm)
            for _, m in ipairs(probs) do terms_problems[#terms_problems + 1] = m end
          end
        end
      end
      local r = rs:classify(p, fast)
      for _, m in ipairs(terms_problems) do r.problems[#r.problems + 1] = m end
      return r
    end
  end
  for rec in records do
    local p = rec.patient
    for _, kind in ipairs { "findings", "sites" } do
      if type(p[kind]) == "string" then p[kind] = split_terms(p[kind]) end
    end
    local ok, result = pcall(classify, p, ruleset, opts.options)
    local labs
    if not ok then
      rec.problems[#rec.problems + 1] = "could not classify: " .. tostring(result)
      result = { type = ruleset.compiled.label, score = 0, fired = {}, not_evaluable = {} }
    else
      labs = result.labs
      for _, m in ipairs(result.problems or {}) do rec.problems[#rec.problems + 1] = m end
    end
    result.label = ruleset.compiled.label
    if #rec.problems > 0 and opts.strict then
      stats.stopped, stats.stop_line, stats.stop_message = true, rec.line, table.concat(rec.problems, "; ")
      break
    end
    M.write_row(write, opts.columns, format, rec, result, labs)
    stats.records = stats.records + 1
    if #rec.problems > 0 then stats.with_problems = stats.with_problems + 1 end
    stats.types[result.type] = (stats.types[result.type] or 0) + 1
    if opts.progress and stats.records % 10000 == 0 then opts.progress(stats.records) end
  end
  return stats
end

return M
