-- Reproducibility: the hash covers every option that changes a result;
-- the ruleset, version and hash columns; input columns passed through as
-- read (CSV, NDJSON, long format, --jobs); sweep's per-rule counts;
-- `describe --methods`.
local rules = require "calcinosis.rules"
local engine = require "calcinosis.engine"
local cohort = require "calcinosis.cohort"
local ranges = require "calcinosis.ranges"
local json = require "calcinosis.json"
local methods = require "calcinosis.methods"
local sources = require "calcinosis.sources"
local calcinosis = require "calcinosis"

local tmp, clean_tmp = require("support").temp_files()
local slurp = require("support").slurp
teardown(clean_tmp)

-- runs the command; its standard output, exit status and standard error
local sh = require("support").run

local function lines(s)
  local t = {}
  for l in s:gmatch("([^\n]*)\n") do t[#t + 1] = l end
  return t
end

local default = assert(rules.default())

-- adults with labs: albumin present, so the albumin coefficient changes the
-- corrected calcium (P1: 10.0 + 0.8 x (4.0 - 2.5) = 11.2 mg/dL (common),
-- 10.0 - 2.5 + 4.0 = 11.5 (payne))
local COHORT = "id,age,sex,calcium [mg/dL],albumin [g/dL],phosphate [mg/dL],creatinine [mg/dL],findings\n" ..
  "P1,60,F,10.0,2.5,4.0,0.9,trauma\n" ..
  "P2,45,M,9.4,4.0,3.5,1.0,\n"

describe("the hash covers everything that changes a result", function()
  it("each option that changes a result changes the hash", function()
    local base = engine.hash(default)
    assert.equal(default.hash, base)
    assert.matches("^%x+$", base)
    assert.equal(16, #base)
    local seen = { [base] = "default" }
    local function differs(what, h)
      assert.is_string(h, what)
      assert.is_nil(seen[h], what .. " gives the hash of " .. tostring(seen[h]))
      seen[h] = what
    end
    differs("ca_coefficient payne", engine.hash(default, { ca_coefficient = "payne" }))
    differs("ca_coefficient si", engine.hash(default, { ca_coefficient = "si" }))
    differs("kdigo_rounding", engine.hash(default, { kdigo_rounding = true }))
    local mine = ranges.with { { analyte = "calcium", low = 8.5, high = 10.2, unit = "mg/dL", source = "local lab" } }
    differs("reference ranges", engine.hash(default, { ranges = mine }))
    local crit = { { analyte = "calcium", low = 6.0, high = 13.0, unit = "mg/dL" } }
    differs("critical ranges", engine.hash(default, { critical = crit }))
    differs("a parameter", assert(default:variant { params = { ca_x_p_limit = "55 mg2/dL2" } }).hash)
    differs("a rule dropped", assert(default:variant { drop = { "idiopathic.no_cause" } }).hash)
    -- the default options are the default: the same hash
    assert.equal(base, engine.hash(default, { ca_coefficient = "common", kdigo_rounding = false }))
    assert.equal(base, engine.hash(default, { ca_coefficient = "0.8" }))
    -- the same ranges given again (another table with the same entries)
    local mine2 = ranges.with { { analyte = "calcium", low = 8.5, high = 10.2, unit = "mg/dL", source = "local lab" } }
    assert.equal(engine.hash(default, { ranges = mine }), engine.hash(default, { ranges = mine2 }))
    assert.is_nil((engine.hash(default, { ca_coefficient = "bogus" })))
  end)

  it("how records are read is part of it: missing-value codes, decimal commas, a mapping, index date, window", function()
    local base = engine.hash(default)
    local seen = { [base] = "default" }
    local function differs(what, h)
      assert.is_string(h, what)
      assert.is_nil(seen[h], what .. " gives the hash of " .. tostring(seen[h]))
      seen[h] = what
    end
    differs("na", engine.hash(default, { na = { "-99" } }))
    differs("na, another order", engine.hash(default, { na = { "-99", "NA" } }))
    differs("decimal_comma", engine.hash(default, { decimal_comma = true }))
    differs("map", engine.hash(default, { map = "sc=creatinine" }))
    differs("index_date", engine.hash(default, { index_date = "2020-01-31" }))
    differs("window", engine.hash(default, { window = "365d" }))
    differs("arff", engine.hash(default, { input_format = "arff" }))
    -- the same mapping written two ways is one mapping
    assert.equal(engine.hash(default, { map = "sc=creatinine,bu=urea" }),
      engine.hash(default, { map = { bu = "urea", sc = "creatinine" } }))
    -- reading options that change nothing leave it alone
    assert.equal(base, engine.hash(default, { decimal_comma = false, input_format = "csv" }))
    -- and the run's stats carry it (a CSV with a decimal comma read as such)
    local path = tmp("id;calcium\nP1;9,5\n", ".csv")
    local st = assert(cohort.run(default, { input = path, output = "/dev/null", delimiter = ";", decimal_comma = true }))
    assert.equal(engine.hash(default, { decimal_comma = true }), st.hash)
  end)

  it("the vocabulary is part of it: the canonical serialisation holds every term's synonyms", function()
    local vocab = require "calcinosis.vocab"
    local text = engine.canonical { vocab.terms.dialysis }
    for _, syn in ipairs(vocab.terms.dialysis.synonyms or {}) do
      assert.truthy(text:find(syn, 1, true), syn)
    end
    -- sorted keys: the same data built in another order gives the same bytes
    assert.equal(engine.canonical { a = 1, b = { 2, "x" } }, engine.canonical { b = { 2, "x" }, a = 1 })
    assert.are_not.equal(engine.canonical { a = 1 }, engine.canonical { a = 1.0 + 1e-12 })
  end)

  it("the same options give the same hash in two processes", function()
    local script = tmp([[
      local rs = require("calcinosis.rules").default()
      local e = require "calcinosis.engine"
      io.write(rs.hash, " ", e.hash(rs, { ca_coefficient = "payne", kdigo_rounding = true }), "\n")
    ]], ".lua")
    local build = os.getenv("CALCINOSIS_BUILD") or "build/5.4"
    local cmd = ("lua5.4 -e 'package.path=\"lua/?.lua;lua/?/init.lua;\"..package.path; " ..
      "package.cpath=\"%s/?.so;\"..package.cpath' %s"):format(build, script)
    local function once()
      local p = assert(io.popen(cmd))
      local s = p:read("a")
      p:close()
      return s
    end
    local a, b = once(), once()
    assert.equal(a, b)
    assert.equal(default.hash .. " " .. engine.hash(default, { ca_coefficient = "payne", kdigo_rounding = true }) .. "\n", a)
  end)

  it("--ca-coefficient payne changes the printed hash (failed before: the summary printed the rules' hash)", function()
    local input = tmp(COHORT, ".csv")
    local function summary_hash(extra)
      local out = sh("classify --summary -o /dev/null " .. extra .. " " .. input)
      return out:match("%(hash (%x+)%)")
    end
    local common, payne = summary_hash(""), summary_hash("--ca-coefficient payne")
    assert.equal(default.hash, common)
    assert.equal(engine.hash(default, { ca_coefficient = "payne" }), payne)
    assert.are_not.equal(common, payne)
    -- and the results do differ (the reason the hash must): P1's corrected calcium
    local a = lines(sh("classify --columns id,ca_corr:%.1f,hash " .. input))
    local b = lines(sh("classify --ca-coefficient payne --columns id,ca_corr:%.1f,hash " .. input))
    assert.equal("P1,11.2," .. common, a[2])
    assert.equal("P1,11.5," .. payne, b[2])
  end)

  it("a single patient's result carries the hash of its options", function()
    local p = { id = "x", age = 60, labs = { calcium = "10 mg/dL", albumin = "2.5 g/dL" } }
    assert.equal(default.hash, calcinosis.classify(p).hash)
    local r = calcinosis.classify(p, nil, { ca_coefficient = "payne" })
    assert.equal(engine.hash(default, { ca_coefficient = "payne" }), r.hash)
    assert.equal(r.hash, r.ruleset.hash)
    local f = tmp(json.encode(p), ".json")
    local out = sh("classify --json --ca-coefficient payne " .. f)
    assert.equal(r.hash, json.decode(out).hash)
  end)
end)

describe("ruleset, version and hash columns", function()
  it("are written in CSV and NDJSON, the same as the summary", function()
    local input = tmp(COHORT, ".csv")
    local out = lines(sh("classify --ca-coefficient si --columns id,ruleset,version,hash " .. input))
    local h = engine.hash(default, { ca_coefficient = "si" })
    assert.same({ "id,ruleset,version,hash", "P1,calcinosis-default,1.0," .. h, "P2,calcinosis-default,1.0," .. h }, out)
    local nd = lines(sh("classify --format ndjson --columns id,hash,ruleset,version " .. input))
    assert.same({ id = "P2", hash = default.hash, ruleset = "calcinosis-default", version = "1.0" }, json.decode(nd[2]))
  end)
end)

describe("input columns pass through", function()
  -- fields with commas, quotes, a newline, UTF-8, spaces and an empty cell
  local CSV = table.concat({
    'id,age,sex,calcium [mg/dL],phosphate [mg/dL],centre,visit,note',
    'P1,60,F,9.5,4.0,"Leeds, UK",1,"said ""ouch"""',
    'P2,40,M,9.1,3.6,Zürich,2,"two\nlines"',
    'P3,30,F,,,,3,  padded  ',
  }, "\n") .. "\n"

  it("--columns and --keep copy the fields as read, quoted when needed (CSV out)", function()
    local input = tmp(CSV, ".csv")
    local out, rc = sh("classify --columns id,centre,type --keep visit,note " .. input)
    assert.equal(0, rc)
    local _, _, t2 = out:find("^[^\n]*\n([^\n]*)\n")
    assert.equal("P1,\"Leeds, UK\",", t2:sub(1, 15))
    -- byte for byte: the rows as the input wrote the fields
    local r = lines(out)
    assert.equal("id,centre,type,visit,note", r[1])
    assert.matches('^P1,"Leeds, UK",%a+,1,"said ""ouch"""$', r[2])
    assert.matches('^P2,Zürich,%a+,2,"two$', r[3])
    assert.equal('lines"', r[4])
    assert.matches("^P3,,%a+,3,  padded  $", r[5])
  end)

  it("in NDJSON output, as JSON strings (null for an NDJSON key that is absent)", function()
    local input = tmp(CSV, ".csv")
    local r = lines(sh("classify --format ndjson --columns id --keep centre,note " .. input))
    assert.same({ id = "P1", centre = "Leeds, UK", note = 'said "ouch"' }, json.decode(r[1]))
    assert.same({ id = "P2", centre = "Zürich", note = "two\nlines" }, json.decode(r[2]))
    assert.same({ id = "P3", centre = "", note = "  padded  " }, json.decode(r[3]))
  end)

  it("--keep copies a column the record logic also reads, as written (age '8 mo', sites)", function()
    local input = tmp("id,age,sites\nK1,8 mo,Shoulders; hips\n", ".csv")
    local r = lines(sh("classify --columns id,age --keep age,sites " .. input))
    -- age (the result column) in years; the kept one as the input wrote it
    assert.same({ "id,age,age,sites", "K1,0.666667,8 mo,Shoulders; hips" }, r)
  end)

  it("from NDJSON input: strings unescaped, numbers and objects as written", function()
    local nd = tmp(table.concat({
      '{"id":"N1","age":60,"labs":{"calcium":"9.5 mg/dL"},"centre":"Leeds, \\"UK\\"","visit":12.50,"extra":{"a":[1,2]}}',
      '{"id":"N2","age":50,"centre":"Zürich"}',
    }, "\n") .. "\n", ".ndjson")
    local r = lines(sh("classify --columns id,centre,visit,extra " .. nd))
    assert.equal("id,centre,visit,extra", r[1])
    assert.equal('N1,"Leeds, ""UK""",12.50,"{""a"":[1,2]}"', r[2])
    assert.equal("N2,Zürich,,", r[3])
    local j = lines(sh("classify --format ndjson --columns id --keep visit " .. nd))
    assert.equal('{"id":"N1","visit":"12.50"}', j[1])
    assert.equal('{"id":"N2","visit":null}', j[2])
  end)

  it("from long-format CSV: the patient's first non-empty cell of the column", function()
    local long = tmp(table.concat({
      "id,analyte,value,unit,centre",
      'L1,calcium,9.5,mg/dL,"Leeds, UK"',
      "L1,phosphate,4.0,mg/dL,",
      "L2,calcium,9.0,mg/dL,",
      "L2,phosphate,3.0,mg/dL,York",
    }, "\n") .. "\n", ".csv")
    local r = lines(sh("classify --columns id,centre " .. long))
    assert.same({ "id,centre", 'L1,"Leeds, UK"', "L2,York" }, r)
  end)

  it("--jobs 1, 2 and 3 give the same bytes", function()
    local parts = { "id,age,sex,calcium [mg/dL],phosphate [mg/dL],centre,visit\n" }
    for i = 1, 3000 do
      parts[#parts + 1] = ('P%d,%d,F,%.1f,4.0,"centre %d, ward ""%d""",%d\n'):format(i, 20 + i % 60, 8.5 + (i % 30) / 10,
        i % 7, i % 5, i)
    end
    local input = tmp(table.concat(parts), ".csv")
    local outs = {}
    for jobs = 1, 3 do
      local o = tmp()
      local _, rc = sh(("classify --jobs %d --columns id,type,centre --keep visit -o %s %s"):format(jobs, o, input))
      assert.equal(0, rc)
      outs[jobs] = slurp(o)
    end
    assert.equal(outs[1], outs[2])
    assert.equal(outs[1], outs[3])
    local r = lines(outs[1])
    assert.equal(3001, #r)
    assert.matches('^P7,%a+,"centre 0, ward ""2""",7$', r[8])
  end)

  it("an unknown name gets 'did you mean' over the result columns and the input's header", function()
    local input = tmp(CSV, ".csv")
    local _, rc, err = sh("classify --columns id,centr " .. input)
    assert.equal(2, rc)
    assert.matches("unknown column 'centr' %(did you mean 'centre'%?%)", err)
    _, rc, err = sh("classify --columns id,tpye " .. input)
    assert.equal(2, rc)
    assert.matches("did you mean 'type'", err)
    _, rc, err = sh("classify --keep visti " .. input)
    assert.equal(2, rc)
    assert.matches("column 'visti' is not in the input's header %(did you mean 'visit'%?%)", err)
    -- a passed-through column is not reported as an ignored one
    _, rc, err = sh("classify --columns id --keep visit " .. input)
    assert.equal(0, rc)
    assert.is_nil(err:find("visit", 1, true))
  end)

  it("in Lua: cohort.run with keep, and a column of standard input's header checked by the C run", function()
    local input, out = tmp(CSV, ".csv"), tmp()
    local stats = assert(cohort.run(default, { input = input, output = out, columns = "id", keep = { "visit" } }))
    assert.equal(3, stats.records)
    assert.equal("id,visit\nP1,1\nP2,2\nP3,3\n", slurp(out))
    local plan = assert(engine.plan(default, { columns = "id,nosuch", input_columns = false }))
    local st, err = plan:run { input = input, output = tmp() }
    assert.is_nil(st)
    assert.matches("column 'nosuch' is not in the input's header", err)
  end)
end)

describe("sweep: how often each rule fires at each value", function()
  -- adults with high phosphate (metastatic.ca_p_high fires whatever the
  -- limit, so the types do not move) and one without calcium
  local DATA = {
    { "S1", 10.0, 6.0 }, { "S2", 10.0, 7.0 }, { "S3", 9.5, 8.0 }, { "S4", nil, 6.0 }, { "S5", 9.5, 4.0 },
  }
  local parts = { "id,age,sex,calcium [mg/dL],phosphate [mg/dL],findings\n" }
  for _, d in ipairs(DATA) do
    parts[#parts + 1] = ("%s,50,F,%s,%s,%s\n"):format(d[1], d[2] and ("%.1f"):format(d[2]) or "", ("%.1f"):format(d[3]),
      d[3] < 4.5 and "trauma" or "")
  end
  local input = tmp(table.concat(parts), ".csv")
  -- the independent count: Ca x P (mg2/dL2; no albumin, so calcium itself) above the limit
  local function expected(limit)
    local fired, unknown = 0, 0
    for _, d in ipairs(DATA) do
      if not d[2] then unknown = unknown + 1 elseif d[2] * d[3] > limit then fired = fired + 1 end
    end
    return fired, unknown
  end

  it("a parameter that moves no subtype still shows its effect (CSV)", function()
    local out, rc = sh("sweep --param ca_x_p_limit=50:80:10 " .. input)
    assert.equal(0, rc)
    local r = lines(out)
    local head = {}
    for f in r[1]:gmatch("[^,]+") do head[#head + 1] = f end
    local col = {}
    for i, h in ipairs(head) do col[h] = i end
    assert.truthy(col["fired:metastatic.ca_x_p"])
    assert.truthy(col["not_evaluable:metastatic.ca_x_p"])
    assert.equal("hash", head[#head])
    local types = nil
    for k, limit in ipairs { 50, 60, 70, 80 } do
      local f = {}
      for x in (r[k + 1] .. ","):gmatch("([^,]*),") do f[#f + 1] = x end
      assert.equal(tostring(limit), f[1])
      local fired, unknown = expected(limit)
      assert.equal(tostring(fired), f[col["fired:metastatic.ca_x_p"]], "limit " .. limit)
      assert.equal(tostring(unknown), f[col["not_evaluable:metastatic.ca_x_p"]], "limit " .. limit)
      -- the subtype counts are the same at every value
      local t = table.concat(f, ",", 2, col["fired:" .. default.compiled.rules[1].id] - 1)
      types = types or t
      assert.equal(types, t)
      local v = assert(default:variant { params = { ca_x_p_limit = ("%d mg2/dL2"):format(limit) } })
      assert.equal(v.hash, f[#f])
    end
    -- S1..S4 metastatic (high phosphate), S5 dystrophic (trauma)
    assert.equal("0,0,4,1,0,0", types)
    -- the expected counts do move: 3, 2, 1, 0
    assert.same({ 3, 2, 1, 0 }, { (expected(50)), (expected(60)), (expected(70)), (expected(80)) })
  end)

  it("text and JSON show the same counts", function()
    local out = sh("sweep --format json --param ca_x_p_limit=50:80:10 " .. input)
    local d = json.decode(out)
    assert.equal("ca_x_p_limit", d.parameter)
    for i, limit in ipairs { 50, 60, 70, 80 } do
      local fired, unknown = expected(limit)
      assert.equal(limit, d.values[i].value)
      assert.equal(fired, d.values[i].fired["metastatic.ca_x_p"])
      assert.equal(unknown, d.values[i].not_evaluable["metastatic.ca_x_p"])
      assert.equal(4, d.values[i].counts.metastatic)
    end
    local text = sh("sweep --format text --param ca_x_p_limit=50:80:10 " .. input)
    assert.matches("metastatic%.ca_x_p%s+3 %(1%)%s+2 %(1%)%s+1 %(1%)%s+0 %(1%)", text)
  end)

  it("the per-rule counts of a run: counted independently, and the same with --jobs (C stats merged)", function()
    -- adults; every 9th without calcium; Ca and P on a grid that never gives Ca x P = 70 exactly
    local rows, big = { "id,age,sex,calcium [mg/dL],phosphate [mg/dL]\n" }, {}
    for i = 1, 6000 do
      local ca = i % 9 ~= 0 and 8 + (i % 40) / 10 + 0.05 or nil
      local p = 2 + (i % 70) / 10 + 0.05
      big[i] = { ca, p }
      rows[#rows + 1] = ("P%d,%d,F,%s,%.2f\n"):format(i, 20 + i % 60, ca and ("%.2f"):format(ca) or "", p)
    end
    local file = tmp(table.concat(rows), ".csv")
    local fired, unknown = 0, 0
    for _, d in ipairs(big) do
      local ca, p = d[1] and tonumber(("%.2f"):format(d[1])), tonumber(("%.2f"):format(d[2]))
      if not ca then unknown = unknown + 1 elseif ca * p > 70 then fired = fired + 1 end
    end
    local k
    for i, r in ipairs(default.compiled.rules) do if r.id == "metastatic.ca_x_p" then k = i end end
    local one = assert(cohort.run(default, { input = file, output = "/dev/null", rule_counts = true }))
    assert.equal(#default.compiled.rules, #one.rule_fired)
    assert.equal(fired, one.rule_fired[k])
    assert.equal(unknown, one.rule_unevaluable[k])
    assert.is_true(fired > 100 and unknown > 100)
    for _, jobs in ipairs { 2, 3 } do
      local many = assert(cohort.run(default, { input = file, output = "/dev/null", rule_counts = true, jobs = jobs }))
      assert.same(one.rule_fired, many.rule_fired)
      assert.same(one.rule_unevaluable, many.rule_unevaluable)
      assert.same(one.counts, many.counts)
    end
  end)
end)

describe("describe --methods", function()
  it("prints the ruleset's thresholds: a variant's parameter changes the paragraph", function()
    local doc = assert(methods.document(default))
    local md = methods.markdown(doc)
    for name, p in pairs(default.compiled.params) do
      assert.truthy(md:find("| `" .. name .. "` | " .. require("calcinosis.rules.compiler").fmt(p.value), 1, true), name)
    end
    assert.truthy(md:find("| `ca_x_p_limit` | 70 mg2/dL2 |", 1, true))
    local v = assert(default:variant { params = { ca_x_p_limit = "55 mg2/dL2" } })
    local md2 = methods.markdown(assert(methods.document(v)))
    assert.truthy(md2:find("| `ca_x_p_limit` | 55 mg2/dL2 |", 1, true))
    assert.is_nil(md2:find("| `ca_x_p_limit` | 70 mg2/dL2 |", 1, true))
    assert.truthy(md2:find(v.hash, 1, true))
    -- the pathway is the compiled one: every rule, in the subtypes' order
    for _, r in ipairs(default.compiled.rules) do assert.truthy(md:find("`" .. r.id .. "`", 1, true), r.id) end
    local a = md:find("**calciphylaxis**", 1, true)
    local b = md:find("**idiopathic**", 1, true)
    assert.truthy(a and b and a < b)
  end)

  it("every citation resolves to a full reference listed at the end", function()
    local doc = assert(methods.document(default))
    assert.same({}, doc.unresolved)
    local listed = {}
    for _, r in ipairs(doc.references) do
      listed[r.key] = true
      assert.equal(sources.format(sources.get(r.key), "text"), r.citation)
    end
    local md = methods.markdown(doc)
    local body = md:sub(1, md:find("### References", 1, true))
    for inner in body:gmatch("%[([^%]]+)%]") do
      for _, k in ipairs(sources.keys_in(inner)) do assert.truthy(listed[k], k) end
    end
    -- the rules' own sources are among them
    for _, r in ipairs(default.compiled.rules) do
      for _, k in ipairs(sources.keys_in(r.source or "")) do assert.truthy(listed[k], r.id .. " " .. k) end
    end
  end)

  it("names the options in effect and their hash", function()
    local out, rc = sh("describe --methods --ca-coefficient payne")
    assert.equal(0, rc)
    assert.truthy(out:find(engine.hash(default, { ca_coefficient = "payne" }), 1, true))
    assert.truthy(out:find("albumin-corrected calcium: payne (Ca - albumin + 4.0", 1, true))
    assert.truthy(out:find(calcinosis._VERSION, 1, true))
    if calcinosis.REVISION then assert.truthy(out:find("revision " .. calcinosis.REVISION, 1, true)) end
    local _, rc2, err = sh("describe --format latex")
    assert.equal(2, rc2)
    assert.matches("goes with %-%-methods", err)
  end)

  it("LaTeX: the specials escaped (worked by hand)", function()
    assert.equal("a\\_b \\& 50\\% \\$x\\# \\{y\\} \\textasciitilde{}z \\textbackslash{} " ..
      "\\textasciicircum{}2 Ca $\\times$ P $\\geq$ 1 \\textless{}2",
      methods.latex_escape("a_b & 50% $x# {y} ~z \\ ^2 Ca × P ≥ 1 <2"))
    local tex = methods.latex(assert(methods.document(default)), { standalone = true })
    assert.matches("^\\documentclass", tex)
    assert.is_nil(tex:find("[\128-\255]"), "only ASCII")
    assert.truthy(tex:find("metastatic.ca\\_x\\_p", 1, true))
  end)

  it("LaTeX output compiles with pdflatex (skipped, counted, when pdflatex is not installed)", function()
    if not os.execute("command -v pdflatex >/dev/null 2>&1") then
      return pending("skipped: pdflatex is not installed")
    end
    local dir = tmp()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    local out = sh("describe --methods --format latex --standalone -o " .. dir .. "/m.tex")
    assert.equal("", out)
    local ok = os.execute("cd " .. dir .. " && pdflatex -interaction=nonstopmode -halt-on-error m.tex >/dev/null 2>&1")
    assert.truthy(ok, "pdflatex failed: see " .. dir .. "/m.log")
    local f = io.open(dir .. "/m.pdf", "rb")
    assert.truthy(f)
    f:close()
    os.execute("rm -rf " .. dir)
  end)
end)
