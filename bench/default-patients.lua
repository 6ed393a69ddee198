-- Synthetic patients for the default clinical ruleset (lua/calcinosis/rules/default.lua),
-- shared by bench/gen-default.lua (a wide CSV) and bench/api.lua (Lua tables).
--
--   local gen = dofile("bench/default-patients.lua").new(seed)
--   local p = gen(i)   --> { id, age (years), age_text ("5 d", "8 mo" or nil), sex, species,
--                      --     height_cm, labs = { calcium = 9.6 | "high" | nil, ... } (canonical
--                      --     units: mg/dL, g/dL, pg/mL, ng/mL), findings = {...}, sites = {...},
--                      --     kind = "calciphylaxis" | ... | "noise" (the archetype drawn) }
--
-- Deterministic for a seed (math.random of Lua 5.4). Synthetic data only: the
-- archetypes exist to exercise every subtype and most rules of the default
-- ruleset (calciphylaxis, iatrogenic, metastatic, dystrophic, idiopathic,
-- indeterminate), not to model prevalence. The terms are copies of the
-- default ruleset's sets (so that the input does not change when the ruleset
-- does), plus a few unknown terms. Pure Lua, nothing from calcinosis.
local M = {}

M.LABS = { "calcium", "albumin", "phosphate", "creatinine", "pth", "vitd25" }

-- Sets of the default ruleset (copied, 2026-12)
local CUA_CONFIRMED = { "calciphylaxis", "small_vessel_calcification" }
local CUA_ISCHAEMIC = { "retiform_purpura", "necrotic_ulcer" }
local RENAL = { "ckd", "esrd", "dialysis" }
local CUA_RISK = { "diabetes", "warfarin", "obesity", "protein_c_s_deficiency", "hypercoagulable_state",
  "calcium_based_binders", "cirrhosis", "poems", "rheumatoid_arthritis", "myeloma",
  "primary_hyperparathyroidism", "secondary_hyperparathyroidism", "hyperphosphatemia",
  "hypoalbuminemia", "elevated_alp" }
local IATRO = { "iv_calcium", "iv_phosphate", "calcium_extravasation", "calcium_electrode_paste",
  "calcium_alginate_dressing", "para_aminosalicylic_acid" }
local META = { "hyperparathyroidism", "primary_hyperparathyroidism", "secondary_hyperparathyroidism",
  "tertiary_hyperparathyroidism", "sarcoidosis", "granulomatous_disease", "vitamin_d_excess",
  "milk_alkali", "calcium_carbonate_intake", "paraneoplastic_hypercalcemia", "bone_metastases",
  "paget_disease", "myeloma", "leukemia", "immobilization", "hyperphosphatemia_familial",
  "uremic_tumoral_calcinosis" }
local REPORTED = { "hypercalcemia", "hyperphosphatemia" }
local CANINE = { "cushing", "steroid_excess" }
local CTD = { "systemic_sclerosis", "crest", "dermatomyositis", "juvenile_dermatomyositis", "polymyositis",
  "lupus", "cutaneous_lupus", "lupus_panniculitis", "mixed_connective_tissue_disease", "overlap_ctd",
  "sjogren", "rheumatoid_arthritis", "connective_tissue_disease" }
local LOCAL = { "trauma", "burn", "arthropod_bite", "acne", "varicose_veins", "infection", "tumor",
  "cyst", "panniculitis", "pancreatic_panniculitis", "porphyria_cutanea_tarda", "inherited_ct_disorder",
  "ehlers_danlos", "pseudoxanthoma_elasticum", "werner_syndrome", "rothmund_thomson" }
local CREST = { "raynaud", "esophageal_dysmotility", "sclerodactyly", "telangiectasia" }
local SSC_AB = { "anticentromere", "anti_scl70", "anti_rna_polymerase_iii" }
local FORMS = { "tumoral_calcinosis", "subepidermal_calcified_nodule", "micc", "scrotal_calcinosis",
  "calcinosis_universalis", "calcinosis_circumscripta" }
local OTHER = { "livedo", "net_like_vascular_calcification", "solitary", "milia_like_papules",
  "down_syndrome", "liver_transplant", "heel_stick" }
local UNKNOWN = { "lumpy_skin", "calcifcation", "zz_unlisted_term", "skin_thing" }

local HEAD_SITES = { "head", "face", "ear", "eyelid", "scalp" }
local SITES_DYS = { "fingertips", "fingers", "hands", "elbows", "knees", "forearms", "legs" }
local SITES_META = { "periarticular", "shoulders", "hips", "fingertips", "elbows" }
local SITES_CALCI = { "thighs", "abdomen", "buttocks", "legs" }
local SITES_IATRO = { "forearms", "hands", "scalp", "feet" }
local SITES_ANY = { "fingertips", "hands", "elbows", "knees", "shoulders", "hips", "thighs", "abdomen",
  "buttocks", "legs", "heels", "face", "ear", "scalp", "scrotum", "penis", "periarticular" }
local ALL_FINDINGS = { CUA_CONFIRMED, CUA_ISCHAEMIC, RENAL, CUA_RISK, IATRO, META, REPORTED, CANINE, CTD,
  LOCAL, CREST, SSC_AB, FORMS, OTHER }

-- rough upper limits (canonical units) for turning a value into "high"/"normal"
local HIGH = { calcium = 10.5, albumin = 5.0, phosphate = 4.5, creatinine = 1.3, pth = 65, vitd25 = 100 }

function M.new(seed)
  math.randomseed(seed or 20261201)
  local R = math.random
  local function uni(a, b) return a + (b - a) * R() end
  local function pick(t) return t[R(#t)] end
  local function chance(p) return R() < p end

  local function adult() return uni(18, 90) end
  local function child() return uni(1, 17.9) end

  -- normal labs for age and species
  local function normal(l, age, species)
    if species == "dog" then
      l.calcium = uni(9.4, 11.0); l.phosphate = uni(2.8, 5.2)
    elseif species == "cat" then
      l.calcium = uni(8.9, 10.4); l.phosphate = uni(3.5, 6.0)
    else
      l.calcium = uni(9.1, 9.9)
      l.phosphate = age < 15 / 365 and uni(6.0, 8.0) or age < 1 and uni(5.0, 7.0) or age < 5 and uni(4.4, 5.2)
        or age < 14 and uni(3.9, 5.0) or age < 18 and uni(3.4, 4.5) or uni(2.8, 4.2)
    end
    l.albumin = uni(3.8, 4.6)
    l.creatinine = age < 1 and uni(0.2, 0.4) or age < 18 and uni(0.3, 0.7) or uni(0.6, 1.1)
    l.pth = uni(15, 60); l.vitd25 = uni(25, 60)
  end
  -- abnormal labs (renal failure, hypercalcaemia, hyperphosphataemia)
  local function high(l, renal)
    l.calcium = uni(9.0, 13.5); l.albumin = uni(2.8, 4.3)
    l.phosphate = uni(3.5, 9.5)
    l.creatinine = renal and uni(2.0, 9.5) or uni(0.6, 2.0)
    l.pth = uni(40, 900); l.vitd25 = uni(10, 160)
  end

  return function(i)
    local p = { id = string.format("D%07d", i), sex = chance(0.5) and "F" or "M", species = "human",
      findings = {}, sites = {}, labs = {} }
    local f, s, l = p.findings, p.sites, p.labs
    local age = adult()
    local u = R()
    if u < 0.07 then
      p.kind = "calciphylaxis"
      local v = R()
      if v < 0.6 then -- uraemic
        f[#f + 1] = pick(RENAL); if chance(0.5) then f[#f + 1] = "dialysis" end
        f[#f + 1] = pick(CUA_ISCHAEMIC); if chance(0.4) then f[#f + 1] = "livedo" end
        if chance(0.3) then f[#f + 1] = "diabetes" end
        high(l, true)
      elseif v < 0.8 then -- diagnosed / histology
        f[#f + 1] = pick(CUA_CONFIRMED); if chance(0.5) then f[#f + 1] = pick(RENAL) end
        if chance(0.5) then high(l, true) else normal(l, age, "human") end
      else -- non-uraemic: two skin signs and a risk factor
        f[#f + 1] = "livedo"; f[#f + 1] = pick(CUA_ISCHAEMIC); f[#f + 1] = pick(CUA_RISK)
        normal(l, age, "human")
      end
      s[#s + 1] = pick(SITES_CALCI)
    elseif u < 0.17 then
      p.kind = "iatrogenic"
      local v = R()
      if v < 0.3 then -- neonatal heel sticks
        age = uni(1, 60) / 365; f[#f + 1] = "heel_stick"; s[#s + 1] = "heels"
      elseif v < 0.9 then
        if chance(0.3) then age = uni(0, 1) elseif chance(0.2) then age = child() end
        f[#f + 1] = pick(IATRO); s[#s + 1] = pick(SITES_IATRO)
      else
        f[#f + 1] = "liver_transplant"; s[#s + 1] = pick(SITES_ANY)
      end
      normal(l, age, "human")
    elseif u < 0.42 then
      p.kind = "metastatic"
      local v = R()
      if v < 0.4 then -- renal failure, high phosphate
        f[#f + 1] = pick(RENAL); if chance(0.4) then f[#f + 1] = "secondary_hyperparathyroidism" end
        high(l, true); l.phosphate = uni(5.0, 9.5)
      elseif v < 0.7 then -- hypercalcaemia with a cause
        f[#f + 1] = pick(META); high(l, false); l.calcium = uni(10.8, 14.0)
      elseif v < 0.8 then -- a cause, labs normal
        f[#f + 1] = pick(META); normal(l, age, "human")
      elseif v < 0.9 then -- reported, no values
        f[#f + 1] = pick(REPORTED)
      elseif v < 0.95 then -- dog, adrenal
        p.species = "dog"; age = uni(2, 14); f[#f + 1] = pick(CANINE); normal(l, age, "dog")
      else -- cat in renal failure
        p.species = "cat"; age = uni(8, 18); f[#f + 1] = "ckd"; high(l, true); l.phosphate = uni(7, 12)
      end
      s[#s + 1] = pick(SITES_META)
    elseif u < 0.67 then
      p.kind = "dystrophic"
      local v = R()
      if v < 0.4 then
        f[#f + 1] = pick(CTD); if chance(0.3) then f[#f + 1] = pick(CREST) end
        if chance(0.2) then f[#f + 1] = pick(SSC_AB) end
      elseif v < 0.75 then
        f[#f + 1] = pick(LOCAL); if chance(0.2) then age = child() end
      elseif v < 0.85 then -- CREST pattern without a named disease
        f[#f + 1] = pick(CREST); f[#f + 1] = pick(chance(0.5) and CREST or SSC_AB)
      elseif v < 0.92 then
        age = uni(3, 16); f[#f + 1] = "juvenile_dermatomyositis"
      else
        p.species = chance(0.7) and "dog" or "cat"; age = uni(1, 15); f[#f + 1] = pick({ "trauma", "infection", "tumor" })
      end
      normal(l, age, p.species)
      s[#s + 1] = pick(SITES_DYS); if chance(0.3) then s[#s + 1] = pick(SITES_DYS) end
    elseif u < 0.82 then
      p.kind = "idiopathic"
      local v = R()
      if v < 0.4 then
        if chance(0.4) then age = child() end
        s[#s + 1] = pick(SITES_ANY)
      elseif v < 0.6 then
        f[#f + 1] = pick(FORMS); s[#s + 1] = pick(SITES_ANY)
      elseif v < 0.75 then
        p.sex = "M"; age = uni(18, 50); f[#f + 1] = chance(0.5) and "scrotal_calcinosis" or nil
        s[#s + 1] = pick({ "scrotum", "penis" })
      elseif v < 0.9 then -- subepidermal calcified nodule of a child's face
        age = uni(1, 15); f[#f + 1] = "solitary"; s[#s + 1] = pick(HEAD_SITES)
      else -- MICC
        age = chance(0.5) and uni(2, 16) or adult(); f[#f + 1] = "milia_like_papules"
        f[#f + 1] = "down_syndrome"; s[#s + 1] = pick(SITES_DYS)
      end
      normal(l, age, "human")
    elseif u < 0.90 then
      p.kind = "indeterminate"
      local v = R()
      if v < 0.5 then -- nothing known
        if chance(0.5) then s[#s + 1] = pick(SITES_ANY) end
      elseif v < 0.8 then -- a high PTH alone, calcium and phosphate missing
        l.pth = uni(70, 300); l.creatinine = uni(0.6, 1.1)
      else -- labs missing, a finding that supports nothing
        f[#f + 1] = pick({ "solitary", "down_syndrome", "net_like_vascular_calcification" })
      end
    else
      p.kind = "noise"
      age = chance(0.2) and uni(0, 1) or chance(0.2) and child() or adult()
      if chance(0.1) then p.species = pick({ "dog", "cat" }); age = uni(1, 16) end
      for _ = 1, R(0, 4) do f[#f + 1] = pick(pick(ALL_FINDINGS)) end
      l.calcium = uni(6, 14.5); l.albumin = uni(2, 5.5); l.phosphate = uni(1, 11)
      l.creatinine = uni(0.2, 12); l.pth = uni(5, 1500); l.vitd25 = uni(4, 250)
      for _ = 1, R(0, 2) do s[#s + 1] = pick(SITES_ANY) end
    end
    -- everywhere: some missing values, some qualitative words, some unknown terms
    for _, k in ipairs(M.LABS) do
      local x = l[k]
      if x then
        if chance(0.05) then l[k] = nil
        elseif chance(0.02) then l[k] = x > HIGH[k] and "high" or "normal" end
      end
    end
    if chance(0.02) then f[#f + 1] = pick(UNKNOWN) end
    for _, t in ipairs({ f, s }) do -- no term twice
      local seen, n = {}, 0
      for j = 1, #t do
        local x = t[j]
        t[j] = nil
        if not seen[x] then seen[x] = true; n = n + 1; t[n] = x end
      end
    end
    p.age = age
    if age < 1 then
      p.age_text = age < 0.25 and string.format("%d d", math.floor(age * 365 + 0.5))
        or string.format("%d mo", math.floor(age * 12 + 0.5))
    end
    if age < 18 and p.species == "human" and chance(0.5) then
      p.height_cm = age < 1 and uni(48, 75) or uni(75, 100) + (age - 1) * 5.5
    end
    return p
  end
end

return M
