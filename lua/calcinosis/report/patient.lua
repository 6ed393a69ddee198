--- The patient report layout: a document (`calcinosis.report.document`)
-- built from one result of `calcinosis.classify` (everything in it was
-- decided by the C engine and the ruleset; this file only arranges it).
--
-- Order: the result (type, confidence, alternatives, alerts); the problems
-- in the data; the evidence (each fired rule's sentence with the values
-- that made it fire and its source); what was not evaluable and what is
-- missing; the lab table with units, reference ranges and flags, and a
-- chart of each value against its reference band; work-up, referrals,
-- treatment options, prognosis; the ruleset; the references in full; the
-- research-tool statement.
--
-- This is a template: copy the file, change `M.sections` (the order, or
-- leave sections out) or a section function, and call your copy's
-- `document`. It keeps no state.
--
-- Dependencies: calcinosis.core, calcinosis.report.document, calcinosis.sources.
-- @module calcinosis.report.patient

local D = require "calcinosis.report.document"

local M = {}

local num = D.num

local function srcs(list)
  if type(list) == "string" then return list end
  if type(list) ~= "table" then return "" end
  return table.concat(list, " ")
end

local function with_srcs(text, list)
  local s = srcs(list)
  return s ~= "" and (text .. " [" .. s .. "]") or text
end

--- The text of a value in a result (`name value unit (flag)`).
-- @tparam table v a value of `fired[i].values` or of `labs`
-- @treturn string
function M.value_text(v)
  local s = v.value ~= nil and num(v.value) or (v.qualitative and ('"' .. v.qualitative .. '"') or "-")
  if v.unit and v.unit ~= "" and v.value ~= nil then s = s .. " " .. v.unit end
  if v.flag then s = s .. " (" .. v.flag:gsub("_", " ") .. ")" end
  return s
end

--- The text of a reference range (`low-high unit`).
-- @tparam table|nil r
-- @treturn string
function M.range_text(r)
  if not r then return "" end
  local s
  if r.low and r.high then s = num(r.low) .. "-" .. num(r.high)
  elseif r.low then s = ">= " .. num(r.low)
  elseif r.high then s = "<= " .. num(r.high)
  else return "" end
  return s .. (r.unit and r.unit ~= "" and (" " .. r.unit) or "")
end

-- the analytes in the core's order, then the derived values the lab table shows
local function lab_names()
  local names = {}
  for _, a in ipairs(require("calcinosis.core").analytes()) do names[#names + 1] = a end
  names[#names + 1] = "ckd_stage"
  return names
end
--- The names the lab table lists, in order (the core's analytes, then ckd_stage).
-- @function lab_names
M.lab_names = lab_names

local S = {}

function S.result(r)
  local c = r.confidence or {}
  local b = {
    D.para(("Type: %s (score %s); confidence %s%s"):format(tostring(r.type), num(r.score or 0), c.level or "n/a",
      c.value and (" (" .. ("%.2f"):format(c.value) .. ")") or ""), "lead"),
  }
  if c.explanation then b[#b + 1] = D.para("Confidence: " .. c.explanation) end
  for _, a in ipairs(r.alerts or {}) do
    b[#b + 1] = D.para(with_srcs(("Alert (%s): %s"):format(a.severity or "alert", a.text), a.sources), "alert")
  end
  local alts = {}
  for _, a in ipairs(r.alternatives or {}) do alts[#alts + 1] = { a.type, a.reason or "", srcs(a.sources) } end
  if #alts > 0 then
    b[#b + 1] = D.table("Alternatives (the literature disagrees or the data cannot rule them out)",
      { "alternative", "reason", "sources" }, alts)
  else
    b[#b + 1] = D.para("No alternative subtype is listed.")
  end
  local scores = {}
  for k, v in pairs(r.scores or {}) do if v ~= 0 then scores[#scores + 1] = { k, v } end end
  table.sort(scores, function(x, y) if x[2] ~= y[2] then return x[2] > y[2] end return x[1] < y[1] end)
  if #scores > 0 then
    local rows = {}
    for i, s in ipairs(scores) do rows[i] = { s[1], num(s[2]) } end
    b[#b + 1] = D.table("Scores by subtype", { "subtype", "score" }, rows, { "l", "r" })
  end
  return D.section("Result", b)
end

function S.problems(r)
  local b = {}
  for _, p in ipairs(r.problems or {}) do b[#b + 1] = D.para(p, "problem") end
  for _, n in ipairs(r.notes or {}) do b[#b + 1] = D.para("Note: " .. n, "note") end
  if #b == 0 then b[1] = D.para("No problems were found in the data.") end
  return D.section("Problems in the data", b)
end

function S.evidence(r)
  local rows = {}
  for _, f in ipairs(r.fired or {}) do
    local vals = {}
    for _, v in ipairs(f.values or {}) do vals[#vals + 1] = v.name .. " " .. M.value_text(v) end
    rows[#rows + 1] = { f.id, f.subtype, ("%+g"):format(f.weight), f.sentence or f.because or "",
      table.concat(f.why or {}, "; "), table.concat(vals, "; "), srcs(f.source) }
  end
  local b = { D.table("Rules that fired", { "rule", "supports", "weight", "sentence", "why it fired", "values",
    "source" }, rows) }
  return D.section("Evidence", b)
end

function S.missing(r)
  local rows = {}
  for _, n in ipairs(r.not_evaluable or {}) do
    rows[#rows + 1] = { n.id, n.subtype, table.concat(n.missing or {}, ", ") }
  end
  local b = { D.table("Rules that could not be evaluated", { "rule", "supports", "missing inputs" }, rows) }
  local asks = {}
  for _, m in ipairs(r.missing or {}) do
    asks[#asks + 1] = { m.input, m.text, m.could_change or "", srcs(m.sources) }
  end
  b[#b + 1] = D.table("Missing inputs, most useful first", { "input", "why it matters", "could change the type to",
    "sources" }, asks)
  return D.section("Not evaluable and missing", b)
end

function S.labs(r)
  local labs = r.labs
  if type(labs) ~= "table" then return D.section("Laboratory values", { D.para("No lab table in this result.") }) end
  local rows, figs = {}, {}
  for _, name in ipairs(lab_names()) do
    local e = labs[name]
    if type(e) == "table" and (e.value ~= nil or e.qualitative) then
      local value = name == "ckd_stage" and tostring(e.value) or
        (e.value ~= nil and num(e.value) or ('"' .. e.qualitative .. '"'))
      local how = e.method or e.rule or (e.given and ("given as " .. e.given)) or ""
      rows[#rows + 1] = { name, value, name == "ckd_stage" and "" or (e.unit or ""), M.range_text(e.range),
        e.flag and e.flag:gsub("_", " ") or "", how, e.range and e.range.source or "" }
      if type(e.value) == "number" and e.range and (e.range.low or e.range.high) then
        figs[#figs + 1] = D.figure("lab-" .. name, ("%s %s %s against its reference range %s"):format(name,
          num(e.value), e.unit or "", M.range_text(e.range)),
          { kind = "range_band", title = name, label = name, value = e.value, low = e.range.low, high = e.range.high,
            unit = e.unit, flag = e.flag,
            description = ("%s %s %s, flag %s; reference %s"):format(name, num(e.value), e.unit or "", e.flag or "none",
              M.range_text(e.range)) })
      end
    end
  end
  local b = { D.table("Lab values in canonical units, with reference ranges and flags",
    { "analyte", "value", "unit", "reference range", "flag", "method or as given", "range source" }, rows,
    { "l", "r", "l", "l", "l", "l", "l" }) }
  for _, f in ipairs(figs) do b[#b + 1] = f end
  return D.section("Laboratory values", b)
end

function S.workup(r)
  local b = {}
  if r.workup then
    local rows = {}
    for _, w in ipairs(r.workup) do rows[#rows + 1] = { w.test, w.reason or "", srcs(w.sources) } end
    b[#b + 1] = D.section("Work-up", { D.table("Work-up suggested in the literature", { "test", "reason", "sources" }, rows) })
  end
  if r.referrals then
    local rows = {}
    for _, x in ipairs(r.referrals) do rows[#rows + 1] = { x.specialty, x.reason or "", srcs(x.sources) } end
    b[#b + 1] = D.section("Referrals", { D.table("Referrals", { "specialty", "reason", "sources" }, rows) })
  end
  if r.treatments then
    local tb = {}
    if r.treatment_note then tb[#tb + 1] = D.para(with_srcs(r.treatment_note, r.treatment_sources), "note") end
    local rows = {}
    for _, t in ipairs(r.treatments) do
      local cautions, regimen = {}, {}
      for _, c in ipairs(t.cautions or {}) do cautions[#cautions + 1] = with_srcs(c.text, c.sources) end
      for _, g in ipairs(t.regimen or {}) do regimen[#regimen + 1] = with_srcs(g.text, g.sources) end
      if t.not_indicated_yet then cautions[#cautions + 1] = t.not_indicated_yet end
      rows[#rows + 1] = { t.name, t.status or "option", t.indication or "", table.concat(cautions, "; "),
        table.concat(regimen, "; "), t.evidence or "" }
    end
    tb[#tb + 1] = D.table("Treatment options reported in the literature, with indications and cautions",
      { "option", "status", "indication", "cautions", "regimen as printed", "evidence" }, rows)
    b[#b + 1] = D.section("Treatment options", tb)
  end
  if r.prognosis then
    local items = {}
    for _, p in ipairs(r.prognosis) do items[#items + 1] = with_srcs(p.text, p.sources) end
    b[#b + 1] = D.section("Prognosis", { D.list(items) })
  end
  if #b == 0 then return nil end
  return D.section("Work-up, referrals, treatment and prognosis", b)
end

function S.ruleset(r)
  return D.section("Ruleset", { D.table("The ruleset that produced this result", { "name", "version", "hash" },
    { { tostring(r.name), tostring(r.version), tostring(r.hash) } }) })
end

function S.references(r)
  local items = {}
  for _, e in ipairs(r.references or {}) do
    items[#items + 1] = { key = e.key, text = e.citation or require("calcinosis.sources").format(e, "text") }
  end
  if #items == 0 then return D.section("References", { D.para("No source is cited by this result.") }) end
  return D.section("References", { D.citations(items) })
end

function S.statement(r)
  return D.section("Research tool statement", { D.para(r.disclaimer or M.DISCLAIMER, "statement") })
end

--- The research-tool statement used when a result carries none.
M.DISCLAIMER = "Research tool, not a diagnosis: results are literature-based suggestions for a clinician to review."

--- The section builders by name (each takes the result and returns a section or nil).
M.builders = S

--- The sections, in order.
M.sections = { "result", "problems", "evidence", "missing", "labs", "workup", "ruleset", "references", "statement" }

--- The patient report document.
-- @tparam table result from `calcinosis.classify` (with the knowledge fields)
-- @tparam[opt] table patient the record (its `id` and `title`)
-- @tparam[opt] table opts `sections` (names, in order; default `M.sections`)
-- @treturn table document
function M.document(result, patient, opts)
  opts = opts or {}
  patient = patient or {}
  local blocks = {}
  for _, name in ipairs(opts.sections or M.sections) do
    local f = S[name] or error(("unknown patient report section '%s'"):format(tostring(name)), 2)
    local s = f(result)
    if s then blocks[#blocks + 1] = s end
  end
  local id = result.id or patient.id
  if id == nil or id == "" then id = "patient" end
  return D.document("patient", "Patient report: " .. tostring(id), blocks, {
    subtitle = patient.title,
    disclaimer = result.disclaimer or M.DISCLAIMER,
    ruleset = { name = tostring(result.name), version = tostring(result.version), hash = tostring(result.hash) },
    type = result.type,
  })
end

return M
