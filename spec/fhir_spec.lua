-- FHIR R4 input (src/fhir.c): bundles, single resources, Bulk Data NDJSON
-- and folders, read in C into the record schema; values nearest the index
-- date with their dates; problems naming the resource and the field.
local S = require "spec.support"
local calcinosis = require "calcinosis"
local cohort = require "calcinosis.cohort"
local engine = require "calcinosis.engine"

local rs = calcinosis.rules.default()
local tmp, clean = S.temp_files()

local function rows(path, opts)
  local o = { input_format = "fhir", labs = true }
  for k, v in pairs(opts or {}) do o[k] = v end
  local it = assert(cohort.rows(rs, path, o))
  local t = {}
  for r in it do t[#t + 1] = r end
  return t
end

-- the output rows of cohort.run with these columns (the reader notes
-- `unmapped` and `skipped` are columns of the record, not problems)
local function columns(path, cols, opts)
  local out = tmp("", ".csv")
  local o = { input = path, input_format = "fhir", output = out, columns = cols }
  for k, v in pairs(opts or {}) do o[k] = v end
  local stats = assert(cohort.run(rs, o))
  return S.read_csv(out), stats
end

local function has(list, pat)
  for _, p in ipairs(list) do if p:find(pat) then return true end end
  return false
end

local function run_cli(args)
  local out, rc = require("support").run(args)
  return out, rc
end

local PAT = [[{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1960-03-15"}]]
local function obs(id, code, value, unit, date, subj)
  return ([[{"resourceType":"Observation","id":"%s","status":"final","subject":{"reference":"Patient/%s"},]] ..
    [["code":{"coding":[{"system":"http://loinc.org","code":"%s"}]},"effectiveDateTime":"%s",]] ..
    [["valueQuantity":{"value":%s,"unit":"%s","system":"http://unitsofmeasure.org","code":"%s"}}]])
    :format(id, subj or "p1", code, date, value, unit, unit)
end

describe("FHIR input", function()
  teardown(clean)

  it("reads Bulk Data NDJSON: one record per patient, the latest value with its date, age at that date", function()
    local path = tmp(table.concat({
      PAT,
      obs("o1", "49765-1", 9.1, "mg/dL", "2019-01-10T08:00:00+00:00"),
      obs("o2", "17861-6", 10.9, "mg/dL", "2020-03-14"),  -- later: kept; age 59 (birthday is the next day)
      obs("o3", "1751-7", 4.0, "g/dL", "2018-05-01"),
      obs("o4", "38483-4", 1.2, "mg/dL", "2020-03-20", "p2"), -- p2 has no Patient resource
    }, "\n") .. "\n", ".ndjson")
    local t = rows(path)
    assert.equal(2, #t)
    assert.equal("p1", t[1].id)
    assert.equal(10.9, t[1].labs.calcium.value)
    assert.equal("2020-03-14", t[1].labs.calcium.date)
    assert.equal("2018-05-01", t[1].labs.albumin.date)
    assert.equal(59, t[1].labs.age.value)
    assert.equal("F", t[1].labs.sex)
    assert.equal("p2", t[2].id)
    assert.is_true(has(t[2].problems, "Patient/p2 is referenced by 1 resource but is not in the input"))
  end)

  it("chooses the value nearest the index date and drops values outside the window, with a problem", function()
    local path = tmp(table.concat({
      PAT,
      obs("o1", "49765-1", 9.1, "mg/dL", "2019-01-10"),
      obs("o2", "49765-1", 10.9, "mg/dL", "2020-03-14"),
      obs("o3", "1751-7", 4.0, "g/dL", "2010-05-01"),
    }, "\n"), ".ndjson")
    local t = rows(path, { index_date = "2019-02-01", window = "365d" })
    assert.equal(9.1, t[1].labs.calcium.value)
    assert.equal("2019-01-10", t[1].labs.calcium.date)
    assert.is_nil(t[1].labs.albumin and t[1].labs.albumin.value)
    assert.is_true(has(t[1].problems, "albumin: the value of 2010%-05%-01 is outside the window"))
    assert.equal(58, t[1].labs.age.value) -- at the index date 2019-02-01, born 1960-03-15
  end)

  it("reads a Bundle, components of a panel, valueString comparators, conditions by ICD-10-CM", function()
    local path = tmp([[{"resourceType":"Bundle","type":"collection","entry":[
      {"resource":]] .. PAT .. [[},
      {"resource":{"resourceType":"Observation","id":"panel","subject":{"reference":"Patient/p1"},
        "effectiveDateTime":"2021-01-02","code":{"coding":[{"system":"http://loinc.org","code":"24323-8"}]},
        "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"2777-1"}]},
                      "valueQuantity":{"value":7.1,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}}]}},
      {"resource":{"resourceType":"Observation","id":"g","subject":{"reference":"Patient/p1"},
        "effectiveDateTime":"2021-01-02","code":{"coding":[{"system":"http://loinc.org","code":"33914-3"}]},
        "valueString":"<15 mL/min/{1.73_m2}"}},
      {"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},
        "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"N18.6"}]}}},
      {"resource":{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/p1"},
        "code":{"coding":[{"system":"http://snomed.info/sct","code":"444814009","display":"Viral sinusitis (disorder)"}]}}},
      {"resource":{"resourceType":"MedicationRequest","id":"m1","subject":{"reference":"Patient/p1"},
        "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"855332",
          "display":"Warfarin Sodium 5 MG Oral Tablet"}]}}}
    ]}]], ".json")
    local t = rows(path)
    assert.equal(1, #t)
    assert.equal(7.1, t[1].labs.phosphate.value)
    assert.equal("2021-01-02", t[1].labs.phosphate.date)
    assert.equal("<", t[1].labs.egfr.comparator)
    assert.equal(15, t[1].labs.egfr.value)
    local f = table.concat(t[1].findings, ";")
    assert.truthy(f:find("esrd"), f)
    assert.truthy(f:find("warfarin"), f)
    -- a code that maps to nothing is a note of its own, not a problem of the data
    assert.is_false(has(t[1].problems, "Viral sinusitis"))
    local c = columns(path, "id,unmapped,problems")
    assert.equal("Condition SNOMED 444814009 'Viral sinusitis (disorder)'", c[1].unmapped)
  end)

  it("keeps the lab's reference range and interpretation beside the library's range, in canonical units", function()
    local path = tmp(PAT .. "\n" .. [[{"resourceType":"Observation","id":"r","subject":{"reference":"Patient/p1"},]] ..
      [["code":{"coding":[{"system":"http://loinc.org","code":"17861-6"}]},"effectiveDateTime":"2020-01-01",]] ..
      [["valueQuantity":{"value":2.8,"unit":"mmol/L","code":"mmol/L"},"interpretation":[{"coding":[{"code":"H"}]}],]] ..
      [["referenceRange":[{"low":{"value":2.2,"code":"mmol/L"},"high":{"value":2.6,"code":"mmol/L"}}]}]] .. "\n", ".ndjson")
    local c = rows(path)[1].labs.calcium
    assert.near(2.8 * 40.078 / 10, c.value, 1e-9)   -- mmol/L x 40.078 g/mol / 10 = mg/dL
    assert.near(2.2 * 40.078 / 10, c.reported_range.low, 1e-9)
    assert.near(2.6 * 40.078 / 10, c.reported_range.high, 1e-9)
    assert.equal("H", c.interpretation)
    assert.equal("high", c.flag)
    assert.is_table(c.range) -- the library's own range is still there
  end)

  it("reports malformed input with the record and field", function()
    local path = tmp(table.concat({
      PAT,
      [[{"resourceType":"Observation","id":"nov","subject":{"reference":"Patient/p1"},]] ..
        [["code":{"coding":[{"system":"http://loinc.org","code":"2777-1"}]},"effectiveDateTime":"2020-01-01"}]],
      [[{"resourceType":"Observation","id":"bd","subject":{"reference":"Patient/p1"},]] ..
        [["code":{"coding":[{"system":"http://loinc.org","code":"1751-7"}]},"effectiveDateTime":"9999-99-99",]] ..
        [["valueQuantity":{"value":4,"code":"g/dL"}}]],
      obs("wu", "49765-1", 2.4, "mg/dL", "2020-01-01"), -- 2.4 mg/dL calcium: mmol/L written as mg/dL
      [[{"resourceType":"Observation","id":"t1","subject":{"reference":"Patient/p1"},"code":]],
    }, "\n") .. "\n", ".ndjson")
    local t = rows(path)
    assert.equal(2, #t)
    local p = t[1].problems
    assert.is_true(has(p, "Observation/nov: phosphate %(LOINC 2777%-1%) has no value"))
    assert.is_true(has(p, "Observation/bd: effectiveDateTime '9999%-99%-99' is not a date"))
    assert.is_true(has(p, "calcium: 2%.4 mg/dL is implausible"))
    assert.is_true(has(t[2].problems, "line 5: truncated JSON"))
    assert.equal("", t[2].id or "")
  end)

  it("reads a folder of Bulk Data files joined by patient reference", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. dir))
    local f = assert(io.open(dir .. "/Observation.ndjson", "w"))
    f:write(obs("o1", "49765-1", 9.5, "mg/dL", "2020-02-02"), "\n")
    f:close()
    f = assert(io.open(dir .. "/Patient.ndjson", "w"))
    f:write(PAT, "\n")
    f:close()
    local t = rows(dir)
    os.execute("rm -r " .. dir)
    assert.equal(1, #t)
    assert.equal(9.5, t[1].labs.calcium.value)
    assert.same({}, t[1].problems)
  end)

  it("reads a list of Bulk Data files on the command line as the folder they would make", function()
    local pats = tmp(PAT .. "\n", ".ndjson")
    local obsf = tmp(obs("o1", "49765-1", 9.5, "mg/dL", "2020-02-02") .. "\n" ..
      obs("o2", "49765-1", 8.1, "mg/dL", "2020-02-03", "p7") .. "\n", ".ndjson")
    local cols = "id,sex,calcium,calcium_date,problems"
    local out, rc = run_cli("classify --columns " .. cols .. " " .. pats .. " " .. obsf)
    assert.equal(1, rc) -- p7 is referenced but not in the input
    assert.equal("id,sex,calcium,calcium_date,problems\np1,F,9.5,2020-02-02,\n" ..
      "p7,,8.1,2020-02-03,Patient/p7 is referenced by 1 resource but is not in the input\n", out)
    -- the same as the folder of the two files
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. dir))
    assert(os.execute(("cp %s %s/Patient.ndjson && cp %s %s/Observation.ndjson"):format(pats, dir, obsf, dir)))
    local fout = run_cli("classify --input-format fhir --columns " .. cols .. " " .. dir)
    os.execute("rm -r " .. dir)
    assert.equal(out, fout)
    -- a list that mixes FHIR with a CSV cohort is refused
    local _, rc2 = run_cli("classify " .. pats .. " examples/cohort.csv")
    assert.equal(2, rc2)
  end)

  it("compare and sweep take --index-date and --window as classify does", function()
    -- calcium 13.2 and phosphate 7.5 mg/dL on 2020-01-01 (metastatic, as classify says below), 9.4 and
    -- 3.5 on 2022-01-01 (the latest, the default)
    local path = tmp(table.concat({ PAT, obs("o1", "17861-6", 13.2, "mg/dL", "2020-01-01"),
      obs("o2", "2777-1", 7.5, "mg/dL", "2020-01-01"), obs("o3", "17861-6", 9.4, "mg/dL", "2022-01-01"),
      obs("o4", "2777-1", 3.5, "mg/dL", "2022-01-01") }, "\n") .. "\n", ".ndjson")
    local function type_of(args)
      local out = run_cli("classify --columns type " .. args .. " " .. path)
      return out:match("^type\n(%w+)\n$")
    end
    local early, latest = type_of("--index-date 2020-01-05"), type_of("")
    assert.equal("metastatic", early)
    assert.not_equal(early, latest)
    -- sweep: the subtype counts at the one value follow the index date
    local function counts(args)
      local out, rc = run_cli("sweep --param ca_x_p_limit=70:70:1 " .. args .. " " .. path)
      assert.equal(0, rc)
      local head, row = out:match("^([^\n]*)\n([^\n]*)\n")
      local names, values, t = {}, {}, {}
      for c in head:gmatch("[^,]+") do names[#names + 1] = c end
      for c in row:gmatch("[^,]+") do values[#values + 1] = c end
      for i = 2, #names do if not names[i]:find(":", 1, true) and names[i] ~= "hash" then t[names[i]] = values[i] end end
      return t
    end
    assert.equal("1", counts("--index-date 2020-01-05")[early])
    assert.equal("1", counts("")[latest])
    assert.equal("0", counts("")[early])
    -- compare: both rulesets see the early values
    local out, rc = run_cli("compare --format json --index-date 2020-01-05 --rules default --rules default " .. path)
    assert.equal(0, rc)
    assert.matches('"metastatic":%s*1', out)
    local _, rc2 = run_cli("compare --window 3x --rules default --rules default " .. path)
    assert.equal(2, rc2)
  end)

  it("gives the same answer through cohort.rows, plan runs with --jobs 1 and 2, and the command", function()
    local path = tmp(table.concat({ PAT, obs("o1", "49765-1", 11.9, "mg/dL", "2020-02-02"),
      obs("o2", "1751-7", 4.1, "g/dL", "2020-02-02") }, "\n"), ".ndjson")
    local t = rows(path)
    local cols = "id,type,calcium,calcium_date"
    local outs = {}
    for _, jobs in ipairs { 1, 2 } do
      local o = tmp("", ".csv")
      assert(cohort.run(rs, { input = path, output = o, input_format = "fhir", columns = cols, jobs = jobs }))
      outs[#outs + 1] = S.slurp(o)
    end
    local cli = run_cli("classify --input-format fhir --columns " .. cols .. " " .. path)
    assert.equal(outs[1], outs[2])
    assert.equal(outs[1], cli)
    assert.equal("id,type,calcium,calcium_date\np1," .. t[1].type .. ",11.9,2020-02-02\n", outs[1])
  end)

  it("refuses a bad index date or window as a usage error", function()
    assert.is_nil(engine.plan(rs, { input_format = "fhir", index_date = "2020-13-01" }))
    assert.is_nil(engine.plan(rs, { input_format = "fhir", window = "soon" }))
    local _, rc = run_cli("classify --input-format fhir --index-date not-a-date x.json")
    assert.equal(2, rc)
  end)
end)

describe("FHIR references, statuses and reader notes", function()
  teardown(clean)
  local function cond(id, code, extra, subj)
    return ([[{"resourceType":"Condition","id":"%s","subject":{"reference":"Patient/%s"},%s]] ..
      [["code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"%s"}]}}]]):format(id, subj or "p1",
      extra or "", code)
  end
  local function status(v) return ([["verificationStatus":{"coding":[{"system":]] ..
    [["http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"%s"}]},]]):format(v) end
  local function clinical(v) return ([["clinicalStatus":{"coding":[{"system":]] ..
    [["http://terminology.hl7.org/CodeSystem/condition-clinical","code":"%s"}]},]]):format(v) end

  it("reads a DiagnosticReport's contained Observations and checks its result references; each value counts once", function()
    local path = tmp([[{"resourceType":"Bundle","type":"collection","entry":[
      {"fullUrl":"urn:uuid:0b5e","resource":{"resourceType":"DiagnosticReport","id":"r1","status":"final",
        "subject":{"reference":"Patient/p9"},
        "contained":[{"resourceType":"Observation","id":"ca","status":"final",
          "code":{"coding":[{"system":"http://loinc.org","code":"17861-6"}]},"effectiveDateTime":"2021-06-01",
          "valueQuantity":{"value":10.6,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}}],
        "result":[{"reference":"#ca"},{"reference":"Observation/cr"},{"reference":"urn:uuid:77aa"},
                  {"reference":"Observation/gone"},{"reference":"#nope"}]}},
      {"fullUrl":"http://example.org/fhir/Observation/cr","resource":]] ..
        obs("cr", "2160-0", 1.4, "mg/dL", "2021-06-01", "p9") .. [[},
      {"fullUrl":"urn:uuid:77aa","resource":]] .. obs("al", "1751-7", 3.1, "g/dL", "2021-06-01", "p9") .. [[}
    ]}]], ".json")
    -- the same Observation again in a second file of the export: read once
    local again = tmp(obs("cr", "2160-0", 1.4, "mg/dL", "2021-06-01", "p9") .. "\n", ".ndjson")
    local dir = tmp("", "")
    os.remove(dir)
    assert(os.execute(("mkdir %q && cp %q %q/a.json && cp %q %q/b.ndjson"):format(dir, path, dir, again, dir)))
    local t = rows(dir)
    os.execute(("rm -r %q"):format(dir))
    assert.equal(1, #t)
    assert.equal("p9", t[1].id)
    assert.equal(10.6, t[1].labs.calcium.value) -- the contained Observation, as the report's subject's
    assert.equal("2021-06-01", t[1].labs.calcium.date)
    assert.equal(1.4, t[1].labs.creatinine.value)
    assert.equal(3.1, t[1].labs.albumin.value)
    -- referenced by the report, creatinine and albumin: three (the creatinine of the second file is the same one)
    assert.is_true(has(t[1].problems, "Patient/p9 is referenced by 3 resources but is not in the input"))
    assert.is_true(has(t[1].problems, "DiagnosticReport/r1: result 'Observation/gone' is not in the input"))
    assert.is_true(has(t[1].problems, "DiagnosticReport/r1: result '#nope' is not a contained Observation"))
    -- "Observation/cr" and "urn:uuid:77aa" are found: no problem names them
    assert.is_false(has(t[1].problems, "Observation/cr'"))
    assert.is_false(has(t[1].problems, "77aa"))
  end)

  it("reads Observations of other patients that share an id (bundles from two sources) each", function()
    local a = tmp(obs("o1", "17861-6", 9.1, "mg/dL", "2020-01-01", "pa") .. "\n", ".ndjson")
    local b = tmp(obs("o1", "17861-6", 10.2, "mg/dL", "2020-01-01", "pb") .. "\n", ".ndjson")
    local dir = tmp("", "")
    os.remove(dir)
    assert(os.execute(("mkdir %q && cp %q %q/a.ndjson && cp %q %q/b.ndjson"):format(dir, a, dir, b, dir)))
    local t = rows(dir)
    os.execute(("rm -r %q"):format(dir))
    assert.equal(2, #t)
    assert.equal(9.1, t[1].labs.calcium.value)
    assert.equal("pb", t[2].id)
    assert.equal(10.2, t[2].labs.calcium.value)
  end)

  it("resolves medicationReference to a contained Medication or one anywhere in the input", function()
    local warfarin = [[{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"855332",]] ..
      [["display":"Warfarin Sodium 5 MG Oral Tablet"}]}]]
    local path = tmp(table.concat({
      PAT,
      [[{"resourceType":"Patient","id":"p2","gender":"male"}]],
      [[{"resourceType":"Patient","id":"p3","gender":"male"}]],
      [[{"resourceType":"MedicationRequest","id":"m1","status":"active","subject":{"reference":"Patient/p1"},]] ..
        [["contained":[{"resourceType":"Medication","id":"w","code":]] .. warfarin .. [[}],]] ..
        [["medicationReference":{"reference":"#w"}}]],
      -- the Medication comes later in the input (another file of an export would do the same)
      [[{"resourceType":"MedicationStatement","id":"s1","status":"active","subject":{"reference":"Patient/p2"},]] ..
        [["medicationReference":{"reference":"Medication/med7"}}]],
      [[{"resourceType":"MedicationRequest","id":"m3","status":"active","subject":{"reference":"Patient/p3"},]] ..
        [["medicationReference":{"reference":"Medication/unknown"}}]],
      [[{"resourceType":"MedicationRequest","id":"m4","status":"active","subject":{"reference":"Patient/p3"},]] ..
        [["medicationReference":{"reference":"Medication/odd"}}]],
      [[{"resourceType":"Medication","id":"med7","code":]] .. warfarin .. [[}]],
      [[{"resourceType":"Medication","id":"odd","code":{"coding":[{"system":]] ..
        [["http://www.nlm.nih.gov/research/umls/rxnorm","code":"999999","display":"Placebo Oral Tablet"}]}}]],
    }, "\n") .. "\n", ".ndjson")
    local t = rows(path)
    assert.equal(3, #t)
    assert.same({ "warfarin" }, t[1].findings)
    assert.same({ "warfarin" }, t[2].findings)
    assert.same({}, t[3].findings)
    assert.same({}, t[1].problems)
    assert.same({}, t[2].problems)
    assert.is_true(has(t[3].problems, "MedicationRequest/m3: medicationReference 'Medication/unknown' is not in the input"))
    local c = columns(path, "id,unmapped")
    assert.equal("Medication RxNorm 999999 'Placebo Oral Tablet'", c[3].unmapped)
  end)

  it("does not read refuted or entered-in-error Conditions (listed as skipped); resolved ones are history", function()
    local path = tmp(table.concat({
      PAT,
      cond("c1", "M34.0", status("refuted")),
      cond("c2", "M33.10", status("entered-in-error")),
      cond("c3", "N18.6", clinical("resolved") .. status("confirmed")), -- a past condition is still history
      cond("c4", "M33.10", clinical("inactive") .. status("provisional")),
    }, "\n") .. "\n", ".ndjson")
    local t = rows(path)
    local f = table.concat(t[1].findings, ";")
    assert.falsy(f:find("systemic_sclerosis"), f)
    assert.truthy(f:find("esrd"), f)
    assert.truthy(f:find("dermatomyositis"), f) -- from c4; c2 (the same code) was entered in error
    assert.same({}, t[1].problems)
    local c = columns(path, "id,skipped,problems")
    assert.equal("Condition/c1 (verificationStatus refuted), Condition/c2 (verificationStatus entered-in-error)",
      c[1].skipped)
    assert.equal("", c[1].problems)
  end)

  it("skips Observations entered in error or cancelled, naming them; the other value is used", function()
    local function with_status(o, st) return (o:gsub('"status":"final"', '"status":"' .. st .. '"')) end
    local path = tmp(table.concat({
      PAT,
      obs("good", "17861-6", 9.4, "mg/dL", "2020-01-01"),
      with_status(obs("bad", "17861-6", 14.0, "mg/dL", "2020-02-01"), "entered-in-error"), -- later, but void
      with_status(obs("cx", "2777-1", 5.0, "mg/dL", "2020-02-01"), "cancelled"),
    }, "\n") .. "\n", ".ndjson")
    local t = rows(path)
    assert.equal(9.4, t[1].labs.calcium.value)
    assert.equal("2020-01-01", t[1].labs.calcium.date)
    assert.is_nil(t[1].labs.phosphate and t[1].labs.phosphate.value)
    assert.same({}, t[1].problems)
    local c = columns(path, "id,skipped")
    assert.equal("Observation/bad (status entered-in-error), Observation/cx (status cancelled)", c[1].skipped)
  end)

  it("exit status: unmapped codes and skipped resources are notes (0); a data problem is 1", function()
    local ok = tmp(PAT .. "\n" .. cond("c9", "Z99.9") .. "\n" .. cond("c8", "M34.0", status("refuted")) .. "\n", ".ndjson")
    local out, rc = run_cli(("classify --input-format fhir --columns id,problems,unmapped,skipped %q"):format(ok))
    assert.equal(0, rc, out)
    local r = S.parse_csv(out)
    assert.same({ "id", "problems", "unmapped", "skipped" }, r[1])
    assert.same({ "p1", "", "Condition ICD-10 Z99.9", "Condition/c8 (verificationStatus refuted)" }, r[2])
    local bad = tmp(PAT .. "\n" .. obs("o1", "17861-6", 9.4, "mg/dL", "2020-13-01") .. "\n", ".ndjson")
    local _, rc2 = run_cli(("classify --input-format fhir %q"):format(bad))
    assert.equal(1, rc2)
  end)

  it("gives the reader notes in cohort.rows' results as the command's columns give them", function()
    local f = tmp(PAT .. "\n" .. cond("c9", "Z99.9") .. "\n" .. cond("c8", "M34.0", status("refuted")) .. "\n", ".ndjson")
    local t = rows(f)
    assert.equal(1, #t)
    assert.equal("Condition ICD-10 Z99.9", t[1].unmapped)
    assert.equal("Condition/c8 (verificationStatus refuted)", t[1].skipped)
    local c = columns(f, "id,unmapped,skipped")
    assert.same({ id = t[1].id, unmapped = t[1].unmapped, skipped = t[1].skipped }, c[1])
    local plain = tmp(PAT .. "\n", ".ndjson") -- no notes: no fields
    local u = rows(plain)
    assert.is_nil(u[1].unmapped)
    assert.is_nil(u[1].skipped)
  end)
end)

describe("FHIR files of ../shared/data/fhir", function()
  local SYN = "data/fhir/synthea/"
  -- patients per file (MANIFEST.md: each Synthea bundle is one patient; the
  -- US Core examples reference Patient/example, which they do not contain)
  local FILES = {
    { SYN .. "Angelic_Mueller_29d755a6-32fa-482e-8fdd-081300209df8.json", 1 },
    { SYN .. "Barrett_Cummings_512a3be0-5653-496b-bf4a-20c6a0e71d88.json", 1 },
    { SYN .. "Dirk_Kuhlman_1e503533-b8c2-42cb-a6d5-bbd7d70d07ad.json", 1 },
    { SYN .. "Jordan_Cruickshank_5de38439-d320-46d3-854d-3c098e88de4c.json", 1 },
    { SYN .. "Renea_Quigley_4f3dd2db-ca68-4d9d-a06b-f145db0b0453.json", 1 },
    { SYN .. "Stewart_Stanton_e1c92057-888b-4d8a-a459-5c1c4eed82c7.json", 1 },
    { SYN .. "Tom_Goodwin_e20de9eb-6f2d-4871-a43f-bbede53293ed.json", 1 },
    { "data/fhir/hl7-official/uscore-observation-serum-calcium.json", 1 },
    { "data/fhir/hl7-official/uscore-observation-serum-creatinine.json", 1 },
    { "data/fhir/hl7-official/uscore-diagnosticreport-metabolic-panel.json", 1 },
  }
  for _, f in ipairs(FILES) do
    it("reads " .. f[1]:match("[^/]+$") .. ": " .. f[2] .. " patient", function()
      local path = S.shared_file(f[1])
      if not path then return pending(S.skip_reason(f[1])) end
      local t = rows(path)
      assert.equal(f[2], #t)
      if f[1]:find("uscore") then
        assert.is_true(has(t[1].problems, "Patient/example is referenced"))
      end
    end)
  end

  -- Values read by hand from the files: the last Observation of each code
  -- (the bundles list them in date order; the line numbers are those of the
  -- "code" line of that Observation in the file).
  local VALUES = {
    { file = SYN .. "Angelic_Mueller_29d755a6-32fa-482e-8fdd-081300209df8.json", age = 42, -- born 1978-04-03
      calcium = { 8.621084682904772, "2020-04-13" },     -- line 13878, effectiveDateTime 2020-04-13T06:19:07
      creatinine = { 3.2362191736536725, "2020-04-13" }, -- line 13823
      albumin = { 3.7160207592181687, "2020-04-13" } },  -- line 14263
    { file = SYN .. "Tom_Goodwin_e20de9eb-6f2d-4871-a43f-bbede53293ed.json", age = 52, -- born 1968-04-30
      calcium = { 8.80118649416027, "2020-05-12" },      -- line 12852, 2020-05-12T23:55:41
      creatinine = { 1.0606523555763823, "2020-05-12" }, -- line 12797
      albumin = { 5.42745298253406, "2020-05-12" } },    -- line 13237
    { file = SYN .. "Jordan_Cruickshank_5de38439-d320-46d3-854d-3c098e88de4c.json", age = 55, -- born 1965-07-05
      calcium = { 9.910963287878534, "2020-11-30" },     -- line 25530 (49765-1); the 17861-6 one is of 2017-06-24
      creatinine = { 0.7630770376230118, "2020-11-30" }, -- line 25475
      albumin = { 3.4177106414654475, "2017-06-24" } },  -- line 15096, the only albumin
  }
  for _, v in ipairs(VALUES) do
    it("finds the calcium, creatinine and albumin of " .. v.file:match("[^/]+$"):match("^[^_]+_[^_]+"), function()
      local path = S.shared_file(v.file)
      if not path then return pending(S.skip_reason(v.file)) end
      local r = rows(path)[1]
      for _, a in ipairs { "calcium", "creatinine", "albumin" } do
        assert.near(v[a][1], r.labs[a].value, 1e-9)
        assert.equal(v[a][2], r.labs[a].date)
      end
      -- the units as the files give them (valueQuantity.code): mg/dL, mg/dL, g/dL
      assert.equal("mg/dL", r.labs.calcium.unit)
      assert.equal("mg/dL", r.labs.creatinine.unit)
      assert.equal("g/dL", r.labs.albumin.unit)
      assert.equal(v.age, r.labs.age.value)
    end)
  end

  it("resolves the US Core metabolic panel's results against the two US Core Observations beside it", function()
    local D = "data/fhir/hl7-official/"
    local names = { "uscore-diagnosticreport-metabolic-panel.json", "uscore-observation-serum-calcium.json",
      "uscore-observation-serum-creatinine.json" }
    local paths = {}
    for i, n in ipairs(names) do
      paths[i] = S.shared_file(D .. n)
      if not paths[i] then return pending(S.skip_reason(D .. n)) end
    end
    local dir = tmp("", "")
    os.remove(dir)
    assert(os.execute(("mkdir %q && cp %q %q %q %q"):format(dir, paths[1], paths[2], paths[3], dir)))
    local t = rows(dir)
    os.execute(("rm -r %q"):format(dir))
    assert.equal(1, #t)
    assert.equal("example", t[1].id)
    -- serum-calcium: "value" : 7.7, "unit" : "mg/dL"; serum-creatinine: "value" : 1, "unit" : "mg/dL";
    -- both "effectiveDateTime" : "2005-07-05"
    assert.equal(7.7, t[1].labs.calcium.value)
    assert.equal(1, t[1].labs.creatinine.value)
    assert.equal("2005-07-05", t[1].labs.creatinine.date)
    -- the report's result list names eight Observations: serum-calcium and serum-creatinine are there,
    -- the other six (sodium, potassium, co2, chloride, bun, glucose) are not
    local missing = 0
    for _, p in ipairs(t[1].problems) do
      if p:find("^DiagnosticReport/metabolic%-panel: result 'Observation/serum%-[a-z0-9]+' is not in the input$") then
        missing = missing + 1
      end
    end
    assert.equal(6, missing)
    assert.is_false(has(t[1].problems, "serum%-calcium"))
    assert.is_false(has(t[1].problems, "serum%-creatinine"))
    -- the report, the calcium and the creatinine reference Patient/example
    assert.is_true(has(t[1].problems, "Patient/example is referenced by 3 resources but is not in the input"))
  end)

  it("reads the US Core serum calcium, whose valueQuantity has a unit but no code", function()
    local rel = "data/fhir/hl7-official/uscore-observation-serum-calcium.json"
    local path = S.shared_file(rel)
    if not path then return pending(S.skip_reason(rel)) end
    local r = rows(path)[1]
    assert.equal(7.7, r.labs.calcium.value) -- "value" : 7.7, "unit" : "mg/dL"
    assert.equal("2005-07-05", r.labs.calcium.date) -- "effectiveDateTime" : "2005-07-05"
    -- the lab's interpretation (code "L") and referenceRange (8.5-10.5 mg/dL), beside the library's
    assert.equal("L", r.labs.calcium.interpretation)
    assert.same({ low = 8.5, high = 10.5, unit = "mg/dL" }, r.labs.calcium.reported_range)
  end)
end)
