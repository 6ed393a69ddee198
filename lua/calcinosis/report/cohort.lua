--- The cohort report layout: subtype counts (table and bar chart); how often
-- each rule fired and was not evaluable, and for lack of which input; lab
-- distributions by subtype against the reference band (box and strip
-- plots); data completeness per input; alerts and confidence levels; the
-- records with problems.
--
-- Built streaming from results shaped as `ruleset:classify` returns them
-- with their lab table (`calcinosis.cohort.rows(ruleset, path, { labs =
-- true })`): `new` makes an accumulator, `add` takes one result and keeps
-- only counts, the lab values the plots draw (at most `max_values` per
-- analyte and subtype: a deterministic reservoir sample beyond that, which
-- the caption states) and the first `max_problems` records with problems.
--
-- A template: copy it and change `M.sections` or a section. No state is
-- kept outside an accumulator.
--
-- Dependencies: calcinosis.cohort, calcinosis.core, calcinosis.report.document,
-- calcinosis.report.patient.
-- @module calcinosis.report.cohort

local D = require "calcinosis.report.document"
local patient = require "calcinosis.report.patient"

local M = {}

local num = D.num

local function pct(k, n) return n > 0 and ("%.1f%%"):format(100 * k / n) or "" end

local Acc = {}
Acc.__index = Acc

--- A new accumulator.
-- @tparam Ruleset ruleset the ruleset the results come from
-- @tparam[opt] table opts `max_values` (default 5000), `max_problems` (default 200), `input` (the file name, for the title)
-- @treturn table accumulator (`:add(result)`, `:document()`)
function M.new(ruleset, opts)
  opts = opts or {}
  local c = ruleset.compiled
  local labels = {}
  for _, s in ipairs(c.subtypes) do labels[#labels + 1] = s end
  labels[#labels + 1] = c.label
  local rules = {}
  for i, r in ipairs(c.rules) do rules[i] = { id = r.id, subtype = r.supports, fired = 0, unevaluable = 0, inputs = {} } end
  local by_id = {}
  for _, r in ipairs(rules) do by_id[r.id] = r end
  return setmetatable({
    ruleset = ruleset, input = opts.input, labels = labels, n = 0, counts = {}, rules = rules, by_id = by_id,
    max_values = opts.max_values or 5000, max_problems = opts.max_problems or 200,
    values = {}, seen = {}, ranges = {}, present = {}, with_problems = 0, problems = {},
    alerts = {}, levels = {}, rng = 12345, labs_seen = false,
  }, Acc)
end

local INPUTS = { "age", "sex", "findings", "sites" }

--- Adds one result.
-- @tparam table r a result (with `labs` for the lab sections)
function Acc:add(r)
  self.n = self.n + 1
  local t = r.type
  self.counts[t] = (self.counts[t] or 0) + 1
  for _, f in ipairs(r.fired or {}) do
    local e = self.by_id[f.id]
    if e then e.fired = e.fired + 1 end
  end
  for _, x in ipairs(r.not_evaluable or {}) do
    local e = self.by_id[x.id]
    if e then
      e.unevaluable = e.unevaluable + 1
      for _, m in ipairs(x.missing or {}) do e.inputs[m] = (e.inputs[m] or 0) + 1 end
    end
  end
  for _, a in ipairs(r.alerts or {}) do self.alerts[a.id] = (self.alerts[a.id] or 0) + 1 end
  local level = r.confidence and r.confidence.level or "n/a"
  self.levels[level] = (self.levels[level] or 0) + 1
  local labs = r.labs
  if type(labs) == "table" then
    self.labs_seen = true
    local age = labs.age
    if type(age) == "table" and age.value ~= nil then self.present.age = (self.present.age or 0) + 1 end
    if labs.sex and labs.sex ~= "" then self.present.sex = (self.present.sex or 0) + 1 end
    for _, name in ipairs(patient.lab_names()) do
      local e = labs[name]
      if type(e) == "table" and (e.value ~= nil or e.qualitative) then
        self.present[name] = (self.present[name] or 0) + 1
        if type(e.value) == "number" and name ~= "ckd_stage" then self:_value(name, t, e) end
      end
    end
  end
  if r.findings and #r.findings > 0 then self.present.findings = (self.present.findings or 0) + 1 end
  if r.sites and #r.sites > 0 then self.present.sites = (self.present.sites or 0) + 1 end
  if r.problems and #r.problems > 0 then
    self.with_problems = self.with_problems + 1
    if #self.problems < self.max_problems then
      local p = {}
      for i, s in ipairs(r.problems) do p[i] = s end
      self.problems[#self.problems + 1] = { id = tostring(r.id or ""), line = r.line, type = t, problems = p }
    end
  end
end

function Acc:_value(name, t, e)
  local key = name .. "\0" .. t
  local list = self.values[key]
  if not list then list = {}; self.values[key] = list end
  local seen = (self.seen[key] or 0) + 1
  self.seen[key] = seen
  if #list < self.max_values then list[#list + 1] = e.value
  else
    -- reservoir sampling with a fixed linear congruential generator: the same sample every run
    self.rng = (self.rng * 1103515245 + 12345) % 2147483648
    local j = self.rng % seen + 1
    if j <= self.max_values then list[j] = e.value end
  end
  self.units = self.units or {}
  self.units[name] = self.units[name] or e.unit
  if e.range and (e.range.low or e.range.high) then
    local rk = ("%s|%s|%s"):format(tostring(e.range.low), tostring(e.range.high), tostring(e.range.unit))
    local rr = self.ranges[name]
    if not rr then rr = {}; self.ranges[name] = rr end
    local x = rr[rk]
    if not x then x = { low = e.range.low, high = e.range.high, unit = e.range.unit, source = e.range.source, n = 0 }; rr[rk] = x end
    x.n = x.n + 1
  end
end

local S = {}

function S.counts(a)
  local rows, cats, vals = {}, {}, {}
  for _, l in ipairs(a.labels) do
    local k = a.counts[l] or 0
    rows[#rows + 1] = { l, k, pct(k, a.n) }
    cats[#cats + 1] = l
    vals[#vals + 1] = k
  end
  local extra = {} -- labels the ruleset does not list, in sorted order
  for l in pairs(a.counts) do
    local known = false
    for _, x in ipairs(a.labels) do if x == l then known = true end end
    if not known then extra[#extra + 1] = l end
  end
  table.sort(extra)
  for _, l in ipairs(extra) do
    local k = a.counts[l]
    rows[#rows + 1] = { l, k, pct(k, a.n) }; cats[#cats + 1] = l; vals[#vals + 1] = k
  end
  return D.section("Subtype counts", {
    D.para(("%d records classified; %d with problems in their data."):format(a.n, a.with_problems)),
    D.table("Records by type", { "type", "records", "share" }, rows, { "l", "r", "r" }),
    D.figure("subtype-counts", "Records by type", { kind = "bar", title = "Records by type", categories = cats,
      series = { { name = "records", values = vals } }, y_title = "records",
      description = ("bar chart of %d records by type"):format(a.n) }),
  })
end

function S.rules(a)
  local rows = {}
  for _, r in ipairs(a.rules) do
    local ins = {}
    for k, v in pairs(r.inputs) do ins[#ins + 1] = { k, v } end
    table.sort(ins, function(x, y) if x[2] ~= y[2] then return x[2] > y[2] end return x[1] < y[1] end)
    local txt = {}
    for i, x in ipairs(ins) do txt[i] = ("%s %d"):format(x[1], x[2]) end
    rows[#rows + 1] = { r.id, r.subtype, r.fired, pct(r.fired, a.n), r.unevaluable, pct(r.unevaluable, a.n),
      table.concat(txt, ", ") }
  end
  return D.section("Rules: fired and not evaluable", {
    D.table("How often each rule fired and could not be evaluated, and the inputs it lacked (records)",
      { "rule", "supports", "fired", "fired %", "not evaluable", "not evaluable %", "missing inputs" }, rows,
      { "l", "l", "r", "r", "r", "r", "l" }),
  })
end

function S.labs(a)
  if not a.labs_seen then
    return D.section("Lab distributions by subtype", { D.para("The results carry no lab tables.") })
  end
  local b = {}
  for _, name in ipairs(patient.lab_names()) do
    if name ~= "ckd_stage" then
      local groups, total, shown, rows = {}, 0, 0, {}
      for _, l in ipairs(a.labels) do
        local key = name .. "\0" .. l
        local list = a.values[key]
        if list and #list > 0 then
          groups[#groups + 1] = { name = l, values = list }
          total = total + a.seen[key]
          shown = shown + #list
          local s = {}
          for i, v in ipairs(list) do s[i] = v end
          table.sort(s)
          local q = require("calcinosis.report.svg").quantile
          rows[#rows + 1] = { l, a.seen[key], num(q(s, 0.5)), num(q(s, 0.25)) .. "-" .. num(q(s, 0.75)),
            num(s[1]) .. "-" .. num(s[#s]) }
        end
      end
      if #groups > 0 then
        local band, best = nil, nil
        for _, x in pairs(a.ranges[name] or {}) do
          if not best or x.n > best.n or (x.n == best.n and tostring(x.low) < tostring(best.low)) then best = x end
        end
        if best then band = { low = best.low, high = best.high } end
        local unit = a.units and a.units[name] or ""
        local caption = ("%s (%s) by type; band: the reference range %s of %d of %d records with a range%s%s"):format(
          name, unit, best and patient.range_text(best) or "(none)", best and best.n or 0, total,
          shown < total and ("; drawn from a sample of %d of %d values"):format(shown, total) or "",
          shown > 400 and "; dots: at most 400 per type" or "")
        b[#b + 1] = D.section(name, {
          D.table(("%s (%s) by type"):format(name, unit), { "type", "records", "median", "quartiles", "range" }, rows,
            { "l", "r", "r", "r", "r" }),
          D.figure("dist-" .. name, caption, { kind = "box", title = name .. " by type", groups = groups, band = band,
            unit = unit, description = caption }),
        }, "dist-" .. name)
      end
    end
  end
  if #b == 0 then b[1] = D.para("No numeric lab value in the cohort.") end
  return D.section("Lab distributions by subtype", b)
end

function S.completeness(a)
  local rows = {}
  local names = {}
  for _, n in ipairs(INPUTS) do names[#names + 1] = n end
  for _, n in ipairs(patient.lab_names()) do names[#names + 1] = n end
  for _, n in ipairs(names) do
    local k = a.present[n] or 0
    rows[#rows + 1] = { n, k, a.n - k, pct(k, a.n) }
  end
  return D.section("Data completeness", {
    D.table("Records with each input (labs: given, or derived from what was given)",
      { "input", "present", "absent", "present %" }, rows, { "l", "r", "r", "r" }),
  })
end

function S.alerts(a)
  local rows = {}
  for id, k in pairs(a.alerts) do rows[#rows + 1] = { id, k, pct(k, a.n) } end
  table.sort(rows, function(x, y) return x[1] < y[1] end)
  local lv = {}
  for _, l in ipairs { "high", "moderate", "low", "n/a" } do
    if a.levels[l] then lv[#lv + 1] = { l, a.levels[l], pct(a.levels[l], a.n) } end
  end
  return D.section("Alerts and confidence", {
    D.table("Alerts raised", { "alert", "records", "share" }, rows, { "l", "r", "r" }),
    D.table("Confidence levels", { "level", "records", "share" }, lv, { "l", "r", "r" }),
  })
end

function S.problems(a)
  local rows = {}
  for _, p in ipairs(a.problems) do
    rows[#rows + 1] = { p.id, p.line and tostring(p.line) or "", p.type, table.concat(p.problems, "; ") }
  end
  local b = { D.table(("Records with problems (%d)"):format(a.with_problems), { "id", "line", "type", "problems" }, rows) }
  if a.with_problems > #a.problems then
    b[#b + 1] = D.para(("... and %d more records with problems (the cohort output's problems column lists them all)."):format(
      a.with_problems - #a.problems))
  end
  return D.section("Records with problems", b)
end

function S.ruleset(a)
  local rs = a.ruleset
  return D.section("Ruleset", { D.table("The ruleset", { "name", "version", "hash" },
    { { tostring(rs.name), tostring(rs.version), tostring(rs.hash) } }) })
end

--- The section builders by name (each takes the accumulator).
M.builders = S

--- The sections, in order.
M.sections = { "counts", "rules", "labs", "completeness", "alerts", "problems", "ruleset" }

--- The cohort report document of what was added.
-- @tparam[opt] table opts `sections`, `title`
-- @treturn table document
function Acc:document(opts)
  opts = opts or {}
  local blocks = {}
  for _, name in ipairs(opts.sections or M.sections) do
    local f = S[name] or error(("unknown cohort report section '%s'"):format(tostring(name)), 2)
    blocks[#blocks + 1] = f(self)
  end
  local rs = self.ruleset
  return D.document("cohort", opts.title or ("Cohort report: " .. tostring(self.input or "cohort")), blocks, {
    subtitle = ("%d records classified with %s %s (hash %s)"):format(self.n, tostring(rs.name), tostring(rs.version),
      tostring(rs.hash)),
    disclaimer = require("calcinosis.report.patient").DISCLAIMER,
    ruleset = { name = tostring(rs.name), version = tostring(rs.version), hash = tostring(rs.hash) },
    records = self.n,
  })
end

--- The cohort report of a file, classified in C one record at a time
-- (`calcinosis.cohort.rows` with the lab tables).
-- @tparam Ruleset ruleset
-- @tparam string path
-- @tparam[opt] table opts `rows` (options for `cohort.rows`), and those of `new` and `document`
-- @treturn table|nil document
-- @treturn[2] string message
function M.from_file(ruleset, path, opts)
  opts = opts or {}
  local ro = { labs = true }
  for k, v in pairs(opts.rows or {}) do ro[k] = v end
  local it, err = require("calcinosis.cohort").rows(ruleset, path, ro)
  if not it then return nil, err end
  local acc = M.new(ruleset, { input = opts.input or path, max_values = opts.max_values, max_problems = opts.max_problems })
  for r in it do acc:add(r) end
  return acc:document(opts)
end

return M
