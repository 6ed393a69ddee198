-- calcinosis.read: records from every reader, with the one record logic
-- (missing-value codes, decimal commas, a user's column mapping, ARFF), the
-- same records and results as the cohort path, and the bridge that runs
-- records read in Lua through the C pipeline.
local S = require "support"
local calcinosis = require "calcinosis"
local read = require "calcinosis.read"
local cohort = require "calcinosis.cohort"

local tmp, clean = S.temp_files()
teardown(clean)

local function all(it)
  local t = {}
  for r in it do t[#t + 1] = r end
  return t
end

local function records(text, opts)
  local it, fp = read.read(text, opts)
  assert(it, fp)
  return all(it), fp
end

local DEFAULT_CODES = { "", "NA", "N/A", "#N/A", "NULL", ".", "-", "na", " NA " }

describe("calcinosis.read: missing-value codes", function()
  for _, code in ipairs(DEFAULT_CODES) do
    it(("'%s' in every kind of cell is a missing value, not a problem (CSV and NDJSON)"):format(code), function()
      local csv = "id,age,sex,species,height_cm,calcium [mg/dL],phosphate,findings,sites\n" ..
        ("P1,%s,%s,%s,%s,%s,%s,%s,%s\n"):format(code, code, code, code, code, code, code, code)
      local r = records(csv)
      assert.equal(1, #r)
      assert.same({}, r[1].problems)
      assert.is_nil(r[1].age)
      assert.is_nil(r[1].sex)
      assert.is_nil(r[1].height_cm)
      assert.same({}, r[1].labs)
      assert.is_nil(r[1].findings)
      assert.is_nil(r[1].sites)
      local nd = ('{"id":"P1","age":"%s","sex":"%s","height_cm":"%s","labs":{"calcium":"%s"},"findings":["%s"]}\n')
        :format(code, code, code, code, code)
      local n = records(nd .. nd, { format = "ndjson" })
      assert.equal(2, #n)
      assert.same({}, n[1].problems)
      assert.same({}, n[1].labs)
    end)
  end
  it("an R export (NA in every empty cell) classifies without a problem on any record", function()
    -- what R's write.csv writes: quoted strings, NA for missing values
    local csv = '"id","age","sex","calcium","phosphate","creatinine","findings","sites"\n' ..
      '"P1",60,"F",11.2,NA,NA,NA,NA\n"P2",NA,NA,NA,4.1,1.0,"dialysis","thighs"\n'
    local r = records(csv)
    assert.equal(2, #r)
    for _, rec in ipairs(r) do assert.same({}, rec.problems) end
    assert.equal(11.2, r[1].labs.calcium[1])
    assert.is_nil(r[1].labs.phosphate)
    assert.equal(4.1, r[2].labs.phosphate[1])
  end)
  it("na changes the set: '-99' becomes missing and 'NA' a problem", function()
    local csv = "id,age,calcium [mg/dL],findings\nP1,-99,-99,-99\nP2,NA,NA,NA\n"
    local r = records(csv, { na = { "-99" } })
    assert.same({}, r[1].problems)
    assert.is_nil(r[1].age)
    assert.same({}, r[1].labs)
    assert.is_nil(r[1].findings)
    local text = table.concat(r[2].problems, "\n")
    assert.matches("age: 'NA' is not an age", text, 1, true)
    assert.matches("calcium [mg/dL]: 'NA' is not a number", text, 1, true)
    assert.matches("unknown term 'na'", text, 1, true)
    -- and the default set reports -99 (a negative value)
    local d = records(csv)
    assert.matches("negative", table.concat(d[1].problems, "\n"))
  end)
  it("'?' is missing on the ARFF path only", function()
    local arff = "@relation t\n@attribute id string\n@attribute calcium numeric\n@data\nP1,?\nP2,10.1\n"
    local r = records(arff)
    assert.equal(2, #r)
    assert.same({}, r[1].problems)
    assert.same({}, r[1].labs)
    assert.equal(10.1, r[2].labs.calcium[1])
    local c = records("id,calcium\nP1,?\n")
    assert.matches("'%?' is not a number", c[1].problems[1])
  end)
end)

describe("calcinosis.read: decimal commas", function()
  local dot = "id;age;sex;height_cm;calcium;albumin [g/L];creatinine;findings\n" ..
    "P1;60.5;F;162.5;2.45 mmol/L;31.5;1.3;ckd; dialysis\nP2;8;M;;12.1;40;88.4 umol/L;\n"
  local comma = dot:gsub("(%d)%.(%d)", "%1,%2")
  it("a decimal-comma cohort gives the same records and results as the dot cohort", function()
    assert.not_equal(dot, comma)
    local a = records(dot, { delimiter = ";" })
    local b = records(comma, { decimal_comma = true }) -- ';' is the delimiter that goes with it
    assert.same(a, b)
    -- by hand: 2.45 mmol/L x 40.078 g/mol / 10 = 9.81911 mg/dL; 31.5 g/L = 3.15 g/dL
    assert.near(9.81911, b[1].labs.calcium[1], 1e-5)
    assert.near(3.15, b[1].labs.albumin[1], 1e-12)
    assert.equal(60.5, b[1].age)
    assert.equal(162.5, b[1].height_cm)
    local rs = calcinosis.rules.default()
    for i = 1, #a do
      local ra, rb = calcinosis.classify(a[i], rs), calcinosis.classify(b[i], rs)
      assert.equal(ra.type, rb.type)
      assert.equal(ra.score, rb.score)
    end
  end)
  it("without decimal_comma, '2,45' is not a number (nothing is read silently)", function()
    local r = records("id;calcium\nP1;2,45\n", { delimiter = ";" })
    assert.equal(1, #r[1].problems)
    assert.matches("calcium: '2,45'", r[1].problems[1], 1, true)
    assert.same({}, r[1].labs)
  end)
end)

describe("calcinosis.read: the same records and results as the cohort path", function()
  local rs = calcinosis.rules.default()
  local function same_as_rows(path, opts)
    local rows = {}
    for r in assert(cohort.rows(rs, path, opts)) do rows[#rows + 1] = r end
    local recs = all(assert(read.read(path, opts)))
    assert.equal(#rows, #recs)
    assert.is_true(#rows > 0)
    for i, rec in ipairs(recs) do
      local got = calcinosis.classify(rec, rs)
      assert.equal(rows[i].id, rec.id)
      assert.equal(rows[i].line, rec.line)
      assert.equal(rows[i].type, got.type, rec.id)
      assert.equal(rows[i].score, got.score, rec.id)
      local fa, fb = {}, {}
      for _, f in ipairs(rows[i].fired) do fa[#fa + 1] = f.id end
      for _, f in ipairs(got.fired) do fb[#fb + 1] = f.id end
      assert.same(fa, fb)
      for _, k in ipairs { "values", "scores", "findings", "sites", "alternatives", "alerts", "missing", "confidence" } do
        assert.same(rows[i][k], got[k], rec.id .. ": " .. k)
      end
      -- the reader's problems are the record's (classify names the record after them)
      assert.equal(#rows[i].problems, #got.problems)
    end
    return recs
  end
  it("wide CSV (examples/cohort.csv)", function()
    local recs = same_as_rows("examples/cohort.csv")
    assert.equal(31, #recs)
  end)
  it("NDJSON (the example patients, one per line, with a broken line)", function()
    local json = require "calcinosis.json"
    local lines = {}
    for _, name in ipairs { "heel_stick_infant", "calciphylaxis_uraemic", "milk_alkali", "si_units_dialysis" } do
      local p = json.decode(S.slurp("examples/patients/" .. name .. ".json"))
      lines[#lines + 1] = json.encode(p)
    end
    lines[#lines + 1] = '{"id": "broken", "age": '
    local path = tmp(table.concat(lines, "\n") .. "\n", ".ndjson")
    local recs = same_as_rows(path)
    assert.equal(5, #recs)
    assert.matches("not a JSON object", recs[5].problems[1])
  end)
  it("long-format CSV", function()
    local path = tmp("id,analyte,value,unit,age,sex,findings\n" ..
      "L1,calcium,11.9,mg/dL,60,F,ckd\nL1,phosphate,7.1,mg/dL,60,F,ckd\nL1,albumin,3.0,g/dL,60,F,ckd\n" ..
      "L2,calcium,2.2,mmol/L,40,M,\nL2,pth,NA,pg/mL,40,M,\n", ".csv")
    local recs = same_as_rows(path)
    assert.equal(2, #recs)
    assert.near(11.9, recs[1].labs.calcium[1], 1e-12)
    assert.same({ "ckd" }, recs[1].findings)
  end)
  it("a censored value keeps its comparator", function()
    local r = records("id,age,sex,egfr\nP1,70,F,<15\n")
    assert.equal("string", type(r[1].labs.egfr))
    assert.matches("^<15 ", r[1].labs.egfr)
    local got = calcinosis.classify(r[1], rs)
    local row = all(assert(cohort.rows(rs, tmp("id,age,sex,egfr\nP1,70,F,<15\n", ".csv"))))[1]
    assert.equal(row.ckd_stage and row.ckd_stage.value or row.type, got.ckd_stage and got.ckd_stage.value or got.type)
  end)
end)

describe("calcinosis.read: options and formats", function()
  it("an unknown option raises, with 'did you mean'", function()
    local ok, e = pcall(read.read, "examples/cohort.csv", { formt = "csv" })
    assert.is_false(ok)
    assert.matches("unknown option 'formt' %(did you mean 'format'%?%)", e)
    ok, e = pcall(read.read, "examples/cohort.csv", { format = "cvs" })
    assert.is_false(ok)
    assert.matches("unknown format 'cvs' %(did you mean 'csv'%?%)", e)
  end)
  it("is calcinosis.read", function()
    local a = all(assert(calcinosis.read("examples/cohort.csv")))
    local b = all(assert(read.read("examples/cohort.csv")))
    assert.same(a, b)
  end)
  it("a file that is not a cohort: nil and what it looks like", function()
    local it_, e = read.read("MSH|^~\\&|LAB|X|Y|Z|20240101||ORU^R01|1|P|2.5\rPID|1||123\n")
    if read.available("hl7") then
      assert.is_function(it_) -- (the hl7 branch tests its reader)
    else
      assert.is_nil(it_)
      assert.matches("HL7 v2.*not available in this build", e)
    end
    it_, e = read.read('{"resourceType": "Bundle", "type": "collection", "entry": []}\n')
    if read.available("fhir") then
      assert.is_function(it_)
    else
      assert.is_nil(it_)
      assert.matches("FHIR JSON resource %(Bundle%).*FHIR reading is not available in this build", e)
    end
    it_, e = read.read("age|sc\n48|1.2\n", { delimiter = "," })
    assert.is_nil(it_)
    assert.matches("seems to use '|'", e, 1, true)
  end)
  it("the file's problems name the columns it ignores", function()
    local _, fp = records("id,calcium,bogus\nP1,10,x\n")
    assert.matches("column 'bogus' is not known; ignored", fp[1], 1, true)
  end)
  it("map reads a data set's names as the tool's, never a guess", function()
    local csv = "age,sc,al\n48,1.2,1\n"
    local it_, e = read.read(csv)
    assert.is_nil(it_)
    assert.matches("'sc'", e)
    local r = records(csv, { map = "sc=creatinine" })
    assert.equal(1.2, r[1].labs.creatinine[1])
    assert.is_nil(r[1].labs.albumin) -- 'al' is not albumin
    -- by hand: 106 umol/L / 88.40326 (umol/L per mg/dL) = 1.19905 mg/dL
    local r2 = records("age,sc\n48,106\n", { map = { sc = "creatinine [umol/L]" } })
    assert.near(1.19905, r2[1].labs.creatinine[1], 1e-5)
    local bad, be = read.read(csv, { map = "sc=creatinin" })
    assert.is_nil(bad)
    assert.matches("'creatinin' is not a column the reader knows %(did you mean 'creatinine'%?%)", be)
  end)
end)

describe("records read in Lua, run through the C pipeline", function()
  -- hand-made records in the shape the hl7 and text readers give
  local recs = {
    { id = "H1", age = 67, sex = "F", labs = { calcium = { 11.8, "mg/dL" }, phosphate = "6.9 mg/dL",
        albumin = { 30, "g/L" }, creatinine = { 265, "umol/L" } }, findings = { "ckd", "dialysis" },
      problems = { "OBX 4: unit 'mg/dl?' not recognised", "PID 7: birth date '1957' without month" },
      unrecognised = { "OBX 9" }, birth_date = "1957-01-01", calcium_date = "2024-03-01",
      calcium_range = "8.5-10.5", calcium_flag = "H", calcium_values = { 11.2, 11.8 } },
    { id = "H2", age = 30, sex = "M", labs = {}, problems = {} },
    { id = "H3", labs = { calcium = "high" }, problems = { "message 3: no PID segment" } },
  }
  it("writes them as NDJSON, one line each, that the C reader reads with their problems", function()
    local path = tmp(nil, ".ndjson")
    assert.equal(3, read.write_ndjson(recs, path))
    local text = S.slurp(path)
    local n = select(2, text:gsub("\n", ""))
    assert.equal(3, n)
    -- the dates, ranges and flags are fields of the record schema (src/record.h): written, and read by C
    assert.matches('"calcium_date":"2024-03-01"', text, 1, true)
    assert.not_matches("calcium_values", text) -- (a reader-only key: not written)
    local rs = calcinosis.rules.default()
    local out = tmp(nil, ".csv")
    local stats = assert(cohort.run(rs, { input = path, output = out,
      columns = "id,type,ca_corr:%.2f,calcium_date,problems" }))
    assert.equal(3, stats.records)
    assert.equal(2, stats.with_problems)
    local rows = S.read_csv(out)
    assert.equal(3, #rows)
    -- by hand: corrected calcium = 11.8 + 0.8 x (4.0 - 3.0) = 12.60 mg/dL
    assert.equal("12.60", rows[1]["ca_corr"])
    assert.equal("2024-03-01", rows[1].calcium_date)
    assert.matches("line 1: OBX 4: unit 'mg/dl?' not recognised; line 1: PID 7: birth date '1957' without month",
      rows[1].problems, 1, true)
    assert.equal("", rows[2].problems)
    assert.matches("no PID segment", rows[3].problems, 1, true)
    -- the same type as the record classified alone
    for i, r in ipairs(recs) do assert.equal(calcinosis.classify(r, rs).type, rows[i].type) end
  end)
  it("the NDJSON reader ignores the reader-only keys without a problem", function()
    local line = '{"id":"X","labs":{"calcium":"10.1 mg/dL"},"birth_date":"1950-01-02","calcium_date":"2024-01-01",' ..
      '"calcium_range":"8.5-10.5","calcium_flag":"N","calcium_values":[10.1],"unrecognised":["OBX 2"],"problems":[]}\n'
    local r = records(line, { format = "ndjson" })
    assert.same({}, r[1].problems)
    assert.equal(10.1, r[1].labs.calcium[1])
    local bad = records('{"id":"Y","problems":"oops"}\n', { format = "ndjson" })
    assert.same({ "line 1: problems: expected a list of strings" }, bad[1].problems)
  end)
end)

describe("the UCI chronic kidney disease ARFF file", function()
  local REL = "data/csv/uci_chronic_kidney_disease_full.arff"
  it("gives its 400 patients, one record each, ? missing, creatinine from sc in mg/dL, malformed rows reported", function()
    local path = S.shared_file(REL)
    if not path then return pending(S.skip_reason(REL)) end
    -- an independent reading of the file: attribute names, then the data rows
    local names, rows, in_data, lineno = {}, {}, false, 0
    for line in io.lines(path) do
      lineno = lineno + 1
      line = line:gsub("\r$", "")
      if in_data then
        if line:find("%S") and not line:match("^%%") then
          local fields = {}
          for f in (line .. ","):gmatch("([^,]*),") do fields[#fields + 1] = f end
          rows[#rows + 1] = { line = lineno, fields = fields }
        end
      else
        local n = line:match("^@attribute%s+'([^']+)'")
        if n then names[#names + 1] = n end
        if line:lower():match("^@data") then in_data = true end
      end
    end
    assert.equal(25, #names)
    assert.equal(400, #rows)
    local sc
    for i, n in ipairs(names) do if n == "sc" then sc = i end end
    local malformed = {}
    for _, r in ipairs(rows) do if #r.fields ~= 25 then malformed[#malformed + 1] = r.line end end
    assert.same({ 215, 218, 515 }, malformed) -- 2 trailing commas, 1 ',,'

    local recs = records(path, { map = "sc=creatinine" })
    assert.equal(400, #recs)
    local with_problems = {}
    for i, rec in ipairs(recs) do
      local row = rows[i]
      assert.equal(row.line, rec.line)
      for _, p in ipairs(rec.problems) do
        assert.not_matches("'%?'", p) -- '?' is a missing value, never a problem
        with_problems[rec.line] = true
      end
      assert.is_nil(rec.labs.albumin) -- 'al' is the urine albumin grade, not serum albumin
      local v = row.fields[sc]
      local want = tonumber(v)
      if want and want >= 0.05 and want <= 40 then
        assert.equal(want, rec.labs.creatinine and rec.labs.creatinine[1], "line " .. row.line)
      else
        assert.is_nil(rec.labs.creatinine, "line " .. row.line)
      end
      local age = tonumber(row.fields[1])
      assert.equal(age, rec.age)
    end
    for _, l in ipairs(malformed) do
      assert.is_true(with_problems[l], "line " .. l)
      local rec = recs[l - rows[1].line + 1]
      assert.equal(l, rec.line)
      assert.matches(("line %d: 26 fields, expected 25"):format(l), rec.problems[1], 1, true)
    end
  end)
end)
