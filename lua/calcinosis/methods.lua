--- A methods section for a paper: what a cohort was classified with, from
-- the compiled ruleset and the options of the run (nothing here is a copy
-- of a rule, a threshold or a range: each is read from the ruleset,
-- `calcinosis.ranges`, `calcinosis.labs` and `calcinosis.engine`).
--
--     local methods = require "calcinosis.methods"
--     local doc = methods.document(ruleset, { ca_coefficient = "payne" })
--     io.write(methods.markdown(doc))      -- or methods.latex(doc [, { standalone = true }])
--
-- The document (a plain table): `tool` (`version`, `revision`), `ruleset`
-- (`name`, `version`, `hash`: `calcinosis.engine.hash` with these options),
-- `decision` (a sentence), `pathway` (per subtype in tie order, its rules:
-- `id`, `when`, `weight`, `because`, `keys`), `sets` (`name`, `terms`), `thresholds` (the params:
-- `name`, `value`, `unit`, `note`, `keys`), `ranges` (the reference ranges
-- of the analytes whose flags the rules read: `analyte`, `who`, `low`,
-- `high`, `unit`, `note`, `keys`), `options` (`name`, `value`, `text`,
-- `keys`), `references` (`key`, `citation`, for every key cited above,
-- resolved through `calcinosis.sources`) and `unresolved` (keys that do not
-- resolve; empty for the default ruleset).
--
-- Dependencies: calcinosis.engine, calcinosis.ranges, calcinosis.labs,
-- calcinosis.sources, calcinosis.rules.compiler.
-- @module calcinosis.methods

local engine = require "calcinosis.engine"
local ranges_m = require "calcinosis.ranges"
local sources = require "calcinosis.sources"

local M = {}

local DISCLAIMER = "calcinosis is a research tool, not a diagnosis: its results are literature-based " ..
  "suggestions for a clinician to review."

local function fmt_num(v)
  if type(v) ~= "number" then return tostring(v) end
  return require("calcinosis.rules.compiler").fmt(v)
end

-- an age in years as the ranges give it (under a year: in days)
local function age_text(y)
  if y < 1 then return ("%.0f d"):format(y * 365.25) end
  return fmt_num(y) .. " y"
end

-- the species, sex and ages an entry of the ranges applies to
local function who(e)
  local parts = { e.species or "human" }
  if e.sex then parts[#parts + 1] = e.sex == "F" and "female" or e.sex == "M" and "male" or e.sex end
  if e.age_min and e.age_max then parts[#parts + 1] = ("age %s to %s"):format(age_text(e.age_min), age_text(e.age_max))
  elseif e.age_min then parts[#parts + 1] = ("age %s and over"):format(age_text(e.age_min))
  elseif e.age_max then parts[#parts + 1] = ("age under %s"):format(age_text(e.age_max)) end
  return table.concat(parts, ", ")
end

--- The methods document of a ruleset run with these options.
-- @tparam Ruleset ruleset a compiled ruleset (`calcinosis.rules`)
-- @tparam[opt] table opts `ca_coefficient`, `kdigo_rounding`, `ranges`,
--   `critical` (as `calcinosis.engine.plan`), `input` (the cohort's name, for
--   the text)
-- @treturn table|nil the document (see the module's description)
-- @treturn[2] string message (an unknown option value)
function M.document(ruleset, opts)
  opts = opts or {}
  local hash, err = engine.hash(ruleset, opts)
  if not hash then return nil, err end
  local calcinosis = require "calcinosis"
  local labs = require "calcinosis.labs"
  local c = ruleset.compiled
  local cited, order = {}, {}
  local function cite(text)
    local keys = sources.keys_in(text or "")
    for _, k in ipairs(keys) do
      if not cited[k] then cited[k] = true; order[#order + 1] = k end
    end
    return keys
  end
  local doc = {
    tool = { version = calcinosis._VERSION, revision = calcinosis.REVISION },
    ruleset = { name = ruleset.name, version = ruleset.version, hash = hash },
    input = opts.input,
    disclaimer = DISCLAIMER,
  }
  doc.decision = ("Each rule that holds adds its weight to the score of the subtype it supports; the subtype " ..
    "with the highest score is the type, ties going to %s (%s); the result is '%s' when the best score is at " ..
    "most %s. A condition with a missing input is unknown (three-valued logic): the rule does not fire and " ..
    "is reported as not evaluable."):format(
    c.tie == "order" and "the subtype listed first" or "no subtype", table.concat(c.subtypes, ", "), c.label,
    fmt_num(c.indeterminate_at_most))
  doc.pathway = {}
  for i, s in ipairs(c.subtypes) do
    local step = { subtype = s, rules = {} }
    for _, r in ipairs(c.rules) do
      if r.supports == s then
        step.rules[#step.rules + 1] = { id = r.id, when = (r.when:gsub("%s+", " ")), weight = r.weight,
          because = r.because, keys = cite(r.source) }
        cite(r.because) -- keys cited in the sentence itself
      end
    end
    doc.pathway[i] = step
  end
  -- the term sets the conditions name
  doc.sets = {}
  local set_names = {}
  for k in pairs(c.sets) do set_names[#set_names + 1] = k end
  table.sort(set_names)
  for _, k in ipairs(set_names) do doc.sets[#doc.sets + 1] = { name = k, terms = c.sets[k] } end
  doc.thresholds = {}
  local names = {}
  for k in pairs(c.params) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    local p = c.params[k]
    local note = p.decl and p.decl.doc or nil
    doc.thresholds[#doc.thresholds + 1] = { name = k, value = p.value, unit = p.unit, note = note, keys = cite(note) }
  end
  -- the reference ranges of the analytes whose flags the rules read
  local flagged, critical = {}, false
  for _, list in ipairs { c.slots, c.result.slots } do
    for _, s in ipairs(list) do
      if s.kind == "flag" and s.name then
        flagged[s.name] = true
        if ranges_m.same_as[s.name] then flagged[ranges_m.same_as[s.name]] = true end
      elseif tostring(s.kind):find("critical") then critical = true
      end
    end
  end
  doc.ranges = {}
  local function add_ranges(list, kind)
    for _, e in ipairs(list) do
      if flagged[e.analyte] then
        doc.ranges[#doc.ranges + 1] = { kind = kind, analyte = e.analyte, who = who(e), low = e.low, high = e.high,
          unit = e.unit, note = e.source, keys = cite(e.source) }
      end
    end
  end
  add_ranges(opts.ranges or ranges_m.reference, "reference")
  if critical then add_ranges(opts.critical or ranges_m.critical, "critical") end
  local ca = labs.ca_variants[tostring(opts.ca_coefficient or "common")]
  if not ca then return nil, ("unknown ca_coefficient '%s'"):format(tostring(opts.ca_coefficient)) end
  doc.options = {
    { name = "albumin-corrected calcium", value = ca.key, text = ca.formula .. "; " .. ca.note, keys = cite(ca.note) },
    { name = "KDIGO G stage", value = opts.kdigo_rounding and "rounded" or "raw",
      text = (opts.kdigo_rounding and "eGFR rounded to an integer before banding" or
        "the unrounded eGFR is banded") .. " [S43]", keys = cite("S43") },
    { name = "eGFR", value = "computed", text = ("%s for ages 18 and over; %s for children with a height; a reported " ..
      "eGFR is used as given"):format(labs.egfr_methods[2], labs.egfr_methods[3]),
      keys = cite(labs.egfr_methods[2] .. " " .. labs.egfr_methods[3]) },
    { name = "reference ranges", value = opts.ranges and "user-supplied" or "library defaults",
      text = opts.ranges and ("%d entries given for the run, first match wins"):format(#opts.ranges)
        or "calcinosis.ranges, selected by species, sex and age (first match wins)", keys = {} },
  }
  doc.references, doc.unresolved = {}, {}
  table.sort(order, sources.compare)
  for _, k in ipairs(order) do
    local e = sources.get(k)
    if e then doc.references[#doc.references + 1] = { key = k, citation = sources.format(e, "text") }
    else doc.unresolved[#doc.unresolved + 1] = k end
  end
  return doc
end

local function keys_text(keys, open, close)
  if not keys or #keys == 0 then return "" end
  return " " .. open .. table.concat(keys, "; ") .. close
end

local function range_text(r)
  if r.low and r.high then return ("%s–%s %s"):format(fmt_num(r.low), fmt_num(r.high), r.unit or "") end
  if r.low then return ("≥ %s %s"):format(fmt_num(r.low), r.unit or "") end
  if r.high then return ("≤ %s %s"):format(fmt_num(r.high), r.unit or "") end
  return ""
end

local function intro(doc)
  local t = doc.tool
  return ("Patients were classified with %s%s using the ruleset %s version %s (hash %s; the hash covers " ..
    "the rules, their parameters, the vocabulary, the reference ranges and the options listed below, so that " ..
    "the same hash gives the same results)%s."):format(t.version, t.revision and (" (revision " .. t.revision .. ")")
    or "", doc.ruleset.name, doc.ruleset.version, doc.ruleset.hash, doc.input and (" on " .. doc.input) or "")
end

--- The document as Markdown (pandoc-ready: headings, lists, pipe tables).
-- @tparam table doc from `document`
-- @treturn string
function M.markdown(doc)
  local out = {}
  local function add(s) out[#out + 1] = s end
  local function esc(s) return (tostring(s or ""):gsub("([|*_`\\])", "\\%1")) end
  add("## Methods\n")
  add(intro(doc) .. " " .. doc.decision .. " " .. doc.disclaimer .. "\n")
  add("### Decision pathway\n")
  for i, step in ipairs(doc.pathway) do
    add(("%d. **%s**%s"):format(i, esc(step.subtype), #step.rules == 0 and ": no rule" or ":"))
    for _, r in ipairs(step.rules) do
      add(("    - `%s` (weight %s): when `%s`: %s%s"):format(r.id, fmt_num(r.weight), r.when, esc(r.because),
        keys_text(r.keys, "[", "]")))
    end
  end
  add("")
  if #doc.sets > 0 then
    add("Term sets the conditions name (findings and sites, from the controlled vocabulary):\n")
    for _, st in ipairs(doc.sets) do add(("- `%s`: %s"):format(st.name, esc(table.concat(st.terms, ", ")))) end
    add("")
  end
  add("### Thresholds\n")
  add("| parameter | value | source |")
  add("|---|---|---|")
  for _, p in ipairs(doc.thresholds) do
    add(("| `%s` | %s%s | %s |"):format(p.name, fmt_num(p.value), p.unit and (" " .. esc(p.unit)) or "", esc(p.note)))
  end
  add("")
  add("### Reference ranges\n")
  if #doc.ranges == 0 then add("The rules read no laboratory flag: no reference range is used.")
  else
    add("| analyte | applies to | range | source |")
    add("|---|---|---|---|")
    for _, r in ipairs(doc.ranges) do
      add(("| %s%s | %s | %s | %s |"):format(esc(r.analyte), r.kind == "critical" and " (critical)" or "",
        esc(r.who), esc(range_text(r)), esc(r.note)))
    end
  end
  add("")
  add("### Options\n")
  for _, o in ipairs(doc.options) do add(("- %s: %s (%s)"):format(o.name, esc(o.value), esc(o.text))) end
  add("")
  add("### References\n")
  for _, r in ipairs(doc.references) do add(("- [%s] %s"):format(r.key, esc(r.citation))) end
  for _, k in ipairs(doc.unresolved) do add(("- [%s] (not in the bibliography)"):format(k)) end
  return table.concat(out, "\n") .. "\n"
end

-- characters outside ASCII that the texts use, as LaTeX writes them
local LATEX_UTF8 = {
  ["×"] = "$\\times$", ["≥"] = "$\\geq$", ["≤"] = "$\\leq$", ["µ"] = "$\\mu$", ["μ"] = "$\\mu$",
  ["–"] = "--", ["—"] = "---", ["’"] = "'", ["‘"] = "`", ["“"] = "``", ["”"] = "''", ["±"] = "$\\pm$",
  ["²"] = "$^2$", ["³"] = "$^3$", ["°"] = "$^\\circ$", ["…"] = "\\ldots{}", ["é"] = "\\'e", ["è"] = "\\`e",
  ["ö"] = "\\\"o", ["ü"] = "\\\"u", ["ä"] = "\\\"a", ["á"] = "\\'a", ["í"] = "\\'i", ["ó"] = "\\'o",
  ["ñ"] = "\\~n", ["ç"] = "\\c{c}", ["→"] = "$\\rightarrow$", ["≈"] = "$\\approx$", ["α"] = "$\\alpha$",
  ["β"] = "$\\beta$", ["γ"] = "$\\gamma$",
}
local LATEX_SPECIAL = {
  ["\\"] = "\\textbackslash{}", ["{"] = "\\{", ["}"] = "\\}", ["$"] = "\\$", ["&"] = "\\&", ["#"] = "\\#",
  ["^"] = "\\textasciicircum{}", ["_"] = "\\_", ["%"] = "\\%", ["~"] = "\\textasciitilde{}",
  ["<"] = "\\textless{}", [">"] = "\\textgreater{}", ["|"] = "\\textbar{}",
}

--- Escapes text for LaTeX: the special characters (`\ { } $ & # ^ _ % ~`,
-- and `< > |`) and the non-ASCII characters the texts use; any other
-- non-ASCII character becomes `?`, so that pdflatex never fails on it.
-- @tparam string s
-- @treturn string
function M.latex_escape(s)
  s = tostring(s or ""):gsub("[\\{}$&#^_%%~<>|]", LATEX_SPECIAL)
  s = s:gsub("[\xC2-\xF4][\x80-\xBF]*", function(ch) return LATEX_UTF8[ch] or "?" end)
  return (s:gsub("[\x80-\xFF]", "?"))
end

--- The document as LaTeX (a section; `{ standalone = true }` makes it a
-- whole document that pdflatex compiles).
-- @tparam table doc from `document`
-- @tparam[opt] table opts `standalone`
-- @treturn string
function M.latex(doc, opts)
  local e = M.latex_escape
  local out = {}
  local function add(s) out[#out + 1] = s end
  local function tt(s) return "\\texttt{" .. e(s) .. "}" end
  if opts and opts.standalone then
    add("\\documentclass{article}")
    add("\\usepackage[T1]{fontenc}")
    add("\\usepackage{longtable,booktabs}")
    add("\\begin{document}")
  end
  add("\\section*{Methods}")
  add(e(intro(doc) .. " " .. doc.decision .. " " .. doc.disclaimer))
  add("")
  add("\\subsection*{Decision pathway}")
  add("\\begin{enumerate}")
  for _, step in ipairs(doc.pathway) do
    add("\\item \\textbf{" .. e(step.subtype) .. "}" .. (#step.rules == 0 and ": no rule" or ":"))
    if #step.rules > 0 then
      add("\\begin{itemize}")
      for _, r in ipairs(step.rules) do
        add(("\\item %s (weight %s): when %s: %s%s"):format(tt(r.id), e(fmt_num(r.weight)), tt(r.when),
          e(r.because), e(keys_text(r.keys, "[", "]"))))
      end
      add("\\end{itemize}")
    end
  end
  add("\\end{enumerate}")
  if #doc.sets > 0 then
    add("Term sets the conditions name (findings and sites, from the controlled vocabulary):")
    add("\\begin{itemize}")
    for _, st in ipairs(doc.sets) do add(("\\item %s: %s"):format(tt(st.name), e(table.concat(st.terms, ", ")))) end
    add("\\end{itemize}")
  end
  add("")
  add("\\subsection*{Thresholds}")
  add("\\begin{longtable}{lll}")
  add("\\toprule parameter & value & source \\\\ \\midrule")
  for _, p in ipairs(doc.thresholds) do
    add(("%s & %s & %s \\\\"):format(tt(p.name), e(fmt_num(p.value) .. (p.unit and (" " .. p.unit) or "")), e(p.note)))
  end
  add("\\bottomrule")
  add("\\end{longtable}")
  add("")
  add("\\subsection*{Reference ranges}")
  if #doc.ranges == 0 then add("The rules read no laboratory flag: no reference range is used.")
  else
    add("\\begin{longtable}{llll}")
    add("\\toprule analyte & applies to & range & source \\\\ \\midrule")
    for _, r in ipairs(doc.ranges) do
      add(("%s & %s & %s & %s \\\\"):format(e(r.analyte .. (r.kind == "critical" and " (critical)" or "")), e(r.who),
        e(range_text(r)), e(r.note)))
    end
    add("\\bottomrule")
    add("\\end{longtable}")
  end
  add("")
  add("\\subsection*{Options}")
  add("\\begin{itemize}")
  for _, o in ipairs(doc.options) do add(("\\item %s: %s (%s)"):format(e(o.name), e(o.value), e(o.text))) end
  add("\\end{itemize}")
  add("")
  add("\\subsection*{References}")
  add("\\begin{description}")
  for _, r in ipairs(doc.references) do add(("\\item[{[%s]}] %s"):format(e(r.key), e(r.citation))) end
  for _, k in ipairs(doc.unresolved) do add(("\\item[{[%s]}] (not in the bibliography)"):format(e(k))) end
  add("\\end{description}")
  if opts and opts.standalone then add("\\end{document}") end
  return table.concat(out, "\n") .. "\n"
end

return M
