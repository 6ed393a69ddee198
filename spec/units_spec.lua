-- Units: UCUM parsing, lab spellings, conversions, the UCUM functional tests.
local calcinosis = require "calcinosis"
local S = require "support"
local convert = calcinosis.convert

local function near(expected, actual, tol)
  assert.is_number(actual)
  assert.is_true(math.abs(expected - actual) <= tol,
    ("expected %.10g, got %.10g (tolerance %g)"):format(expected, actual, tol))
end

describe("units", function()
  describe("lab spellings", function()
    local same = {
      { "mg/dl", "mg/dL" }, { "MG/DL", "mg/dL" }, { "mmol/l", "mmol/L" }, { "MMOL/L", "mmol/L" },
      { "µmol/L", "umol/L" }, { "μmol/L", "umol/L" }, { "umol/l", "umol/L" }, { "UMOLL", "umol/L" },
      { "MMOLL", "mmol/L" }, { "g/dl", "g/dL" }, { "pg/ml", "pg/mL" }, { "ng/l", "pg/mL" },
      { "IU/L", "U/L" }, { "U/L", "U/L" }, { "iu/l", "U/L" },
      { "mL/min/1.73m2", "mL/min/{1.73_m2}" }, { "mL/min/1.73 m2", "mL/min/{1.73_m2}" },
      { "ml/min/1.73m²", "mL/min/{1.73_m2}" }, { "mL/min", "mL/min/{1.73_m2}" }, { "MLMIN", "mL/min" },
      { "years", "a" }, { "y", "a" }, { "months", "mo" }, { "weeks", "wk" }, { "days", "d" },
    }
    for _, p in ipairs(same) do
      it(("reads %q as %s"):format(p[1], p[2]), function()
        near(1, convert(1, p[1], p[2]), 1e-12)
      end)
    end
  end)

  describe("conversions within a dimension", function()
    it("g/dL to g/L is x 10 [S37]", function() near(35, convert(3.5, "g/dL", "g/L"), 1e-12) end)
    it("pg/mL equals ng/L", function() near(42, convert(42, "pg/mL", "ng/L"), 1e-12) end)
    it("mg/dL to mg/L", function() near(100, convert(10, "mg/dL", "mg/L"), 1e-12) end)
    it("months to years", function() near(8 / 12, convert(8, "mo", "a"), 1e-12) end)
    it("days to years (Julian year, 365.25 d)", function() near(24 / 365.25, convert(24, "d", "a"), 1e-12) end)
    it("inches to cm", function() near(2.54, convert(1, "[in_i]", "cm"), 1e-12) end)
    it("mg2/dL2 to mg2/L2", function() near(7854, convert(78.54, "mg2/dL2", "mg2/L2"), 1e-9) end)
  end)

  describe("mass <-> molar with the analyte's molar mass (clinical reference §4.1)", function()
    -- factors as printed in §2.1 (computed there to 4 significant digits)
    local cases = {
      { "calcium", "mg/dL", "mmol/L", 0.2495 },
      { "ionized_calcium", "mg/dL", "mmol/L", 0.2495 },
      { "calcium", "mg/dL", "mEq/L", 0.4990 },
      { "phosphate", "mg/dL", "mmol/L", 0.3229 },
      { "creatinine", "mg/dL", "umol/L", 88.40 },
      { "vitd25", "ng/mL", "nmol/L", 2.496 },
      { "vitd125", "pg/mL", "pmol/L", 2.400 },
      { "magnesium", "mg/dL", "mmol/L", 0.4114 },
      { "magnesium", "mg/dL", "mEq/L", 0.8229 },
      { "pth", "pg/mL", "pmol/L", 0.106 },
      { "ca_x_p", "mg2/dL2", "mmol2/L2", 0.08056 },
      { "albumin", "g/dL", "g/L", 10 },
    }
    for _, c in ipairs(cases) do
      it(("%s: 1 %s = %g %s"):format(c[1], c[2], c[4], c[3]), function()
        near(c[4], convert(1, c[2], c[3], c[1]), S.sig_tolerance(c[4], 4))
        near(1, convert(c[4], c[3], c[2], c[1]), 1e-3)
      end)
    end
    it("2.62 mmol/L calcium is 10.50 mg/dL", function()
      near(10.50, convert(2.62, "mmol/L", "mg/dL", "calcium"), 0.005)
    end)
    it("accepts LOINC codes and aliases as the analyte", function()
      near(0.2495, convert(1, "mg/dL", "mmol/L", "17861-6"), 5e-5)
      near(0.2495, convert(1, "mg/dL", "mmol/L", "49765-1"), 5e-5)
      near(88.40, convert(1, "mg/dL", "umol/L", "38483-4"), 5e-3)
      near(0.3229, convert(1, "mg/dL", "mmol/L", "phosphorus"), 5e-5)
    end)
  end)

  describe("errors", function()
    local function fails(pattern, ...)
      local v, msg = convert(...)
      assert.is_nil(v)
      assert.is_string(msg)
      assert.matches(pattern, msg)
    end
    it("names both dimensions for incompatible units", function()
      fails("incompatible units: mass concentration and time", 1, "mg/dL", "s")
      fails("incompatible units: mass concentration and volume flow", 1, "mg/dL", "mL/min", "calcium")
    end)
    it("asks for an analyte for mass <-> molar", function()
      fails("needs an analyte with a molar mass", 1, "mg/dL", "mmol/L")
    end)
    it("refuses mass <-> molar for an analyte without a molar mass", function()
      fails("needs an analyte with a molar mass", 1, "g/dL", "mmol/L", "albumin")
    end)
    it("refuses equivalents without a valence", function()
      fails("needs an analyte with a valence", 1, "mg/dL", "mEq/L", "phosphate")
    end)
    it("names an unknown unit", function()
      fails("unknown unit symbol 'furlong'", 1, "furlong", "m")
      fails("in unit 'mg/dX'", 1, "mg/dX", "mg/dL")
    end)
    it("names an unknown analyte", function()
      fails("unknown analyte 'calcum'", 1, "mg/dL", "mmol/L", "calcum")
    end)
    it("rejects non-finite and negative values", function()
      fails("not a finite number", 0 / 0, "mg/dL", "mg/L")
      fails("not a finite number", math.huge, "mg/dL", "mg/L")
      fails("negative", -1, "mg/dL", "mg/L")
    end)
    it("rejects empty units", function()
      fails("from_unit is empty", 1, "", "mg/L")
      fails("to_unit is empty", 1, "mg/L", "")
    end)
    it("rejects malformed UCUM without crashing", function()
      for _, u in ipairs { "(((m", "m)", "[in_i", "{x", "m..g", "/", "m/", "10*", "10*x", "m2147483648",
        ("("):rep(200) .. "m", "m" .. ("/m"):rep(300), "\0m", "m\255" } do
        local v, msg = convert(1, u, "m")
        assert.is_nil(v, u)
        assert.is_string(msg, u)
      end
    end)
    it("raises on wrong argument types (programmer errors)", function()
      assert.has_error(function() convert("1", "mg/dL", "mg/L") end)
      assert.has_error(function() convert(1, nil, "mg/L") end)
      assert.has_error(function() convert(1, "mg/dL", {}) end)
      assert.has_error(function() convert(1, "mg/dL", "mg/L", 5) end)
    end)
  end)

  describe("quantity()", function()
    it("parses a number and a unit", function()
      assert.same({ value = 11.2, unit = "mg/dL" }, calcinosis.quantity("11.2 mg/dL"))
      assert.same({ value = 11.2, unit = "mg/dL" }, calcinosis.quantity("11.2mg/dL"))
      assert.same({ value = 0.5, unit = "g/L" }, calcinosis.quantity(" .5 g/L "))
      assert.same({ value = 1e-3, unit = "mol/L" }, calcinosis.quantity("1e-3 mol/L"))
      assert.same({ value = 60, unit = "" }, calcinosis.quantity("60"))
    end)
    it("keeps a censoring comparator", function()
      assert.same({ value = 15, unit = "mL/min", comparator = "<" }, calcinosis.quantity("<15 mL/min"))
      assert.same({ value = 90, unit = "mL/min/{1.73_m2}", comparator = ">=" },
        calcinosis.quantity(">= 90 mL/min/{1.73_m2}"))
    end)
    it("returns nil and a message for bad text", function()
      for _, s in ipairs { "", "   ", "abc", "mg/dL 11", "1,2 mmol/L", "11.2 furlongs", "1.2.3 mg/dL" } do
        local q, msg = calcinosis.quantity(s)
        assert.is_nil(q, s)
        assert.is_string(msg, s)
      end
    end)
    it("raises on a non-string", function()
      assert.has_error(function() calcinosis.quantity(11.2) end)
    end)
  end)

  describe("UCUM functional tests (../shared/data/ucum)", function()
    it("runs every conversion case whose units the core supports", function()
      local path = S.shared_file("data/ucum/UcumFunctionalTests.xml")
      if not path then return pending(S.skip_reason("data/ucum/UcumFunctionalTests.xml")) end
      local f = assert(io.open(path, "rb"))
      local xml = f:read("a")
      f:close()
      local section = assert(xml:match("<conversion>(.-)</conversion>")):gsub("<!%-%-.-%-%->", "")
      local total, ran, passed, failures = 0, 0, 0, {}
      for attrs in section:gmatch("<case(.-)/>") do
        total = total + 1
        local id = attrs:match('id="([^"]*)"')
        local value = tonumber(attrs:match('value="([^"]*)"'))
        local src, dst = attrs:match('srcUnit="([^"]*)"'), attrs:match('dstUnit="([^"]*)"')
        local outcome = attrs:match('outcome="([^"]*)"')
        local r = convert(value, src, dst)
        if r then
          ran = ran + 1
          -- the outcome is printed to the precision of the input (UCUM test notes)
          local digits = #(outcome:gsub("^[0.]+", ""):gsub("%.", ""):gsub("e.*$", ""))
          local tol = math.max(S.sig_tolerance(tonumber(outcome), math.min(digits, 15)),
            math.abs(tonumber(outcome)) * 1e-12)
          if math.abs(r - tonumber(outcome)) <= tol then passed = passed + 1
          else failures[#failures + 1] = ("%s: %s %s -> %s = %.15g, expected %s"):format(id, value, src, dst, r, outcome) end
        end
      end
      io.stderr:write(("    UCUM conversion cases: %d in file, %d ran (units supported), %d passed\n")
        :format(total, ran, passed))
      assert.same({}, failures)
      assert.is_true(total >= 30)
      assert.is_true(ran >= 28, "fewer UCUM cases supported than before: " .. ran)
    end)
  end)
end)
