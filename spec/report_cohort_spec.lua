-- The cohort report (calcinosis.report.cohort) of the bundled example
-- cohort (examples/cohort.csv, one row per record of examples/patients)
-- and of a copy with a bad record: the counts by type against the types
-- the records' sources give (read from examples/patients/*.json here), the
-- not-evaluable counts against the empty cells of the CSV (counted here),
-- data completeness, the records with problems, in every format.
local support = require "support"
local json = require "calcinosis.json"
local report = require "calcinosis.report"
local cohort_report = require "calcinosis.report.cohort"
local D = require "calcinosis.report.document"
local rules = require "calcinosis.rules"
local dkjson = require "dkjson"
local jsonschema = dofile "tools/jsonschema.lua"

local tmp, clean = support.temp_files()
teardown(clean)

local function table_by_caption(doc, prefix)
  local t
  D.walk(doc, function(b) if b.type == "table" and b.caption and b.caption:sub(1, #prefix) == prefix then t = t or b end end)
  return t
end
local function row_of(t, key)
  for _, r in ipairs(t.rows) do if r[1] == key then return r end end
end

-- the expected types of the example patients, by id, and the CSV rows
local counts = {}
do
  local p = assert(io.popen("ls examples/patients/*.json"))
  for f in p:lines() do
    local rec = json.decode(support.slurp(f))
    counts[rec.expected_type] = (counts[rec.expected_type] or 0) + 1
  end
  p:close()
end
local csv_rows = support.read_csv("examples/cohort.csv")
local function empty(col)
  local n = 0
  for _, r in ipairs(csv_rows) do if (r[col] or "") == "" then n = n + 1 end end
  return n
end

describe("cohort report", function()
  local rs = rules.default()
  local bad = tmp(support.slurp("examples/cohort.csv") .. "bad-row,40,F,human,,abc mg/dL,,,,,,,,,,,,trauma,elbows\n", ".csv")
  local doc = assert(report.cohort(rs, bad, { input = "cohort-with-bad-row.csv" }))

  it("counts the records by the types their sources give, plus the bad record", function()
    assert.equal(#csv_rows, 31)
    local t = table_by_caption(doc, "Records by type")
    local total = 0
    for _, r in ipairs(t.rows) do total = total + tonumber(r[2]) end
    assert.equal(#csv_rows + 1, total)
    for ty, n in pairs(counts) do
      local r = row_of(t, ty)
      -- the bad record (trauma, elbows, no usable calcium) is dystrophic or indeterminate
      local extra = tonumber(r[2]) - n
      assert.is_true(extra == 0 or (extra == 1 and (ty == "dystrophic" or ty == "indeterminate")), ty)
    end
    assert.equal(#csv_rows + 1, doc.records)
  end)

  it("counts the rules not evaluable for lack of an input as the empty cells of that input", function()
    local t = table_by_caption(doc, "How often each rule fired")
    -- the bad row has neither pth nor vitd125
    local v125 = row_of(t, "metastatic.vitd125_high")
    assert.equal(tostring(empty("vitd125") + 1), v125[5])
    assert.truthy(v125[7]:find("vitd125 " .. (empty("vitd125") + 1), 1, true))
    local pth = row_of(t, "metastatic.pth_high")
    assert.truthy(pth[7]:find("pth " .. (empty("pth") + 1), 1, true))
    -- fired + not evaluable never exceeds the records
    for _, r in ipairs(t.rows) do assert.is_true(tonumber(r[3]) + tonumber(r[5]) <= #csv_rows + 1, r[1]) end
  end)

  it("data completeness per input: the non-empty cells", function()
    local t = table_by_caption(doc, "Records with each input")
    assert.equal(tostring(#csv_rows + 1 - empty("pth") - 1), row_of(t, "pth")[2])
    assert.equal(tostring(#csv_rows - empty("calcium")), row_of(t, "calcium")[2]) -- 'abc mg/dL' is not a value
    assert.equal(tostring(#csv_rows + 1), row_of(t, "sites")[2])
  end)

  it("lists the record with problems, with its id, line and the field", function()
    local t = table_by_caption(doc, "Records with problems")
    assert.equal("Records with problems (1)", t.caption)
    local r = row_of(t, "bad-row")
    assert.equal(tostring(#csv_rows + 2), r[2])
    assert.truthy(r[4]:find("calcium", 1, true))
    assert.truthy(r[4]:find("abc", 1, true))
  end)

  it("draws the counts as a bar chart and the labs by type as box plots with the reference band", function()
    local figs = D.figures(doc)
    assert.equal("bar", figs[1].chart.kind)
    local ca
    for _, f in ipairs(figs) do if f.id == "dist-calcium" then ca = f end end
    assert.equal("box", ca.chart.kind)
    local n = 0
    for _, g in ipairs(ca.chart.groups) do n = n + #g.values end
    -- the numeric cells (a qualitative "high" is counted as present but not drawn)
    local numeric = 0
    for _, r in ipairs(csv_rows) do if (r.calcium or ""):match("^%d") then numeric = numeric + 1 end end
    assert.equal(numeric, n)
    assert.is_table(ca.chart.band)
    assert.truthy(ca.caption:find("band: the reference range", 1, true))
  end)

  it("every format: headings, types, the bad record, the statement; JSON valid; SVG well-formed", function()
    local schema = dkjson.decode(support.slurp("docs/schema/report.schema.json"), 1, dkjson.null)
    for _, f in ipairs(report.formats) do
      local text, files = report.render(doc, f)
      if f ~= "latex" then
        for _, h in ipairs { "Subtype counts", "Rules: fired and not evaluable", "Lab distributions by subtype",
          "Data completeness", "Records with problems" } do
          assert.truthy(text:find(h, 1, true) or text:find(h:upper(), 1, true), f .. ": " .. h)
        end
      end
      assert.truthy(text:find("bad-row", 1, true) or text:find("bad\\-row", 1, true), f)
      assert.truthy(text:find("metastatic", 1, true), f)
      assert.truthy(text:find("Research tool, not a diagnosis", 1, true), f)
      if f == "json" then
        local ok, errs = jsonschema.validate(schema, dkjson.decode(text, 1, dkjson.null), { null = dkjson.null })
        assert.is_true(ok, table.concat(errs or {}, "\n"))
      elseif f == "html" then
        for _, s in ipairs(support.svg_elements(text)) do assert.is_true(support.xml_ok(s)) end
      elseif f == "md" then
        for _, file in ipairs(files) do assert.is_true(support.xml_ok(file.content), file.name) end
      elseif f == "latex" then
        assert.truthy(text:find("\\caption{Records by type}", 1, true))
        assert.truthy(text:find("\\toprule", 1, true))
      end
    end
  end)

  it("streams: keeps at most max_values lab values per analyte and type, and says so", function()
    local acc = cohort_report.new(rs, { max_values = 3, max_problems = 0 })
    local it = assert(require("calcinosis.cohort").rows(rs, bad, { labs = true }))
    for r in it do acc:add(r) end
    for _, list in pairs(acc.values) do assert.is_true(#list <= 3) end
    assert.equal(0, #acc.problems)
    assert.equal(1, acc.with_problems)
    local d = acc:document()
    local ca
    for _, f in ipairs(D.figures(d)) do if f.id == "dist-calcium" then ca = f end end
    assert.truthy(ca.caption:find("drawn from a sample of", 1, true))
    local text = report.render(d, "text")
    assert.truthy(text:find("1 more records with problems", 1, true))
  end)
end)
