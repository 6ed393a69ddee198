-- The default clinical ruleset (lua/calcinosis/rules/default.lua) and the
-- enrichment of calcinosis.classify (lua/calcinosis/classify.lua).
local rules = require "calcinosis.rules"
local classify = require "calcinosis.classify"
local report = require "calcinosis.report"
local vocab = require "calcinosis.vocab"
local knowledge = require "calcinosis.knowledge"
local json = require "calcinosis.json"

local DEFAULT_PATH = "lua/calcinosis/rules/default.lua"

-- labs that fit each subtype (adult woman, 45 y)
local NORMAL = { calcium = "9.4 mg/dL", albumin = "4.0 g/dL", phosphate = "3.5 mg/dL", pth = "40 pg/mL",
  creatinine = "0.8 mg/dL" }
local HIGH_CA = { calcium = "11.6 mg/dL", albumin = "4.0 g/dL", phosphate = "3.5 mg/dL", creatinine = "0.8 mg/dL" }
local HIGH_P = { calcium = "9.4 mg/dL", albumin = "4.0 g/dL", phosphate = "7.0 mg/dL", creatinine = "0.8 mg/dL" }

local function patient(findings, labs, extra)
  local p = { id = "t", age = 45, sex = "F", labs = labs, findings = findings, sites = { "legs" } }
  for k, v in pairs(extra or {}) do p[k] = v end
  return p
end

local function fired_ids(r)
  local ids = {}
  for _, f in ipairs(r.fired) do ids[f.id] = f end
  return ids
end

local function has_alternative(r, label, conflict)
  for _, a in ipairs(r.alternatives) do
    if a.type == label then
      if not conflict then return true end
      for _, c in ipairs(a.conflicts) do if c == conflict then return true end end
    end
  end
  return false
end

describe("default ruleset", function()
  it("loads in the sandbox from its file like any user ruleset", function()
    local rs, err = rules.load(DEFAULT_PATH)
    assert.is_truthy(rs, err)
    assert.equal("calcinosis-default", rs.name)
    -- the same program as the cached default
    local d = assert(classify.default())
    assert.equal(d.hash, rs.hash)
    assert.equal(d, classify.default())
    assert.is_truthy(classify.default_path:match("calcinosis/rules/default%.lua$"))
    -- a tight budget still fails: it is sandboxed, not trusted
    local tiny, terr = rules.load(DEFAULT_PATH, { budget = { instructions = 10, memory_kb = 65536 } })
    assert.is_nil(tiny)
    assert.matches("budget", terr)
  end)

  it("has the subtypes in the pathway's order and indeterminate as its label", function()
    local rs = classify.default()
    assert.are.same({ "calciphylaxis", "iatrogenic", "metastatic", "dystrophic", "idiopathic" },
      rs.compiled.subtypes)
    assert.equal("indeterminate", rs.compiled.label)
  end)

  it("gives every rule a sentence and a source key (the clinical reference or the seed)", function()
    local rs = classify.default()
    local n = 0
    for _, r in ipairs(rs:rules()) do
      n = n + 1
      assert.is_string(r.because, r.id)
      assert.is_true(#r.because > 20, r.id)
      for key in r.source:gmatch("[^%s]+") do
        assert.is_true(key:match("^[SCX]%d+[%w%-]*$") ~= nil or knowledge.seed_sources[key] ~= nil,
          r.id .. ": " .. key)
      end
    end
    assert.is_true(n >= 20)
    -- no warning, or only about the seed key of the canine rule
    for _, w in ipairs(rs.warnings) do assert.matches("seed:002", w, 1, true) end
  end)

  it("keeps contested thresholds as documented params", function()
    local rs = classify.default()
    local p = rs.compiled.params
    assert.equal(70, p.ca_x_p_limit.value)
    assert.equal("mg2/dL2", p.ca_x_p_limit.unit)
    for _, alt in ipairs { "60 [S48]", "55 [S50]", "70 [S2][S3]" } do
      assert.matches(alt, p.ca_x_p_limit.decl.doc, 1, true)
    end
    for name, d in pairs(p) do assert.is_string(d.decl.doc, name) end
  end)

  it("tiers the weights so the pathway's order of questions decides", function()
    local rs = classify.default()
    local max = {}
    local gate = { calciphylaxis = 0, iatrogenic = 0, metastatic = 0 }
    for _, r in ipairs(rs:rules()) do
      max[r.subtype] = (max[r.subtype] or 0) + r.weight
      if gate[r.subtype] and r.weight > gate[r.subtype] then gate[r.subtype] = r.weight end
    end
    -- metastatic.reported_high and metastatic.ca_p_high exclude each other;
    -- metastatic.ca_p_low excludes both
    local metastatic = max.metastatic - 6 - 1
    assert.is_true(gate.calciphylaxis > max.iatrogenic)
    assert.is_true(gate.iatrogenic > metastatic)
  end)
end)

describe("each cause alone, with labs that fit, leads to its subtype", function()
  local function check(term, subtype, labs, extra)
    local r = classify.classify(patient({ term }, labs, extra))
    assert.equal(subtype, r.type, ("%s -> %s, got %s"):format(term, subtype, r.type))
    assert.equal(0, #r.problems, term .. ": " .. table.concat(r.problems, "; "))
    return r
  end

  it("dystrophic: every connective-tissue disease and local tissue damage, Ca and P normal", function()
    local n = 0
    for _, g in ipairs { "connective_tissue_disease", "local_tissue_damage" } do
      for _, term in ipairs(vocab.terms_in(g)) do
        check(term, "dystrophic", NORMAL)
        n = n + 1
      end
    end
    assert.is_true(n >= 25)
  end)

  it("metastatic: every metabolic cause with high calcium or phosphate, and with the labs missing", function()
    -- (the canine causes, sourced for dogs only, have their own spec below:
    -- dystrophic unless the dog's calcium or phosphate is high, clinical reference §8)
    for _, term in ipairs(vocab.terms_in("metabolic_cause")) do
      if not vocab.terms[term].species then
        check(term, "metastatic", HIGH_CA)
        check(term, "metastatic", HIGH_P)
        local r = check(term, "metastatic", {})
        assert.is_truthy(fired_ids(r)["metastatic.known_cause"], term)
      end
    end
    check("hypercalcemia", "metastatic", {})
    check("hyperphosphatemia", "metastatic", {})
  end)

  it("iatrogenic: every exposure, Ca and P normal", function()
    for _, term in ipairs(vocab.terms_in("iatrogenic_exposure")) do
      local r = check(term, "iatrogenic", NORMAL)
      if term == "liver_transplant" then
        -- "variably classified" [S2]
        assert.is_true(has_alternative(r, "dystrophic", "variably_classified"))
        assert.is_true(has_alternative(r, "idiopathic", "variably_classified"))
      end
    end
  end)

  it("idiopathic: every named idiopathic form, Ca and P normal, no cause", function()
    for _, term in ipairs { "tumoral_calcinosis", "subepidermal_calcified_nodule", "micc", "scrotal_calcinosis",
      "calcinosis_universalis", "calcinosis_circumscripta" } do
      local r = check(term, "idiopathic", NORMAL)
      assert.is_truthy(fired_ids(r)["idiopathic.named_form"], term)
    end
    check("solitary", "idiopathic", NORMAL) -- no cause at all
  end)

  it("calciphylaxis: diagnosis, histology, uraemic and non-uraemic ischaemic skin", function()
    check("calciphylaxis", "calciphylaxis", NORMAL)
    check("small_vessel_calcification", "calciphylaxis", NORMAL)
    local r = classify.classify(patient({ "esrd", "retiform_purpura" }, HIGH_P))
    assert.equal("calciphylaxis", r.type)
    r = classify.classify(patient({ "warfarin", "livedo", "necrotic_ulcer" }, NORMAL))
    assert.equal("calciphylaxis", r.type)
    -- ischaemic skin with an eGFR in the CKD range but no renal diagnosis
    r = classify.classify(patient({ "necrotic_ulcer" }, { calcium = "9.4 mg/dL", phosphate = "3.5 mg/dL",
      creatinine = "2.5 mg/dL" }))
    assert.equal("calciphylaxis", r.type)
    assert.is_truthy(fired_ids(r)["calciphylaxis.uraemic"])
  end)

  -- the causes as the seed documents write them (normalized by the vocabulary)
  local SEED_CAUSES = {
    { "seed:000", "trauma", "dystrophic" }, { "seed:000", "infection", "dystrophic" },
    { "seed:000", "tumors", "dystrophic" }, { "seed:000", "systemic scleroderma", "dystrophic" },
    { "seed:000", "dermatomyositis", "dystrophic" },
    { "seed:000", "cutaneous lupus erythematosus", "dystrophic" },
    { "seed:000", "excessive vitamin D intake", "metastatic", "vitamin D overconsumption" },
    { "seed:000", "calcium supplements", "metastatic" },
    { "seed:000", "phosphate infusion", "iatrogenic" },
    { "seed:001", "scleroderma", "dystrophic" }, { "seed:001", "lupus", "dystrophic" },
    { "seed:002", "varicose veins", "dystrophic" }, { "seed:002", "infections", "dystrophic" },
    { "seed:002", "connective tissue disease", "dystrophic" }, { "seed:002", "systemic sclerosis", "dystrophic" },
    { "seed:002", "CREST syndrome", "dystrophic" }, { "seed:002", "limited scleroderma", "dystrophic" },
    { "seed:002", "systemic lupus erythematosus", "dystrophic" },
    { "seed:002", "hyperphosphatemia", "metastatic" }, { "seed:002", "hypercalcemia", "metastatic" },
    { "seed:002", "chronic kidney disease", "metastatic" }, { "seed:002", "hyperparathyroidism", "metastatic" },
    { "seed:002", "sarcoidosis", "metastatic" }, { "seed:002", "excess vitamin D", "metastatic" },
    { "seed:002", "milk-alkali syndrome", "metastatic" }, { "seed:002", "myeloma", "metastatic" },
    { "seed:002", "metastatic disease", "metastatic" },
    { "seed:002", "calcium gluconate", "iatrogenic" }, { "seed:002", "calcium chloride", "iatrogenic" },
    { "seed:002", "calcinosis universalis", "idiopathic" },
    { "seed:003", "acne", "dystrophic" }, { "seed:003", "panniculitis", "dystrophic" },
    { "seed:003", "inherited diseases of connective tissue", "dystrophic" },
    { "seed:003", "primary hyperparathyroidism", "metastatic" },
    { "seed:003", "secondary hyperparathyroidism", "metastatic" },
    { "seed:003", "paraneoplastic hypercalcaemia", "metastatic" },
    { "seed:003", "Paget disease", "metastatic" }, { "seed:003", "chronic renal failure", "metastatic" },
    { "seed:003", "calciphylaxis", "calciphylaxis" },
    { "seed:003", "intravenous calcium", "iatrogenic" }, { "seed:003", "heel sticks", "iatrogenic" },
    { "seed:004", "calcium-containing electrodes", "iatrogenic" },
  }

  it("every cause the seed documents list, as they write it", function()
    for _, c in ipairs(SEED_CAUSES) do
      local term = c[4] or c[2]
      local subtype = c[3]
      local labs = NORMAL
      if subtype == "metastatic" then labs = (term:match("phosph") or term:match("renal") or term:match("kidney"))
        and HIGH_P or HIGH_CA end
      local r = classify.classify(patient({ term }, labs))
      assert.equal(subtype, r.type, ("%s: %s -> %s, got %s"):format(c[1], term, subtype, r.type))
      assert.equal(0, #r.problems, c[1] .. " " .. term .. ": " .. table.concat(r.problems, "; "))
    end
  end)

  -- Changed with the canine conflict of clinical reference §8: the default label was
  -- metastatic (seed 002); most veterinary dermatology sources [S89][S90][S91]
  -- call it dystrophic, so the default follows them and metastatic [S92]
  -- [seed:002] is the alternative; with high calcium or phosphate for a dog it
  -- is still metastatic.
  it("a dog with hyperadrenocorticism or glucocorticoid treatment is dystrophic, metastatic the alternative", function()
    for _, term in ipairs { "Cushing's", "hyperadrenocorticism", "steroid administration", "on prednisolone" } do
      local r = classify.classify(patient({ term }, { calcium = "10.5 mg/dL", phosphate = "5.0 mg/dL" },
        { species = "dog", age = 9 }))
      assert.equal("dystrophic", r.type, term)
      assert.is_truthy(fired_ids(r)["dystrophic.canine_hyperglucocorticism"], term)
      assert.is_truthy(fired_ids(r)["dystrophic.normal_ca_p"], term)
      assert.is_true(has_alternative(r, "metastatic", "canine_adrenal"), term)
      assert.is_nil(fired_ids(r)["metastatic.canine_adrenal"])
    end
    -- steroids given: iatrogenic is also in use [S89][S90]
    local r = classify.classify(patient({ "prednisolone" }, {}, { species = "dog", age = 9 }))
    assert.equal("dystrophic", r.type)
    assert.is_true(has_alternative(r, "iatrogenic", "canine_adrenal"))
    -- endogenous: no iatrogenic alternative
    r = classify.classify(patient({ "hyperadrenocorticism" }, {}, { species = "dog", age = 9 }))
    assert.is_false(has_alternative(r, "iatrogenic"))
    -- phosphate above the canine range (2.6-7.2 mg/dL [S38]): metastatic, step 3 first [S89]
    r = classify.classify(patient({ "hyperadrenocorticism" }, { calcium = "10.5 mg/dL", phosphate = "9.0 mg/dL" },
      { species = "dog", age = 9 }))
    assert.equal("metastatic", r.type)
    assert.is_true(has_alternative(r, "dystrophic", "mixed"))
  end)

  it("the canine cause is not used for a human (it is sourced for dogs only)", function()
    local r = classify.classify(patient({ "cushing" }, NORMAL))
    assert.equal("idiopathic", r.type)
    assert.is_nil(fired_ids(r)["dystrophic.canine_hyperglucocorticism"])
    assert.is_true(#r.notes >= 1)
    assert.matches("dog only", r.notes[1], 1, true)
    -- glucocorticoids given to a human are no cause of calcinosis here
    r = classify.classify(patient({ "prednisone" }, NORMAL))
    assert.equal("idiopathic", r.type)
  end)
end)

describe("classification conflicts produce their alternative", function()
  it("heel sticks: iatrogenic, dystrophic as alternative", function()
    local r = classify.classify(patient({ "heel sticks" }, { calcium = "10.1 mg/dL", phosphate = "5.9 mg/dL" },
      { age = "8 mo", sites = { "heels" } }))
    assert.equal("iatrogenic", r.type)
    assert.is_true(has_alternative(r, "dystrophic", "heel_stick"))
    assert.is_truthy(fired_ids(r)["dystrophic.heel_stick_injury"])
    assert.equal("moderate", r.confidence.level)
  end)

  it("tumoral calcinosis with high phosphate and normal Ca and PTH: metastatic, idiopathic as alternative", function()
    local r = classify.classify(patient({ "tumoral_calcinosis" }, { calcium = "9.5 mg/dL", phosphate = "6.8 mg/dL",
      pth = "30 pg/mL", creatinine = "0.7 mg/dL" }, { age = 22 }))
    assert.equal("metastatic", r.type)
    assert.is_true(has_alternative(r, "idiopathic", "tumoral_calcinosis_hftc"))
  end)

  it("uraemic tumoral calcinosis: metastatic, idiopathic as alternative", function()
    local r = classify.classify(patient({ "uremic_tumoral_calcinosis" }, HIGH_P))
    assert.equal("metastatic", r.type)
    assert.is_true(has_alternative(r, "idiopathic", "uremic_tumoral_calcinosis"))
  end)

  it("isolated PTH elevation with normal Ca and P: the pathway's label, metastatic as alternative", function()
    local labs = { calcium = "9.5 mg/dL", albumin = "4.2 g/dL", phosphate = "3.4 mg/dL", pth = "92 pg/mL" }
    local r = classify.classify(patient({}, labs))
    assert.equal("idiopathic", r.type)
    assert.is_true(has_alternative(r, "metastatic", "isolated_pth"))
    r = classify.classify(patient({ "trauma" }, labs))
    assert.equal("dystrophic", r.type)
    assert.is_true(has_alternative(r, "metastatic", "isolated_pth"))
  end)

  it("four vs five subtypes: calciphylaxis, metastatic as alternative", function()
    local r = classify.classify(patient({ "calciphylaxis" }, NORMAL))
    assert.equal("calciphylaxis", r.type)
    assert.is_true(has_alternative(r, "metastatic", "four_vs_five_subtypes"))
  end)

  it("variably classified forms: idiopathic, dystrophic as alternative", function()
    for _, term in ipairs { "calcinosis_circumscripta", "calcinosis_universalis", "tumoral_calcinosis" } do
      local r = classify.classify(patient({ term }, NORMAL))
      assert.equal("idiopathic", r.type)
      assert.is_true(has_alternative(r, "dystrophic", "variably_classified"), term)
    end
  end)

  it("tissue damage with abnormal Ca/P: metastatic, dystrophic as alternative (mixed)", function()
    local r = classify.classify(patient({ "systemic_sclerosis" }, HIGH_CA))
    assert.equal("metastatic", r.type)
    assert.is_true(has_alternative(r, "dystrophic", "mixed"))
  end)

  it("a metastatic cause with normal Ca and P: metastatic, the pathway's label as alternative", function()
    local r = classify.classify(patient({ "ckd" }, NORMAL))
    assert.equal("metastatic", r.type)
    assert.is_true(has_alternative(r, "idiopathic", "metastatic_cause_normal_labs"))
  end)

  it("low phosphate only: the pathway's 'abnormal' criterion gives metastatic as alternative", function()
    local r = classify.classify(patient({ "trauma" }, { calcium = "9.4 mg/dL", phosphate = "2.0 mg/dL" }))
    assert.equal("dystrophic", r.type)
    assert.is_true(has_alternative(r, "metastatic", "low_ca_p_only"))
  end)

  it("idiopathic with a high phosphate and no cause: metastatic, idiopathic as alternative", function()
    local r = classify.classify(patient({}, HIGH_P))
    assert.equal("metastatic", r.type)
    assert.is_true(has_alternative(r, "idiopathic", "idiopathic_phosphate"))
  end)

  it("are declarations of the ruleset: another ruleset has none until a variant declares one", function()
    local bench = assert(rules.load("bench/bench-v1.lua"))
    local p = patient({ "heel_stick" }, NORMAL, { age = 1 })
    local r = classify.classify(p, bench)
    assert.equal("iatrogenic", r.type)
    assert.is_false(has_alternative(r, "dystrophic"))
    assert.equal("bench-v1", r.name)
    assert.is_table(r.workup)
    assert.is_table(r.treatments)
    local v = assert(bench:variant { rules.alternative { id = "heel_stick", labels = { "iatrogenic", "dystrophic" },
      when = "finding heel_stick", reason = "local injury [S23]", source = "S23" } })
    r = classify.classify(p, v)
    assert.is_true(has_alternative(r, "dystrophic", "heel_stick"))
  end)
end)

describe("age and species", function()
  it("children and neonates are judged against paediatric ranges", function()
    -- phosphate 6.5 mg/dL: normal at 8 months (Quest 3.1-6.8 [S35]), high in an adult (2.5-4.5 [S34])
    local labs = { calcium = "10.0 mg/dL", phosphate = "6.5 mg/dL" }
    local infant = classify.classify(patient({}, labs, { age = "8 mo" }))
    assert.equal("idiopathic", infant.type)
    assert.equal("normal", infant.labs.phosphate.flag)
    assert.matches("Quest", infant.labs.phosphate.range.source)
    local adult = classify.classify(patient({}, labs))
    assert.equal("metastatic", adult.type)
    -- Ca x P 65 > 60 in the infant does not count without an abnormal value
    local v = rules.load(DEFAULT_PATH):variant { params = { ca_x_p_limit = "60 mg2/dL2" } }
    local r = classify.classify(patient({}, labs, { age = "8 mo" }), v)
    assert.is_nil(fired_ids(r)["metastatic.ca_x_p"])
    r = classify.classify(patient({}, { calcium = "9.8 mg/dL", phosphate = "6.3 mg/dL" }), v)
    assert.is_truthy(fired_ids(r)["metastatic.ca_x_p"])
  end)

  it("a neonate with calcium gluconate extravasation: iatrogenic, resolution expected", function()
    local r = classify.classify(patient({ "calcium gluconate extravasation" },
      { calcium = "9.4 mg/dL", phosphate = "6.1 mg/dL" }, { age = "24 d", sites = { "foot" } }))
    assert.equal("iatrogenic", r.type)
    assert.equal("normal", r.labs.phosphate.flag)
    local ids = {}
    for _, p in ipairs(r.prognosis) do ids[p.id] = true end
    assert.is_true(ids.neonatal_extravasation)
    local t = {}
    for _, x in ipairs(r.treatments) do t[x.id] = true end
    assert.is_true(t.observation)
  end)

  it("juvenile dermatomyositis, SCN and MICC patterns in children", function()
    local r = classify.classify(patient({ "JDM" }, { calcium = "9.8 mg/dL", phosphate = "5.0 mg/dL" },
      { age = 9, sex = "M", sites = { "elbows" } }))
    assert.equal("dystrophic", r.type)
    r = classify.classify(patient({ "solitary" }, { calcium = "9.6 mg/dL", phosphate = "4.8 mg/dL" },
      { age = 6, sex = "M", sites = { "eyelid" } }))
    assert.equal("idiopathic", r.type)
    assert.is_truthy(fired_ids(r)["idiopathic.scn_pattern"])
    r = classify.classify(patient({ "milia-like", "Down syndrome" }, { calcium = "9.7 mg/dL", phosphate = "5.0 mg/dL" },
      { age = 4, sites = { "hands" } }))
    assert.equal("idiopathic", r.type)
    assert.is_truthy(fired_ids(r)["idiopathic.micc_pattern"])
  end)

  it("scrotal calcinosis in a young man", function()
    local r = classify.classify(patient({ "multiple" }, NORMAL, { age = 28, sex = "M", sites = { "scrotal" } }))
    assert.equal("idiopathic", r.type)
    assert.is_truthy(fired_ids(r)["idiopathic.genital_pattern"])
  end)

  it("a dog uses canine ranges and no corrected calcium", function()
    local labs = { calcium = "11.4 mg/dL", phosphate = "6.0 mg/dL", albumin = "2.5 g/dL" }
    local dog = classify.classify(patient({ "trauma" }, labs, { species = "dog", age = 6 }))
    assert.equal("dystrophic", dog.type)
    assert.equal("normal", dog.labs.calcium.flag)
    assert.matches("S38", dog.labs.calcium.range.source)
    assert.is_nil(dog.labs.corrected_calcium.value)
    for _, f in ipairs(dog.fired) do
      for _, v in ipairs(f.values) do assert.are_not.equal("corrected_calcium", v.name) end
    end
    local human = classify.classify(patient({ "trauma" }, labs))
    assert.equal("metastatic", human.type)
    assert.is_number(human.labs.corrected_calcium.value)
  end)
end)

describe("the result", function()
  it("reports unknown terms as problems with suggestions and does not abort", function()
    local r = classify.classify(patient({ "dermatomyosits", "flibbertigibbet", "DM" }, NORMAL,
      { sites = { "elbowz" } }))
    assert.equal("idiopathic", r.type)
    local text = table.concat(r.problems, "\n")
    assert.matches("dermatomyosits", text, 1, true)
    assert.matches("dermatomyositis", text, 1, true)
    assert.matches("flibbertigibbet", text, 1, true)
    assert.matches("ambiguous", text, 1, true)
    assert.matches("elbowz", text, 1, true)
    assert.equal(4, #r.term_problems)
    assert.are.same({ "dermatomyositis" }, { r.term_problems[1].suggestions[1] })
    assert.is_true(r.confidence.completeness < 1)
    local factors = {}
    for _, f in ipairs(r.confidence.factors) do factors[f.id] = true end
    assert.is_true(factors.unknown_terms)
  end)

  it("carries fired rules with sentence, weight, source and the actual values", function()
    local r = classify.classify(patient({ "esrd" }, { calcium = "10.2 mg/dL", albumin = "4.0 g/dL",
      phosphate = "7.7 mg/dL", creatinine = "6.8 mg/dL", pth = "480 pg/mL" }, { age = 52, sex = "M" }))
    assert.equal("metastatic", r.type)
    local f = fired_ids(r)["metastatic.ca_p_high"]
    assert.is_string(f.because)
    assert.equal(6, f.weight)
    assert.equal("S1 S2", f.source)
    local v = {}
    for _, x in ipairs(f.values) do v[x.name] = x end
    assert.equal(7.7, v.phosphate.value)
    assert.equal("high", v.phosphate.flag)
    assert.equal(4.5, v.phosphate.range.high)
    assert.is_truthy(fired_ids(r)["metastatic.ca_x_p"])
    assert.equal("calcinosis-default", r.name)
    assert.is_string(r.hash)
    assert.is_string(r.version)
  end)

  it("lists the missing inputs that would most change the answer first", function()
    local r = classify.classify(patient({}, { calcium = "9.5 mg/dL", albumin = "4.0 g/dL" }))
    assert.equal("indeterminate", r.type)
    assert.equal("phosphate", r.missing[1].input)
    assert.equal("phosphate not given: metastatic cannot be ruled out", r.missing[1].text)
    assert.equal("none", r.confidence.level)
    assert.is_true(has_alternative(r, "idiopathic") and has_alternative(r, "metastatic"))
    assert.equal(0, #r.treatments)
    -- with a cause, the answer is given with a lower confidence
    local t = classify.classify(patient({ "trauma" }, { calcium = "9.5 mg/dL", albumin = "4.0 g/dL" }))
    assert.equal("dystrophic", t.type)
    assert.equal("phosphate", t.missing[1].input)
    assert.is_true(t.confidence.value < 0.75)
  end)

  it("raises alerts: suspected calciphylaxis is urgent; critical values", function()
    local r = classify.classify(patient({ "dialysis", "retiform purpura", "necrosis" }, HIGH_P))
    assert.equal("calciphylaxis", r.type)
    assert.equal("urgent", r.alerts[1].severity)
    assert.equal("calciphylaxis_suspected", r.alerts[1].id)
    r = classify.classify(patient({ "milk_alkali" }, { calcium = "13.8 mg/dL", albumin = "4.0 g/dL",
      phosphate = "3.0 mg/dL" }))
    local crit
    for _, a in ipairs(r.alerts) do if a.id == "critical_calcium" then crit = a end end
    assert.is_table(crit)
    assert.equal("critical", crit.severity)
    assert.matches("13.8", crit.text, 1, true)
    -- livedo in a dialysis patient does not make calciphylaxis, but is flagged
    r = classify.classify(patient({ "dialysis", "livedo" }, HIGH_P))
    assert.equal("metastatic", r.type)
    assert.equal("calciphylaxis_not_excluded", r.alerts[1].id)
  end)

  it("lists treatments with indication and evidence, doses only where knowledge.lua prints them", function()
    local by_id = {}
    for _, t in ipairs(knowledge.treatments) do by_id[t.id] = t end
    local cases = {
      patient({ "crest", "painful", "ulcerated", "inflamed" }, NORMAL),
      patient({ "dialysis", "retiform_purpura" }, HIGH_P),
      patient({ "esrd", "secondary_hyperparathyroidism" }, HIGH_P),
      patient({ "juvenile_dermatomyositis" }, NORMAL, { age = 9 }),
      patient({ "heel_stick" }, NORMAL, { age = 1 }),
      patient({ "scrotal_calcinosis" }, NORMAL, { sex = "M" }),
    }
    local seen_surgery = false
    for _, p in ipairs(cases) do
      local r = classify.classify(p)
      assert.is_true(#r.treatments > 0, r.type)
      for _, t in ipairs(r.treatments) do
        assert.is_string(t.indication, t.id)
        assert.is_string(t.evidence, t.id)
        local k = by_id[t.id]
        if k.regimen then
          assert.equal(#k.regimen, #t.regimen)
          for i, reg in ipairs(k.regimen) do assert.equal(reg.text, t.regimen[i].text) end
        else
          assert.is_nil(t.regimen, t.id)
        end
        if t.id == "surgical_excision" then
          seen_surgery = true
          local recurrence = false
          for _, c in ipairs(t.cautions) do if c.text:match("[Rr]ecurrence") then recurrence = true end end
          assert.is_true(recurrence)
        end
      end
    end
    assert.is_true(seen_surgery)
  end)

  it("has referrals, work-up and prognosis as the seeds and the clinical reference say", function()
    local function specialties(r)
      local s = {}
      for _, x in ipairs(r.referrals) do s[x.id] = true end
      return s
    end
    assert.is_true(specialties(classify.classify(patient({ "esrd" }, HIGH_P))).nephrology)
    assert.is_true(specialties(classify.classify(patient({ "dermatomyositis" }, NORMAL))).rheumatology)
    assert.is_true(specialties(classify.classify(patient({ "myeloma" }, HIGH_CA))).haematology)
    assert.is_true(specialties(classify.classify(patient({ "trauma" }, NORMAL))).dermatology)
    local r = classify.classify(patient({ "calciphylaxis" }, NORMAL))
    local w = {}
    for _, x in ipairs(r.workup) do w[x.id] = true end
    assert.is_true(w.cua_coagulation and w.cua_biopsy)
    local p = {}
    for _, x in ipairs(r.prognosis) do p[x.id] = true end
    assert.is_true(p.calciphylaxis_mortality)
  end)

  it("passes the albumin-correction option to calcinosis.labs", function()
    local p = patient({}, { calcium = "8.0 mg/dL", albumin = "2.5 g/dL", phosphate = "3.5 mg/dL" })
    local common = classify.classify(p)
    local payne = classify.classify(p, nil, { ca_coefficient = "payne" })
    assert.is_true(math.abs(common.labs.corrected_calcium.value - 9.2) < 1e-9)
    assert.is_true(math.abs(payne.labs.corrected_calcium.value - 9.5) < 1e-9)
  end)

  it("encodes as JSON and prints as text within 80 columns", function()
    local r = classify.classify(patient({ "crest", "painful" }, NORMAL, { sites = { "fingertips" } }))
    local s = json.encode(r, { indent = "  " })
    assert.is_string(s)
    local back = json.decode(s)
    assert.equal("dystrophic", back.type)
    local text = report.text(r, { id = "x", title = "CREST" })
    assert.matches("dystrophic", text)
    assert.matches("Research tool, not a diagnosis", text, 1, true)
    for line in text:gmatch("[^\n]+") do
      local long = line:match("%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S%S")
      if not long then assert.is_true(utf8.len(line) <= 80, line) end
    end
  end)

  it("rejects a non-table patient", function()
    assert.has_error(function() classify.classify("x") end)
  end)
end)
