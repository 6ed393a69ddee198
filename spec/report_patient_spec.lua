-- The patient report (calcinosis.report.patient) in every format: the
-- headings, the type, the values and flags, the fired rules, the
-- references in full and the research statement, for example patients of
-- examples/patients (their expected types were written from the sources,
-- see examples/patients/README.md) and two records made here. Lab values
-- checked below were worked out by hand from the files (conversions with
-- the molar mass of phosphorus, 30.973762 g/mol; the common albumin
-- correction Ca + 0.8 x (4.0 - albumin), docs/clinical-reference.md §4).
local support = require "support"
local calcinosis = require "calcinosis"
local json = require "calcinosis.json"
local report = require "calcinosis.report"
local D = require "calcinosis.report.document"
local dkjson = require "dkjson"
local jsonschema = dofile "tools/jsonschema.lua"

local function load(path) return json.decode(support.slurp(path)) end

local function unhtml(s)
  return (s:gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&quot;", '"'):gsub("&#39;", "'"):gsub("&amp;", "&"))
end
local function unmd(s) return (s:gsub("\\(.)", "%1")) end
local function unlatex(s)
  return (s:gsub("\\textbackslash{}", "\\"):gsub("\\textless{}", "<"):gsub("\\textgreater{}", ">")
    :gsub("\\textasciitilde{}", "~"):gsub("\\textasciicircum{}", "^"):gsub("\\([{}$&#_%%])", "%1"))
end

-- the document and its renderings, the text of each made plain for searching
local function renderings(doc)
  local out = {}
  for _, f in ipairs(report.formats) do
    local text, files = report.render(doc, f, { figure_prefix = "fig" })
    local plain = f == "html" and unhtml(text) or f == "md" and unmd(text) or f == "latex" and unlatex(text) or text
    -- the text renderer wraps lines: whitespace runs are one space for searching
    out[f] = { raw = text, plain = plain:gsub("%s+", " "), files = files }
  end
  return out
end

local function has(t, s) return t:find((tostring(s):gsub("%s+", " ")), 1, true) end

local function lab_row(doc, name)
  local row
  D.walk(doc, function(b)
    if b.type == "table" and b.columns[1] == "analyte" then
      for _, r in ipairs(b.rows) do if r[1] == name then row = r end end
    end
  end)
  return row
end

local schema = dkjson.decode(support.slurp("docs/schema/report.schema.json"), 1, dkjson.null)

local HEADINGS = { "Result", "Problems in the data", "Evidence", "Not evaluable and missing", "Laboratory values",
  "Work-up", "Referrals", "Treatment options", "Prognosis", "Ruleset", "References", "Research tool statement" }

local CASES = {
  { file = "examples/patients/c3_dialysis_periarticular.json", fired = { "metastatic.ca_x_p", "metastatic.known_cause" },
    -- calcium 10.2 mg/dL with albumin 4.0 g/dL: corrected 10.2 + 0.8 x 0 = 10.2; Ca x P = 10.2 x 7.7 = 78.54
    labs = { calcium = { "10.2", "mg/dL", "high" }, phosphate = { "7.7", "mg/dL", "high" },
      corrected_calcium = { "10.2", "mg/dL", "high" }, ca_x_p = { "78.54", "mg2/dL2", "" } } },
  { file = "examples/patients/calciphylaxis_uraemic.json", alert = "calciphylaxis" },
  { file = "examples/patients/heel_stick_infant.json", alternatives = true },
  { file = "examples/lab-patient.json", type = "metastatic",
    -- phosphate 2.49 mmol/L x 30.973762 / 10 = 7.7125 mg/dL; albumin 31 g/L = 3.1 g/dL;
    -- corrected calcium 10.2 + 0.8 x (4.0 - 3.1) = 10.92 mg/dL
    labs = { phosphate = { "7.712", "mg/dL", "high" }, albumin = { "3.1", "g/dL", "low" },
      corrected_calcium = { "10.92", "mg/dL", "high" } } },
}

describe("patient report", function()
  for _, case in ipairs(CASES) do
    describe(case.file, function()
      local patient = load(case.file)
      local result = calcinosis.classify(patient)
      local doc = report.patient(result, patient)
      local r = renderings(doc)
      local expected = case.type or patient.expected_type

      it("has the type the record's sources give, first", function()
        assert.equal(expected, result.type)
        assert.equal("patient", doc.kind)
        assert.equal("Result", doc.blocks[1].title)
        assert.truthy(doc.blocks[1].blocks[1].text:find("Type: " .. expected, 1, true))
      end)

      if case.labs then
        it("has the lab values, units and flags worked out by hand", function()
          for name, v in pairs(case.labs) do
            local row = lab_row(doc, name)
            assert.is_table(row, name)
            assert.equal(v[1], row[2], name)
            assert.equal(v[2], row[3], name)
            assert.equal(v[3], row[5], name)
          end
        end)
      end

      for _, f in ipairs { "text", "md", "html" } do
        it(f .. ": headings, type, fired rules, values, references and the research statement", function()
          local t = r[f].plain
          for _, h in ipairs(HEADINGS) do
            local found = has(t, h) or (f == "text" and has(t, h:upper()))
            assert.truthy(found, f .. " lacks the heading " .. h)
          end
          assert.truthy(has(t, "Type: " .. expected))
          for _, id in ipairs(case.fired or {}) do assert.truthy(has(t, id), id) end
          for _, fr in ipairs(result.fired) do assert.truthy(has(t, fr.id), fr.id) end
          for name, v in pairs(case.labs or {}) do
            assert.truthy(has(t, name), name)
            assert.truthy(has(t, v[1]), name .. " " .. v[1])
          end
          assert.is_true(#result.references > 0)
          for _, e in ipairs(result.references) do
            assert.truthy(has(t, e.citation), f .. " lacks the reference " .. e.key)
          end
          assert.truthy(has(t, "Research tool, not a diagnosis"))
          if case.alert then
            assert.truthy(has(t, "Alert (urgent)"))
            assert.truthy(has(t, result.alerts[1].text))
          end
          if case.alternatives then
            for _, a in ipairs(patient.expected_alternatives) do assert.truthy(has(t, a), a) end
          end
        end)
      end

      it("json: validates against docs/schema/report.schema.json and carries the type", function()
        local v = dkjson.decode(r.json.raw, 1, dkjson.null)
        local ok, errs = jsonschema.validate(schema, v, { null = dkjson.null })
        assert.is_true(ok, table.concat(errs or {}, "\n"))
        assert.equal("patient", v.kind)
        assert.equal(expected, v.type)
        assert.equal(result.hash, v.ruleset.hash)
      end)

      it("html: self-contained, accessible tables and charts, every SVG well-formed XML", function()
        local h = r.html.raw
        assert.truthy(h:find("^<!DOCTYPE html>"))
        assert.falsy(h:find("<script", 1, true))
        assert.falsy(h:find("<link", 1, true))
        assert.truthy(h:find("@media print", 1, true))
        assert.truthy(h:find('<th scope="col">analyte</th>', 1, true))
        assert.truthy(h:find('<th scope="row">', 1, true))
        assert.truthy(h:find("<caption>Lab values in canonical units", 1, true))
        local svgs = support.svg_elements(h)
        assert.is_true(#svgs > 0)
        for _, s in ipairs(svgs) do
          assert.truthy(s:find('role="img"', 1, true))
          assert.truthy(s:find("<title id=", 1, true))
          assert.is_true(support.xml_ok(s))
        end
      end)

      it("md: pipe tables with captions, one SVG file per figure, each well-formed", function()
        local m = r.md.raw
        assert.truthy(m:find("\n| analyte | value | unit |", 1, true))
        assert.truthy(m:find("\nTable: Lab values in canonical units", 1, true))
        assert.equal(#D.figures(doc), #r.md.files)
        for _, file in ipairs(r.md.files) do
          assert.truthy(m:find("](" .. file.name .. ")", 1, true), file.name)
          assert.is_true(support.xml_ok(file.content))
        end
      end)

      it("latex: booktabs tables, escaped", function()
        local l = r.latex.raw
        assert.truthy(l:find("\\toprule", 1, true))
        assert.truthy(l:find("\\bottomrule", 1, true))
        assert.truthy(l:find("\\caption{Lab values in canonical units", 1, true))
        assert.truthy(l:find("Research tool, not a diagnosis", 1, true))
        -- the tables: the type's score, the fired rules, the lab values and flags
        local t = r.latex.plain
        assert.truthy(has(t, expected .. " & "))
        for _, fr in ipairs(result.fired) do assert.truthy(has(t, fr.id .. " & "), fr.id) end
        for name, v in pairs(case.labs or {}) do
          assert.truthy(has(t, ("%s & %s & %s"):format(name, v[1], v[2])), name)
        end
        for line in l:gmatch("[^\n]+") do
          if not line:match("^%%") then assert.falsy(line:find("[^\\]_"), line) end
        end
      end)
    end)
  end

  it("the problems in the data, with field, value and record, come second", function()
    local patient = { id = "bad-1", age = 50, sex = "F", labs = { calcium = "2.4 mg/dL" }, sites = { "elbows" } }
    local result = calcinosis.classify(patient)
    local doc = report.patient(result, patient)
    assert.equal("Problems in the data", doc.blocks[2].title)
    local p = doc.blocks[2].blocks[1]
    assert.equal("problem", p.style)
    assert.truthy(p.text:find("calcium", 1, true))
    assert.truthy(p.text:find("2.4", 1, true))
    for _, f in ipairs { "text", "md", "html" } do
      local t = renderings(doc)[f].plain
      assert.truthy(has(t, result.problems[1]), f)
    end
  end)

  it("text: colour only when asked for", function()
    local patient = load("examples/patients/calciphylaxis_uraemic.json")
    local doc = report.patient(calcinosis.classify(patient), patient)
    assert.falsy(report.render(doc, "text"):find("\27[", 1, true))
    assert.truthy(report.render(doc, "text", { color = true }):find("\27[1;31m", 1, true))
  end)

  it("a layout is a template: sections chosen and ordered by the caller", function()
    local patient = load("examples/patients/heel_stick_infant.json")
    local doc = report.patient(calcinosis.classify(patient), patient, { sections = { "labs", "result" } })
    assert.same({ "Laboratory values", "Result" }, D.headings(doc))
    assert.has_error(function() report.patient(calcinosis.classify(patient), patient, { sections = { "nope" } }) end)
  end)
end)
