-- The example patients of examples/patients/: each gets its expected type
-- and expected alternatives with the default ruleset, and RESULTS.md is up
-- to date.
local classify = require "calcinosis.classify"
local json = require "calcinosis.json"

local DIR = "examples/patients/"

local results = dofile(DIR .. "make-results.lua")
local examples = results.files

local function read(name)
  local f = assert(io.open(DIR .. name, "rb"))
  local rec = assert(json.decode(f:read("a")))
  f:close()
  return rec
end

describe("example patients", function()
  local names = examples()

  it("are at least 20, covering every subtype, children, a dog and the conflicts", function()
    assert.is_true(#names >= 20)
    local types, child, dog, alts = {}, false, false, 0
    for _, name in ipairs(names) do
      local rec = read(name)
      types[rec.expected_type] = true
      local age = require("calcinosis").age_years(rec.age)
      if age and age < 18 and (rec.species or "human") == "human" then child = true end
      if rec.species == "dog" then dog = true end
      if rec.expected_alternatives then alts = alts + 1 end
    end
    for _, t in ipairs { "dystrophic", "metastatic", "idiopathic", "iatrogenic", "calciphylaxis", "indeterminate" } do
      assert.is_true(types[t] == true, t)
    end
    assert.is_true(child)
    assert.is_true(dog)
    assert.is_true(alts >= 5)
  end)

  for _, name in ipairs(names) do
    it(name .. " gets its expected type and alternatives", function()
      local rec = read(name)
      local r = classify.classify(rec)
      assert.equal(rec.expected_type, r.type)
      local got = {}
      for _, a in ipairs(r.alternatives) do
        got[a.type] = true
        assert.is_string(a.reason)
        assert.is_true(#a.sources > 0)
      end
      for _, a in ipairs(rec.expected_alternatives or {}) do
        assert.is_true(got[a] == true, name .. ": alternative " .. a)
      end
      -- well-formed result
      assert.equal(0, #r.problems, table.concat(r.problems, "; "))
      assert.is_true(r.confidence.value >= 0 and r.confidence.value <= 1)
      assert.is_string(r.confidence.level)
      for _, f in ipairs(r.fired) do
        assert.is_string(f.because)
        assert.is_string(f.source)
        assert.is_number(f.weight)
        assert.is_table(f.values)
      end
      for _, m in ipairs(r.missing) do assert.is_string(m.text) end
      for _, w in ipairs(r.workup) do assert.is_string(w.test) end
      for _, x in ipairs(r.referrals) do assert.is_string(x.specialty) end
      for _, t in ipairs(r.treatments) do
        assert.is_string(t.indication)
        assert.is_string(t.evidence)
      end
      for _, p in ipairs(r.prognosis) do assert.is_string(p.text) end
      assert.matches("Research tool, not a diagnosis", r.disclaimer, 1, true)
    end)
  end

  it("RESULTS.md is up to date (regenerate with lua5.4 examples/patients/make-results.lua)", function()
    local build = results.build
    local f = assert(io.open(DIR .. "RESULTS.md", "rb"))
    local text = f:read("a")
    f:close()
    assert.equal(build(), text)
  end)
end)

describe("examples/fhir-patient.lua", function()
  it("reads the hand-written bundle examples/fhir-bundle.json and prints the patient's result with dates", function()
    local p = assert(io.popen("lua5.4 examples/fhir-patient.lua examples/fhir-bundle.json 2>&1; echo rc=$?"))
    local out = p:read("a")
    p:close()
    -- by hand from the bundle: calcium 2.45 mmol/L on 2024-03-05 (x 40.078 / 10 = 9.82 mg/dL; the
    -- 9.1 mg/dL of 2023-11-02 is older), phosphate 8.4 mg/dL, PTH 612 pg/mL on 2024-02-20; born
    -- 1961-09-14: 62 on 2024-03-05; ESRD (N18.6) and dialysis (Z99.2) coded
    assert.matches("patient 7d1f0c2e%-0000%-4000%-8000%-000000000001: metastatic", out)
    assert.matches("age 62", out)
    assert.matches("calcium%s+9%.82 mg/dL%s+%S+%s+2024%-03%-05", out)
    assert.matches("phosphate%s+8%.40 mg/dL%s+high%s+2024%-03%-05", out)
    assert.matches("pth%s+612%.00 pg/mL%s+high%s+2024%-02%-20", out)
    assert.matches("findings: ckd, dialysis, esrd", out)
    assert.matches("codes not mapped: MedicationStatement 'Sevelamer carbonate", out)
    assert.matches("not a diagnosis", out)
    -- a code that maps to nothing is a note (the record's `unmapped` column), not a problem: status 0
    assert.not_matches("problem:", out)
    assert.matches("rc=0\n$", out)
  end)
end)

describe("examples/hl7-results.lua", function()
  it("reads examples/hl7-results.hl7: each patient's calcium, albumin and creatinine with units and times", function()
    local p = assert(io.popen("lua5.4 examples/hl7-results.lua examples/hl7-results.hl7 2>&1; echo rc=$?"))
    local out = p:read("a")
    p:close()
    -- by hand from the file: message 1 OBX 1, 3, 4 for PT-001 (OBX-14 202403010815); message 2 OBX 1 for
    -- PT-001 has no OBX-14, so OBR-7 202403080900 (the later calcium); PT-002's OBR-7 is 202403081000
    assert.matches("calcium     11.9 mg/dL     at 202403080900  flag H  (latest of 2)", out, 1, true)
    assert.matches("albumin     3.0 g/dL       at 202403010815  flag L", out, 1, true)
    assert.matches("creatinine  5.9 mg/dL      at 202403010815  flag H", out, 1, true)
    assert.matches("patient PT-002 (sex M, born 19900101)", out, 1, true)
    assert.matches("calcium     9.4 mg/dL      at 202403081000", out, 1, true)
    assert.matches("albumin     4.2 g/dL       at 202403081000", out, 1, true)
    assert.matches("rc=0\n$", out)
  end)
end)
