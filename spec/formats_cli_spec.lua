-- Every cohort subcommand takes every input format and its reading options
-- (issue 12): classify, compare, sweep and report --cohort over CSV, long
-- format, NDJSON, a FHIR bundle, a FHIR Bulk Data folder, HL7 v2, lab text
-- and ARFF; --index-date/--window passed through where the format has dates;
-- validate likewise (labels from the input's column, or a labels file by id);
-- labs --file on each format; labs and convert with --units.
local S = require "spec.support"
local tmp, clean = S.temp_files()

local function sh(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- One patient, p1: calcium 9.5 mg/dL dated 2020-01-01 and, where the format
-- has dates, 11.0 mg/dL dated 2021-01-01 (the latest, used by default).
local OBS = [[{"resourceType":"Observation","id":"%s","status":"final","subject":{"reference":"Patient/p1"},]] ..
  [["code":{"coding":[{"system":"http://loinc.org","code":"17861-6"}]},"effectiveDateTime":"%s",]] ..
  [["valueQuantity":{"value":%s,"system":"http://unitsofmeasure.org","code":"mg/dL"}}]]
local PATIENT = [[{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1960-01-01"}]]
local FORMATS = {
  { name = "csv", ext = ".csv", text = "id,sex,age,calcium [mg/dL],phosphate [mg/dL]\np1,F,60,9.5,4.0\n" },
  { name = "long", ext = ".csv", dated = true, repeats = true, -- a repeated analyte is noted: "calcium repeats; kept ..."
    text = "id,analyte,value,unit,date\np1,calcium,9.5,mg/dL,2020-01-01\np1,calcium,11.0,mg/dL,2021-01-01\n" },
  { name = "ndjson", ext = ".ndjson", text = '{"id":"p1","sex":"F","labs":{"calcium":"9.5 mg/dL"}}\n' },
  { name = "fhir bundle", ext = ".json", dated = true, text = [[{"resourceType":"Bundle","type":"collection","entry":[]]
    .. '{"resource":' .. PATIENT .. '},{"resource":' .. OBS:format("o1", "2020-01-01", "9.5") .. '},{"resource":'
    .. OBS:format("o2", "2021-01-01", "11.0") .. "}]}" },
  { name = "fhir bulk folder", dated = true, folder = {
      ["Patient.ndjson"] = PATIENT .. "\n",
      ["Observation.ndjson"] = OBS:format("o1", "2020-01-01", "9.5") .. "\n" .. OBS:format("o2", "2021-01-01", "11.0") .. "\n" },
    args = "--input-format fhir" },
  { name = "hl7", ext = ".hl7", dated = true,
    text = "MSH|^~\\&|LAB|H|R|H|20210101||ORU^R01|1|P|2.5\rPID|1||p1||Doe^J||19600101|F\rOBR|1|||CA\r" ..
      "OBX|1|NM|17861-6^Calcium^LN||9.5|mg/dL|||||F|||20200101\rOBX|2|NM|17861-6^Calcium^LN||11.0|mg/dL|||||F|||20210101\r" },
  { name = "text", ext = ".txt", text = "Calcium 9.5 mg/dL\n", args = "--input-format text",
    id = "" }, -- pasted text names no patient
  { name = "arff", ext = ".arff", text = "@relation x\n@attribute id string\n@attribute calcium numeric\n@data\np1,9.5\n" },
}

local function input_of(f)
  if f.path then return f.path end
  if f.folder then
    local dir = tmp("", "")
    os.remove(dir)
    assert(os.execute("mkdir " .. sh(dir)))
    for name, text in pairs(f.folder) do
      local o = assert(io.open(dir .. "/" .. name, "wb"))
      o:write(text)
      o:close()
    end
    f.path = dir
  else
    f.path = tmp(f.text, f.ext)
  end
  return f.path
end

-- removes the inputs made (and forgets them: the next describe makes its own)
local function reset()
  for _, f in ipairs(FORMATS) do
    if f.folder and f.path then os.execute("rm -r " .. sh(f.path)) end
    f.path = nil
  end
  clean()
end

-- the command line of a cohort subcommand over an input
local COMMANDS = {
  classify = function(input, o) return "classify --columns id,calcium,problems " .. o .. " " .. sh(input) end,
  compare = function(input, o) return "compare --rules default --rules default " .. o .. " " .. sh(input) end,
  sweep = function(input, o) return "sweep --param ca_x_p_limit=50:60:10 " .. o .. " " .. sh(input) end,
  report = function(input, o) return "report --format json " .. o .. " --cohort " .. sh(input) end,
}
local ORDER = { "classify", "compare", "sweep", "report" }

describe("every cohort subcommand takes every input format", function()
  teardown(reset)
  for _, f in ipairs(FORMATS) do
    for _, cmd in ipairs(ORDER) do
      it(cmd .. " reads " .. f.name, function()
        local out, rc, err = S.run(COMMANDS[cmd](input_of(f), f.args or ""))
        assert.equal(f.repeats and 1 or 0, rc, err)
        assert.truthy(#out > 0)
        if cmd == "classify" then
          local r = S.parse_csv(out)
          assert.same({ "id", "calcium", "problems" }, r[1])
          assert.equal(f.id or "p1", r[2][1])
          -- the latest value where there are two (11.0 of 2021-01-01), else the only one
          assert.equal(f.dated and 11 or 9.5, tonumber(r[2][2]))
        end
      end)
      it(cmd .. " passes --index-date and --window for " .. f.name, function()
        -- the value nearest 2019-06-01 is that of 2020-01-01, 214 days away: outside a 30-day window
        local out, rc, err = S.run(COMMANDS[cmd](input_of(f), (f.args or "") .. " --index-date 2019-06-01 --window 30d"))
        if f.dated then
          assert.equal(1, rc, err) -- the window's problem
          if cmd == "classify" then
            local r = S.parse_csv(out)
            assert.equal("", r[2][2]) -- not used
            assert.matches("calcium.* of 2020%-01%-01 is outside the window %(30 days from 2019%-06%-01%); not used", r[2][3])
          end
        else
          assert.equal(0, rc, err) -- no dates: nothing to choose
        end
        if cmd == "classify" and f.dated then
          local o2 = S.run(COMMANDS[cmd](input_of(f), (f.args or "") .. " --index-date 2020-02-01"))
          assert.equal(9.5, tonumber(S.parse_csv(o2)[2][2])) -- nearest 2020-02-01
        end
      end)
    end
  end
  for _, cmd in ipairs(ORDER) do
    it(cmd .. " refuses a bad --index-date or --window as a usage error", function()
      local f = FORMATS[4]
      local _, rc = S.run(COMMANDS[cmd](input_of(f), "--index-date 2020-02-30"))
      assert.equal(2, rc)
      local _, rc2 = S.run(COMMANDS[cmd](input_of(f), "--window soon"))
      assert.equal(2, rc2)
    end)
  end
end)

describe("every cohort subcommand takes the reading options --na, --decimal-comma and --map", function()
  teardown(clean)
  -- each file read without its option has a problem (exit 1) or is refused (exit 2); with it, it is clean
  local CASES = {
    { opt = "--na -99", text = "id,calcium [mg/dL]\np1,-99\n", without = 1 },        -- "value -99 is negative"
    { opt = "--decimal-comma", text = "id;calcium [mg/dL]\np1;9,5\n", without = 1, value = 9.5 }, -- "unknown unit ','"
    { opt = "--map ca_total=calcium", text = "id,ca_total\np1,9.5\n", without = 2, value = 9.5 }, -- no known column
  }
  local labels
  local function command(cmd, input, o)
    if cmd == "validate" then
      labels = labels or tmp("id,label\np1,metastatic\n", ".csv")
      return ("validate --labels %s --truth label %s %s"):format(sh(labels), o, sh(input))
    end
    return COMMANDS[cmd](input, o)
  end
  for _, c in ipairs(CASES) do
    for _, cmd in ipairs { "classify", "compare", "sweep", "validate", "report" } do
      it(cmd .. " " .. c.opt, function()
        local input = tmp(c.text, ".csv")
        local _, rc0 = S.run(command(cmd, input, ""))
        assert.equal(c.without, rc0)
        local out, rc, err = S.run(command(cmd, input, c.opt))
        assert.equal(0, rc, err)
        if cmd == "classify" then
          local r = S.parse_csv(out)
          assert.equal(c.value and tostring(c.value) or "", r[2][2])
        end
      end)
    end
  end
end)

describe("validate takes every input format", function()
  local LABELS = "id,label\np1,metastatic\n"
  teardown(reset)
  -- the JSON report's patients scored, and its reference column
  local function scored(out)
    local doc = assert(require("calcinosis.json").decode(out))
    return doc.rulesets[1].n
  end
  for _, f in ipairs(FORMATS) do
    it("validate scores " .. f.name .. " against a labels file joined by id", function()
      local labels = tmp(LABELS, ".csv")
      local out, rc, err = S.run(("validate --format json --labels %s --truth label %s %s"):format(sh(labels),
        f.args or "", sh(input_of(f))))
      assert.equal(f.repeats and 1 or 0, rc, err)
      -- pasted text names no patient: nothing to join its record to
      assert.equal(f.id == "" and 0 or 1, scored(out))
    end)
    if f.dated then
      it("validate passes --index-date and --window for " .. f.name, function()
        local labels = tmp(LABELS, ".csv")
        local _, rc, err = S.run(("validate --format json --labels %s --truth label %s --index-date 2019-06-01 " ..
          "--window 30d %s"):format(sh(labels), f.args or "", sh(input_of(f))))
        assert.equal(1, rc, err) -- the window's problem
      end)
    end
  end
  it("validate reads the labels from the input's own column: CSV, long format, NDJSON, ARFF", function()
    local inputs = {
      { "id,calcium [mg/dL],truth\np1,9.5,metastatic\np2,9.4,dystrophic\n", ".csv" },
      { "id,analyte,value,unit,truth\np1,calcium,9.5,mg/dL,metastatic\np1,phosphate,4,mg/dL,\n" ..
        "p2,calcium,9.4,mg/dL,dystrophic\n", ".csv" },
      { '{"id":"p1","labs":{"calcium":9.5},"truth":"metastatic"}\n{"id":"p2","labs":{"calcium":9.4},"truth":"dystrophic"}\n',
        ".ndjson" },
      { "@relation x\n@attribute id string\n@attribute calcium numeric\n@attribute truth string\n@data\n" ..
        "p1,9.5,metastatic\np2,9.4,dystrophic\n", ".arff" },
    }
    for _, i in ipairs(inputs) do
      local out, rc, err = S.run("validate --format json --truth truth " .. sh(tmp(i[1], i[2])))
      assert.equal(0, rc, err)
      assert.equal(2, scored(out), i[1])
    end
  end)
  it("validate refuses FHIR without --labels, saying how to give them", function()
    local _, rc, err = S.run("validate --truth label " .. sh(input_of(FORMATS[4])))
    assert.equal(2, rc)
    assert.matches("FHIR input has no column of reference labels: give them with %-%-labels FILE", err)
  end)
end)

describe("labs --file takes every input format", function()
  teardown(reset)
  for _, f in ipairs(FORMATS) do
    it("labs --file reads the one patient of " .. f.name .. ", with --index-date where it has dates", function()
      local json = require "calcinosis.json"
      local out, rc, err = S.run(("labs --json %s --file %s"):format(f.args or "", sh(input_of(f))))
      assert.equal(f.repeats and 1 or 0, rc, err)
      local t = assert(json.decode(out))
      assert.equal(f.dated and 11 or 9.5, t.calcium.value)
      if f.dated then
        out, rc, err = S.run(("labs --json %s --index-date 2020-02-01 --file %s"):format(f.args or "", sh(input_of(f))))
        assert.equal(f.repeats and 1 or 0, rc, err)
        assert.equal(9.5, json.decode(out).calcium.value) -- the value of 2020-01-01, nearest 2020-02-01
      end
    end)
  end
  it("labs --file with several patients asks for --id, and --id chooses", function()
    local path = tmp("id,calcium [mg/dL]\np1,9.5\np2,11.2\n", ".csv")
    local _, rc, err = S.run("labs --file " .. sh(path))
    assert.equal(2, rc)
    assert.matches("2 patient records; choose one with --id ID (ids: p1, p2)", err, 1, true)
    local out = S.run("labs --json --id p2 --file " .. sh(path))
    assert.equal(11.2, require("calcinosis.json").decode(out).calcium.value)
    _, rc, err = S.run("labs --id p9 --file " .. sh(path))
    assert.equal(2, rc)
    assert.matches("no patient with id 'p9'", err, 1, true)
  end)
end)

describe("labs and convert take --units", function()
  it("convert --units si|conventional converts to the analyte's unit", function()
    local out, rc = S.run("convert --units si 11.2 mg/dL calcium")
    assert.equal(0, rc)
    local v, u = out:match("^(%S+) (%S+)\n$")
    assert.equal("mmol/L", u)
    assert.near(11.2 * 10 / 40.078, tonumber(v), 1e-8) -- mg/dL x 10 / 40.078 g/mol
    out, rc = S.run("convert --units conventional 106 umol/L creatinine")
    assert.equal(0, rc)
    v, u = out:match("^(%S+) (%S+)\n$")
    assert.equal("mg/dL", u)
    assert.near(106 * 113.12 / 10000, tonumber(v), 1e-3) -- umol/L x 113.12 g/mol / 10^4
    local _, rc2, err = S.run("convert --units metric 1 mg/dL calcium")
    assert.equal(2, rc2)
    assert.matches("conventional or si", err)
  end)
  it("labs --units si writes values and ranges in SI", function()
    local out, rc = S.run("labs --json --units si calcium=11.2mg/dL albumin=3.1g/dL age=60 sex=F")
    assert.equal(0, rc)
    local t = require("calcinosis.json").decode(out)
    assert.equal("mmol/L", t.calcium.unit)
    assert.near(11.2 * 10 / 40.078, t.calcium.value, 1e-9)
    assert.equal("g/L", t.albumin.unit)
    assert.near(31, t.albumin.value, 1e-9)
    local conv = require("calcinosis.json").decode((S.run("labs --json calcium=11.2mg/dL age=60 sex=F")))
    assert.near(conv.calcium.range.low * 10 / 40.078, t.calcium.range.low, 1e-9)
    assert.equal("mg/dL", conv.calcium.unit)
    local _, rc2 = S.run("labs --units metric calcium=11.2mg/dL")
    assert.equal(2, rc2)
  end)
end)
