-- The report command and --report of compare, sweep and validate: files
-- written, exit statuses, usage errors, and the comparison, sweep and
-- validation reports' content (headings, charts, statistics checked
-- against figures worked out here).
local support = require "support"
local json = require "calcinosis.json"
local dkjson = require "dkjson"
local jsonschema = dofile "tools/jsonschema.lua"

local tmp, clean = support.temp_files()
teardown(clean)

local errfile = tmp()
local function run(args, env)
  local p = assert(io.popen((env or "") .. " lua5.4 bin/calcinosis " .. args .. " 2>" .. errfile .. "; echo \"rc=$?\""))
  local out = p:read("a")
  p:close()
  return (out:gsub("rc=%d+\n$", "")), tonumber(out:match("rc=(%d+)\n$")), support.slurp(errfile)
end

local schema = dkjson.decode(support.slurp("docs/schema/report.schema.json"), 1, dkjson.null)
local function valid(text)
  local v = dkjson.decode(text, 1, dkjson.null)
  local ok, errs = jsonschema.validate(schema, v, { null = dkjson.null })
  assert.is_true(ok, table.concat(errs or {}, "\n"))
  return v
end

-- the example patients as one NDJSON cohort with their expected types
local truth = tmp(nil, ".ndjson")
do
  local lines = {}
  local p = assert(io.popen("ls examples/patients/*.json"))
  for f in p:lines() do lines[#lines + 1] = json.encode(json.decode(support.slurp(f))) end
  p:close()
  local f = assert(io.open(truth, "wb"))
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
end

describe("calcinosis report", function()
  it("writes a self-contained HTML patient report with -o", function()
    local out = tmp(nil, ".html")
    local _, rc = run("report examples/lab-patient.json --format html -o " .. out)
    assert.equal(0, rc)
    local h = support.slurp(out)
    assert.truthy(h:find("<h1>Patient report: example-1</h1>", 1, true))
    assert.truthy(h:find("Type: metastatic", 1, true))
  end)

  it("prints text by default, without colour when not on a terminal or with NO_COLOR", function()
    local out, rc = run("report examples/patients/calciphylaxis_uraemic.json")
    assert.equal(0, rc)
    assert.truthy(out:find("RESULT", 1, true))
    assert.falsy(out:find("\27[", 1, true))
  end)

  it("colour on a terminal (util-linux script gives one), none with NO_COLOR", function()
    if not os.execute("command -v script >/dev/null 2>&1") then pending("no script(1) to make a terminal") return end
    local cmd = "script -qec 'lua5.4 bin/calcinosis report examples/patients/calciphylaxis_uraemic.json' /dev/null"
    local p = assert(io.popen(cmd))
    local out = p:read("a")
    p:close()
    assert.truthy(out:find("\27%[1;31m"))
    p = assert(io.popen("NO_COLOR=1 " .. cmd))
    out = p:read("a")
    p:close()
    assert.truthy(out:find("RESULT", 1, true))
    assert.falsy(out:find("\27[", 1, true))
  end)

  it("a cohort report: Markdown with its SVG figures beside it", function()
    local dir = tmp()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    local _, rc = run("report --cohort examples/cohort.csv --format md -o " .. dir .. "/cohort.md")
    assert.equal(0, rc)
    local md = support.slurp(dir .. "/cohort.md")
    local svg = md:match("%]%((cohort%-subtype%-counts%.svg)%)")
    assert.equal("cohort-subtype-counts.svg", svg)
    assert.is_true(support.xml_ok(support.slurp(dir .. "/" .. svg)))
    os.execute("rm -rf " .. dir)
  end)

  it("a record with problems: exit 1; JSON valid", function()
    local p = tmp('{"id": "bad-1", "age": 50, "labs": {"calcium": "2.4 mg/dL"}}', ".json")
    local out, rc = run("report --format json " .. p)
    assert.equal(1, rc)
    local v = valid(out)
    assert.equal("patient", v.kind)
  end)

  it("usage errors exit 2 with a message", function()
    local _, rc, e = run("report --format pdf examples/lab-patient.json")
    assert.equal(2, rc)
    assert.truthy(e:find("report format must be text, md, html, json or latex, got 'pdf'", 1, true))
    _, rc = run("report")
    assert.equal(2, rc)
    _, rc, e = run("report nope.json")
    assert.equal(2, rc)
    assert.truthy(e:find("nope.json: cannot open", 1, true))
    _, rc = run("report --cohort examples/cohort.csv examples/lab-patient.json")
    assert.equal(2, rc)
    local _, rc2, e2 = run("compare --rules default --rules default --report docx examples/cohort.csv")
    assert.equal(2, rc2)
    assert.truthy(e2:find("calcinosis compare: report format", 1, true))
  end)

  it("--help lists the exit statuses", function()
    local out, rc = run("report --help")
    assert.equal(0, rc)
    assert.truthy(out:find("Exit status: 0", 1, true))
  end)
end)

describe("--report", function()
  it("compare: counts per ruleset, confusion heat map, kappa; a ruleset against itself has kappa 1", function()
    local out, rc = run("compare --rules default --rules default --report json examples/cohort.csv")
    assert.equal(0, rc)
    local v = valid(out)
    assert.equal("comparison", v.kind)
    local text = out
    assert.truthy(text:find("Cohen's kappa 1.000; 0 of 31 patients", 1, true))
    local h = run("compare --rules default --rules examples/variant_strict.lua --report html examples/cohort.csv")
    assert.truthy(h:find("Counts per ruleset", 1, true))
    assert.truthy(h:find('class="chart chart-heatmap"', 1, true))
    for _, s in ipairs(support.svg_elements(h)) do assert.is_true(support.xml_ok(s)) end
  end)

  it("sweep: subtype and rule-fire counts as line charts; counts as the CSV sweep prints them", function()
    local h, rc = run("sweep --param ca_x_p_limit=60:80:10 --report json examples/cohort.csv")
    assert.equal(0, rc)
    local v = valid(h)
    assert.equal("sweep", v.kind)
    local csv = run("sweep --param ca_x_p_limit=60:80:10 examples/cohort.csv")
    local lines = {}
    for l in csv:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal(4, #lines)
    local figs = {}
    require("calcinosis.report.document").walk(v, function(b) if b.type == "figure" then figs[#figs + 1] = b end end)
    assert.equal("line", figs[1].chart.kind)
    assert.equal("line", figs[2].chart.kind)
    -- at 70 (the default), metastatic.ca_x_p fires on the records classify lists it for
    local fired = run("classify --columns fired examples/cohort.csv")
    local n = 0
    for l in fired:gmatch("[^\n]+") do if l:find("metastatic.ca_x_p", 1, true) then n = n + 1 end end
    local series
    for _, s in ipairs(figs[2].chart.series) do if s.name == "metastatic.ca_x_p" then series = s end end
    assert.equal(n, series.values[2])
    -- the CSV: the value, the subtype counts, then fired:RULE and
    -- not_evaluable:RULE per rule, then the hash
    local head = {}
    for c in lines[1]:gmatch("[^,]+") do head[#head + 1] = c end
    local nsub, fired_col = 0, nil
    for j, c in ipairs(head) do
      if j > 1 and not c:find(":", 1, true) and c ~= "hash" then nsub = j - 1 end
      if c == "fired:metastatic.ca_x_p" then fired_col = j end
    end
    assert.equal(#figs[1].chart.series, nsub)
    for i, l in ipairs(lines) do
      if i > 1 then
        local cells = {}
        for c in l:gmatch("[^,]+") do cells[#cells + 1] = c end
        for j = 2, nsub + 1 do assert.equal(tonumber(cells[j]), figs[1].chart.series[j - 1].values[i - 1]) end
        assert.equal(tonumber(cells[fired_col]), series.values[i - 1])
      end
    end
  end)

  it("validate: the validation table with Wilson intervals and a forest plot", function()
    local out, rc = run("validate --truth expected_type --report text " .. truth)
    assert.equal(0, rc)
    -- 31 of 31 right: Wilson's lower bound n / (n + z^2) = 31 / (31 + 3.8415) = 0.890
    assert.truthy(out:find("accuracy       1.000 [0.890, 1.000]  31 of 31", 1, true))
    local h = run("validate --truth expected_type --report html " .. truth)
    assert.truthy(h:find('class="chart chart-forest"', 1, true))
    assert.truthy(h:find("Validation table per subtype", 1, true))
    for _, s in ipairs(support.svg_elements(h)) do assert.is_true(support.xml_ok(s)) end
    local tex = run("validate --truth expected_type --report latex " .. truth)
    assert.truthy(tex:find("\\caption{Validation table per subtype (Wilson 95\\% intervals)}", 1, true))
    valid((run("validate --truth expected_type --report json " .. truth)))
  end)
end)
