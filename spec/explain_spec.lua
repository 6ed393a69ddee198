-- Why a fired rule fired (`fired[i].why`), as the C engine renders it
-- (src/explain.c, from the values the operand programs compute): awkward
-- cases, each expected string worked out by hand from the condition and
-- the patient (the value of each side, its unit as shown, "%.2f" or a
-- whole number, the branch that was taken, the terms of a set that are
-- present, in the set's order).
local rules = require "calcinosis.rules"

local NaN = 0 / 0

-- a one-rule ruleset around a condition; extra declarations before the rule
local function compile(when, extra)
  local rs, err = rules.compile(([[return ruleset { name = "t", version = "1", subtypes = { "a", "b" },
%s
rule { id = "r", when = %q, supports = "a", weight = 1, because = "x", source = "S1" } }]])
    :format(extra or "", when))
  assert(rs, err)
  return rs
end

-- the reasons of the one rule, which must have fired
local function why(when, patient, extra)
  local r = compile(when, extra):classify(patient)
  assert.equal(1, #r.fired, "the rule did not fire: " .. when)
  return r.fired[1].why
end

local function labs(t) return { age = 40, labs = t } end

describe("explanations of fired rules", function()
  it("shows the side of an 'or' that was true, not one that was false or unknown", function()
    local when = "calcium > 10.5 or phosphate > 4.5"
    assert.same({ "calcium 11.00 mg/dL > 10.5 mg/dL" },
      why(when, labs { calcium = "11 mg/dL", phosphate = "3 mg/dL" }))
    assert.same({ "calcium 11.00 mg/dL > 10.5 mg/dL" }, why(when, labs { calcium = "11 mg/dL" }))
    assert.same({ "calcium 11.00 mg/dL > 10.5 mg/dL", "phosphate 5.00 mg/dL > 4.5 mg/dL" },
      why(when, labs { calcium = "11 mg/dL", phosphate = "5 mg/dL" }))
    assert.same({ "phosphate 5.00 mg/dL > 4.5 mg/dL" },
      why(when, labs { calcium = "9 mg/dL", phosphate = "5 mg/dL" }))
  end)

  it("shows the branch of an 'if' that was taken, and none when the condition is unknown", function()
    local when = "if female then calcium > 10 else calcium > 11"
    assert.same({ "calcium 10.50 mg/dL > 10 mg/dL" },
      why(when, { age = 40, sex = "F", labs = { calcium = "10.5 mg/dL" } }))
    assert.same({ "calcium 11.50 mg/dL > 11 mg/dL" },
      why(when, { age = 40, sex = "M", labs = { calcium = "11.5 mg/dL" } }))
    -- sex unknown: both branches true, so the rule fired, but neither was chosen
    assert.same({}, why(when, { age = 40, labs = { calcium = "12 mg/dL" } }))
    -- an 'if' as a value: its text and the value it took
    assert.same({ "calcium 10.50 mg/dL > (if female then 10 else 11) 10.00 mg/dL" },
      why("calcium > (if female then 10 else 11)", { age = 40, sex = "F", labs = { calcium = "10.5 mg/dL" } }))
  end)

  it("explains a let that is a condition through its definition, a numeric let by its name", function()
    assert.same({ "calcium 11.00 mg/dL > 10.5 mg/dL", "age 40.00 years >= 18 years" },
      why("hyper and age >= 18", labs { calcium = "11 mg/dL" }, 'let("hyper", "calcium > 10.5"),'))
    assert.same({ "phosphate 5.00 mg/dL > 4.5 mg/dL" },
      why("either", labs { calcium = "9 mg/dL", phosphate = "5 mg/dL" },
        'let("either", "calcium > 10.5 or phosphate > 4.5"),'))
    -- a let of lets
    assert.same({ "phosphate 5.00 mg/dL > 4.5 mg/dL" },
      why("outer", labs { calcium = "9 mg/dL", phosphate = "5 mg/dL" },
        'let("inner", "phosphate > 4.5"), let("outer", "inner or calcium > 10.5"),'))
    assert.same({ "r 2 > 1" },
      why("r > 1", labs { calcium = "5 mg/dL", phosphate = "10 mg/dL" }, 'let("r", "phosphate / calcium"),'))
  end)

  it("shows converted literals and params in the unit compared, with the unit they were written in", function()
    -- 2.5 mmol/L x 40.078 mg/mmol = 100.195 mg/L = 10.0195 mg/dL
    assert.same({ "calcium 11.00 mg/dL > 10.0195 mg/dL (2.5 mmol/L)" },
      why("calcium > 2.5 mmol/L", labs { calcium = "11 mg/dL" }))
    -- a unit on one bound applies to both: 2 and 3 mmol/L are 8.0156 and 12.0234 mg/dL
    assert.same({ "calcium 10.00 mg/dL between 8.0156 mg/dL (2 mmol/L) and 12.0234 mg/dL (3 mmol/L)" },
      why("calcium between 2 and 3 mmol/L", labs { calcium = "10 mg/dL" }))
    -- a param is a value shown with two decimals
    assert.same({ "calcium 11.00 mg/dL > ca_high 10.02 mg/dL" },
      why("calcium > ca_high", labs { calcium = "11 mg/dL" }, 'param("ca_high", "2.5 mmol/L"),'))
  end)

  it("lists the present terms of a set, in the set's order, plural when several", function()
    assert.same({ "findings ckd, dialysis in {ckd, dialysis, calciphylaxis}" },
      why("any finding in {ckd, dialysis, calciphylaxis}", { age = 40, findings = { "dialysis", "ckd" } }))
    local S = 'set("S", { "ckd", "dialysis", "calciphylaxis" }),'
    assert.same({ "findings ckd, dialysis, calciphylaxis in S" },
      why("at least 2 finding in S", { age = 40, findings = { "calciphylaxis", "ckd", "dialysis" } }, S))
    assert.same({ "finding dialysis in S" }, why("any finding in S", { age = 40, findings = { "dialysis" } }, S))
    assert.same({ "no finding in S", "calcium 11.00 mg/dL > 10 mg/dL" },
      why("no finding in S and calcium > 10", labs { calcium = "11 mg/dL" }, S))
  end)

  it("shows whole numbers without decimals when they have no unit, else two decimals", function()
    local r = 'let("r", "phosphate / calcium"),'
    assert.same({ "r 0.50 > 0.4" }, why("r > 0.4", labs { calcium = "10 mg/dL", phosphate = "5 mg/dL" }, r))
    -- whole, but 1e9 or more: two decimals
    assert.same({ "(r * 1000000000) 2000000000.00 > 1" },
      why("r * 1000000000 > 1", labs { calcium = "5 mg/dL", phosphate = "10 mg/dL" }, r))
    -- a huge value in full (its digits as Lua's own "%.2f" writes 10^300)
    assert.same({ "(calcium ^ 300) " .. ("%.2f"):format(10 ^ 300) .. " > 1" },
      why("calcium ^ 300 > 1", labs { calcium = "10 mg/dL" }))
    -- minus zero is shown as 0
    assert.same({ "((r - 2) * -1) 0 == 0" },
      why("(r - 2) * -1 == 0", labs { calcium = "5 mg/dL", phosphate = "10 mg/dL" }, r))
  end)

  it("shows flags, present(), not() as written, and each reason once", function()
    assert.same({ "high(calcium)", "present(phosphate)", "not ((phosphate > 9))" },
      why("high(calcium) and present(phosphate) and not (phosphate > 9)",
        labs { calcium = "11 mg/dL", phosphate = "5 mg/dL" }))
    assert.same({ "calcium 11.00 mg/dL > 10 mg/dL", "phosphate 5.00 mg/dL > 4 mg/dL" },
      why("calcium > 10 and (calcium > 10 or phosphate > 4)", labs { calcium = "11 mg/dL", phosphate = "5 mg/dL" }))
  end)

  it("shows a missing value as missing, without its unit (the explainer given a missing input)", function()
    local rs = compile("calcium > 10.5")
    assert.equal(1, #rs.compiled.slots)
    local got = rs.explainer:reasons({ NaN }, {}, {}, { 1 })
    assert.same({ "calcium missing > 10.5 mg/dL" }, got[1])
    -- a rule that did not fire has no entry
    assert.same({}, rs.explainer:reasons({ 11 }, {}, {}, { 0 }))
  end)

  it("explains rulesets with more values than one operand program holds (256)", function()
    local decls = { name = "big", version = 1, subtypes = { "a" } }
    for i = 1, 300 do
      decls[#decls + 1] = rules.rule { id = "r" .. i, when = ("calcium + %d > 0"):format(i), supports = "a",
        weight = 1, because = "b", source = "S1" }
    end
    local rs = assert(rules.ruleset(decls))
    assert.equal(2, #rs.compiled.explain.programs)
    local r = rs:classify(labs { calcium = "10 mg/dL" })
    assert.equal(300, #r.fired)
    for _, i in ipairs { 1, 256, 257, 300 } do
      assert.same({ ("(calcium + %d) %d.00 mg/dL > 0 mg/dL"):format(i, 10 + i) }, r.fired[i].why)
    end
  end)

  it("refuses templates that do not fit their operand programs", function()
    local core = require "calcinosis.core"
    local rs = compile("calcium > 10.5 or phosphate > 4.5")
    local ex = rs.compiled.explain
    local progs = {}
    for i, b in ipairs(ex.programs) do progs[i] = assert(core.vm_load(b)) end
    assert.truthy(core.explainer(ex.bytes, progs))
    local x, err = core.explainer(ex.bytes, {})
    assert.is_nil(x)
    assert.matches("operands", err, 1, true)
    x, err = core.explainer(ex.bytes:sub(1, -2), progs)
    assert.is_nil(x)
    assert.matches("does not match its header", err, 1, true)
    x, err = core.explainer("CALV" .. ex.bytes:sub(5), progs)
    assert.is_nil(x)
    assert.matches("bad magic", err, 1, true)
    assert.has_error(function() core.explainer(ex.bytes, { 42 }) end)
  end)
end)
