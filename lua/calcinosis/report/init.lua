--- Readable text of a classification result (from `calcinosis.classify`):
-- alerts first, then the type and confidence, why (the rules that fired,
-- with the actual values), alternatives, missing inputs, work-up, referrals,
-- treatment options reported in the literature, prognosis, problems, the
-- ruleset and the disclaimer. Plain text wrapped at 80 columns.
--
-- Reports as documents (`calcinosis.report.document`) rendered as text,
-- Markdown, HTML, JSON or LaTeX tables: `patient`, `cohort`, `comparison`,
-- `sweep`, `validation` build them (layouts in `calcinosis.report.patient`,
-- `.cohort`, `.comparison`, `.sweep`, `.validation`, each a template to
-- copy); `render` and `write` turn them into files; charts are
-- `calcinosis.report.svg`.
--
-- Dependencies: calcinosis.report.* (document, svg, the renderers and layouts), calcinosis.cohort.
-- @module calcinosis.report

local M = {}

local RENDERERS = { text = "calcinosis.report.text", md = "calcinosis.report.markdown",
  html = "calcinosis.report.html", json = "calcinosis.report.json", latex = "calcinosis.report.latex" }

--- The output formats: text, md (Markdown with SVG files), html, json, latex (booktabs tables).
M.formats = { "text", "md", "html", "json", "latex" }

--- Renders a report document.
-- @tparam table doc
-- @tparam string format one of `M.formats`
-- @tparam[opt] table opts for the renderer (text: `color`, `width`; md:
--   `figures`, `figure_prefix`; html: `css`, `fragment`)
-- @treturn string the report
-- @treturn {table,...} files to write beside it (`{ name, content }`; Markdown figures)
function M.render(doc, format, opts)
  local mod = RENDERERS[format]
  if not mod then error(("unknown report format '%s' (text, md, html, json or latex)"):format(tostring(format)), 2) end
  local text, files = require(mod).render(doc, opts)
  return text, files or {}
end

--- Writes a report document to `path` (the Markdown figures beside it, named
-- after it), or to standard output when `path` is nil or "-" (Markdown then
-- without figures).
-- @tparam table doc
-- @tparam string format
-- @tparam[opt] string path
-- @tparam[opt] table opts as `render`
-- @treturn[1] true
-- @treturn[2] nil
-- @treturn[2] string message naming the file
function M.write(doc, format, path, opts)
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  local to_stdout = path == nil or path == "-"
  local dir = ""
  if format == "md" then
    if to_stdout then o.figures = false
    else
      dir = path:match("^(.*/)") or ""
      o.figure_prefix = o.figure_prefix or (path:match("([^/]*)$"):gsub("%.[^.]*$", ""))
    end
  end
  local text, files = M.render(doc, format, o)
  if to_stdout then
    io.stdout:write(text)
    return true
  end
  local function put(name, content)
    local f, e = io.open(name, "wb")
    if not f then return nil, e end
    local ok, werr = f:write(content)
    if ok then ok, werr = f:close() else f:close() end
    if not ok then return nil, name .. ": " .. tostring(werr) end
    return true
  end
  local ok, e = put(path, text)
  if not ok then return nil, e end
  for _, file in ipairs(files) do
    ok, e = put(dir .. file.name, file.content)
    if not ok then return nil, e end
  end
  return true
end

--- The patient report document (`calcinosis.report.patient`).
-- @tparam table result from `calcinosis.classify`
-- @tparam[opt] table patient the record
-- @tparam[opt] table opts `sections`
-- @treturn table document
function M.patient(result, patient, opts)
  return require("calcinosis.report.patient").document(result, patient, opts)
end

--- The cohort report document of a file (`calcinosis.report.cohort`).
-- @tparam Ruleset ruleset
-- @tparam string path
-- @tparam[opt] table opts
-- @treturn table|nil document
-- @treturn[2] string message
function M.cohort(ruleset, path, opts)
  return require("calcinosis.report.cohort").from_file(ruleset, path, opts)
end

--- The comparison report document (`calcinosis.report.comparison`).
-- @tparam table c from `calcinosis.compare.compare_rows`
-- @tparam {table,...} rulesets
-- @tparam[opt] table opts
-- @treturn table document
function M.comparison(c, rulesets, opts)
  return require("calcinosis.report.comparison").document(c, rulesets, opts)
end

--- The sweep report document (`calcinosis.report.sweep`).
-- @tparam table s the sweep's counts
-- @tparam[opt] table opts
-- @treturn table document
function M.sweep(s, opts)
  return require("calcinosis.report.sweep").document(s, opts)
end

--- The validation report document (`calcinosis.report.validation`).
-- @tparam table c from `calcinosis.validate.compare`
-- @tparam[opt] {table,...} rulesets
-- @tparam[opt] table opts
-- @treturn table document
function M.validation(c, rulesets, opts)
  return require("calcinosis.report.validation").document(c, rulesets, opts)
end


local DISCLAIMER = "Research tool, not a diagnosis: results are literature-based suggestions for a clinician " ..
  "to review."

local function fmt(v)
  if type(v) ~= "number" then return tostring(v) end
  if v == math.floor(v) and math.abs(v) < 1e15 then return ("%d"):format(v) end
  return (("%.4g"):format(v))
end

--- Wraps `text` at `width` columns (`calcinosis.report.text.wrap`).
-- @function wrap
M.wrap = require("calcinosis.report.text").wrap

local function srcs(list)
  if type(list) == "string" then return " [" .. list .. "]" end
  if type(list) ~= "table" or #list == 0 then return "" end
  return " [" .. table.concat(list, " ") .. "]"
end

local function value_text(v)
  local s = v.name .. " "
  if v.value ~= nil then
    s = s .. fmt(v.value) .. (v.unit and (" " .. v.unit) or "")
  elseif v.qualitative then
    s = s .. "\"" .. v.qualitative .. "\""
  end
  local extra = {}
  if v.flag then extra[#extra + 1] = v.flag:gsub("_", " ") end
  if v.range and (v.range.low or v.range.high) then
    extra[#extra + 1] = ("range %s-%s %s"):format(v.range.low and fmt(v.range.low) or "",
      v.range.high and fmt(v.range.high) or "", v.range.unit or "")
  end
  if v.given and v.value ~= nil and v.unit and v.given ~= (fmt(v.value) .. " " .. v.unit) and v.name ~= "age" then
    extra[#extra + 1] = "given " .. v.given
  end
  if #extra > 0 then s = s .. " (" .. table.concat(extra, "; ") .. ")" end
  return s
end

local function title_of(patient)
  patient = patient or {}
  local who = patient.id and tostring(patient.id) or "patient"
  if patient.title then who = who .. " - " .. patient.title end
  return who
end

--- One-line summary: type, confidence and alternatives.
-- @tparam table result
-- @treturn string
function M.line(result)
  local alts = {}
  for _, a in ipairs(result.alternatives or {}) do alts[#alts + 1] = a.type end
  local c = result.confidence or {}
  return ("%s (confidence %s%s)%s"):format(result.type, c.level or "?",
    c.value and (", " .. fmt(c.value)) or "",
    #alts > 0 and ("; alternatives: " .. table.concat(alts, ", ")) or "")
end

--- The readable result.
-- @tparam table result from `calcinosis.classify` (a plain
--   `Ruleset:classify` result works too: missing sections are left out)
-- @tparam[opt] table patient the record (for its id and title)
-- @treturn string text ending with a newline
function M.text(result, patient)
  local out = {}
  local function add(s) out[#out + 1] = s end
  local function section(name, items, render)
    if type(items) ~= "table" or #items == 0 then return end
    add(name)
    for _, it in ipairs(items) do render(it) end
  end

  add(M.wrap(title_of(patient), "", "  "))
  section("ALERTS", result.alerts, function(a)
    add(M.wrap(("[%s] %s%s"):format((a.severity or "alert"):upper(), a.text, srcs(a.sources)), "  ", "    "))
  end)
  add(M.wrap("Result: " .. M.line(result), "", "  "))
  if result.confidence and result.confidence.explanation then
    add(M.wrap("Confidence: " .. result.confidence.explanation, "  ", "    "))
  end
  if result.scores then
    local s = {}
    for k, v in pairs(result.scores) do if v ~= 0 then s[#s + 1] = { k, v } end end
    table.sort(s, function(a, b) if a[2] ~= b[2] then return a[2] > b[2] end return a[1] < b[1] end)
    local parts = {}
    for _, p in ipairs(s) do parts[#parts + 1] = p[1] .. " " .. fmt(p[2]) end
    if #parts > 0 then add(M.wrap("Scores: " .. table.concat(parts, ", "), "  ", "    ")) end
  end

  section("Why", result.fired, function(f)
    add(M.wrap(("+ %s (%s %+g): %s%s"):format(f.id, f.subtype, f.weight, f.because or "", srcs(f.source)),
      "  ", "      "))
    local shown = {}
    for _, v in ipairs(f.values or {}) do
      add(M.wrap(value_text(v), "      ", "        "))
      shown[v.name] = true
    end
    for _, w in ipairs(f.why or {}) do
      if w:match("^finding") or w:match("^site") or not next(shown) then
        add(M.wrap(w, "      ", "        "))
      end
    end
  end)
  section("Alternatives (the literature disagrees or the data cannot rule them out)", result.alternatives,
    function(a)
      add(M.wrap(("- %s: %s"):format(a.type, a.reason or ""), "  ", "    "))
    end)
  section("Missing (inputs that would most change the answer first)", result.missing, function(m)
    add(M.wrap("- " .. m.text .. srcs(m.sources), "  ", "    "))
  end)
  section("Work-up", result.workup, function(w)
    add(M.wrap("- " .. w.test .. srcs(w.sources), "  ", "    "))
  end)
  section("Referrals", result.referrals, function(r)
    add(M.wrap(("- %s: %s%s"):format(r.specialty, r.reason, srcs(r.sources)), "  ", "    "))
  end)
  if result.treatments then
    add("Treatment options reported in the literature")
    if result.treatment_note then
      add(M.wrap(result.treatment_note .. srcs(result.treatment_sources), "  ", "  "))
    end
    for _, t in ipairs(result.treatments) do
      add(M.wrap(("- %s [%s]"):format(t.name, t.status or "option"), "  ", "    "))
      add(M.wrap("indication: " .. (t.indication or ""), "      ", "        "))
      add(M.wrap("evidence: " .. (t.evidence or ""), "      ", "        "))
      for _, r in ipairs(t.regimen or {}) do
        add(M.wrap("regimen as printed: " .. r.text .. srcs(r.sources), "      ", "        "))
      end
      if t.dose_note then add(M.wrap("dose: " .. t.dose_note, "      ", "        ")) end
      for _, c in ipairs(t.cautions or {}) do
        add(M.wrap("caution: " .. c.text .. srcs(c.sources), "      ", "        "))
      end
      if t.not_indicated_yet then
        add(M.wrap("note: " .. t.not_indicated_yet, "      ", "        "))
      end
    end
  end
  section("Prognosis", result.prognosis, function(p)
    add(M.wrap("- " .. p.text .. srcs(p.sources), "  ", "    "))
  end)
  section("Notes", result.notes, function(n) add(M.wrap("- " .. n, "  ", "    ")) end)
  section("Problems", result.problems, function(p) add(M.wrap("! " .. p, "  ", "    ")) end)
  add(("Ruleset: %s %s (hash %s)"):format(tostring(result.name), tostring(result.version), tostring(result.hash)))
  add(M.wrap(result.disclaimer or DISCLAIMER, "", ""))
  return table.concat(out, "\n") .. "\n"
end

--- A short result (a few lines): type, confidence, alternatives, the rules
-- that fired, alerts and the first missing input.
-- @tparam table result
-- @tparam[opt] table patient
-- @treturn string text ending with a newline
function M.short(result, patient)
  local out = {}
  local function add(s) out[#out + 1] = s end
  add(M.wrap(title_of(patient), "", "  "))
  add(M.wrap("Result: " .. M.line(result), "  ", "    "))
  local ids = {}
  for _, f in ipairs(result.fired or {}) do ids[#ids + 1] = ("%s %+g"):format(f.id, f.weight) end
  if #ids > 0 then add(M.wrap("Rules: " .. table.concat(ids, ", "), "  ", "    ")) end
  for _, a in ipairs(result.alerts or {}) do
    add(M.wrap(("Alert [%s]: %s"):format(a.severity or "alert", a.text), "  ", "    "))
  end
  if result.missing and result.missing[1] then
    add(M.wrap("Missing: " .. result.missing[1].text, "  ", "    "))
  end
  return table.concat(out, "\n") .. "\n"
end

return M
