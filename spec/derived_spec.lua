-- Derived values: every worked example of clinical reference §5 and every row of
-- ../shared/data/egfr, within the rounding the source prints.
local calcinosis = require "calcinosis"
local core = calcinosis.core
local S = require "support"

local function near(expected, actual, tol, what)
  assert.is_number(actual, what)
  assert.is_true(math.abs(expected - actual) <= tol,
    ("%s: expected %.10g, got %.10g (tolerance %g)"):format(what or "", expected, actual, tol))
end
local sig4 = function(x) return S.sig_tolerance(x, 4) end

describe("albumin-corrected calcium (clinical reference §5.1)", function()
  local conventional = {
    { 8.0, 2.5, 9.200, 9.500 },
    { 7.6, 2.0, 9.200, 9.600 },
    { 9.8, 4.4, 9.480, 9.400 },
    { 10.5, 3.0, 11.30, 11.50 },
  }
  for i, c in ipairs(conventional) do
    it(("example %d: Ca %.1f, albumin %.1f -> %.2f (0.8 form), %.2f (Payne 1.0)"):format(i, c[1], c[2], c[3], c[4]), function()
      near(c[3], core.corrected_calcium(c[1], c[2], "common"), sig4(c[3]))
      near(c[4], core.corrected_calcium(c[1], c[2], "payne"), sig4(c[4]))
      -- through the patient API, with the variant named in the result
      local t = calcinosis.labs { age = 50, sex = "F", labs = { calcium = c[1] .. " mg/dL", albumin = c[2] .. " g/dL" } }
      near(c[3], t.corrected_calcium.value, sig4(c[3]))
      assert.equal("common", t.corrected_calcium.variant)
      local p = calcinosis.labs({ age = 50, sex = "F", labs = { calcium = c[1] .. " mg/dL", albumin = c[2] .. " g/dL" } },
        { ca_coefficient = "payne" })
      near(c[4], p.corrected_calcium.value, sig4(c[4]))
      assert.equal("payne", p.corrected_calcium.variant)
    end)
  end
  local si = {
    { 2.00, 30, 2.200, 2.2495 },
    { 1.83, 26, 2.110, 2.179 },
    { 2.40, 45, 2.300, 2.275 },
  }
  for i, c in ipairs(si) do
    it(("example %d (SI): Ca %.2f mmol/L, albumin %d g/L -> %.3f (0.02 form), %.4g (0.02495 form)")
      :format(i + 4, c[1], c[2], c[3], c[4]), function()
      local patient = { labs = { calcium = { c[1], "mmol/L" }, albumin = { c[2], "g/L" } } }
      local t = calcinosis.labs(patient, { ca_coefficient = "si" })
      near(c[3], calcinosis.convert(t.corrected_calcium.value, "mg/dL", "mmol/L", "calcium"), sig4(c[3]))
      local p = calcinosis.labs(patient, { ca_coefficient = "payne" })
      near(c[4], calcinosis.convert(p.corrected_calcium.value, "mg/dL", "mmol/L", "calcium"), sig4(c[4]))
    end)
  end
  it("reproduces ../shared/data/egfr/corrected_calcium_vectors.csv (albumin in g/L)", function()
    local path = S.shared_file("data/egfr/corrected_calcium_vectors.csv")
    if not path then return pending(S.skip_reason("data/egfr/corrected_calcium_vectors.csv")) end
    local rows = S.read_csv(path)
    assert.is_true(#rows >= 1)
    for _, r in ipairs(rows) do
      local t = calcinosis.labs { labs = { calcium = r.calcium_value .. " " .. r.calcium_unit,
        albumin = r.albumin_value .. " " .. r.albumin_unit } }
      near(tonumber(r.expected_corrected_calcium), t.corrected_calcium.value,
        S.printed_tolerance(r.expected_corrected_calcium), r.source)
    end
  end)
  it("is missing, never zero, when albumin is missing", function()
    local t = calcinosis.labs { labs = { calcium = "9.5 mg/dL" } }
    assert.is_nil(t.corrected_calcium.value)
    assert.same({ "albumin" }, t.corrected_calcium.missing)
    assert.is_nil(core.corrected_calcium(9.5, nil))
  end)
  it("is not applied to dogs or cats (clinical reference §4.4)", function()
    for _, species in ipairs { "dog", "cat" } do
      local t = calcinosis.labs { species = species, labs = { calcium = "11 mg/dL", albumin = "2.0 g/dL" } }
      assert.is_nil(t.corrected_calcium.value)
      assert.matches("not applied", t.corrected_calcium.note)
    end
  end)
  it("uses a corrected calcium the lab reports", function()
    local t = calcinosis.labs { labs = { ["29265-6"] = "2.5 mmol/L", albumin = "2 g/dL" } }
    near(10.02, t.corrected_calcium.value, 0.005)
    assert.equal("reported", t.corrected_calcium.source)
  end)
end)

describe("calcium x phosphate (clinical reference §5.2)", function()
  local cases = {
    { 10.2, 7.7, 78.54, 6.327 },
    { 9.5, 5.5, 52.25, 4.209 },
    { 9.0, 6.5, 58.50, 4.713 },
    { 8.8, 8.0, 70.40, 5.671 },
    { 9.3, 10.3, 95.79, 7.716 },
  }
  for i, c in ipairs(cases) do
    it(("example %d: %.1f x %.1f = %.2f mg2/dL2 = %.3f mmol2/L2"):format(i, c[1], c[2], c[3], c[4]), function()
      near(c[3], core.ca_x_p(c[1], c[2]), sig4(c[3]))
      local t = calcinosis.labs { labs = { calcium = c[1] .. " mg/dL", phosphate = c[2] .. " mg/dL" } }
      near(c[3], t.ca_x_p.value, sig4(c[3]))
      assert.equal("calcium", t.ca_x_p.basis)
      -- the facts print 7.716 for 95.79 / (4.0078 x 3.0973761) = 7.71651: allow one
      -- unit in the last printed place for the SI column
      near(c[4], t.ca_x_p.si.value, 2 * sig4(c[4]))
    end)
  end
  it("uses corrected calcium when albumin is given", function()
    local t = calcinosis.labs { labs = { calcium = "10.5 mg/dL", albumin = "3.0 g/dL", phosphate = "5 mg/dL" } }
    assert.equal("corrected_calcium", t.ca_x_p.basis)
    near(11.3 * 5, t.ca_x_p.value, 1e-9)
  end)
  it("is missing when phosphate is missing", function()
    local t = calcinosis.labs { labs = { calcium = "10.5 mg/dL" } }
    assert.is_nil(t.ca_x_p.value)
  end)
end)

describe("eGFR CKD-EPI 2021 and KDIGO stage (clinical reference §5.3, §5.4)", function()
  local cases = {
    { "F", 55, "0.9 mg/dL", 75.50, "G2" },
    { "M", 50, "1.0 mg/dL", 91.69, "G1" },
    { "F", 40, "0.6 mg/dL", 116.3, "G1" },
    { "M", 30, "0.7 mg/dL", 127.1, "G1" },
    { "M", 65, "2.0 mg/dL", 36.36, "G3b" },
    { "F", 80, "1.2 mg/dL", 45.76, "G3a" },
    { "F", 72, "4.5 mg/dL", 9.846, "G5" },
    { "M", 60, "120 umol/L", 59.71, "G3a" },
  }
  for i, c in ipairs(cases) do
    it(("example %d: %s %d y, %s -> %.4g, %s"):format(i, c[1], c[2], c[3], c[4], c[5]), function()
      local t = calcinosis.labs { sex = c[1], age = c[2], labs = { creatinine = c[3] } }
      near(c[4], t.egfr.value, sig4(c[4]))
      assert.equal("CKD-EPI 2021 creatinine [S41]", t.egfr.method)
      assert.equal(c[5], t.ckd_stage.value)
    end)
  end
  it("band edge: 59.71 is G3a by the raw rule (default) and G2 when rounded first", function()
    local p = { sex = "M", age = 60, labs = { creatinine = "120 umol/L" } }
    assert.equal("G3a", calcinosis.labs(p).ckd_stage.value)
    assert.equal("G2", calcinosis.labs(p, { kdigo_rounding = true }).ckd_stage.value)
    assert.equal(3, select(1, core.kdigo(59.71)))
    assert.equal(2, select(1, core.kdigo(59.71, true)))
    for _, e in ipairs { { 90, "G1" }, { 89.99, "G2" }, { 60, "G2" }, { 45, "G3a" }, { 44.99, "G3b" },
      { 30, "G3b" }, { 15, "G4" }, { 14.99, "G5" }, { 0, "G5" } } do
      assert.equal(e[2], select(2, core.kdigo(e[1])), tostring(e[1]))
    end
  end)
  it("is not computed under 18 without a height, nor without sex", function()
    assert.is_nil(calcinosis.labs({ sex = "F", age = 12, labs = { creatinine = "0.5 mg/dL" } }).egfr.value)
    local t = calcinosis.labs { age = 40, labs = { creatinine = "0.5 mg/dL" } }
    assert.is_nil(t.egfr.value)
    assert.same({ "sex" }, t.egfr.missing)
    assert.is_nil(t.ckd_stage.value)
  end)
  it("keeps a reported eGFR when it cannot compute one", function()
    local t = calcinosis.labs { labs = { egfr = "<15 mL/min/1.73m2" } }
    assert.equal(15, t.egfr.value)
    assert.equal("<", t.egfr.comparator)
    assert.equal("reported", t.egfr.source)
  end)
end)

describe("bedside Schwartz (clinical reference §5.3)", function()
  local cases = {
    { 100, "0.4 mg/dL", 103.25, 5 },
    { 100, "0.5 mg/dL", 82.60, 4 },
    { 140, "0.6 mg/dL", 96.37, 4 },
    { 120, "44.2 umol/L", 99.12, 4 },
    { 160, "1.5 mg/dL", 44.05, 4 },
  }
  for i, c in ipairs(cases) do
    it(("example %d: %d cm, %s -> %.2f"):format(i, c[1], c[2], c[3]), function()
      local t = calcinosis.labs { age = 10, sex = "F", height_cm = c[1], labs = { creatinine = c[2] } }
      near(c[3], t.egfr.value, S.sig_tolerance(c[3], c[4]))
      assert.equal("bedside Schwartz [S42]", t.egfr.method)
    end)
  end
end)

describe("../shared/data/egfr/egfr_test_vectors.csv", function()
  local path = S.shared_file("data/egfr/egfr_test_vectors.csv")
  local rows = path and S.read_csv(path) or {}
  it("has the rows the MANIFEST lists", function()
    if not path then return pending(S.skip_reason("data/egfr/egfr_test_vectors.csv")) end
    assert.equal(18, #rows)
  end)
  local function compute(r, factor)
    local scr = tonumber(r.creatinine_mg_dl)
    if not scr then scr = tonumber(r.creatinine_source_value) / factor end
    local age, female = tonumber(r.age), r.sex:match("^[Ff]") ~= nil
    local black = r.race_or_ethnicity:lower() == "black"
    local eq = r.equation
    if eq:match("2021") then return core.egfr_ckd_epi_2021(scr, age, female)
    elseif eq:match("2009") then return core.egfr_ckd_epi_2009(scr, age, female, black)
    elseif eq:match("186") then return core.egfr_mdrd(scr, age, female, black, 186)
    elseif eq:match("MDRD") then return core.egfr_mdrd(scr, age, female, black, 175)
    elseif eq:match("Schwartz") then return core.egfr_schwartz(tonumber(r.height_cm), scr) end
    error("unknown equation " .. eq)
  end
  for i, r in ipairs(rows) do
    it(("row %d: %s, %s -> %s"):format(i, r.source, r.equation, r.expected_egfr), function()
      local expected = tonumber(r.expected_egfr)
      local rule = r.expected_rounding_or_tolerance
      local lo_range, hi_range = rule:match("accepted range ([%d.]+)%-([%d.]+)")
      if r.source:match("transplantr") then
        -- transplantr converts umol/L with /88.42 (MANIFEST); tibble prints 3 significant digits
        local v = compute(r, 88.42)
        local tol = rule:match("round%(x 1%)") and 0.05 or S.sig_tolerance(expected, 3)
        if r.source:match("results_US") then tol = 0.3 end -- creatinine itself printed to 3 digits (MANIFEST)
        near(expected, v, tol + 1e-9, r.source)
      elseif r.source:match("edc%-egfr") and r.creatinine_mg_dl == "" then
        -- the source's umol/L conversion factor is not stated: the expected value
        -- lies between the values with 88.4 and 88.42, within its printed rounding
        local a, b = compute(r, 88.4), compute(r, 88.42)
        local tol = S.printed_tolerance(r.expected_egfr)
        assert.is_true(expected >= math.min(a, b) - tol and expected <= math.max(a, b) + tol,
          ("%s not within [%g, %g]"):format(r.expected_egfr, a, b))
      else
        local v = compute(r, 88.4)
        if lo_range then
          assert.is_true(v >= tonumber(lo_range) and v <= tonumber(hi_range))
          near(expected, v, 1e-4, r.source) -- the benchmark prints its own value to 5 decimals
        else
          near(expected, v, S.printed_tolerance(r.expected_egfr) + 1e-9, r.source)
        end
      end
    end)
  end
end)
