--- The `validate` command of `calcinosis`: the classification of a cohort
-- scored against a column of reference labels (see `calcinosis.validate`).
--
--     calcinosis validate --truth COLUMN [--rules FILE ...] [--format text|csv|json] COHORT
--
-- Dependencies: calcinosis.cli, calcinosis.cli_cohort, calcinosis.core,
-- calcinosis.json, calcinosis.rules, calcinosis.validate.
-- @module calcinosis.cli_validate

local cli = require "calcinosis.cli"
local core = require "calcinosis.core"
local json = require "calcinosis.json"
local validate = require "calcinosis.validate"

local M = {}

local function out(...) io.stdout:write(...) end
local function err(...) io.stderr:write(...) end


-- the reference labels of a file, in record order
local function read_truth(path, column, kind, delim)
  local labels = {}
  if kind == "ndjson" then
    local f, e = io.open(path, "rb")
    if not f then return nil, e end
    for line in f:lines() do
      if not line:match("^%s*$") then
        local t = json.decode(line)
        local v = type(t) == "table" and t[column] or nil
        labels[#labels + 1] = v ~= nil and tostring(v) or ""
      end
    end
    f:close()
    return labels
  end
  local r, e = core.csv_open(path, delim)
  if not r then return nil, e end
  local header = r:next()
  if not header then r:close() return labels end
  local col
  for i, h in ipairs(header) do
    if h == column or h:lower():gsub("^%s+", ""):gsub("%s+$", "") == column:lower() then col = i break end
  end
  if not col then
    r:close()
    local s = require("calcinosis.util").suggest(column, header)
    return nil, ("no column '%s' in %s%s"):format(column, path, s and (" (did you mean '%s'?)"):format(s) or "")
  end
  while true do
    local fields = r:next()
    if not fields then break end
    labels[#labels + 1] = fields[col] or ""
  end
  r:close()
  return labels
end

-- the reference labels of a CSV file of labels, by its id column
local function read_labels(path, column, delim)
  local r, e = core.csv_open(path, delim)
  if not r then return nil, e end
  local header = r:next() or {}
  local col, idcol
  for i, h in ipairs(header) do
    local k = h:lower():gsub("^%s+", ""):gsub("%s+$", "")
    if h == column or k == column:lower() then col = i end
    if k == "id" then idcol = idcol or i end
  end
  if not col or not idcol then
    r:close()
    local s = not col and require("calcinosis.util").suggest(column, header)
    return nil, ("%s: no column '%s'%s"):format(path, not col and column or "id",
      s and (" (did you mean '%s'?)"):format(s) or "")
  end
  local by_id = {}
  while true do
    local fields = r:next()
    if not fields then break end
    if fields[idcol] and fields[idcol] ~= "" then by_id[fields[idcol]] = fields[col] or "" end
  end
  r:close()
  return by_id
end

-- the id, type and fired rules of each record under a ruleset (the C
-- pipeline, every input format: cli_cohort.run), and the truth column as
-- read when `truth` names one (an input column passed through)
local function classify_all(rs, path, spec, options, truth)
  local tmp = os.tmpname()
  local stats, e = require("calcinosis.cli_cohort").run { ruleset = rs, input = path, output = tmp,
    columns = { "id", "type", "fired", truth }, format = "csv", header = false, input_spec = spec,
    delimiter = spec.delimiter, options = options }
  if not stats then os.remove(tmp) return nil, e end
  local r = assert(core.csv_open(tmp, ","))
  local results = {}
  while true do
    local f = r:next()
    if not f then break end
    local fired = {}
    for x in (f[3] or ""):gmatch("[^;]+") do fired[#fired + 1] = x end
    results[#results + 1] = { id = f[1], type = f[2], fired = fired, truth = truth and (f[4] or "") or nil }
  end
  r:close()
  os.remove(tmp)
  return results, stats
end

local function pct(p) return p and ("%.3f"):format(p) or "n/a" end
local function ci(x) return x.value and ("%s [%s, %s]"):format(pct(x.value), pct(x.low), pct(x.high)) or "n/a" end

local function text_report(c, max_wrong, lists)
  local lines = {}
  local function add(...) lines[#lines + 1] = string.format(...) end
  for t, v in ipairs(c.tables) do
    local rs = lists and lists[t] and lists[t].ruleset
    add("ruleset %s: %d patients scored; left out %d without a reference label, %d with one that names no subtype",
      tostring(v.name), v.n, v.left_out.missing, v.left_out.unknown)
    if rs then add("  version %s, hash %s", tostring(rs.version), tostring(rs.hash)) end
    add("  accuracy %s (%d of %d)", ci(v.accuracy), v.correct, v.n)
    if v.kappa then
      add("  Cohen's kappa %.3f (SE %.3f) [%.3f, %.3f]", v.kappa.value, v.kappa.se, v.kappa.low, v.kappa.high)
    end
    add("  macro-F1 %s", pct(v.macro_f1))
    add("  %-14s %6s %6s %6s %6s  %-22s %-22s %-22s %-22s %6s", "label", "TP", "FP", "FN", "TN", "sensitivity",
      "specificity", "PPV", "NPV", "F1")
    for _, l in ipairs(v.labels) do
      local e = v.per_label[l]
      if e.tp + e.fp + e.fn > 0 then
        add("  %-14s %6d %6d %6d %6d  %-22s %-22s %-22s %-22s %6s", l, e.tp, e.fp, e.fn, e.tn, ci(e.sensitivity),
          ci(e.specificity), ci(e.ppv), ci(e.npv), pct(e.f1))
      end
    end
    add("  confusion (rows: reference, columns: result)")
    local head = { ("  %-14s"):format("") }
    for _, l in ipairs(v.labels) do head[#head + 1] = ("%8s"):format(l:sub(1, 8)) end
    add("%s", table.concat(head))
    for _, a in ipairs(v.labels) do
      local row = { ("  %-14s"):format(a) }
      for _, b in ipairs(v.labels) do row[#row + 1] = ("%8d"):format(v.matrix[a][b]) end
      add("%s", table.concat(row))
    end
    if #v.wrong > 0 then
      add("  wrong (%d):", #v.wrong)
      for i, w in ipairs(v.wrong) do
        if i > max_wrong then add("    ... %d more", #v.wrong - max_wrong) break end
        add("    %s: reference %s, result %s; rules %s", tostring(w.id), w.truth, w.type,
          #w.fired > 0 and table.concat(w.fired, ";") or "-")
      end
    end
    add("  counting: %s", v.counting)
    add("")
  end
  for _, m in ipairs(c.mcnemar) do
    add("McNemar %s vs %s: b = %d (only %s right), c = %d (only %s right), %s p = %.4g", tostring(m.first),
      tostring(m.second), m.b, tostring(m.first), m.c, tostring(m.second), m.method, m.p)
  end
  add("%s", cli.DISCLAIMER)
  return table.concat(lines, "\n") .. "\n"
end

local function csv_report(c)
  local lines = { "ruleset,label,tp,fp,fn,tn,sensitivity,sensitivity_low,sensitivity_high,specificity," ..
    "specificity_low,specificity_high,ppv,ppv_low,ppv_high,npv,npv_low,npv_high,f1" }
  local function n(x) return x and ("%.6g"):format(x) or "" end
  for _, v in ipairs(c.tables) do
    for _, l in ipairs(v.labels) do
      local e = v.per_label[l]
      local row = { tostring(v.name), l, e.tp, e.fp, e.fn, e.tn }
      for _, k in ipairs { "sensitivity", "specificity", "ppv", "npv" } do
        row[#row + 1] = n(e[k].value); row[#row + 1] = n(e[k].low); row[#row + 1] = n(e[k].high)
      end
      row[#row + 1] = n(e.f1)
      lines[#lines + 1] = cli.csv_row(row)
    end
    local all = { tostring(v.name), "(all)" }
    for i = 3, 19 do all[i] = "" end
    lines[#lines + 1] = cli.csv_row(all)
  end
  return table.concat(lines, "\n") .. "\n"
end

--- Runs the command.
-- @tparam table args the arguments after `validate`
-- @treturn integer exit status
function M.main(args)
  local opts, rest = cli.parse_opts(args, cli.options.validate)
  if not opts then return cli.usage_error("validate", rest) end
  if opts.help then out(cli.usage.validate) return 0 end
  if not opts.truth then return cli.usage_error("validate", "give --truth COLUMN") end
  if #rest ~= 1 then return cli.usage_error("validate", "expected one COHORT") end
  local format = opts.format or "text"
  if not ({ text = true, csv = true, json = true })[format] then
    return cli.usage_error("validate", ("--format must be text, csv or json, got '%s'"):format(format))
  end
  if opts.report and cli.check_report_format("validate", opts.report) then return 2 end
  local max_wrong = tonumber(opts["max-wrong"] or 20)
  if not max_wrong or max_wrong < 0 then return cli.usage_error("validate", "--max-wrong must be a number") end
  local delim = opts.delimiter or ","
  if delim == "tab" then delim = "\t" end
  if #delim ~= 1 then return cli.usage_error("validate", "bad --delimiter") end
  local path = rest[1]
  local fkind = path and core.file_kind(path)
  if fkind and fkind ~= "regular" and fkind ~= "directory" then -- a FIFO or a device could be read only once
    err("calcinosis validate: ", path, ": not a regular file (", fkind,
      "); validate reads its input more than once: save it to a file first\n")
    return 2
  end
  local f = io.open(path, "rb")
  if not f then err("calcinosis validate: ", path, ": cannot open\n") return 2 end
  f:close()
  for _, o in ipairs { { "index-date", core.date }, { "window", core.window } } do
    if opts[o[1]] and not o[2](opts[o[1]]) then
      return cli.usage_error("validate", "--" .. o[1] .. ": " .. select(2, o[2](opts[o[1]])))
    end
  end
  -- the content decides the format; what is not a cohort is refused (exit 2)
  local spec, scode = require("calcinosis.cli_cohort").input_spec("validate", opts, path)
  if not spec then return scode end
  delim = spec.delimiter or delim
  local kind = spec.kind
  if kind == "json" then kind = "ndjson" end
  spec.kind = kind
  -- the reference labels: a labels file by id, the CSV or NDJSON column read here, or (long
  -- format, ARFF) the column as the C reader passes it through
  local truth, passed
  if opts.labels then
    local terr
    truth, terr = read_labels(opts.labels, opts.truth, delim == "\t" and "\t" or ",")
    if not truth then err("calcinosis validate: ", terr, "\n") return 2 end
  elseif kind == "csv" or kind == "ndjson" then
    local terr
    truth, terr = read_truth(path, opts.truth, kind, delim)
    if not truth then err("calcinosis validate: ", terr, "\n") return 2 end
  elseif kind == "long" or kind == "arff" then
    passed = opts.truth
  else
    err(("calcinosis validate: %s: %s input has no column of reference labels: give them with --labels FILE " ..
      "(a CSV with an 'id' column and the --truth column)\n"):format(path, kind == "fhir" and "FHIR"
      or kind == "hl7" and "HL7 v2" or "lab text"))
    return 2
  end
  local options = { index_date = opts["index-date"], window = opts.window }
  local rules = require "calcinosis.rules"
  local lists, problems = {}, 0
  for i, rpath in ipairs(opts.rules or { "default" }) do
    local rs, e
    if rpath == "default" then rs, e = rules.default()
    else rs, e = rules.load(rpath, { trusted = opts.trusted }) end
    if not rs then err("calcinosis validate: ", tostring(e), "\n") return 2 end
    cli.print_warnings("validate", rpath, rs, opts["no-warnings"])
    local results, stats = classify_all(rs, path, spec, options, passed)
    if not results then err("calcinosis validate: ", tostring(stats), "\n") return 2 end
    problems = problems + stats.with_problems
    local name = rs.name
    for j = 1, i - 1 do if lists[j].name == name then name = name .. "#" .. i end end
    lists[i] = { name = name, results = results, ruleset = rs }
  end
  if passed then
    truth = {}
    for k, r in ipairs(lists[1].results) do truth[k] = r.truth end
  end
  local c = validate.compare(lists, truth, {})
  if opts.report then
    local info = {}
    for i, l in ipairs(lists) do info[i] = { name = l.name, version = l.ruleset.version, hash = l.ruleset.hash } end
    local doc = require("calcinosis.report").validation(c, info, { input = path, truth = opts.truth,
      max_wrong = opts["max-wrong"] and max_wrong or nil })
    local status = cli.write_report("validate", doc, opts.report, opts.output)
    if status ~= 0 then return status end
    return problems > 0 and 1 or 0
  end
  local o = io.stdout
  if opts.output and opts.output ~= "-" then
    local e
    o, e = io.open(opts.output, "wb")
    if not o then err("calcinosis validate: ", e, "\n") return 2 end
  end
  local text
  if format == "text" then text = text_report(c, max_wrong, lists)
  elseif format == "csv" then text = csv_report(c)
  else
    local doc = { rulesets = {}, mcnemar = c.mcnemar, disclaimer = cli.DISCLAIMER }
    doc.mcnemar = setmetatable(c.mcnemar or {}, json.array)
    for i, v in ipairs(c.tables) do
      v._pairs = nil
      -- empty lists are JSON arrays (docs/schema/validate.schema.json)
      setmetatable(v.wrong, json.array)
      setmetatable(v.labels, json.array)
      for _, w in ipairs(v.wrong) do setmetatable(w.fired, json.array) end
      v.ruleset = { name = lists[i].ruleset.name, version = lists[i].ruleset.version, hash = lists[i].ruleset.hash }
      doc.rulesets[i] = v
    end
    text = json.encode(doc, { indent = "  " }) .. "\n"
  end
  if o == io.stdout then -- cli.main checks standard output, for every command
    o:write(text)
  else
    local ok, werr = o:write(text)
    if ok then ok, werr = o:close() end
    if not ok then err("calcinosis validate: ", tostring(opts.output), ": ", tostring(werr), "\n") return 2 end
  end
  return problems > 0 and 1 or 0
end

return M
