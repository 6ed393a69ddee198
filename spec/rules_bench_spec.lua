-- bench/bench-v1.lua against ../shared/bench/README.md: hand-made patients
-- for every rule and every possible tie, and a generated cohort compared row
-- by row with a plain-Lua implementation of the README written independently
-- of the rule language.
local rules = require "calcinosis.rules"

local rs = assert(rules.load("bench/bench-v1.lua"))

-- ---------------------------------------------------------------------------
-- the README, directly
local IATRO = { iv_calcium = 1, iv_phosphate = 1, calcium_electrode_paste = 1, heel_stick = 1 }
local META = { ckd = 1, dialysis = 1, hyperparathyroidism = 1, sarcoidosis = 1, milk_alkali = 1,
  vitamin_d_excess = 1, paget_disease = 1, myeloma = 1, paraneoplastic_hypercalcemia = 1 }
local DYS = { systemic_sclerosis = 1, dermatomyositis = 1, lupus = 1, trauma = 1, burn = 1, acne = 1,
  varicose_veins = 1, infection = 1, tumor = 1, panniculitis = 1, ehlers_danlos = 1,
  pseudoxanthoma_elasticum = 1 }
local ORDER = { "calciphylaxis", "iatrogenic", "metastatic", "dystrophic", "idiopathic" }

local function reference(p)
  local function any(list, set)
    for _, t in ipairs(list) do if set[t] then return true end end
    return false
  end
  local ca_corr
  if p.calcium then ca_corr = p.albumin and (p.calcium + 0.8 * (4.0 - p.albumin)) or p.calcium end
  local ca_x_p = (ca_corr and p.phosphate) and ca_corr * p.phosphate or nil
  local egfr
  if p.age and p.age >= 18 and p.creatinine then
    local f = p.sex == "F"
    local k, a = f and 0.7 or 0.9, f and -0.241 or -0.302
    local r = p.creatinine / k
    egfr = 142 * math.min(r, 1) ^ a * math.max(r, 1) ^ -1.200 * 0.9938 ^ p.age * (f and 1.012 or 1)
  end
  local phos_hi = p.age and (p.age < 18 and 6.5 or 4.5)
  local function gt(x, y) return x ~= nil and y ~= nil and x > y end
  local function lt(x, y) return x ~= nil and y ~= nil and x < y end
  local function btw(lo, x, hi) return x ~= nil and lo ~= nil and hi ~= nil and lo <= x and x <= hi end
  local f, s = p.findings, p.sites
  local cause = any(f, IATRO) or any(f, META) or any(f, DYS)
  local normal = btw(8.5, ca_corr, 10.5) and btw(2.5, p.phosphate, phos_hi)
  local list = {
    { "iatrogenic.exposure", any(f, IATRO), "iatrogenic", 5 },
    { "metastatic.hypercalcemia", gt(ca_corr, 10.5), "metastatic", 3 },
    { "metastatic.hyperphosphatemia", gt(p.phosphate, phos_hi), "metastatic", 3 },
    { "metastatic.ca_x_p", gt(ca_x_p, 70), "metastatic", 2 },
    { "metastatic.low_egfr", lt(egfr, 30), "metastatic", 2 },
    { "metastatic.cause", any(f, META), "metastatic", 2 },
    { "metastatic.pth", gt(p.pth, 65), "metastatic", 1 },
    { "metastatic.vitd", gt(p.vitd25, 100), "metastatic", 1 },
    { "dystrophic.cause", any(f, DYS), "dystrophic", 3 },
    { "dystrophic.normal_labs", any(f, DYS) and normal, "dystrophic", 1 },
    { "idiopathic.no_cause", not cause and normal, "idiopathic", 2 },
    { "idiopathic.site", not cause and any(s, { scrotum = 1, penis = 1, vulva = 1 }), "idiopathic", 1 },
    { "idiopathic.young", not cause and lt(p.age, 18), "idiopathic", 1 },
    { "calciphylaxis.uremic", (any(f, { ckd = 1, dialysis = 1 }) or lt(egfr, 15))
      and any(f, { livedo = 1, necrotic_ulcer = 1 }), "calciphylaxis", 6 },
  }
  local score, fired = {}, {}
  for _, st in ipairs(ORDER) do score[st] = 0 end
  for _, r in ipairs(list) do
    if r[2] then
      fired[#fired + 1] = r[1]
      score[r[3]] = score[r[3]] + r[4]
    end
  end
  local best, type_ = 0, "indeterminate"
  for _, st in ipairs(ORDER) do
    if score[st] > best then best, type_ = score[st], st end
  end
  return type_, best, table.concat(fired, ";"), ca_corr, ca_x_p, egfr
end

local function fmtnum(v, d)
  if v == nil or v ~= v then return "" end
  return ("%." .. d .. "f"):format(v)
end

local function split(s, sep)
  local t = {}
  for x in (s .. sep):gmatch("(.-)" .. sep) do t[#t + 1] = x end
  return t
end

local function row_inputs(line)
  local f = split(line, ",")
  local function num(x) return x ~= "" and tonumber(x) or nil end
  local findings = f[10] ~= "" and split(f[10], ";") or {}
  local sites = f[11] ~= "" and split(f[11], ";") or {}
  return {
    id = f[1], age = num(f[2]), sex = f[3], calcium = num(f[4]), albumin = num(f[5]),
    phosphate = num(f[6]), creatinine = num(f[7]), pth = num(f[8]), vitd25 = num(f[9]),
    findings = findings, sites = sites,
  }
end

local function ids(result)
  local t = {}
  for i, f in ipairs(result.fired) do t[i] = f.id end
  return table.concat(t, ";")
end

describe("bench-v1 ruleset", function()
  it("has the README's rules, in order, with sources", function()
    local list = rs:rules()
    assert.equal(14, #list)
    assert.equal("iatrogenic.exposure", list[1].id)
    assert.equal("calciphylaxis.uremic", list[14].id)
    for _, r in ipairs(list) do
      assert.is_string(r.sentence)
      assert.matches("^S%d+", r.source)
    end
  end)

  it("agrees with a direct implementation of the README on a generated cohort", function()
    -- the task's own generator when ../shared is beside the clone, else the
    -- suite's (spec/support.lua: the same layout)
    local gen = require("support").shared_file("bench/gen_cohort.lua")
    local text
    if gen then
      local pipe = assert(io.popen("lua5.4 " .. gen .. " 20000 11"))
      text = pipe:read("a")
      pipe:close()
    else
      text = require("support").bench_cohort(20000, 11)
    end
    local header = text:match("^[^\n]*")
    assert.matches("^id,age_years,sex", header)
    local n, bad = 0, {}
    for line in text:gmatch("[^\n]+") do
      if line == header then goto continue end
      n = n + 1
      local p = row_inputs(line)
      local r = rs:evaluate(p)
      local t, score, fired, ca_corr, ca_x_p, egfr = reference(p)
      local got = table.concat({ r.type, fmtnum(r.score, 0), ids(r), fmtnum(r.values.ca_corr, 2),
        fmtnum(r.values.ca_x_p, 1), fmtnum(r.values.egfr, 0) }, ",")
      local want = table.concat({ t, fmtnum(score, 0), fired, fmtnum(ca_corr, 2), fmtnum(ca_x_p, 1),
        fmtnum(egfr, 0) }, ",")
      if got ~= want and #bad < 5 then bad[#bad + 1] = line .. "\n  got  " .. got .. "\n  want " .. want end
      ::continue::
    end
    assert.equal(20000, n)
    assert.same({}, bad)
  end)

  local function patient(t)
    t.findings = t.findings or {}
    t.sites = t.sites or {}
    return t
  end

  -- one hand-made patient per rule: the rule fires, and the reference agrees
  local cases = {
    ["iatrogenic.exposure"] = { age = 30, sex = "F", findings = { "iv_calcium" } },
    ["metastatic.hypercalcemia"] = { age = 50, sex = "M", calcium = 11.2, albumin = 4.0 },
    ["metastatic.hyperphosphatemia"] = { age = 50, sex = "M", phosphate = 5.0 },
    ["metastatic.ca_x_p"] = { age = 50, sex = "M", calcium = 10.0, phosphate = 7.5 },
    ["metastatic.low_egfr"] = { age = 60, sex = "F", creatinine = 2.5 },
    ["metastatic.cause"] = { age = 60, sex = "F", findings = { "sarcoidosis" } },
    ["metastatic.pth"] = { age = 60, sex = "F", pth = 300 },
    ["metastatic.vitd"] = { age = 60, sex = "F", vitd25 = 150 },
    ["dystrophic.cause"] = { age = 40, sex = "F", findings = { "lupus" } },
    ["dystrophic.normal_labs"] = { age = 40, sex = "F", findings = { "trauma" }, calcium = 9.5,
      albumin = 4.0, phosphate = 3.5 },
    ["idiopathic.no_cause"] = { age = 40, sex = "M", calcium = 9.5, phosphate = 3.5 },
    ["idiopathic.site"] = { age = 40, sex = "M", sites = { "scrotum" } },
    ["idiopathic.young"] = { age = 12, sex = "M" },
    ["calciphylaxis.uremic"] = { age = 70, sex = "F", creatinine = 6.0, findings = { "livedo" } },
  }
  for id, p in pairs(cases) do
    it("fires " .. id, function()
      local r = rs:evaluate(patient(p))
      local fired = ids(r)
      assert.truthy((";" .. fired .. ";"):find(";" .. id .. ";", 1, true), fired)
      local t, score, want = reference(p)
      assert.equal(want, fired)
      assert.equal(t, r.type)
      assert.equal(score, r.score)
    end)
  end

  it("uses the child phosphate limit under 18 years", function()
    assert.equal("", ids(rs:evaluate(patient { age = 10, sex = "F", phosphate = 6.0,
      findings = { "lupus" } })):match("hyperphosphatemia") or "")
    assert.equal("metastatic.hyperphosphatemia",
      ids(rs:evaluate(patient { age = 10, sex = "F", phosphate = 6.6, findings = { "lupus" } }))
      :match("metastatic.hyperphosphatemia"))
  end)

  it("does not compute eGFR under 18 years", function()
    local r = rs:evaluate(patient { age = 17, sex = "F", creatinine = 5 })
    assert.is_nil(r.values.egfr)
  end)

  describe("ties go to the first in the declared order", function()
    local ties = {
      { "calciphylaxis", "metastatic", { age = 60, sex = "F", calcium = 11, albumin = 4, pth = 100,
        findings = { "ckd", "livedo" } } },
      { "iatrogenic", "metastatic", { age = 60, sex = "F", calcium = 11, albumin = 4, pth = 100,
        vitd25 = 150, findings = { "iv_phosphate" } } },
      { "metastatic", "dystrophic", { age = 60, sex = "F", calcium = 11, albumin = 4, phosphate = 3,
        findings = { "burn" } } },
      { "metastatic", "idiopathic", { age = 10, sex = "F", pth = 100, vitd25 = 150,
        sites = { "vulva" } } },
    }
    for _, case in ipairs(ties) do
      it(case[1] .. " over " .. case[2], function()
        local r = rs:evaluate(patient(case[3]))
        assert.equal(r.scores[case[1]], r.scores[case[2]])
        assert.is_true(r.scores[case[1]] > 0)
        assert.equal(case[1], r.type)
        assert.equal((reference(case[3])), r.type)
      end)
    end
    it("every score 0 is indeterminate", function()
      local r = rs:evaluate(patient { age = 40, sex = "F" })
      assert.equal("indeterminate", r.type)
      assert.equal(0, r.score)
    end)
  end)

  it("classifies a patient record through calcinosis.labs, with explanations", function()
    local r = rs:classify {
      id = "x", age = 60, sex = "F",
      labs = { calcium = "11.3 mg/dL", albumin = "3.0 g/dL", phosphate = "1.6 mmol/L" },
      findings = { "ckd" },
    }
    assert.equal("metastatic", r.type)
    assert.equal("bench-v1", r.name)
    assert.equal("1", r.version)
    assert.matches("^%x+$", r.hash)
    local why = {}
    for _, f in ipairs(r.fired) do why[f.id] = table.concat(f.why, "; ") end
    assert.equal("ca_corr 12.10 mg/dL > ca_high 10.50 mg/dL", why["metastatic.hypercalcemia"])
    assert.equal("finding ckd in META", why["metastatic.cause"])
    r = rs:classify { age = 40, sex = "M", labs = { calcium = "9.5 mg/dL", phosphate = "3.5 mg/dL" },
      findings = { "lupus" } }
    assert.same({ "finding lupus in DYS", "ca_corr 9.50 mg/dL between ca_low 8.50 mg/dL and ca_high 10.50 mg/dL",
      "phosphate 3.50 mg/dL between phos_low 2.50 mg/dL and phos_hi 4.50 mg/dL" }, r.fired[2].why)
    local ne = {}
    for _, x in ipairs(r.not_evaluable) do ne[x.id] = table.concat(x.missing, ",") end
    assert.equal("creatinine", ne["metastatic.low_egfr"])
    assert.equal("pth", ne["metastatic.pth"])
  end)
end)
