-- The lab table: reading values, ranges and flags, plausibility, bad input.
local calcinosis = require "calcinosis"
local ranges = require "calcinosis.ranges"

local function labs(p, o) return calcinosis.labs(p, o) end
local function has_problem(t, pattern)
  for _, p in ipairs(t.problems) do if p:match(pattern) then return true end end
  return false, "no problem matching '" .. pattern .. "' in: " .. table.concat(t.problems, " | ")
end

describe("calcinosis.labs", function()
  it("accepts the value shapes of the patient record", function()
    local t = labs { id = "x", age = 54, sex = "F", labs = {
      calcium = "10.2 mg/dL", phosphate = { 1.2, "mmol/L" }, albumin = { value = 40, unit = "g/L" },
      creatinine = 0.9, pth = "high" } }
    assert.same({}, t.problems)
    assert.equal(10.2, t.calcium.value)
    assert.near(1.2 / 0.32285, t.phosphate.value, 1e-3)
    assert.near(4.0, t.albumin.value, 1e-12)
    assert.equal(0.9, t.creatinine.value)
    assert.is_nil(t.pth.value)
    assert.equal("high", t.pth.qualitative)
    assert.equal("high", t.pth.flag)
  end)

  it("accepts analyte aliases and LOINC codes as keys", function()
    local t = labs { labs = { ["49765-1"] = "9 mg/dL", ["2160-0"] = "1 mg/dL", phos = "3 mg/dL", iPTH = "40 pg/mL" } }
    assert.same({}, t.problems)
    assert.equal(9, t.calcium.value)
    assert.equal(1, t.creatinine.value)
    assert.equal(3, t.phosphate.value)
    assert.equal(40, t.pth.value)
  end)

  it("parses ages in years, months, weeks and days", function()
    assert.near(54, labs({ age = 54 }).age.value, 1e-12)
    assert.near(54, labs({ age = "54" }).age.value, 1e-12)
    assert.near(8 / 12, labs({ age = "8 mo" }).age.value, 1e-12)
    assert.near(24 / 365.25, labs({ age = "24 d" }).age.value, 1e-12)
    assert.near(3 * 7 / 365.25, labs({ age = "3 wk" }).age.value, 1e-12)
  end)

  describe("reference ranges by age, sex and species", function()
    local function range(p, name) return labs(p)[name].range end
    it("adult calcium by age band (Mayo CA [S34])", function()
      assert.same({ 8.6, 10.0 }, { range({ age = 40, labs = { calcium = "9 mg/dL" } }, "calcium").low,
        range({ age = 40, labs = { calcium = "9 mg/dL" } }, "calcium").high })
      assert.equal(8.8, range({ age = 60, labs = { calcium = "9 mg/dL" } }, "calcium").low)
    end)
    it("children's phosphate runs higher (§2.3)", function()
      local r = range({ age = 6, sex = "F", labs = { phosphate = "5 mg/dL" } }, "phosphate")
      assert.same({ 4.3, 5.4 }, { r.low, r.high })
      local t = labs { age = 6, sex = "F", labs = { phosphate = "5.0 mg/dL" } }
      assert.equal("normal", t.phosphate.flag)
      local adult = labs { age = 40, sex = "F", labs = { phosphate = "5.0 mg/dL" } }
      assert.equal("high", adult.phosphate.flag)
    end)
    it("neonatal phosphate by sex (Quest [S35])", function()
      local f = range({ age = "10 d", sex = "F", labs = { phosphate = "5 mg/dL" } }, "phosphate")
      local m = range({ age = "10 d", sex = "M", labs = { phosphate = "5 mg/dL" } }, "phosphate")
      assert.same({ 3.1, 7.7 }, { f.low, f.high })
      assert.same({ 2.8, 7.0 }, { m.low, m.high })
    end)
    it("dog and cat ranges (Engelking [S38])", function()
      local d = labs { species = "dog", labs = { calcium = "11.5 mg/dL", phosphate = "7 mg/dL" } }
      assert.equal("normal", d.calcium.flag)
      assert.equal("normal", d.phosphate.flag)
      assert.matches("S38", d.calcium.range.source)
      local c = labs { species = "cat", labs = { calcium = "11.9 mg/dL" } }
      assert.equal("high", c.calcium.flag)
    end)
    it("converts ranges printed in another unit (magnesium, mmol/L for children)", function()
      local r = range({ age = 10, labs = { magnesium = "2 mg/dL" } }, "magnesium")
      assert.near(0.65 * 24.305 / 10, r.low, 1e-9)
      assert.equal("mg/dL", r.unit)
    end)
    it("lets the user pass ranges that take precedence, per call, with no global state", function()
      local mine = ranges.with { { analyte = "calcium", low = 8.5, high = 10.5, unit = "mg/dL", source = "our lab" } }
      local t = labs({ age = 40, labs = { calcium = "10.3 mg/dL" } }, { ranges = mine })
      assert.equal("normal", t.calcium.flag)
      assert.equal("our lab", t.calcium.range.source)
      -- the next call without it is unaffected
      assert.equal("high", labs({ age = 40, labs = { calcium = "10.3 mg/dL" } }).calcium.flag)
      local r = calcinosis.classify({ age = 40, labs = { calcium = "10.3 mg/dL" } }, nil, { ranges = mine })
      assert.equal("normal", r.labs.calcium.flag)
    end)
    it("selects the first matching entry, as documented, for every age", function()
      local checked = 0
      for age = 0, 30, 0.5 do
        local e = labs({ age = age, sex = "F", labs = { phosphate = "4 mg/dL" } }).phosphate.range
        for _, cand in ipairs(ranges.reference) do -- the first matching entry, as documented
          if cand.analyte == "phosphate" and (cand.species or "human") == "human"
            and (not cand.sex or cand.sex == "F")
            and (not cand.age_min or age >= cand.age_min) and (not cand.age_max or age < cand.age_max) then
            assert.equal(cand.source, e.source)
            assert.equal(cand.low, e.low)
            assert.equal(cand.high, e.high)
            checked = checked + 1
            break
          end
        end
      end
      assert.equal(61, checked) -- every age had a matching default entry
      -- without an age only entries that reach adulthood apply
      assert.is_table(labs({ sex = "F", labs = { phosphate = "4 mg/dL" } }).phosphate.range)
    end)
    it("accepts a whole replacement table", function()
      local t = labs({ labs = { calcium = "10.3 mg/dL" } },
        { ranges = { { analyte = "calcium", low = 2.1, high = 2.6, unit = "mmol/L", source = "SI lab" } } })
      assert.equal("normal", t.calcium.flag)
      assert.near(2.6 * 4.0078, t.calcium.range.high, 1e-9)
    end)
    it("raises on a malformed range entry (programmer error)", function()
      assert.has_error(function() ranges.with { "calcium" } end)
    end)
  end)

  describe("flags", function()
    it("low, normal, high", function()
      assert.equal("low", labs({ age = 40, labs = { calcium = "8.0 mg/dL" } }).calcium.flag)
      assert.equal("normal", labs({ age = 40, labs = { calcium = "9.0 mg/dL" } }).calcium.flag)
      assert.equal("high", labs({ age = 40, labs = { calcium = "11.0 mg/dL" } }).calcium.flag)
    end)
    it("critical values (§2.4)", function()
      assert.equal("critical_high", labs({ age = 40, labs = { calcium = "12.5 mg/dL" } }).calcium.flag)
      assert.equal("critical_low", labs({ age = 40, labs = { calcium = "6.0 mg/dL" } }).calcium.flag)
      assert.equal("critical_high", labs({ age = 40, sex = "M", labs = { creatinine = "10.0 mg/dL" } }).creatinine.flag)
      assert.equal("critical_low", labs({ age = 40, labs = { magnesium = "1.1 mg/dL" } }).magnesium.flag)
    end)
    it("corrected calcium is flagged against the calcium range", function()
      local t = labs { age = 40, labs = { calcium = "10.5 mg/dL", albumin = "3.0 g/dL" } }
      assert.equal("high", t.corrected_calcium.flag)
    end)
  end)

  describe("plausibility: a value in the wrong unit", function()
    it("calcium 2.4 mg/dL names mmol/L and is not re-united", function()
      local t = labs { id = "P7", labs = { calcium = "2.4 mg/dL" } }
      assert.is_nil(t.calcium.value)
      assert.equal("2.4 mg/dL", t.calcium.given)
      assert.is_true(has_problem(t, "calcium: 2.4 mg/dL is implausible"))
      assert.is_true(has_problem(t, "looks like 2.4 mmol/L"))
      assert.is_true(has_problem(t, "record P7"))
      assert.is_nil(t.corrected_calcium.value)
    end)
    it("albumin 35 g/dL names g/L", function()
      assert.is_true(has_problem(labs { labs = { albumin = "35 g/dL" } }, "looks like 35 g/L"))
    end)
    it("creatinine 88 mg/dL names umol/L", function()
      assert.is_true(has_problem(labs { labs = { creatinine = "88 mg/dL" } }, "looks like 88 umol/L"))
    end)
    it("a bare number in the wrong unit is caught too", function()
      assert.is_true(has_problem(labs { labs = { calcium = 2.3 } }, "looks like 2.3 mmol/L"))
    end)
    it("an impossible value with no plausible unit is still reported", function()
      assert.is_true(has_problem(labs { labs = { calcium = "900 mg/dL" } }, "outside the plausible range"))
    end)
  end)

  describe("bad input: a clear message naming field, value and record; never a crash", function()
    local cases = {
      { "unknown analyte", { labs = { calcum = "10 mg/dL" } }, "labs: unknown analyte 'calcum'" },
      { "unknown unit", { labs = { calcium = "10 mg/dX" } }, "calcium: .*unknown unit symbol 'dX'" },
      { "incompatible unit", { labs = { calcium = "10 mL/min" } }, "calcium: '10 mL/min': incompatible units: volume flow and mass concentration" },
      { "negative value", { labs = { calcium = "-1 mg/dL" } }, "calcium: value %-1 is negative" },
      { "non-finite value", { labs = { calcium = { 0 / 0, "mg/dL" } } }, "calcium: 'nan mg/dL' is not a number" },
      { "infinite value", { labs = { calcium = { math.huge, "mg/dL" } } }, "calcium: 'inf mg/dL' is not a number" },
      { "text", { labs = { calcium = "pending" } }, "calcium: 'pending' is not a number" },
      { "wrong value type", { labs = { calcium = true } }, "labs: calcium: expected a number" },
      { "wrong unit type", { labs = { calcium = { 10, 5 } } }, "calcium: '10 5': incompatible units" },
      { "labs not a table", { labs = "10 mg/dL" }, "labs: expected an object" },
      { "bad age", { age = "old" }, "age: 'old' is not an age" },
      { "negative age", { age = -3 }, "age: %-3 years is not between 0 and 150" },
      { "age in wrong unit", { age = "3 mg" }, "age: '3 mg' is not an age" },
      { "bad sex", { sex = "X" }, "sex: unknown sex 'X'" },
      { "bad species", { species = "horse" }, "species: unknown species 'horse'" },
      { "bad height", { height_cm = "tall" }, "height_cm: 'tall' is not a height" },
      { "duplicate analyte", { labs = { calcium = "9 mg/dL", ca = "9 mg/dL" } }, "calcium given twice" },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        c[2].id = "R42"
        local t = labs(c[2])
        assert.is_true(has_problem(t, c[3]))
        assert.is_true(has_problem(t, "%(record R42%)"))
      end)
    end
    it("raises on a non-table patient or options (programmer error)", function()
      assert.has_error(function() calcinosis.labs("patient") end)
      assert.has_error(function() calcinosis.labs({}, "options") end)
      assert.has_error(function() calcinosis.labs({}, { ca_coefficient = "0.9" }) end)
    end)
    it("reads an empty value as missing, as an empty cell of a CSV file", function()
      local t = labs { id = "R42", labs = { calcium = "", phosphate = "NA" } }
      assert.same({}, t.problems)
      assert.is_nil(t.calcium.value)
      assert.is_nil(t.phosphate.value)
    end)
    it("keeps the other values when one is bad", function()
      local t = labs { labs = { calcium = "abc", phosphate = "4 mg/dL" } }
      assert.equal(4, t.phosphate.value)
      assert.equal(1, #t.problems)
    end)
  end)
end)

describe("lab logic of published cases", function()
  it("a censored eGFR keeps its comparator through staging: '<15' is G5, not G4", function()
    local t = labs { age = 70, sex = "M", labs = { egfr = "<15 mL/min/{1.73_m2}" } }
    assert.equal("<", t.egfr.comparator)
    assert.equal("G5", t.ckd_stage.value)
    assert.matches("reported as <15", t.ckd_stage.rule, 1, true)
    assert.equal("G4", labs({ age = 70, sex = "M", labs = { egfr = "15 mL/min/{1.73_m2}" } }).ckd_stage.value)
    assert.equal("G2", labs({ age = 70, sex = "M", labs = { egfr = ">60 mL/min/{1.73_m2}" } }).ckd_stage.value)
  end)
  it("the KDIGO explanation names the stage found", function()
    local t = labs { age = 70, sex = "M", labs = { egfr = "35 mL/min/{1.73_m2}" } }
    assert.equal("G3b", t.ckd_stage.value)
    assert.matches("^G3b: 30 <= eGFR < 45", t.ckd_stage.rule)
  end)
  it("a reported eGFR is kept beside the computed one, and the result says which is used", function()
    local t = labs { age = 70, sex = "M", labs = { egfr = "40 mL/min/{1.73_m2}", creatinine = "1.0 mg/dL" } }
    assert.equal("computed", t.egfr.source)
    assert.equal(40, t.egfr.reported.value)
    assert.matches("computed eGFR", t.egfr.used, 1, true)
  end)
end)

describe("results of published cases", function()
  it("a value refused as implausible is 'given but not used', not 'not given'", function()
    local r = calcinosis.classify { id = "x", age = 40, sex = "F", labs = { calcium = "2.4 mg/dL" },
      findings = { "trauma" }, sites = { "knee" } }
    local m
    for _, x in ipairs(r.missing) do if x.input == "calcium" then m = x end end
    assert.matches("calcium given as '2.4 mg/dL' but not used", m.text, 1, true)
  end)
  it("a record with no lesion described says that calcinosis cutis is assumed", function()
    local r = calcinosis.classify { id = "x", age = 40, sex = "F", findings = { "trauma" } }
    local found = false
    for _, n in ipairs(r.notes) do if n:match("assumes that calcinosis cutis is present") then found = true end end
    assert.is_true(found)
    r = calcinosis.classify { id = "y", age = 40, sex = "F", findings = { "trauma" }, sites = { "knee" } }
    for _, n in ipairs(r.notes) do assert.is_nil(n:match("assumes that calcinosis cutis")) end
  end)
end)
