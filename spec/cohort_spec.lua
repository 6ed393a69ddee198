-- Cohorts: the C pipeline (CSV in, CSV/NDJSON out), the Lua streaming path
-- (NDJSON, long format), the command's exit statuses, compare and sweep.
local rules = require "calcinosis.rules"
local cohort = require "calcinosis.cohort"
local json = require "calcinosis.json"
local cli_cohort = require "calcinosis.cli_cohort"

local BENCH_COLUMNS = "id,type,score,fired,ca_corr:%.2f,ca_x_p:%.1f,egfr:%.0f"
local bench = assert(rules.load("bench/bench-v1.lua"))

local tmp, clean_tmp = require("support").temp_files()
local slurp = require("support").slurp
local function lines(s)
  local t = {}
  for l in (s .. ""):gmatch("([^\n]*)\n") do t[#t + 1] = l end
  return t
end
local function run(csv, opts)
  opts = opts or {}
  local out = tmp()
  opts.input, opts.output = tmp(csv), out
  opts.columns = opts.columns or BENCH_COLUMNS
  local rs = opts.ruleset or bench
  opts.ruleset = nil
  local stats, err = cohort.run_csv(rs, opts)
  return stats, err, slurp(out)
end
local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>" .. tmp() .. "; echo \"rc=$?\""))
  local out = p:read("a")
  p:close()
  local rc = tonumber(out:match("rc=(%d+)\n$"))
  return out:gsub("rc=%d+\n$", ""), rc
end

teardown(clean_tmp)

local HEADER = "id,age_years,sex,calcium [mg/dL],albumin [g/dL],phosphate [mg/dL],creatinine [mg/dL],pth [pg/mL],vitd25 [ng/mL],findings,sites\n"

-- The hand-checked cohort (see the comments of each row, bench-v1 rules).
local SMALL = HEADER .. table.concat({
  "P1,60,F,9.5,4.0,3.5,0.8,,,,",            -- no cause, normal Ca/P: idiopathic.no_cause (2)
  "P2,10,M,9.5,4.0,5.0,,,,,",               -- child (phos limit 6.5): no_cause 2 + young 1 = 3
  "P3,12,F,,,,,,,,face",                    -- only idiopathic.young (1); strict drops it
  "P4,50,M,9.0,4.0,6.5,1.0,,,trauma,",      -- hyperphosphatemia 3 vs dystrophic.cause 3: tie -> metastatic
  "P5,70,F,9.0,4.0,4.0,1.5,,,lupus,",       -- dystrophic.cause 3 + normal_labs 1 = 4
  "P6,40,M,9.5,4.0,3.0,0.9,,,iv_calcium,",  -- iatrogenic.exposure 5
}, "\n") .. "\n"

describe("cohort: the C pipeline", function()
  it("classifies the hand-checked cohort", function()
    local stats, err, out = run(SMALL)
    assert.is_nil(err)
    assert.equal(6, stats.records)
    local rows = lines(out)
    assert.equal("id,type,score,fired,ca_corr,ca_x_p,egfr", rows[1])
    assert.matches("^P1,idiopathic,2,idiopathic.no_cause,9.50,33.2,%d+$", rows[2])
    assert.matches("^P2,idiopathic,3,idiopathic.no_cause;idiopathic.young,9.50,47.5,$", rows[3])
    assert.equal("P3,idiopathic,1,idiopathic.young,,,", rows[4])
    assert.matches("^P4,metastatic,3,metastatic.hyperphosphatemia;dystrophic.cause,9.00,58.5,%d+$", rows[5])
    assert.matches("^P5,dystrophic,4,dystrophic.cause;dystrophic.normal_labs,9.00,36.0,37$", rows[6])
    assert.matches("^P6,iatrogenic,5,iatrogenic.exposure,", rows[7])
    assert.same({ idiopathic = 3, metastatic = 1, dystrophic = 1, iatrogenic = 1, calciphylaxis = 0,
      indeterminate = 0 }, stats.types)
  end)

  it("agrees with the Lua classifier row by row", function()
    local stats, _, out = run(SMALL, { columns = "id,type,score,fired" })
    assert.equal(6, stats.records)
    local rows = lines(out)
    local patients = {
      { id = "P1", age = 60, sex = "F", labs = { calcium = 9.5, albumin = 4.0, phosphate = 3.5, creatinine = 0.8 } },
      { id = "P4", age = 50, sex = "M", labs = { calcium = 9.0, albumin = 4.0, phosphate = 6.5, creatinine = 1.0 },
        findings = { "trauma" } },
      { id = "P5", age = 70, sex = "F", labs = { calcium = 9.0, albumin = 4.0, phosphate = 4.0, creatinine = 1.5 },
        findings = { "lupus" } },
    }
    local by_id = {}
    for i = 2, #rows do by_id[rows[i]:match("^([^,]+)")] = rows[i] end
    for _, p in ipairs(patients) do
      local r = bench:classify(p)
      local fired = {}
      for i, f in ipairs(r.fired) do fired[i] = f.id end
      assert.equal(("%s,%s,%d,%s"):format(p.id, r.type, r.score, table.concat(fired, ";")), by_id[p.id])
    end
  end)

  describe("CSV edge cases", function()
    it("quoted fields with commas, quotes and newlines", function()
      local csv = HEADER .. '"P,1",60,F,9.5,4.0,3.5,0.8,,,"trauma;\nlupus","say ""hi"""\nP2,60,F,9.5,4.0,3.5,0.8,,,,\n'
      local stats, _, out = run(csv, { columns = "id,type,fired,problems" })
      assert.equal(2, stats.records)
      local rows = lines(out)
      assert.matches('^"P,1",dystrophic,dystrophic.cause;dystrophic.normal_labs,', rows[2])
      assert.matches("unknown term 'say_hi'", rows[2])
      assert.equal("P2,idiopathic,idiopathic.no_cause,", rows[3])
    end)
    it("CRLF line ends and a byte-order mark", function()
      local csv = "\239\187\191" .. (HEADER .. "P1,60,F,9.5,4.0,3.5,0.8,,,,\n"):gsub("\n", "\r\n")
      local stats, _, out = run(csv, { columns = "id,type,problems" })
      assert.equal(1, stats.records)
      assert.equal("P1,idiopathic,", lines(out)[2])
    end)
    it("';' and tab delimiters on request (terms then separated by ',' or ';' in quotes)", function()
      for _, d in ipairs { ";", "\t" } do
        local csv = ("id;age;sex;calcium [mg/dL];phosphate [mg/dL];findings\nP1;60;F;11.5;3.0;ckd,x\n"):gsub(";", d)
        local stats, _, out = run(csv, { delimiter = d, columns = "id,type,fired,problems" })
        assert.equal(1, stats.records)
        assert.matches("^P1,metastatic,metastatic.hypercalcemia;metastatic.cause,", lines(out)[2])
      end
    end)
    it("units in the header, in a companion column, in the cell, or none (canonical)", function()
      local csv = "id,age,calcium [mmol/L],phosphate,phosphate_unit,creatinine,albumin\n" ..
        "P1,60,2.62,1.0,mmol/L,88.4 umol/L,4\n" ..
        "P2,60,2.4,3.1,mg/dL,1.0,40 g/L\n"
      local stats, _, out = run(csv, { columns = "id,calcium:%.2f,phosphate:%.2f,creatinine:%.2f,albumin:%.1f,problems" })
      assert.equal(2, stats.records)
      local rows = lines(out)
      assert.equal("P1,10.50,3.10,1.00,4.0,", rows[2])
      assert.equal("P2,9.62,3.10,1.00,4.0,", rows[3])
    end)
    it("reports a value impossible in its unit, naming the likely one, and leaves it missing", function()
      local csv = "id,calcium [mg/dL]\nP1,2.4\n"
      local _, _, out = run(csv, { columns = "id,calcium,problems" })
      assert.matches("^P1,,.*calcium %[mg/dL%]: 2.4 is implausible for calcium.*looks like 2.4 mmol/L", lines(out)[2])
    end)
    it("findings and sites: case, spaces, synonyms, ICD-10-CM codes", function()
      local csv = "id,age,findings,sites\nP1,50,\" CKD ; Livedo racemosa\",Thighs\nP2,50,N18.6;Z99.2,\n"
      local _, _, out = run(csv, { columns = "id,fired,problems" })
      local rows = lines(out)
      assert.matches("^P1,metastatic.cause;calciphylaxis.uremic,", rows[2])
      assert.matches("^P2,metastatic.cause,", rows[3])
    end)
    it("unknown terms are problems naming the term, and the record is still classified", function()
      local _, _, out = run("id,age,findings\nP1,50,ckd;dermatomiositis\n", { columns = "id,type,problems" })
      assert.matches("^P1,metastatic,.*unknown term 'dermatomiositis'", lines(out)[2])
    end)
    it("NDJSON output", function()
      local _, _, out = run(SMALL, { format = "ndjson", columns = "id,type,score,fired,ca_corr:%.2f,problems" })
      local rows = lines(out)
      assert.equal(6, #rows)
      local r = json.decode(rows[4])
      assert.equal("P4", r.id)
      assert.equal("metastatic", r.type)
      assert.equal(3, r.score)
      assert.same({ "metastatic.hyperphosphatemia", "dystrophic.cause" }, r.fired)
      assert.equal(9, r.ca_corr)
      assert.same({}, r.problems) -- a list of messages, empty here
    end)
    it("lists the fired and the not evaluable rules of a ruleset with more than 64 rules", function()
      local decls, want = {}, {}
      for i = 1, 70 do
        decls[#decls + 1] = ('rule { id = "r%d", when = "calcium %s 1 mg/dL", supports = "a", weight = 1, because = "b", source = "S1" }')
          :format(i, i % 3 == 0 and ">" or "<")
        if i % 3 == 0 then want[#want + 1] = "r" .. i end
      end
      local rs = assert(rules.compile(('return ruleset { name = "many", version = "1", subtypes = { "a" }, %s }')
        :format(table.concat(decls, ",\n"))))
      local _, _, out = run("id,calcium [mg/dL]\nP1,9.5\nP2,\n", { ruleset = rs, columns = "id,score,fired,not_evaluable" })
      local rows = lines(out)
      local all = {}
      for i = 1, 70 do all[i] = "r" .. i end
      assert.equal(("P1,%d,%s,"):format(#want, table.concat(want, ";")), rows[2])
      assert.equal(("P2,0,,%s"):format(table.concat(all, ";")), rows[3])
      _, _, out = run("id,calcium [mg/dL]\nP1,9.5\n", { ruleset = rs, columns = "id,fired", format = "ndjson" })
      assert.same(want, json.decode(lines(out)[1]).fired)
    end)
    it("NDJSON output lists the problems of a record, CSV joins them with '; '", function()
      local csv = HEADER .. "P1,sixty,F,abc,4,3,1,,,ckd;dermatomiositis,\n"
      local _, _, out = run(csv, { format = "ndjson", columns = "id,problems" })
      assert.same({ "age_years: 'sixty' is not an age (a number, or a number with a unit such as 8 mo)",
        "calcium [mg/dL]: 'abc' is not a number",
      "findings: unknown term 'dermatomiositis' (did you mean 'dermatomyositis'?)" }, json.decode(lines(out)[1]).problems)
      _, _, out = run(csv, { columns = "id,problems" })
      assert.equal('P1,"age_years: \'sixty\' is not an age (a number, or a number with a unit such as 8 mo); ' ..
        "calcium [mg/dL]: 'abc' is not a number; findings: unknown term 'dermatomiositis' " ..
        "(did you mean 'dermatomyositis'?)\"", lines(out)[2])
    end)
    it("NDJSON output escapes control characters, quotes and backslashes in ids", function()
      local csv = 'id,age\n"a\1b""c\\d\te",50\n'
      local _, _, out = run(csv, { format = "ndjson", columns = "id,type" })
      local row = lines(out)[1]
      assert.equal('{"id":"a\\u0001b\\"c\\\\d\\te","type":"indeterminate"}', row)
      assert.equal('a\1b"c\\d\te', json.decode(row).id)
    end)
    it("CSV output quotes ids with commas, quotes or newlines", function()
      local _, _, out = run('id,age\n"a,b",50\n"say ""x""",50\n"l1\nl2",50\n', { columns = "id,type" })
      assert.equal('id,type\n"a,b",indeterminate\n"say ""x""",indeterminate\n"l1\nl2",indeterminate\n', out)
    end)
    it("writes a row longer than its output buffer (a 3 MB id)", function()
      local id = ("x"):rep(3 * 1024 * 1024)
      local _, _, out = run("id,age\nP1,50\n" .. id .. ",50\nP3,50\n", { columns = "id,type" })
      assert.equal("id,type\nP1,indeterminate\n" .. id .. ",indeterminate\nP3,indeterminate\n", out)
      _, _, out = run("id,age\n" .. id .. ",50\n", { format = "ndjson", columns = "id" })
      assert.equal('{"id":"' .. id .. '"}\n', out)
    end)
    it("formats huge values with up to 20 decimals, as string.format does", function()
      local rs = assert(rules.compile([[return ruleset { name = "big", version = "1", subtypes = { "a" },
        let("big", "calcium * 1e300"), let("neg", "0 - calcium / 3") }]]))
      local _, _, out = run("id,calcium [mg/dL]\nP1,9.5\n", { ruleset = rs, columns = "big:%.20f,neg:%.20f,big" })
      local big, neg = 9.5 * 1e300, 0 - 9.5 / 3
      assert.equal(("big,neg,big\n%.20f,%.20f,%.6g\n"):format(big, neg, big), out)
      local stats, err = run("id\nP1\n", { columns = "id,ca_corr:%.21f" })
      assert.is_nil(stats)
      assert.equal("column 'ca_corr:%.21f': at most 20 decimals", err)
    end)
    it("names a file it cannot open", function()
    for _, jobs in ipairs { 1, 2 } do
      local stats, err = cohort.run_csv(bench, { input = "/nonexistent.csv", jobs = jobs })
      assert.is_nil(stats)
      assert.equal("/nonexistent.csv: cannot open for reading", err)
    end
    local stats, err = cohort.run_csv(bench, { input = tmp(SMALL), output = "/nonexistent/dir/out.csv" })
    assert.is_nil(stats)
    assert.equal("/nonexistent/dir/out.csv: cannot open for writing", err)
  end)
  it("writes NDJSON that is UTF-8 when an input cell is not, and names the cell in problems", function()
    -- before, the bytes were copied: a JSON reader refused the line
    local csv = "id,calcium [mg/dL],findings\nP\xff1,9.5,nodule \xc3\n\"P\x012\",9.0,\"nod\xe2\x82\"\n"
    local want = '{"id":"P\xEF\xBF\xBD1","problems":["line 2: column 1: invalid UTF-8; column 3: invalid UTF-8"]}\n'
      .. '{"id":"P\\u00012","problems":["line 3: column 3: invalid UTF-8",'
      .. '"findings: unknown term \'nod\xEF\xBF\xBD\xEF\xBF\xBD\'"]}\n'
    for _, jobs in ipairs { 1, 2 } do
      local stats, err, out = run(csv, { format = "ndjson", columns = "id,problems", jobs = jobs })
      assert.is_truthy(stats, err)
      assert.equal(want, out)
      for line in out:gmatch("[^\n]+") do assert.is_truthy(utf8.len(line), line) end
    end
  end)
  it("refuses a directory as input with its name and reason, through every reader", function()
    -- a directory opens on Linux; before, the first read raised "read error after line 0"
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. dir))
    local want = dir .. ": cannot read (Is a directory)"
    for _, o in ipairs { { jobs = 1 }, { jobs = 2 }, { input_format = "ndjson" }, { input_format = "long" } } do
      o.input = dir
      local stats, err = cohort.run_csv(bench, o)
      assert.is_nil(stats)
      assert.equal(want, err)
    end
    assert.equal("csv", cohort.input_format(dir))
    local it, err = cohort.rows(bench, dir)
    assert.is_nil(it)
    assert.equal(want, err)
    local r, cerr = require("calcinosis.core").csv_open(dir)
    assert.is_nil(r)
    assert.equal(want, cerr)
    os.remove(dir)
  end)
  it("names an unknown output column with a suggestion", function()
      local stats, err = run(SMALL, { columns = "id,ca_cor" })
      assert.is_nil(stats)
      assert.matches("unknown column 'ca_cor' %(did you mean 'ca_corr'%?%)", err)
    end)
  end)

  describe("malformed input: nothing crashes, one row per record", function()
    local corpus = {
      { "ragged rows", HEADER .. "P1,60,F\nP2,60,F,9,4,3,1,20,30,,,extra,extra\nP3,60,F,9,4,3,1,,,,\n", 3 },
      { "unterminated quote", HEADER .. 'P1,60,F,9,4,3,1,,,"trauma\nP2,60,F,9,4,3,1,,,,\n', 1 },
      { "non-numeric labs", HEADER .. "P1,sixty,F,high,abc,3..1,-1,1e999,NaN,,\n", 1 },
      { "unknown units", "id,calcium [mg/dX],phosphate\nP1,9,3 furlongs\n", 1 },
      { "empty file", "", 0 },
      { "header only", HEADER, 0 },
      { "duplicate ids", HEADER .. "P1,60,F,9,4,3,1,,,,\nP1,60,F,9,4,3,1,,,,\n", 2 },
      { "invalid UTF-8", HEADER .. "P\255\254,60,F,9,4,3,1,,,tr\195auma,\n", 1 },
      { "NUL bytes", HEADER .. "P1\0,60,F,9,4,3,1,,,,\n", 1 },
      { "blank lines", HEADER .. "\nP1,60,F,9,4,3,1,,,,\n\n\nP2,60,F,9,4,3,1,,,,\n", 2 },
      { "very long field", HEADER .. "P1,60,F,9,4,3,1,,," .. ("x;"):rep(100000) .. ",\n", 1 },
    }
    for _, c in ipairs(corpus) do
      it(c[1], function()
        local stats, err, out = run(c[2], { columns = "id,type,problems" })
        assert.is_nil(err)
        assert.equal(c[3], stats.records)
        assert.equal(c[3] + 1, #lines(out))
      end)
    end
    it("reports what is wrong, with the line", function()
      local _, _, out = run(HEADER .. "P1,60,F\nP2,sixty,F,9,4,3,1,,,,\n", { columns = "id,problems" })
      local rows = lines(out)
      assert.matches("^P1,\"?line 2: 3 fields, expected 11", rows[2])
      assert.matches("^P2,\"?age_years: 'sixty' is not an age", rows[3])
      _, _, out = run(HEADER .. "P1,60,F,9,4,3,1,,,,\nP1,60,F,9,4,3,1,,,,\n", { columns = "id,problems" })
      assert.matches("id 'P1' repeats the previous record's", lines(out)[3])
    end)
    it("--strict stops at the first record with a problem, giving its line", function()
      local stats = run(HEADER .. "P1,60,F,9,4,3,1,,,,\nP2,60,F,abc,4,3,1,,,,\nP3,60,F,9,4,3,1,,,,\n",
        { strict = true, columns = "id" })
      assert.is_true(stats.stopped)
      assert.equal(3, stats.stop_line)
      assert.matches("'abc' is not a number", stats.stop_message)
      assert.equal(1, stats.records)
    end)
  end)

  it("keeps memory flat: the run streams (no per-record allocation growth)", function()
    -- 200,000 records through the pipeline; the Lua heap must not grow with them
    local n = 200000
    local parts = { HEADER }
    local row = "P,60,F,9.5,4.0,3.5,0.8,20,30,trauma,hands\n"
    parts[2] = row:rep(n)
    local before = collectgarbage("count")
    local stats = run(table.concat(parts), { columns = "id,type" })
    collectgarbage()
    assert.equal(n, stats.records)
    assert.is_true(collectgarbage("count") - before < 2048)
  end)
end)

describe("cohort: the default ruleset in C and in Lua", function()
  it("gives the same type and score on the example cohort as calcinosis.classify", function()
    local rs = assert(rules.default())
    local out = tmp()
    local stats = assert(cohort.run_csv(rs, { input = "examples/cohort.csv", output = out, columns = "id,type,score" }))
    assert.is_true(stats.records >= 20)
    assert.equal(0, stats.with_problems)
    local by_id = {}
    for i, l in ipairs(lines(slurp(out))) do
      if i > 1 then
        local id, ty, score = l:match("^([^,]*),([^,]*),([^,]*)$")
        by_id[id] = { ty, tonumber(score) }
      end
    end
    local n = 0
    local p = io.popen("ls examples/patients/*.json")
    for f in p:lines() do
      local patient = json.decode(slurp(f))
      local r = require("calcinosis").classify(patient)
      assert.same({ r.type, r.type == "indeterminate" and 0 or r.score }, by_id[patient.id], f)
      n = n + 1
    end
    p:close()
    assert.equal(stats.records, n)
  end)
  it("species is an input: 'dog' is false for a record without species", function()
    local rs = assert(rules.compile([[return ruleset { name = "s", version = "1", subtypes = { "a" },
      rule { id = "x", when = "dog and finding cushing", supports = "a", weight = 1, because = "b", source = "S1" } }]]))
    local out = tmp()
    assert(cohort.run_csv(rs, { input = tmp("id,species,findings\nd,dog,cushing\nh,,cushing\nc,cat,cushing\n"),
      output = out, columns = "id,type" }))
    assert.equal("id,type\nd,a\nh,indeterminate\nc,indeterminate\n", slurp(out))
    assert.equal("a", rs:classify({ species = "dog", findings = { "cushing" } }).type)
    assert.equal("indeterminate", rs:classify({ findings = { "cushing" } }).type)
  end)
end)

describe("cohort: --jobs", function()
  it("splits a file over processes with the same output in the same order", function()
    -- > 1 MiB, with quoted line breaks and quotes near every possible cut, and bad rows
    local parts = { HEADER }
    for i = 1, 30000 do
      if i % 7 == 0 then
        parts[#parts + 1] = ('"P%d",60,F,9.5,4.0,3.5,0.8,,,"trauma;\nlupus","say ""x"""\n'):format(i)
      elseif i % 11 == 0 then
        parts[#parts + 1] = ("P%d,60,F,abc,4.0,3.5,0.8,,,ckd,\n"):format(i)
      else
        parts[#parts + 1] = ("P%d,%d,M,%.1f,4.0,%.1f,1.1,70,30,ckd;livedo,thighs\n"):format(i, 20 + i % 60, 8 + i % 5, 2 + i % 6)
      end
    end
    local input = tmp(table.concat(parts))
    local cols = "id,type,score,fired,problems,line,ca_corr:%.2f"
    local outs = {}
    for _, jobs in ipairs { 1, 2, 3, 5 } do
      local out = tmp()
      local stats = assert(cohort.run_csv(bench, { input = input, output = out, columns = cols, jobs = jobs }))
      assert.equal(30000, stats.records)
      outs[jobs] = slurp(out)
    end
    assert.is_true(#outs[1] > 1000000)
    assert.equal(outs[1], outs[2])
    assert.equal(outs[1], outs[3])
    assert.equal(outs[1], outs[5])
    -- P7 spans two lines, so P11 starts on line 13
    assert.matches("\nP11,metastatic,2,metastatic.cause,calcium %[mg/dL%]: 'abc' is not a number,13,\n", outs[5])
  end)
  it("cuts malformed quoting where the reader does: stray quotes, text after a closing quote", function()
    -- a stray quote (data) and text after a closing quote on most rows: a
    -- quote-parity cut would land inside records; an unterminated quote at the end
    local parts = { HEADER }
    for i = 1, 30000 do
      if i % 3 == 0 then
        parts[#parts + 1] = ('P%d,60,F,9.5,4.0,3.5,0.8,,,tra"uma,hands\n'):format(i)
      elseif i % 3 == 1 then
        parts[#parts + 1] = ('P%d,60,F,9.5,4.0,3.5,0.8,,,"lupus"x,"say\n""hi"""\n'):format(i)
      else
        parts[#parts + 1] = ('P%d,60,M,9.5,4.0,3.5,0.8,,,,"a""b"\n'):format(i)
      end
    end
    parts[#parts + 1] = 'P30001,60,F,9.5,4.0,3.5,0.8,,,"ckd\nP30002,1,F,,,,,,,,\n'
    local input = tmp(table.concat(parts))
    local cols = "id,type,fired,problems,line"
    local outs = {}
    for _, jobs in ipairs { 1, 2, 3, 4 } do
      local out = tmp()
      assert(cohort.run_csv(bench, { input = input, output = out, columns = cols, jobs = jobs }))
      outs[jobs] = slurp(out)
    end
    assert.is_true(#table.concat(parts) > 1024 * 1024)
    assert.equal(30002, #lines(outs[1]))
    for jobs = 2, 4 do assert.equal(outs[1], outs[jobs]) end
    assert.matches("stray quote", outs[1])
    assert.matches("text after closing quote", outs[1])
    assert.matches("unterminated quote", outs[1])
  end)
  it("--strict with jobs stops at the first problem in input order", function()
    local parts = { HEADER }
    for i = 1, 40000 do parts[#parts + 1] = ("P%d,60,F,9.5,4.0,3.5,0.8,,,trauma,hands\n"):format(i) end
    parts[30001] = "P30000,60,F,abc,4.0,3.5,0.8,,,,\n"
    local stats = assert(cohort.run_csv(bench, { input = tmp(table.concat(parts)), output = tmp(),
      columns = "id", jobs = 3, strict = true }))
    assert.is_true(stats.stopped)
    assert.equal(30001, stats.stop_line)
    assert.equal(29999, stats.records)
  end)
end)

describe("cohort: the Lua streaming path", function()
  it("long format: one observation per row, grouped into one record per patient", function()
    local csv = "id,analyte,value,unit,date,age,sex,findings\n" ..
      "p1,calcium,11.5,mg/dL,2024-01-01,50,F,\n" ..
      "p1,2777-1,6.0,mg/dL,2024-01-01,,,ckd\n" ..
      "p1,calcium,10.0,mg/dL,2023-01-01,,,\n" ..
      "p2,calcium,2.2,mmol/L,,40,M,\n" ..
      "p2,phosphate,1.0,mmol/L,,,,\n"
    local out = tmp()
    local stats = assert(cli_cohort.run { ruleset = bench, input = tmp(csv), kind = "csv", output = out,
      columns = "id,type,fired,problems,ca_corr:%.2f" })
    assert.equal(2, stats.records)
    local rows = lines(slurp(out))
    -- no albumin: ca_corr = calcium = 11.5; ca_x_p = 69 is not above 70
    assert.matches("^p1,metastatic,metastatic.hypercalcemia;metastatic.hyperphosphatemia;metastatic.cause,", rows[2])
    assert.matches("calcium repeats; kept the later value", rows[2])
    assert.matches("11.50$", rows[2])
    assert.matches("^p2,idiopathic,idiopathic.no_cause,,8.82$", rows[3])
  end)

  it("NDJSON in: one record per line, a bad line still gives a row", function()
    local nd = '{"id":"a","age":60,"sex":"F","labs":{"calcium":"9.5 mg/dL","albumin":"4 g/dL","phosphate":"3.5 mg/dL"}}\n' ..
      "this is not json\n" ..
      '{"id":"c","age":40,"findings":["iv_calcium"]}\n'
    local out = tmp()
    local stats = assert(cli_cohort.run { ruleset = bench, input = tmp(nd), kind = "ndjson", output = out,
      columns = "id,type,problems" })
    assert.equal(3, stats.records)
    local rows = lines(slurp(out))
    assert.equal("a,idiopathic,", rows[2])
    assert.matches("^,indeterminate,line 2: not a JSON object", rows[3])
    assert.equal("c,iatrogenic,", rows[4])
  end)
end)

it("the Lua classifier (asked for confidence) gives the C pipeline's types, scores and rules", function()
  local rs = assert(require("calcinosis.classify").default())
  local function first4(cols)
    local out = tmp()
    assert(cli_cohort.run { ruleset = rs, input = "examples/cohort.csv", kind = "csv", output = out, columns = cols })
    local t = {}
    for _, l in ipairs(lines(slurp(out))) do t[#t + 1] = l:match("^([^,]*,[^,]*,[^,]*,[^,]*)") end
    return t
  end
  local c, l = first4("id,type,score,fired"), first4("id,type,score,fired,confidence")
  assert.is_true(#c > 30)
  assert.same(c, l)
end)

describe("long format in the C pipeline", function()
  -- the generated bench cohort, one observation per row: units in their own
  -- column or in the value, some analytes twice with dates, patient columns
  -- on one row only, an unknown analyte and a row without an analyte
  local function long_cohort(n, seed)
    local text = require("support").bench_cohort(n, seed)
    local names = { "calcium", "albumin", "phosphate", "creatinine", "pth", "vitd25" }
    local units = { "mg/dL", "g/dL", "mg/dL", "mg/dL", "pg/mL", "ng/mL" }
    local out = { "id,analyte,value,unit,date,age,sex,findings,sites" }
    for i, row in ipairs(lines(text)) do
      if i > 1 then
        local c = {}
        for v in (row .. ","):gmatch("([^,]*),") do c[#c + 1] = v end
        local first = true
        for k, name in ipairs(names) do
          local v = c[3 + k]
          if v ~= "" then
            local patient = first and ("%s,%s,%s,%s"):format(c[2], c[3], c[10], c[11]) or ",,,"
            if i % 3 == 0 then -- the unit in the value
              out[#out + 1] = ('%s,%s,%s %s,,2024-01-0%d,%s'):format(c[1], name, v, units[k], k, patient)
            else
              out[#out + 1] = ('%s,%s,%s,%s,2024-01-0%d,%s'):format(c[1], name, v, units[k], k, patient)
            end
            first = false
          end
        end
        if first then out[#out + 1] = ("%s,,,,,%s,%s,%s,%s"):format(c[1], c[2], c[3], c[10], c[11]) end
        if i % 7 == 0 then out[#out + 1] = c[1] .. ",calcium,20,mg/dL,2023-12-31,,,," end -- older: dropped
        if i % 11 == 0 then out[#out + 1] = c[1] .. ",calcium,7.5,mg/dL,2024-02-01,,,," end -- newer: kept
        if i % 13 == 0 then out[#out + 1] = c[1] .. ",unobtainium,1,mg/dL,,,,," end
      end
    end
    return table.concat(out, "\n") .. "\n"
  end
  -- the batch pipeline's rows, and the same file read record by record
  -- (cohort.rows: the same readers, the engine one record at a time, the
  -- rows written here from the results)
  local function both(text, rs, cols)
    local input, outc = tmp(text), tmp()
    assert(cli_cohort.run { ruleset = rs, input = input, kind = "csv", output = outc, columns = cols })
    local rows = { cols }
    local function ids(list) local t = {} for i, x in ipairs(list) do t[i] = x.id end return table.concat(t, ";") end
    local function field(s) if s:find('[,"\r\n]') then return '"' .. s:gsub('"', '""') .. '"' end return s end
    for r in assert(require("calcinosis.cohort").rows(rs, input)) do
      local t = {}
      for c in cols:gmatch("[^,]+") do
        local v
        if c == "id" then v = r.id or ""
        elseif c == "type" then v = r.type
        elseif c == "score" then v = r.score == math.floor(r.score) and ("%d"):format(r.score) or ("%.6g"):format(r.score)
        elseif c == "fired" then v = ids(r.fired)
        elseif c == "not_evaluable" then v = ids(r.not_evaluable)
        elseif c == "problems" then v = table.concat(r.problems, "; ")
        elseif c == "line" then v = tostring(r.line) end
        t[#t + 1] = field(v)
      end
      rows[#rows + 1] = table.concat(t, ",")
    end
    return slurp(outc), table.concat(rows, "\n") .. "\n"
  end

  it("gives the rows of the record-by-record path (bench-v1 rules, 3,000 patients)", function()
    local c, l = both(long_cohort(3000, 5), bench, "id,type,score,fired,not_evaluable,problems,line")
    assert.equal(3001, #lines(c))
    assert.equal(l, c)
  end)
  it("and with the default rules, flags and not-evaluable rules included", function()
    local rs = assert(require("calcinosis.classify").default())
    local c, l = both(long_cohort(1000, 6), rs, "id,type,score,fired,not_evaluable,problems,line")
    assert.equal(l, c)
  end)
  it("one record per patient, the later value of a repeated analyte, problems with their lines", function()
    local c = both(long_cohort(30, 7), bench, "id,problems,line")
    local rows = lines(c)
    assert.equal(31, #rows)
    assert.matches("line %d+: calcium repeats; kept the later value %(2024%-01%-01%)", c)
    assert.matches("line %d+: calcium repeats; kept the later value", c)
    assert.matches("line %d+: unknown analyte 'unobtainium'", c)
  end)
end)

describe("NDJSON in the C pipeline", function()
  local ND_COLS = "id,type,score,fired,ca_corr:%.2f,ca_x_p:%.1f,egfr:%.0f,problems,line"
  local function nd_run(text, opts)
    opts = opts or {}
    local out = tmp()
    local stats, err = cli_cohort.run { ruleset = opts.ruleset or bench, input = tmp(text), kind = "ndjson",
      output = out, columns = opts.columns or ND_COLS, jobs = opts.jobs, strict = opts.strict }
    return stats, err, slurp(out)
  end
  -- SMALL as NDJSON records, labs with their units in the values
  local function small_ndjson()
    local names = { "calcium", "albumin", "phosphate", "creatinine", "pth", "vitd25" }
    local units = { "mg/dL", "g/dL", "mg/dL", "mg/dL", "pg/mL", "ng/mL" }
    local out = {}
    for i, row in ipairs(lines(SMALL)) do
      if i > 1 then
        local c = {}
        for v in (row .. ","):gmatch("([^,]*),") do c[#c + 1] = v end
        local labs = {}
        for k, n in ipairs(names) do
          if c[3 + k] ~= "" then labs[#labs + 1] = ('"%s":"%s %s"'):format(n, c[3 + k], units[k]) end
        end
        local function list(x)
          if x == "" then return "[]" end
          return '["' .. x:gsub(";", '","') .. '"]'
        end
        out[#out + 1] = ('{"id":"%s","age":%s,"sex":"%s","labs":{%s},"findings":%s,"sites":%s}')
          :format(c[1], c[2], c[3], table.concat(labs, ","), list(c[10]), list(c[11]))
      end
    end
    return table.concat(out, "\n") .. "\n"
  end

  it("gives the rows of the same cohort as CSV", function()
    local _, _, csv_out = run(SMALL, { columns = "id,type,score,fired,ca_corr:%.2f,ca_x_p:%.1f,egfr:%.0f,problems" })
    local _, _, nd_out = nd_run(small_ndjson(), { columns = "id,type,score,fired,ca_corr:%.2f,ca_x_p:%.1f,egfr:%.0f,problems" })
    assert.equal(csv_out, nd_out)
  end)

  it("agrees with ruleset:classify (a Lua table) on every example patient, problems included", function()
    local classify = require "calcinosis.classify"
    local rs = assert(classify.default())
    local files = dofile("examples/patients/make-results.lua").files()
    local recs, want = {}, { "id,type,score,fired,not_evaluable,problems,line" }
    local function ids(list) local t = {} for i, x in ipairs(list) do t[i] = x.id end return table.concat(t, ";") end
    local function field(v) if v:find('[,"\r\n]') then return '"' .. v:gsub('"', '""') .. '"' end return v end
    for i, name in ipairs(files) do
      local t = json.decode(slurp("examples/patients/" .. name))
      recs[#recs + 1] = json.encode(t)
      local r = rs:classify(t)
      local problems = {}
      for k, m in ipairs(r.problems) do problems[k] = m:gsub(" %(record [^)]*%)$", "") end
      want[#want + 1] = table.concat({ field(tostring(t.id or "")), r.type, ("%d"):format(r.score), ids(r.fired),
        ids(r.not_evaluable), field(table.concat(problems, "; ")), tostring(i) }, ",")
    end
    assert.is_true(#recs >= 30)
    local text = table.concat(recs, "\n") .. "\n"
    local _, _, c_out = nd_run(text, { ruleset = rs, columns = "id,type,score,fired,not_evaluable,problems,line" })
    assert.equal(table.concat(want, "\n") .. "\n", c_out)
  end)

  it("reads escapes, value-and-unit labs, aliases, terms as a string, BOM, CRLF and blank lines", function()
    local text = "\239\187\191" ..
      '{"id":"caf\\u00e9 \\ud83d\\ude00 \\"q\\"","age":"8 mo","sex":"M","labs":{"phosphate":{"value":9.5,"unit":"mg/dL"}}}\r\n' ..
      "\n   \n" ..
      '{"id":42,"age":60,"sex":"F","labs":{"ca":[2.9,"mmol/L"],"albumin":{"unit":"g/L","value":"40"},' ..
      '"2777-1":"3.5 mg/dL"},"findings":"ckd;livedo","sites":["thighs"],"ignored":{"deep":[1,2,{"x":null}]}}\n' ..
      '{"id":"x","findings":{},"labs":[]}'
    local stats, err, out = nd_run(text, { columns = "id,type,fired,ca_corr:%.2f,problems,line" })
    assert.is_nil(err)
    assert.equal(3, stats.records)
    local rows = lines(out)
    -- 8 months: phosphate 9.5 > 6.5 (child) -> hyperphosphatemia (3); young (1)
    assert.equal('"caf\195\169 \240\159\152\128 ""q""",metastatic,metastatic.hyperphosphatemia;idiopathic.young,,,1', rows[2])
    -- calcium 2.9 mmol/L (alias "ca") = 11.62 mg/dL, albumin 40 g/L = 4 g/dL; LOINC 2777-1 = phosphate
    assert.matches("^42,calciphylaxis,metastatic.hypercalcemia;metastatic.cause;calciphylaxis.uremic,11.62,,4$", rows[3])
    assert.equal("x,indeterminate,,,,5", rows[4])
  end)

  local corpus = { -- name, line 2, (plain) text expected in its problems
    { "not JSON", "this is not json", "line 2: not a JSON object (expected an object at column 1)" },
    { "an array", "[1,2]", "line 2: not a JSON object (expected an object at column 1)" },
    { "truncated", '{"id":"a","age":6', "line 2: not a JSON object (expected ',' or '}' at column 18)" },
    { "trailing text", '{"id":"a"} x', "line 2: not a JSON object (text after the object at column 12)" },
    { "bad escape", '{"id":"a\\q"}', "line 2: not a JSON object (bad escape in a string at column 9)" },
    { "lone surrogate", '{"id":"\\udc00"}', "line 2: not a JSON object (unpaired surrogate in a \\u escape at column 14)" },
    { "control character", '{"id":"a\tb"}', "line 2: not a JSON object (control character in a string at column 9)" },
    { "unterminated string", '{"id":"abc', "line 2: not a JSON object (unterminated string at column 11)" },
    { "leading zero", '{"id":"a","age":01}', "line 2: not a JSON object (expected ',' or '}' at column 18)" },
    { "deep nesting", '{"x":' .. ("["):rep(200) .. ("]"):rep(200) .. "}", "line 2: not a JSON object (nested too deeply at column 70)" },
    { "wrong types", '{"id":true,"age":[1],"sex":{},"labs":{"calcium":true},"findings":[1,"ckd"]}',
      "line 2: id: expected a string or a number; line 2: age: expected a number or a text like '8 mo'; " ..
      "line 2: sex: expected a text (F or M); line 2: labs: calcium: expected a number, a text like '10.2 mg/dL', " ..
      "or a value with a unit; line 2: findings: expected a list of terms (strings)" },
    { "unknown analyte, twice", '{"id":"a","labs":{"unobtainium":1,"calcium":"9 mg/dL","ca":"2 mmol/L"}}',
      "line 2: labs: unknown analyte 'unobtainium'; line 2: labs: calcium given twice (as 'calcium' and 'ca'); kept the first" },
    { "labs not an object", '{"id":"a","labs":"high"}', "line 2: labs: expected an object" },
    { "invalid UTF-8", '{"id":"a\255"}', "line 2: invalid UTF-8" },
    { "bad lab value", '{"id":"a","labs":{"calcium":"pending"}}', "calcium: 'pending' is not a number" },
  }
  for _, c in ipairs(corpus) do
    it("malformed: " .. c[1] .. " (one row, with the problem and its line)", function()
      local stats, err, out = nd_run('{"id":"first"}\n' .. c[2] .. '\n{"id":"last"}\n', { columns = "id,problems" })
      assert.is_nil(err)
      assert.equal(3, stats.records)
      local rows = lines(out)
      assert.equal(4, #rows)
      assert.equal("first,", rows[2])
      assert.is_truthy(rows[3]:find(c[3], 1, true), rows[3])
      assert.equal("last,", rows[4])
    end)
  end

  it("a line longer than the limit gives one row with a problem", function()
    local long = '{"id":"' .. ("x"):rep(17 * 1024 * 1024) .. '"}'
    local stats, _, out = nd_run('{"id":"a"}\n' .. long .. '\n{"id":"b"}\n', { columns = "id,problems,line" })
    assert.equal(3, stats.records)
    local rows = lines(out)
    assert.equal("a,,1", rows[2])
    assert.equal(",line 2: line longer than 16777216 bytes; skipped,2", rows[3])
    assert.equal("b,,3", rows[4])
  end)

  it("--strict stops at the first record with a problem", function()
    local stats = nd_run('{"id":"a"}\n{"id":"b","age":"old"}\n{"id":"c"}\n', { strict = true, columns = "id" })
    assert.is_true(stats.stopped)
    assert.equal(2, stats.stop_line)
    assert.equal(1, stats.records)
  end)

  it("--jobs gives the same bytes as one job, line numbers included", function()
    local one = small_ndjson()
    local parts = {}
    for i = 1, 4000 do parts[i] = one:gsub('"id":"P', '"id":"' .. i .. '-P') end
    local text = table.concat(parts):gsub('\n{"id":"7%-P1"', '\n\n{"id":"7-P1"') -- a blank line too
    local _, _, a = nd_run(text)
    assert.is_true(#text > 1024 * 1024)
    for _, jobs in ipairs { 2, 3 } do
      local _, _, b = nd_run(text, { jobs = jobs })
      assert.equal(a, b)
    end
  end)
end)

describe("the Lua API for cohorts", function()
  it("cohort.rows: the records of a file as results, one per record, problems included", function()
    local got = {}
    for r in assert(require("calcinosis.cohort").rows(bench, tmp(SMALL))) do got[#got + 1] = r end
    assert.equal(6, #got)
    assert.equal("P3", got[3].id)
    assert.equal("idiopathic", got[3].type)
    assert.equal(4, got[3].line)
    for _, r in ipairs(got) do assert.is_table(r.confidence) end
  end)
  it("calcinosis.compare(results_a, results_b): counts, kappa, changes", function()
    local calcinosis = require "calcinosis"
    local strict = assert(rules.load("examples/variant_strict.lua"))
    local patients = {
      { id = "A", age = 12, sites = { "face" } },
      { id = "B", age = 60, sex = "F", labs = { calcium = 9.5, albumin = 4.0, phosphate = 3.5 } },
      { id = "C", age = 40, findings = { "iv_calcium" } },
    }
    local ra, rb = {}, {}
    for i, p in ipairs(patients) do
      ra[i] = bench:classify(p); ra[i].id = p.id
      rb[i] = strict:classify(p); rb[i].id = p.id
    end
    local c = calcinosis.compare(ra, rb)
    assert.equal(3, c.n)
    assert.same({ idiopathic = 2, iatrogenic = 1 }, c.counts[1])
    assert.same({ idiopathic = 1, iatrogenic = 1, indeterminate = 1 }, c.counts[2])
    local p = c.pairs[1]
    assert.equal(1, p.changed)
    assert.same({ id = "A", from = "idiopathic", to = "indeterminate", only_in_a = { "idiopathic.young" }, only_in_b = {} },
      p.changes[1])
    -- po = 2/3; pe = (2/3)(1/3) + (1/3)(1/3) = 1/3; kappa = (2/3 - 1/3) / (2/3) = 1/2
    assert.near(0.5, p.kappa, 1e-12)
    assert.has_error(function() calcinosis.compare(ra) end)
    assert.is_nil((calcinosis.compare(ra, { rb[1] })))
  end)
end)

describe("calcinosis classify / compare / sweep (the command)", function()
  local small = tmp(SMALL)
  it("exit 0 when all is well", function()
    local out, rc = sh("lua5.4 bin/calcinosis classify --rules bench/bench-v1.lua " .. small)
    assert.equal(0, rc)
    assert.equal(7, #lines(out))
  end)
  it("exit 1 when some records had problems", function()
    local _, rc = sh("lua5.4 bin/calcinosis classify --rules bench/bench-v1.lua " ..
      tmp(HEADER .. "P1,60,F,abc,4,3,1,,,,\n"))
    assert.equal(1, rc)
  end)
  it("exit 1 and the line when --strict stops", function()
    local f = tmp(HEADER .. "P1,60,F,9,4,3,1,,,,\nP2,60,F,abc,4,3,1,,,,\n")
    local errf = tmp()
    local p = io.popen("lua5.4 bin/calcinosis classify --strict --rules bench/bench-v1.lua " .. f ..
      " 2>" .. errf .. " >/dev/null; echo $?")
    local rc = tonumber(p:read("a"))
    p:close()
    assert.equal(1, rc)
    assert.matches("line 3: .*stopped by %-%-strict", slurp(errf))
  end)
  it("exit 2 for usage errors", function()
    for _, args in ipairs { "classify --format xml x.csv", "classify --bogus", "classify /nonexistent.csv",
      "compare --rules bench/bench-v1.lua x.csv", "sweep --param x=1:0:1 x.csv", "classify --rules /nope.lua " .. small } do
      local _, rc = sh("lua5.4 bin/calcinosis " .. args)
      assert.equal(2, rc, args)
    end
  end)
  it("a progress line on stderr only when it is a terminal", function()
    local parts = { HEADER }
    for i = 1, 60000 do parts[#parts + 1] = ("P%d,60,F,9.5,4.0,3.5,0.8,,,trauma,hands\n"):format(i) end
    local input, out = tmp(table.concat(parts)), tmp()
    local cmd = "lua5.4 bin/calcinosis classify --rules bench/bench-v1.lua -o " .. out .. " " .. input
    local quiet = sh(cmd .. " 2>&1")
    assert.equal("", quiet)
    -- script(1) gives the command a terminal
    local p = io.popen("script -q -c '" .. cmd .. "' /dev/null 2>&1")
    local tty = p:read("a")
    p:close()
    assert.matches("%d+ records, %d+ records/s, %d+%%, %d+s left", tty)
    assert.equal(60001, #lines(slurp(out)))
  end)
  it("--help for the command and each subcommand", function()
    for _, c in ipairs { "classify", "compare", "sweep" } do
      local out, rc = sh("lua5.4 bin/calcinosis " .. c .. " --help")
      assert.equal(0, rc)
      assert.matches("^Usage: calcinosis " .. c, out)
    end
  end)
  it("compare: counts, confusion matrix, kappa and the changed patients (hand-checked)", function()
    local out, rc = sh("lua5.4 bin/calcinosis compare --format json --rules bench/bench-v1.lua --rules examples/variant_strict.lua " .. small)
    assert.equal(0, rc)
    local c = json.decode(out)
    assert.equal(6, c.n)
    assert.same({ idiopathic = 3, metastatic = 1, dystrophic = 1, iatrogenic = 1 }, c.rulesets[1].counts)
    assert.same({ idiopathic = 2, metastatic = 1, dystrophic = 1, iatrogenic = 1, indeterminate = 1 }, c.rulesets[2].counts)
    local p = c.pairs[1]
    assert.equal(1, p.changed)
    -- po = 5/6, pe = (3*2 + 1 + 1 + 1) / 36 = 1/4, kappa = (5/6 - 1/4) / (3/4) = 7/9
    assert.near(7 / 9, p.kappa, 1e-12)
    assert.equal(2, p.confusion.idiopathic.idiopathic)
    assert.equal(1, p.confusion.idiopathic.indeterminate)
    assert.same({ { id = "P3", from = "idiopathic", to = "indeterminate", only_in_a = { "idiopathic.young" },
      only_in_b = {} } }, p.changes)
    local text = sh("lua5.4 bin/calcinosis compare --rules bench/bench-v1.lua --rules examples/variant_strict.lua " .. small)
    assert.matches("kappa 0%.7778, 1 changed", text)
    assert.matches("P3: idiopathic %-> indeterminate; only under bench%-v1: idiopathic.young", text)
    local csv = sh("lua5.4 bin/calcinosis compare --format csv --rules bench/bench-v1.lua --rules examples/variant_strict.lua " .. small)
    assert.equal("bench-v1,bench-v1-strict,P3,idiopathic,indeterminate,idiopathic.young,", lines(csv)[2])
  end)
  it("sweep: counts at each value of a parameter (hand-checked)", function()
    local out, rc = sh("lua5.4 bin/calcinosis sweep --rules bench/bench-v1.lua --param phos_hi_adult=4:7:1 " .. small)
    assert.equal(0, rc)
    local rows = lines(out)
    -- the subtype counts first (then the per-rule counts and the hash: spec/repro_spec.lua)
    local function head(s, n) local t = {} for x in s:gmatch("[^,]+") do t[#t + 1] = x end
      return table.concat(t, ",", 1, n) end
    assert.equal("phos_hi_adult,calciphylaxis,iatrogenic,metastatic,dystrophic,idiopathic,indeterminate", head(rows[1], 7))
    -- P4 (phosphate 6.5, trauma) is metastatic while the limit is below 6.5, dystrophic above
    assert.equal("4,0,1,1,1,3,0", head(rows[2], 7))
    assert.equal("5,0,1,1,1,3,0", head(rows[3], 7))
    assert.equal("6,0,1,1,1,3,0", head(rows[4], 7))
    assert.equal("7,0,1,0,2,3,0", head(rows[5], 7))
    assert.equal(5, #rows)
  end)
  it("sweep names an unknown parameter with a suggestion", function()
    local errf = tmp()
    local p = io.popen("lua5.4 bin/calcinosis sweep --rules bench/bench-v1.lua --param phos_hi_adlt=4:7:1 " ..
      small .. " 2>" .. errf .. "; echo $?")
    local rc = tonumber(p:read("a"))
    p:close()
    assert.equal(2, rc)
    assert.matches("did you mean 'phos_hi_adult'", slurp(errf))
  end)
end)
