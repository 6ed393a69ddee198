-- The lab snapshot of a single-patient result (raw.labs of plan:classify):
-- the C core keeps the record and builds the lab table, or a part of it,
-- only when it is read. Each part must be what the whole table says:
-- labs:get(key) is labs:table()[key] for every key; labs:values(inputs) is,
-- entry by entry, the projection of the table that a fired rule shows
-- (computed here from the table, independently of the C code that builds
-- it); labs:refused and labs:critical agree with the table's entries. And
-- the table is calcinosis.labs's for the same patient, whose values some
-- cases below check by hand.
local engine = require "calcinosis.engine"
local calcinosis = require "calcinosis"
local rules = require "calcinosis.rules"

local rs = rules.default()
local plan = engine.for_patients(rs)

local PATIENTS = {
  { id = "P1", age = 58, sex = "F", labs = { calcium = "10.9 mg/dL", albumin = "3.0 g/dL", phosphate = "6.1 mg/dL",
    creatinine = "2.4 mg/dL", pth = "612 pg/mL", egfr = "21" }, findings = { "ckd", "dialysis" }, sites = "thighs" },
  { id = "P2", age = "8 mo", sex = "M", height_cm = 70, labs = { calcium = "15.5 mg/dL", phos = "high",
    creatinine = "0.3 mg/dL" }, findings = { "heel_stick" }, sites = { "heels" } },
  { id = "P3", species = "dog", age = 9, labs = { calcium = "12.5 mg/dL", phosphate = { 4, "mg/dL" } } },
  { id = "P4", age = 40, sex = "F", labs = { calcium = "banana", albumin = { value = 4.1, unit = "g/dL" },
    egfr = "<15", corrected_calcium = "11.5 mg/dL", ca_x_p = 80 } },
  { id = "P5" },
  { id = "P6", age = 70, sex = "M", labs = { calcium = "4.9 mg/dL", ["2160-0"] = "1.1 mg/dL", vitd25 = "-" },
    findings = { "sarcoidosis" } },
}

-- what a fired rule shows of an input (the fields of the entry it shows),
-- from the whole table
local function shown(t, name)
  if name == "female" or name == "male" then return t.sex and { name = "sex", value = t.sex } or nil end
  local e = t[name]
  if type(e) ~= "table" then return nil end
  if name == "ckd_stage" then return e.value and { name = name, value = e.value, rule = e.rule } or nil end
  if e.value == nil and e.qualitative == nil then return nil end
  local v = { name = name, value = e.value, unit = e.unit ~= "" and e.unit or nil, flag = e.flag, given = e.given,
    qualitative = e.qualitative, method = e.method, basis = e.basis }
  if e.range then v.range = { low = e.range.low, high = e.range.high, unit = e.range.unit, source = e.range.source } end
  return v
end

local function keys_of(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

describe("the lab snapshot of a single-patient result", function()
  for _, p in ipairs(PATIENTS) do
    describe("patient " .. p.id, function()
      local raw = plan:classify(p)
      local snap = raw.labs
      local whole = snap:table()

      it("is the table calcinosis.labs gives, a new one on every read", function()
        assert.are.same(calcinosis.labs(p), whole)
        assert.are_not.equal(whole, snap:table())
        assert.are.same(whole, snap:table())
      end)

      it("gives each key of the table alone (get), and nothing for other keys", function()
        for _, k in ipairs(keys_of(whole)) do assert.are.same(whole[k], snap:get(k)) end
        for _, k in ipairs { "ca", "phos", "nothing", "labs", "id" } do assert.is_nil(snap:get(k)) end
      end)

      it("shows a fired rule's inputs as the table's entries say (values)", function()
        local inputs = { "female", "male", "age", "sex", "species", "problems", "ckd_stage", "ca", "unknown" }
        for _, k in ipairs(keys_of(whole)) do inputs[#inputs + 1] = k end
        local expect = {}
        for _, k in ipairs(inputs) do expect[#expect + 1] = shown(whole, k) end
        local got = snap:values(inputs)
        assert.are.same(expect, got)
        assert.are.equal("array", getmetatable(got).__jsontype)
        for _, k in ipairs(inputs) do assert.are.same(shown(whole, k), snap:value(k)) end
      end)

      it("names an input given but not used, and values beyond a critical value, as the table does", function()
        for _, k in ipairs(keys_of(whole)) do
          local e = whole[k]
          local refused = type(e) == "table" and e.given and e.value == nil and not e.qualitative and e.given or nil
          assert.are.same({ refused }, { snap:refused(k) })
          local v, u, f = snap:critical(k)
          if type(e) == "table" and e.value and e.flag and e.flag:match("^critical") then
            assert.are.same({ e.value, e.unit, e.flag }, { v, u, f })
          else
            assert.is_nil(v)
          end
        end
      end)
    end)
  end

  it("holds the values worked out by hand", function()
    -- P4: calcium "banana" is refused; corrected calcium and Ca x P are reported, not computed
    local s = plan:classify(PATIENTS[4]).labs
    assert.are.equal("banana", s:refused("calcium"))
    assert.is_nil(s:refused("albumin"))
    assert.are.equal("reported", s:get("corrected_calcium").source)
    assert.are.equal(11.5, s:get("corrected_calcium").value)
    assert.is_nil(s:get("ca_x_p").basis)
    assert.are.equal("<", s:get("egfr").comparator)
    assert.are.equal("G5", s:get("ckd_stage").value)
    -- P6: calcium 4.9 mg/dL is below the critical low of calcium (calcinosis.ranges.critical)
    local s6 = plan:classify(PATIENTS[6]).labs
    local v, u, f = s6:critical("calcium")
    assert.are.same({ 4.9, "mg/dL", "critical_low" }, { v, u, f })
    -- P1: corrected calcium 10.9 + 0.8 x (4.0 - 3.0) = 11.7 mg/dL, the common formula
    local c = plan:classify(PATIENTS[1]).labs:values { "corrected_calcium" }[1]
    assert.near(11.7, c.value, 1e-9)
    assert.are.equal("Ca + 0.8 x (4.0 - albumin) [mg/dL, g/dL]", c.method)
    -- P3 (a dog): no albumin correction
    assert.matches("not applied to dogs", plan:classify(PATIENTS[3]).labs:get("corrected_calcium").note)
  end)

  it("is kept after the plan read other patients (the record is the snapshot's)", function()
    local a = plan:classify(PATIENTS[1]).labs
    local before = a:table()
    plan:classify(PATIENTS[2])
    plan:classify(PATIENTS[6])
    assert.are.same(before, a:table())
  end)

  it("keeps each lab as it was given when classified, whatever the patient table holds later", function()
    -- the snapshot keeps a lab's value and unit (a table's too) and writes
    -- its text when read; a value that is neither a string, a number nor a
    -- boolean is written when the snapshot is made (its __tostring is not
    -- called again later)
    local calls = 0
    local odd = setmetatable({}, { __tostring = function() calls = calls + 1; return "odd" .. calls end })
    local labs = { calcium = { 2.45, "mmol/L" }, phosphate = 4.123456789012345, albumin = { value = 3.1, unit = "g/dL" },
      creatinine = { value = odd, unit = "mg/dL" }, pth = true }
    local p = { id = "G1", age = 60, sex = "F", labs = labs }
    local want = calcinosis.labs(p)
    local s = plan:classify(p).labs
    assert.are.equal(2, calls) -- once for calcinosis.labs, once for the snapshot
    labs.calcium[1], labs.calcium[2], labs.albumin.unit = 9, "mg/dL", "g/L"
    labs.phosphate, labs.pth = "1 mmol/L", "high"
    local t = s:table()
    assert.are.equal("2.45 mmol/L", t.calcium.given)
    assert.are.equal("4.1234567890123", t.phosphate.given) -- tostring's %.14g
    assert.are.equal("3.1 g/dL", t.albumin.given)
    assert.are.equal("odd2 mg/dL", t.creatinine.given)
    assert.are.equal("true", t.pth.given)
    assert.are.equal("calcium", t.calcium.key)
    assert.are.equal(2, calls)
    for _, k in ipairs { "calcium", "phosphate", "albumin", "pth" } do
      assert.are.equal(want[k].given, t[k].given, k)
      assert.are.equal(want[k].key, t[k].key, k)
    end
    assert.are.equal("odd1 mg/dL", want.creatinine.given)
  end)

  it("takes a lab's text from the key its value was read from (the first in sorted order)", function()
    -- "calcium" and its LOINC code name the same analyte: the value and the text are both the first key's
    local p = { id = "G2", age = 60, sex = "F", labs = { calcium = "9.0 mg/dL", ["17861-6"] = "2.6 mmol/L" } }
    local t = calcinosis.labs(p)
    local s = plan:classify(p).labs:table()
    local alone = calcinosis.labs { id = "G3", age = 60, sex = "F", labs = { calcium = "2.6 mmol/L" } }.calcium.value
    assert.near(2.6 * 40.078 / 10, alone, 1e-9)
    for _, x in ipairs { t, s } do
      assert.are.equal("17861-6", x.calcium.key)
      assert.are.equal("2.6 mmol/L", x.calcium.given)
      assert.are.equal(alone, x.calcium.value)
    end
  end)

  it("reads date fields of a patient table with a metatable (patient_json looks them up then)", function()
    local p = setmetatable({ id = "M1", age = 50, labs = { calcium = "9.5 mg/dL" } },
      { __index = { calcium_date = "2024-03-05" } })
    assert.are.equal("2024-03-05", calcinosis.labs(p).calcium.date)
    local q = { id = "M2", age = 50, labs = { calcium = "9.5 mg/dL" }, calcium_date = "2024-03-06" }
    assert.are.equal("2024-03-06", calcinosis.labs(q).calcium.date)
  end)
end)
