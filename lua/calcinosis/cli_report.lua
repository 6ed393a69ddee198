--- The `report` command of `calcinosis`: the report of one patient record
-- (.json) or, with `--cohort`, of a cohort file, as text, Markdown, HTML,
-- JSON or LaTeX tables (see `calcinosis.report`).
--
--     calcinosis report patient.json --format html -o report.html
--     calcinosis report --cohort cohort.csv [--rules F] --format html -o cohort.html
--
-- Dependencies: calcinosis.cli, calcinosis.cli_cohort, calcinosis.json,
-- calcinosis.report.
-- @module calcinosis.cli_report

local cli = require "calcinosis.cli"
local cli_cohort = require "calcinosis.cli_cohort"

local M = {}

local function err(...) io.stderr:write(...) end

-- the record of a patient file, or nil and a message naming the file
local function read_patient(path)
  local f, e = io.open(path, "rb")
  if not f then return nil, e end
  local s, rerr = f:read("*a")
  f:close()
  if not s then return nil, ("%s: cannot read (%s)"):format(path, tostring(rerr)) end
  local patient, derr = require("calcinosis.json").decode(s)
  if type(patient) ~= "table" then
    return nil, ("%s: not a JSON patient record (%s)"):format(path, derr or "not an object")
  end
  return patient
end

--- Runs the command.
-- @tparam {string,...} args the arguments after `report`
-- @treturn integer the exit status
function M.main(args)
  local opts, rest = cli.parse_opts(args, cli.options.report)
  if not opts then return cli.usage_error("report", rest) end
  if opts.help then io.stdout:write(cli.usage.report) return 0 end
  local format = opts.format or "text"
  if cli.check_report_format("report", format) then return 2 end
  if opts.cohort and #rest > 0 then return cli.usage_error("report", "give either --cohort FILE or one PATIENT.json") end
  if not opts.cohort and #rest ~= 1 then return cli.usage_error("report", "expected one PATIENT.json (or --cohort FILE)") end
  local delim = cli_cohort.delimiter_of(opts.delimiter)
  if not delim then return cli.usage_error("report", ("bad --delimiter '%s'"):format(tostring(opts.delimiter))) end
  local params, perr = cli_cohort.parse_params(opts.param)
  if not params then return cli.usage_error("report", perr) end
  local input = opts.cohort or rest[1]
  local f = io.open(input, "rb")
  if not f then err("calcinosis report: ", input, ": cannot open\n") return 2 end
  f:close()
  local rs, rerr = cli_cohort.load_ruleset(opts.rules, params, opts.trusted, "report", opts["no-warnings"])
  if not rs then err("calcinosis report: ", tostring(rerr), "\n") return 2 end
  local report = require "calcinosis.report"
  local doc, problems
  if opts.cohort then
    local core = require "calcinosis.core"
    for _, o in ipairs { { "index-date", core.date }, { "window", core.window } } do
      if opts[o[1]] and not o[2](opts[o[1]]) then
        return cli.usage_error("report", "--" .. o[1] .. ": " .. select(2, o[2](opts[o[1]])))
      end
    end
    -- the content decides the format, as for classify; what is not a cohort is refused (exit 2)
    local spec, scode = cli_cohort.input_spec("report", opts, input)
    if not spec then return scode end
    local kind = spec.kind
    if kind == "json" then return cli.usage_error("report", input .. " is one patient record: give it without --cohort") end
    local options = { index_date = opts["index-date"], window = opts.window }
    local path, tmp = input, nil
    if kind == "hl7" or kind == "text" then -- the Lua readers, into NDJSON the C pipeline reads
      local e
      tmp, e = cli_cohort.read_to_ndjson(kind, input, spec, options)
      if not tmp then err("calcinosis report: ", tostring(e), "\n") return 2 end
      path, kind = tmp, "ndjson"
    end
    local acc = require("calcinosis.report.cohort").new(rs, { input = input })
    local it, e = require("calcinosis.cohort").rows(rs, path, { labs = true, delimiter = spec.delimiter,
      input_format = kind, na = spec.na, decimal_comma = spec.decimal_comma, map = spec.map,
      index_date = options.index_date, window = options.window })
    if not it then
      if tmp then os.remove(tmp) end
      err("calcinosis report: ", tostring(e), "\n")
      return 2
    end
    for r in it do acc:add(r) end
    if tmp then os.remove(tmp) end
    doc, problems = acc:document(), acc.with_problems
  else
    local patient, e = read_patient(input)
    if not patient then err("calcinosis report: ", e, "\n") return 2 end
    local result = require("calcinosis").classify(patient, rs)
    doc, problems = report.patient(result, patient), #(result.problems or {})
  end
  local status = cli.write_report("report", doc, format, opts.output)
  if status ~= 0 then return status end
  return problems > 0 and 1 or 0
end

return M
