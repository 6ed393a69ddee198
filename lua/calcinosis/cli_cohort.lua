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

local function parse_params(list)
  local params = {}
  for _, p in ipairs(list or {}) do
    local k, v = p:match("^([%w_]+)=(.+)$")
    if not k then return nil, ("--param expects NAME=VALUE, got '%s'"):format(p) end
    params[k] = tonumber(v) or v
  end
  return params
end

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
function M.run(opts)
  local size = file_size(opts.input)
  local stream = opts.input and opts.input ~= "-" and core.file_kind(opts.input) ~= "regular"
  if stream and opts.shard then return nil, ("%s: --shard needs a regular file"):format(opts.input) end
  local o = opts.options or {}
  local kind = opts.kind
  if kind == nil or kind == "csv" then kind = cohort.input_format(opts.input, opts.delimiter) end
  if kind == "json" then kind = "ndjson" end
  return cohort.run(opts.ruleset, {
    input = opts.input, input_format = kind, output = opts.output, columns = opts.columns,
    format = opts.format, header = opts.header, strict = opts.strict, delimiter = opts.delimiter or ",",
    ca_coefficient = o.ca_coefficient, kdigo_rounding = o.kdigo_rounding,
    progress = opts.progress and function(n, bytes) return opts.progress(n, bytes or 0, size) end,
    -- a FIFO or a device cannot be cut into ranges: one process reads it
    jobs = stream and 1 or opts.jobs, shard = opts.shard,
  })
end

-- The result of one patient record (.json) and the record, or nil and a message.
local function classify_single(rs, path, options)
  local text, e = io.open(path, "rb")
  if not text then return nil, e end
  local s, rerr = text:read("a")
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
    rs.name, rs.version, rs.hash, output and output ~= "-" and (" -> " .. output) or "")
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
  if #rest > 1 then
    for _, path in ipairs(rest) do
      if input_kind(path, opts["input-format"], ",") ~= "json" then
        return cli.usage_error("classify", "expected one INPUT, or patient records (.json) only")
      end
    end
  end
  local input = rest[1]
  local format = opts.format or "csv"
  if format ~= "csv" and format ~= "ndjson" then
    return cli.usage_error("classify", ("--format must be csv or ndjson, got '%s'"):format(format))
  end
  local forced = opts["input-format"]
  if forced and not ({ csv = true, long = true, ndjson = true, json = true })[forced] then
    return cli.usage_error("classify", ("--input-format must be csv, long, ndjson or json, got '%s'"):format(forced))
  end
  local delim = delimiter_of(opts.delimiter)
  if not delim then return cli.usage_error("classify", ("bad --delimiter '%s'"):format(opts.delimiter)) end
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
  local rs, rerr = load_ruleset(opts.rules, params, opts.trusted, "classify", opts["no-warnings"])
  if not rs then err("calcinosis classify: ", rerr, "\n") return 2 end
  local kind = input_kind(input, forced, delim)
  local options = { ca_coefficient = ca }
  if kind == "json" then
    local status, e = print_single(rs, rest, opts.json, options)
    if not status then err("calcinosis classify: ", e, "\n") return 2 end
    return status
  end
  local progress = progress_reporter(opts.quiet, file_size(input))
  local stats, e = M.run {
    ruleset = rs, input = input, kind = kind, output = opts.output, columns = opts.columns,
    format = format, header = not opts["no-header"], strict = opts.strict, delimiter = delim,
    options = options, progress = progress and function(n, bytes) return progress(n, bytes) end,
    jobs = njobs or nil, shard = opts.shard,
  }
  if progress then io.stderr:write("\n") end
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


local function render_compare_text(c)
  local lines = {}
  local w = 14
  local function pad(s, n) s = tostring(s) return s .. (" "):rep(math.max(1, n - #s)) end
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
  return delim, input
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
  local max = tonumber(opts["max-changes"] or (format == "json" and 1000 or format == "csv" and math.huge or 20))
  if not max then return cli.usage_error("compare", "--max-changes must be a number") end
  local delim, input, code = cohort_input("compare", opts, rest)
  if not delim then return code end
  local kind = input_kind(input, opts["input-format"], delim)
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
      columns = { "id", "type", "fired" }, format = "csv", header = false, delimiter = delim }
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
  local o = open_output("compare", opts.output)
  if not o then return 2 end
  if format == "text" then
    o:write(render_compare_text(c))
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
  if format ~= "csv" and format ~= "text" then return cli.usage_error("sweep", "--format must be csv or text") end
  local delim, input, code = cohort_input("sweep", opts, rest)
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
  local kind = input_kind(input, opts["input-format"], delim)
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
      columns = { "type" }, format = "csv", header = false, delimiter = delim }
    if not stats then err("calcinosis sweep: ", rerr, "\n") return 2 end
    problems = math.max(problems, stats.with_problems)
    local row = { value = v, counts = {} }
    for _, l in ipairs(labels) do row.counts[l] = stats.types[l] or 0 end
    rows[#rows + 1] = row
  end
  local o = open_output("sweep", opts.output)
  if not o then return 2 end
  if format == "csv" then
    local head = { name }
    for _, l in ipairs(labels) do head[#head + 1] = l end
    o:write(cli.csv_row(head), "\n")
    for _, r in ipairs(rows) do
      local t = { ("%.10g"):format(r.value) }
      for _, l in ipairs(labels) do t[#t + 1] = tostring(r.counts[l]) end
      o:write(cli.csv_row(t), "\n")
    end
  else
    local function pad(s, n) s = tostring(s) return (" "):rep(math.max(1, n - #s)) .. s end
    local head = pad(name .. (param.unit and (" [" .. param.unit .. "]") or ""), 24)
    for _, l in ipairs(labels) do head = head .. pad(l, 15) end
    o:write(head, "\n")
    for _, r in ipairs(rows) do
      local line = pad(("%.10g"):format(r.value), 24)
      for _, l in ipairs(labels) do line = line .. pad(r.counts[l], 15) end
      o:write(line, "\n")
    end
  end
  if not cli.close_output("sweep", o, opts.output) then return 2 end
  return problems > 0 and 1 or 0
end

return M
