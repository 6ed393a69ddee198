--- The cohort commands of `calcinosis`: classify, compare, sweep.
-- @module calcinosis.cli_cohort

local cli = require "calcinosis.cli"
local core = require "calcinosis.core"
local cohort = require "calcinosis.cohort"
local json = require "calcinosis.json"

local M = {}

local function out(...) io.stdout:write(...) end
local function err(...) io.stderr:write(...) end

local function input_kind(path, forced, delim)
  if forced then return forced end
  return cohort.input_format(path, delim)
end

local function delimiter_of(d)
  if d == nil then return "," end
  if d == "tab" or d == "\\t" or d == "\t" then return "\t" end
  if #d == 1 and d ~= '"' then return d end
  return nil
end

--- The values --input-format takes.
M.INPUT_FORMATS = { "auto", "csv", "long", "ndjson", "json", "arff", "fhir", "hl7", "text" }

--- A --na list ("NA,.,-99"): the missing-value codes, or nil when not given.
-- @tparam string|nil s
-- @treturn table|nil
function M.na_list(s)
  if s == nil then return nil end
  local t = {}
  for x in (s .. ","):gmatch("([^,]*),") do
    x = x:match("^%s*(.-)%s*$")
    if x ~= "" then t[#t + 1] = x end
  end
  return t
end

--- A --map value: "sc=creatinine,bu=urea", or a file of NAME=COLUMN lines
-- ('#' comments; NAME,COLUMN accepted too), parsed (`calcinosis.engine.parse_map`).
-- @tparam string|nil s
-- @treturn table|nil the map (nil when not given)
-- @treturn[2] string message
function M.map_of(s)
  if s == nil then return nil end
  if not s:find("=", 1, true) then
    local f = io.open(s, "rb")
    if not f then return nil, ("--map: '%s' is neither NAME=COLUMN,... nor a file that opens"):format(s) end
    local items = {}
    for line in f:lines() do
      line = line:gsub("\r$", ""):gsub("#.*$", ""):match("^%s*(.-)%s*$")
      if line ~= "" then items[#items + 1] = line:find("=", 1, true) and line or line:gsub(",", "=", 1) end
    end
    f:close()
    s = table.concat(items, ",")
    if s == "" then return nil, "--map: the map file has no NAME=COLUMN line" end
  end
  local m, e = require("calcinosis.engine").parse_map(s)
  if not m then return nil, "--" .. e end
  return m
end

--- How a command reads its input: the options --input-format, --delimiter,
-- --decimal-comma, --na and --map checked, and the format detected from
-- the content (`calcinosis.detect.input`). Returns the input spec, or nil
-- and the exit status after printing why (2: a usage error, or a file that
-- is not a cohort, with what it looks like).
-- @tparam string cmd
-- @tparam table opts the parsed options
-- @tparam string|nil input the input path
-- @treturn table|nil `{ kind, delimiter, na, decimal_comma, map, map_text }`
-- @treturn[2] integer the exit status
function M.input_spec(cmd, opts, input)
  local forced = opts["input-format"]
  if forced then
    local ok = false
    for _, f in ipairs(M.INPUT_FORMATS) do if f == forced then ok = true end end
    if not ok then
      return nil, cli.usage_error(cmd, ("--input-format must be one of %s, got '%s'%s"):format(
        table.concat(M.INPUT_FORMATS, ", "), forced, cli.did_you_mean(forced, M.INPUT_FORMATS)))
    end
    if forced == "auto" then forced = nil end
  end
  local delim
  if opts.delimiter then
    delim = delimiter_of(opts.delimiter)
    if not delim then return nil, cli.usage_error(cmd, ("bad --delimiter '%s'"):format(opts.delimiter)) end
  elseif opts["decimal-comma"] then
    delim = ";" -- the usual pairing of a decimal comma
  end
  local map, merr = M.map_of(opts.map)
  if merr then return nil, cli.usage_error(cmd, merr) end
  local na = M.na_list(opts.na)
  local info, e = require("calcinosis.detect").input(input, { format = forced, delimiter = delim, map = map,
    available = require("calcinosis.read").available })
  if not info then
    err("calcinosis ", cmd, ": ", e, "\n")
    return nil, 2
  end
  return { kind = info.format, delimiter = info.delimiter or delim or ",", na = na,
    decimal_comma = opts["decimal-comma"] or nil, map = opts.map and map and M.map_table(map) or nil }
end

--- A parsed map as the `map` option of a plan takes it ({ from = to }).
-- @tparam table m `{ from = {...}, to = {...} }`
-- @treturn table
function M.map_table(m)
  local t = {}
  for i, f in ipairs(m.from) do t[f] = m.to[i] end
  return t
end

--- Reads an input the Lua readers read (HL7 v2, lab text: `calcinosis.read`)
-- into a temporary NDJSON file that the C pipeline runs as any file, with
-- the records' problems; the file's own problems go to standard error.
-- @tparam string kind "hl7" or "text"
-- @tparam string|nil input the path (nil or "-": standard input)
-- @tparam table spec `input_spec`'s (na, decimal_comma)
-- @tparam[opt] table options `index_date`, `window`
-- @treturn string|nil the temporary file's path (the caller removes it)
-- @treturn[2] string message
function M.read_to_ndjson(kind, input, spec, options)
  local read = require "calcinosis.read"
  local text
  options = options or {}
  if input and input ~= "-" then
    local f, e = io.open(input, "rb")
    if not f then return nil, e end
    text = f:read("*a")
    f:close()
  else
    text = io.stdin:read("*a")
  end
  local it, file_problems = read.read(text .. (text:find("\n", 1, true) and "" or "\n"),
    { format = kind, na = spec.na, decimal_comma = spec.decimal_comma,
      index_date = options.index_date, window = options.window })
  if not it then return nil, file_problems end
  local tmp = os.tmpname()
  local n, werr = read.write_ndjson(it, tmp)
  if not n then os.remove(tmp) return nil, werr end
  for _, p in ipairs(file_problems or {}) do err("calcinosis: ", input or "-", ": ", p, "\n") end
  return tmp
end

--- Loads the ruleset named by --rules (or the default) and applies --param;
-- the ruleset's warnings (unknown terms with "did you mean", odd source
-- keys) go to standard error as "calcinosis CMD: warning: FILE: ...".
local function load_ruleset(path, params, trusted, cmd, no_warnings)
  local rules = require "calcinosis.rules"
  local rs, e
  if path == nil or path == "default" then
    if not rules.default then return nil, "no default ruleset is available; give --rules FILE" end
    rs, e = rules.default()
  else
    local f = io.open(path, "rb")
    if not f then return nil, ("%s: cannot open"):format(path) end
    f:close()
    rs, e = rules.load(path, { trusted = trusted })
  end
  if not rs then return nil, e end
  cli.print_warnings(cmd or "classify", path, rs, no_warnings)
  if params and next(params) then
    rs, e = rs:variant { params = params }
    if not rs then return nil, e end
  end
  return rs
end

--- Loads the ruleset of --rules (or the default) with --param applied.
-- @function load_ruleset
M.load_ruleset = load_ruleset

local function parse_params(list)
  local params = {}
  for _, p in ipairs(list or {}) do
    local k, v = p:match("^([%w_]+)=(.+)$")
    if not k then return nil, ("--param expects NAME=VALUE, got '%s'"):format(p) end
    params[k] = tonumber(v) or v
  end
  return params
end

--- The --param list as a table NAME -> VALUE, or nil and the usage error.
-- @function parse_params
M.parse_params = parse_params
--- The --delimiter character (',' by default, "tab" for a tab), or nil when bad.
-- @function delimiter_of
M.delimiter_of = delimiter_of

-- A progress reporter on stderr when it is a terminal.
local function progress_reporter(quiet, total_bytes)
  if quiet or not core.isatty(2) then return nil end
  local t0 = os.clock()
  local wall0 = os.time()
  return function(n, bytes)
    local dt = math.max(os.clock() - t0, 1e-6)
    local rate = n / dt
    local line = ("\r%d records, %.0f records/s"):format(n, rate)
    if total_bytes and bytes and total_bytes > 0 then
      local frac = math.min(bytes / total_bytes, 1)
      local left = frac > 0 and (os.time() - wall0) * (1 - frac) / frac or 0
      line = line .. (", %d%%, %ds left"):format(math.floor(frac * 100), math.floor(left + 0.5))
    end
    io.stderr:write(line, "   ")
    return false
  end
end

-- The output file of a command (standard output for nil or "-"), or nil
-- after printing why it cannot be opened.
local function open_output(cmd, path)
  if not path or path == "-" then return io.stdout end
  local f, e = io.open(path, "wb")
  if not f then err("calcinosis ", cmd, ": ", e, "\n") end
  return f
end

local function file_size(path)
  if not path or path == "-" or core.file_kind(path) ~= "regular" then return nil end
  local f = io.open(path, "rb")
  if not f then return nil end
  local n = f:seek("end")
  f:close()
  return n
end

--- Runs a classification of a cohort file; returns stats or nil, message.
-- opts: ruleset, input, kind, output (path or nil), columns (string or list),
-- format, header, strict, delimiter, options (labs options), progress, jobs
-- opts.input_spec (M.input_spec): the detected kind and the reading options.
-- Records read in Lua (hl7, text) are written as NDJSON lines to a
-- temporary file that the C pipeline runs as any file (`calcinosis.read`'s
-- `write_ndjson`), with their problems.
function M.run(opts)
  local stream = opts.input and opts.input ~= "-" and core.file_kind(opts.input) ~= "regular"
  if stream and opts.shard then return nil, ("%s: --shard needs a regular file"):format(opts.input) end
  local o = opts.options or {}
  local spec = opts.input_spec or {}
  local kind = opts.kind or spec.kind
  if kind == nil or (kind == "csv" and not opts.input_spec) then
    kind = cohort.input_format(opts.input, opts.delimiter) -- (no detection done: long format from the header)
  end
  if kind == "json" then kind = "ndjson" end
  local input, tmp = opts.input, nil
  if kind == "hl7" or kind == "text" then
    local e
    tmp, e = M.read_to_ndjson(kind, input, spec, o)
    if not tmp then return nil, e end
    input, kind = tmp, "ndjson"
  end
  local size = file_size(input)
  local stats, e = cohort.run(opts.ruleset, {
    input = input, input_format = kind, output = opts.output, columns = opts.columns,
    format = opts.format, header = opts.header, strict = opts.strict, delimiter = spec.delimiter or opts.delimiter or ",",
    ca_coefficient = o.ca_coefficient, kdigo_rounding = o.kdigo_rounding,
    index_date = o.index_date, window = o.window,
    na = spec.na, decimal_comma = spec.decimal_comma, map = spec.map, units = opts.units,
    keep = opts.keep, rule_counts = opts.rule_counts,
    progress = opts.progress and function(n, bytes) return opts.progress(n, bytes or 0, size) end,
    -- a FIFO or a device cannot be cut into ranges: one process reads it
    jobs = stream and 1 or opts.jobs, shard = opts.shard,
  })
  if tmp then os.remove(tmp) end
  return stats, e
end

-- A path quoted for the shell.
local function shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- Several FHIR files (Bulk Data NDJSON, bundles) as one export: a temporary
-- folder of links to them, named so that the reader (which reads a folder's
-- files in name order) takes them in the order given.
local function fhir_list_folder(paths)
  local dir = os.tmpname()
  os.remove(dir)
  if not os.execute("mkdir -m 700 " .. shell_quote(dir)) then return nil, dir .. ": cannot make a folder" end
  for i, path in ipairs(paths) do
    local abs = path:sub(1, 1) == "/" and path or (os.getenv("PWD") or ".") .. "/" .. path
    local name = ("%04d-%s"):format(i, (path:match("([^/]+)$") or "input"))
    if not name:match("%.ndjson$") and not name:match("%.jsonl$") and not name:match("%.json$") then
      name = name .. ".ndjson"
    end
    if not os.execute(("ln -s %s %s"):format(shell_quote(abs), shell_quote(dir .. "/" .. name))) then
      os.execute("rm -rf " .. shell_quote(dir))
      return nil, path .. ": cannot link it into a temporary folder"
    end
  end
  return dir
end

-- The result of one patient record (.json) and the record, or nil and a message.
local function classify_single(rs, path, options)
  local text, e = io.open(path, "rb")
  if not text then return nil, e end
  local s, rerr = text:read("*a")
  text:close()
  if not s then return nil, ("%s: cannot read (%s)"):format(path, rerr or "read error") end
  local patient, derr = json.decode(s)
  if type(patient) ~= "table" or not cli.json_object_text(s) then
    return nil, ("%s: not a JSON patient record (%s)"):format(path, derr or "not an object")
  end
  local result = require("calcinosis").classify(patient, rs, options)
  return result, patient
end

-- Prints the results of patient records (.json): one JSON object for one
-- file, a JSON array of them for several (--json), else the readable
-- reports one after the other. Returns the exit status, or nil and a message.
local function print_single(rs, paths, as_json, options)
  local results, status = {}, 0
  for i, path in ipairs(paths) do
    local result, patient = classify_single(rs, path, options)
    if not result then return nil, patient end
    if as_json then
      result.disclaimer = cli.DISCLAIMER
      results[i] = result
    else
      if i > 1 then out("\n") end
      out(require("calcinosis.report").text(result, patient))
    end
    if result.problems and #result.problems > 0 then status = 1 end
  end
  if as_json then
    local doc = #paths == 1 and results[1] or setmetatable(results, json.array)
    out(json.encode(doc, { indent = "  " }), "\n")
  end
  return status
end

--- A summary of a cohort run: records, problems, counts by type.
-- @treturn string
function M.summary(rs, stats, input, output)
  local lines = {}
  lines[#lines + 1] = ("%s: %d records classified with %s %s (hash %s)%s"):format(input or "-", stats.records,
    rs.name, rs.version, stats.hash or rs.hash, output and output ~= "-" and (" -> " .. output) or "")
  local labels = {}
  for _, s in ipairs(rs.compiled.subtypes) do labels[#labels + 1] = s end
  labels[#labels + 1] = rs.compiled.label
  for _, l in ipairs(labels) do
    local n = stats.types[l] or 0
    lines[#lines + 1] = ("  %-15s %7d  %5.1f%%"):format(l, n, stats.records > 0 and 100 * n / stats.records or 0)
  end
  lines[#lines + 1] = ("  %d record(s) with problems (see the 'problems' column)"):format(stats.with_problems)
  lines[#lines + 1] = cli.DISCLAIMER
  return table.concat(lines, "\n") .. "\n"
end

--- `calcinosis classify`: a cohort file, or patient records (.json).
-- @tparam {string,...} args the arguments after the command
-- @treturn integer the exit status
function M.classify(args)
  local opts, rest = cli.parse_opts(args, cli.options.classify)
  if not opts then return cli.usage_error("classify", rest) end
  if opts.help then out(cli.usage.classify) return 0 end
  -- several FHIR files (Bulk Data NDJSON files, bundles): read as one export
  local all_fhir = #rest > 1
  for _, path in ipairs(#rest > 1 and rest or {}) do
    local kind = core.file_kind(path)
    local d = opts["input-format"] == "fhir" and kind == "regular" and { format = "fhir" }
      or (kind == "regular" and require("calcinosis.detect").input(path, { format = opts["input-format"] }))
    if not (d and d.format == "fhir") then all_fhir = false end
  end
  if #rest > 1 and not all_fhir then
    for _, path in ipairs(rest) do
      if input_kind(path, opts["input-format"], ",") ~= "json" then
        return cli.usage_error("classify", "expected one INPUT, patient records (.json) only, or FHIR files only")
      end
      -- the content decides: a FHIR bundle named .json is not a patient record
      local info = require("calcinosis.detect").sniff(require("calcinosis.detect").head(path) or "", { path = path })
      if info.format ~= "json" then
        err(("calcinosis classify: %s: it looks like %s, not a patient record\n"):format(path, info.what))
        return 2
      end
    end
  end
  local input = rest[1]
  local format = opts.format or "csv"
  if format ~= "csv" and format ~= "ndjson" then
    return cli.usage_error("classify", ("--format must be csv or ndjson, got '%s'"):format(format))
  end
  local forced = opts["input-format"]
  if opts["index-date"] and not core.date(opts["index-date"]) then
    return cli.usage_error("classify", "--index-date: " .. select(2, core.date(opts["index-date"])))
  end
  if opts.window and not core.window(opts.window) then
    return cli.usage_error("classify", "--window: " .. select(2, core.window(opts.window)))
  end
  local delim = delimiter_of(opts.delimiter)
  if not delim then return cli.usage_error("classify", ("bad --delimiter '%s'"):format(opts.delimiter)) end
  if opts.units and not require("calcinosis.engine").UNITS[opts.units] then
    return cli.usage_error("classify", ("--units must be conventional or si, got '%s'"):format(opts.units))
  end
  local njobs = opts.jobs and opts.jobs:match("^%d+$") and #opts.jobs <= 7 and tonumber(opts.jobs)
  if opts.jobs and not (njobs and njobs >= 1) then
    return cli.usage_error("classify", ("--jobs must be a whole number of processes from 1 to 9999999 (more than 64 run as 64), got '%s'")
      :format(opts.jobs))
  end
  local ca = opts["ca-coefficient"]
  if ca and not require("calcinosis.labs").ca_variants[ca] then
    return cli.usage_error("classify", ("unknown --ca-coefficient '%s' (common, payne or si)"):format(ca))
  end
  if opts.columns and not opts.columns:find("[^,%s]") then
    return cli.usage_error("classify", "--columns is empty (give one or more column names)")
  end
  local params, perr = parse_params(opts.param)
  if not params then return cli.usage_error("classify", perr) end
  for _, path in ipairs(rest) do
    if path ~= "-" then
      -- a FIFO is not opened here: an open would wait for its writer, and take its data
      local f = core.file_kind(path) == "fifo" or io.open(path, "rb")
      if not f then err("calcinosis classify: ", path, ": cannot open\n") return 2 end
      if f ~= true then f:close() end
    end
  end
  local spec, scode
  local list_dir -- several FHIR files: a temporary folder of links to them, read as one export
  if #rest > 1 then
    if all_fhir then
      local lerr
      list_dir, lerr = fhir_list_folder(rest)
      if not list_dir then err("calcinosis classify: ", lerr, "\n") return 2 end
      input, forced = list_dir, "fhir"
      spec = { kind = "fhir" }
    end
  else
    spec, scode = M.input_spec("classify", opts, input)
    if not spec then return scode end
  end
  local rs, rerr = load_ruleset(opts.rules, params, opts.trusted, "classify", opts["no-warnings"])
  if not rs then err("calcinosis classify: ", rerr, "\n") return 2 end
  local kind = spec and spec.kind or input_kind(input, forced, delim)
  local options = { ca_coefficient = ca, index_date = opts["index-date"], window = opts.window }
  if kind == "json" then
    local status, e = print_single(rs, rest, opts.json, options)
    if not status then err("calcinosis classify: ", e, "\n") return 2 end
    return status
  end
  local progress = progress_reporter(opts.quiet, file_size(input))
  local stats, e = M.run {
    ruleset = rs, input = input, kind = kind, output = opts.output, columns = opts.columns,
    format = format, header = not opts["no-header"], strict = opts.strict, delimiter = delim,
    input_spec = spec, units = opts.units, options = options, progress = progress and function(n, bytes) return progress(n, bytes) end,
    jobs = njobs or nil, shard = opts.shard, keep = opts.keep,
  }
  if progress then io.stderr:write("\n") end
  if list_dir then os.execute("rm -rf " .. shell_quote(list_dir)) end
  if not stats then err("calcinosis classify: ", e, "\n") return 2 end
  if stats.warnings and stats.warnings ~= "" then err("calcinosis classify: ", stats.warnings, "\n") end
  if opts.summary then
    local w = (opts.output and opts.output ~= "-") and out or err
    w(M.summary(rs, stats, input, opts.output))
  end
  if stats.stopped then
    err(("calcinosis classify: %s: line %d: %s (stopped by --strict)\n"):format(input or "-",
      stats.stop_line or 0, stats.stop_message or ""))
    return 1
  end
  return stats.with_problems > 0 and 1 or 0
end

local compare = require "calcinosis.compare"
--- Cohen's kappa (`calcinosis.compare.kappa`).
M.kappa = compare.kappa
--- Counts, confusion matrices and changes (`calcinosis.compare.compare_rows`).
M.compare_rows = compare.compare_rows

local function split_list(s)
  local t = {}
  for x in (s or ""):gmatch("[^;]+") do t[#t + 1] = x end
  return t
end


local function render_compare_text(c, rulesets)
  local lines = {}
  local w = 14
  local function pad(s, n) s = tostring(s) return s .. (" "):rep(math.max(1, n - #s)) end
  for i, rs in ipairs(rulesets or {}) do
    lines[#lines + 1] = ("%s: ruleset %s version %s (hash %s)"):format(c.names[i], rs.name, rs.version, rs.hash)
  end
  lines[#lines + 1] = ("%d patients"):format(c.n)
  lines[#lines + 1] = ""
  local head = pad("type", w)
  for _, name in ipairs(c.names) do head = head .. pad(name, w) end
  lines[#lines + 1] = head
  for _, l in ipairs(c.labels) do
    local row = pad(l, w)
    for i = 1, #c.names do row = row .. pad(c.counts[i][l] or 0, w) end
    lines[#lines + 1] = row
  end
  for _, p in ipairs(c.pairs) do
    lines[#lines + 1] = ""
    lines[#lines + 1] = ("%s (rows) vs %s (columns): kappa %s, %d changed"):format(p.a_name, p.b_name,
      p.kappa and ("%.4f"):format(p.kappa) or "n/a", p.changed)
    local h = pad("", w)
    for _, l in ipairs(c.labels) do h = h .. pad(l:sub(1, w - 1), w) end
    lines[#lines + 1] = h
    for _, a in ipairs(c.labels) do
      local row = pad(a:sub(1, w - 1), w)
      for _, b in ipairs(c.labels) do row = row .. pad((p.matrix[a] or {})[b] or 0, w) end
      lines[#lines + 1] = row
    end
    if #p.changes > 0 then
      lines[#lines + 1] = "changed:"
      for _, ch in ipairs(p.changes) do
        lines[#lines + 1] = ("  %s: %s -> %s; only under %s: %s; only under %s: %s"):format(ch.id, ch.from, ch.to,
          p.a_name, #ch.only_in_a > 0 and table.concat(ch.only_in_a, ",") or "-",
          p.b_name, #ch.only_in_b > 0 and table.concat(ch.only_in_b, ",") or "-")
      end
      if p.changed > #p.changes then lines[#lines + 1] = ("  ... %d more"):format(p.changed - #p.changes) end
    end
  end
  return table.concat(lines, "\n") .. "\n"
end


-- The delimiter and the input file of compare and sweep, or nil and the exit status.
local function cohort_input(cmd, opts, rest)
  local delim = delimiter_of(opts.delimiter)
  if not delim then return nil, nil, cli.usage_error(cmd, "bad --delimiter") end
  if opts["index-date"] and not core.date(opts["index-date"]) then
    return nil, nil, cli.usage_error(cmd, "--index-date: " .. select(2, core.date(opts["index-date"])))
  end
  if opts.window and not core.window(opts.window) then
    return nil, nil, cli.usage_error(cmd, "--window: " .. select(2, core.window(opts.window)))
  end
  local input = rest[1]
  local kind = input and core.file_kind(input)
  if kind and kind ~= "regular" and kind ~= "directory" then -- a FIFO or a device: it could be read only once
    err("calcinosis ", cmd, ": ", input, ": not a regular file (", kind, "); ", cmd,
      " reads its input more than once: save it to a file first\n")
    return nil, nil, 2
  end
  local f = io.open(input, "rb")
  if not f then err("calcinosis ", cmd, ": ", input, ": cannot open\n") return nil, nil, 2 end
  f:close()
  local spec, code = M.input_spec(cmd, opts, input)
  if not spec then return nil, nil, code end
  return spec.delimiter, input, nil, spec
end

--- `calcinosis compare`: a cohort under several rulesets.
-- @tparam {string,...} args the arguments after the command
-- @treturn integer the exit status
function M.compare(args)
  local opts, rest = cli.parse_opts(args, cli.options.compare)
  if not opts then return cli.usage_error("compare", rest) end
  if opts.help then out(cli.usage.compare) return 0 end
  if not opts.rules or #opts.rules < 2 then return cli.usage_error("compare", "give at least two --rules") end
  if #rest ~= 1 then return cli.usage_error("compare", "expected one INPUT") end
  local format = opts.format or "text"
  if not ({ text = true, csv = true, json = true })[format] then
    return cli.usage_error("compare", ("--format must be text, csv or json, got '%s'"):format(format))
  end
  if opts.report and cli.check_report_format("compare", opts.report) then return 2 end
  local max = tonumber(opts["max-changes"] or (format == "json" and 1000 or format == "csv" and math.huge or 20))
  if not max then return cli.usage_error("compare", "--max-changes must be a number") end
  local delim, input, code, spec = cohort_input("compare", opts, rest)
  if not delim then return code end
  local kind = spec.kind
  local rulesets, names, files = {}, {}, {}
  local problems = 0
  for i, path in ipairs(opts.rules) do
    local rs, e = load_ruleset(path, nil, opts.trusted, "compare", opts["no-warnings"])
    if not rs then err("calcinosis compare: ", e, "\n") return 2 end
    rulesets[i] = rs
    names[i] = rs.name
    for j = 1, i - 1 do if names[j] == names[i] then names[i] = names[i] .. "#" .. i end end
    files[i] = os.tmpname()
    local stats, rerr = M.run { ruleset = rs, input = input, kind = kind, output = files[i],
      columns = { "id", "type", "fired" }, format = "csv", header = false, delimiter = delim, input_spec = spec,
      options = { index_date = opts["index-date"], window = opts.window } }
    if not stats then err("calcinosis compare: ", rerr, "\n") return 2 end
    problems = math.max(problems, stats.with_problems)
  end
  -- labels: union of subtypes in order, then the indeterminate labels
  local labels, seen = {}, {}
  for _, rs in ipairs(rulesets) do
    for _, s in ipairs(rs.compiled.subtypes) do if not seen[s] then seen[s] = true; labels[#labels + 1] = s end end
  end
  for _, rs in ipairs(rulesets) do
    local l = rs.compiled.label
    if not seen[l] then seen[l] = true; labels[#labels + 1] = l end
  end
  local readers = {}
  for i, path in ipairs(files) do readers[i] = assert(core.csv_open(path, ",")) end
  local function next_rows()
    local rows = {}
    for i, r in ipairs(readers) do
      local fields = r:next()
      if not fields then return nil end
      rows[i] = { id = fields[1], type = fields[2] or "", fired = split_list(fields[3]) }
    end
    return rows
  end
  local c = M.compare_rows(names, next_rows, labels, max)
  for i, r in ipairs(readers) do r:close(); os.remove(files[i]) end
  if opts.report then
    local doc = require("calcinosis.report").comparison(c, rulesets, { input = input })
    local status = cli.write_report("compare", doc, opts.report, opts.output)
    if status ~= 0 then return status end
    return problems > 0 and 1 or 0
  end
  local o = open_output("compare", opts.output)
  if not o then return 2 end
  if format == "text" then
    o:write(render_compare_text(c, rulesets))
  elseif format == "json" then
    local doc = { n = c.n, rulesets = {}, pairs = {} }
    for i, rs in ipairs(rulesets) do
      doc.rulesets[i] = { name = names[i], version = rs.version, hash = rs.hash, counts = c.counts[i] }
    end
    for i, p in ipairs(c.pairs) do
      for _, ch in ipairs(p.changes) do
        setmetatable(ch.only_in_a, json.array)
        setmetatable(ch.only_in_b, json.array)
      end
      doc.pairs[i] = { a = p.a_name, b = p.b_name, kappa = p.kappa, changed = p.changed,
        confusion = p.matrix, changes = setmetatable(p.changes, json.array) }
    end
    o:write(json.encode(doc, { indent = "  " }), "\n")
  else
    o:write("a,b,id,type_a,type_b,only_in_a,only_in_b\n")
    for _, p in ipairs(c.pairs) do
      for _, ch in ipairs(p.changes) do
        o:write(cli.csv_row { p.a_name, p.b_name, ch.id, ch.from, ch.to, table.concat(ch.only_in_a, ";"),
          table.concat(ch.only_in_b, ";") }, "\n")
      end
    end
  end
  if not cli.close_output("compare", o, opts.output) then return 2 end
  return problems > 0 and 1 or 0
end

--- `calcinosis sweep`: subtype counts over the values of one parameter.
-- @tparam {string,...} args the arguments after the command
-- @treturn integer the exit status
function M.sweep(args)
  local opts, rest = cli.parse_opts(args, cli.options.sweep)
  if not opts then return cli.usage_error("sweep", rest) end
  if opts.help then out(cli.usage.sweep) return 0 end
  if not opts.param then return cli.usage_error("sweep", "give --param NAME=FROM:TO:STEP") end
  local name, from, to, step = opts.param:match("^([%w_]+)=([^:]+):([^:]+):([^:]+)$")
  from, to, step = tonumber(from), tonumber(to), tonumber(step)
  if not name or not from or not to or not step or step <= 0 or to < from then
    return cli.usage_error("sweep", ("--param expects NAME=FROM:TO:STEP with numbers, STEP > 0, got '%s'"):format(opts.param))
  end
  if (to - from) / step > 10000 then return cli.usage_error("sweep", "more than 10000 steps") end
  if #rest ~= 1 then return cli.usage_error("sweep", "expected one INPUT") end
  local format = opts.format or "csv"
  if format ~= "csv" and format ~= "text" and format ~= "json" then
    return cli.usage_error("sweep", "--format must be csv, text or json")
  end
  if opts.report and cli.check_report_format("sweep", opts.report) then return 2 end
  local delim, input, code, spec = cohort_input("sweep", opts, rest)
  if not delim then return code end
  local base, e = load_ruleset(opts.rules, nil, opts.trusted, "sweep", opts["no-warnings"])
  if not base then err("calcinosis sweep: ", e, "\n") return 2 end
  local param = base.compiled.params[name]
  if not param then
    local names = {}
    for k in pairs(base.compiled.params) do names[#names + 1] = k end
    table.sort(names)
    local s = require("calcinosis.rules.compiler").suggest(name, names)
    err(("calcinosis sweep: unknown parameter '%s'%s (parameters: %s)\n"):format(name,
      s and (" (did you mean '%s'?)"):format(s) or "", table.concat(names, ", ")))
    return 2
  end
  local labels = {}
  for _, s in ipairs(base.compiled.subtypes) do labels[#labels + 1] = s end
  labels[#labels + 1] = base.compiled.label
  local rule_ids = {}
  for i, r in ipairs(base.compiled.rules) do rule_ids[i] = r.id end
  local kind = spec.kind
  local rows = {}
  local problems = 0
  local nsteps = math.floor((to - from) / step + 1e-9)
  for k = 0, nsteps do
    local v = from + k * step
    v = tonumber(("%.10g"):format(v))
    local value = param.unit and (("%.10g %s"):format(v, param.unit)) or v
    local rs, verr = base:variant { params = { [name] = value } }
    if not rs then err("calcinosis sweep: ", verr, "\n") return 2 end
    local stats, rerr = M.run { ruleset = rs, input = input, kind = kind, output = "/dev/null",
      columns = { "type" }, format = "csv", header = false, delimiter = delim, rule_counts = true,
      input_spec = spec, options = { index_date = opts["index-date"], window = opts.window } }
    if not stats then err("calcinosis sweep: ", rerr, "\n") return 2 end
    problems = math.max(problems, stats.with_problems)
    local row = { value = v, hash = stats.hash, counts = {}, fired = {}, not_evaluable = {} }
    for _, l in ipairs(labels) do row.counts[l] = stats.types[l] or 0 end
    for i, id in ipairs(rule_ids) do
      row.fired[id] = stats.rule_fired[i] or 0
      row.not_evaluable[id] = stats.rule_unevaluable[i] or 0
    end
    rows[#rows + 1] = row
  end
  if opts.report then
    local ids = {}
    for i, r in ipairs(base.compiled.rules) do ids[i] = r.id end
    local doc = require("calcinosis.report").sweep({ name = name, unit = param.unit, labels = labels, rows = rows,
      rules = ids, ruleset = { name = base.name, version = base.version, hash = base.hash } }, { input = input })
    local status = cli.write_report("sweep", doc, opts.report, opts.output)
    if status ~= 0 then return status end
    return problems > 0 and 1 or 0
  end
  local o = open_output("sweep", opts.output)
  if not o then return 2 end
  if format == "csv" then
    -- the subtype counts, then per rule the records it fired for and could
    -- not evaluate, then the hash of the ruleset at that value
    local head = { name }
    for _, l in ipairs(labels) do head[#head + 1] = l end
    for _, id in ipairs(rule_ids) do head[#head + 1] = "fired:" .. id end
    for _, id in ipairs(rule_ids) do head[#head + 1] = "not_evaluable:" .. id end
    head[#head + 1] = "hash"
    o:write(cli.csv_row(head), "\n")
    for _, r in ipairs(rows) do
      local t = { ("%.10g"):format(r.value) }
      for _, l in ipairs(labels) do t[#t + 1] = tostring(r.counts[l]) end
      for _, id in ipairs(rule_ids) do t[#t + 1] = tostring(r.fired[id]) end
      for _, id in ipairs(rule_ids) do t[#t + 1] = tostring(r.not_evaluable[id]) end
      t[#t + 1] = r.hash
      o:write(cli.csv_row(t), "\n")
    end
  elseif format == "json" then
    local doc = { parameter = name, unit = param.unit, input = input,
      ruleset = { name = base.name, version = base.version, hash = base.hash },
      labels = setmetatable(labels, json.array), rules = setmetatable(rule_ids, json.array), values = {} }
    for i, r in ipairs(rows) do
      doc.values[i] = { value = r.value, hash = r.hash, counts = r.counts, fired = r.fired,
        not_evaluable = r.not_evaluable }
    end
    setmetatable(doc.values, json.array)
    o:write(json.encode(doc, { indent = "  " }), "\n")
  else
    local function pad(s, n) s = tostring(s) return (" "):rep(math.max(1, n - #s)) .. s end
    o:write(("%s %s (hash %s at the base value), %s\n\n"):format(base.name, base.version, base.hash, input))
    local head = pad(name .. (param.unit and (" [" .. param.unit .. "]") or ""), 24)
    for _, l in ipairs(labels) do head = head .. pad(l, 15) end
    o:write(head, pad("hash", 18), "\n")
    for _, r in ipairs(rows) do
      local line = pad(("%.10g"):format(r.value), 24)
      for _, l in ipairs(labels) do line = line .. pad(r.counts[l], 15) end
      o:write(line, pad(r.hash, 18), "\n")
    end
    -- the rules whose counts change with the value: fired (not evaluable)
    local changing, same = {}, 0
    for _, id in ipairs(rule_ids) do
      local moves = false
      for _, r in ipairs(rows) do
        if r.fired[id] ~= rows[1].fired[id] or r.not_evaluable[id] ~= rows[1].not_evaluable[id] then moves = true end
      end
      if moves then changing[#changing + 1] = id else same = same + 1 end
    end
    o:write("\nrecords each rule fired for (and could not evaluate), at each value:\n")
    local w = 26
    for _, id in ipairs(changing) do w = math.max(w, #id + 2) end
    local h = ("%-" .. w .. "s"):format("rule")
    for _, r in ipairs(rows) do h = h .. pad(("%.10g"):format(r.value), 14) end
    o:write(h, "\n")
    for _, id in ipairs(changing) do
      local line = ("%-" .. w .. "s"):format(id)
      for _, r in ipairs(rows) do line = line .. pad(("%d (%d)"):format(r.fired[id], r.not_evaluable[id]), 14) end
      o:write(line, "\n")
    end
    o:write(("%s%d rule(s) with the same counts at every value not shown (see --format csv or json)\n"):format(
      #changing == 0 and "no rule's counts change; " or "", same))
  end
  if not cli.close_output("sweep", o, opts.output) then return 2 end
  return problems > 0 and 1 or 0
end

return M
