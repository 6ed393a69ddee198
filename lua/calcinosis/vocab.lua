--- Controlled vocabulary for calcinosis findings and sites.
--
-- The vocabulary is data: `vocab.terms` maps a canonical term (lowercase
-- snake_case) to its group, label, synonyms, ICD-10-CM codes and source key.
-- Every clinical association (the group a term belongs to, an implication)
-- carries a source key (`[Sn]`, `[Cn]`, `[Xn]`) or names a seed document
-- (`seed:002`); `calcinosis.sources` resolves each to its full reference.
-- ICD-10-CM codes are only those whose title was read in the CMS FY2023 code
-- file [S30] (docs/clinical-reference.md §12); index mappings seen only in
-- third-party tables, or not confirmed, are left out.
--
-- Functions: `normalize`, `normalize_list`, `kind`, `group`, `in_group`,
-- `expand`, `suggest`, `icd_lookup`. No I/O; the normalization key is the C
-- core's (`calcinosis.core`, src/vocabkey.c).
-- @module calcinosis.vocab

local M = {}

--- Groups, in the order used for documentation. A term has one primary
-- `group`; `also` lists secondary groups (`in_group` checks both).
M.groups = {
  "connective_tissue_disease", -- autoimmune CTD (dystrophic context) [S10]
  "local_tissue_damage",       -- trauma, infection, tumour, panniculitis, inherited CT disorder [S1][S4][S5]
  "metabolic_cause",           -- abnormal Ca/P metabolism (metastatic sub-causes) [S2][S4][S5]
  "iatrogenic_exposure",       -- therapy / procedure as the cause [S48][S53]
  "calciphylaxis_feature",     -- clinical / histological / radiological features [S6][S16][S17][S20]
  "calciphylaxis_risk",        -- risk factors [S17][S18][S55]
  "crest_feature",             -- the R, E, S, T of CREST [S14][S15]
  "ctd_feature",               -- other CTD signs (2013 ACR/EULAR SSc items, Gottron papules) [S30][S39]
  "autoantibody",              -- [S12][S39][S67]
  "lesion_feature",            -- features of the deposits themselves [S2][S9][S8]
  "calcinosis_form",           -- named forms/sub-forms of CC [S2][S3][S7][S8][S9][S61]
  "lab_finding",               -- qualitative laboratory states (no value given)
  "other_risk",                -- associations that are not causes (e.g. Down syndrome with MICC) [S8]
  "site",                      -- anatomical sites
}

local GROUP_SET = {}
for _, g in ipairs(M.groups) do GROUP_SET[g] = true end

-- Short constructors keep the table below readable; each is plain data.
--   label      human-readable name
--   synonyms   alternative spellings (matched case/space/hyphen/accent-insensitively)
--   icd10cm    ICD-10-CM codes whose titles were read [S30] (docs/clinical-reference.md §12)
--   icd_prefix ICD-10-CM (sub)categories every child of which belongs to the term
--   snomed     SNOMED CT concept ids (FHIR Condition codes, read as "snomed:<id>"); the
--              clinical reference confirms none (§12), so each list names the public
--              value set or data file its ids and display names were read from
--   source     source key(s) for the group assignment
--   also       secondary groups
--   species    species the association is sourced for (default: human)
--   note       caveat worth showing next to the term

--- The vocabulary. Map canonical term -> entry.
M.terms = {
  ---------------------------------------------------------------- CTD
  systemic_sclerosis = {
    group = "connective_tissue_disease", label = "Systemic sclerosis",
    synonyms = { "SSc", "scleroderma", "systemic scleroderma", "progressive systemic sclerosis",
                 "diffuse cutaneous systemic sclerosis" },
    icd10cm = { "M34.0", "M34.2", "M34.81", "M34.82", "M34.83", "M34.89", "M34.9" }, -- ✔ [S30]
    icd_prefix = { "M34" }, -- every M34 child is a form of SSc (incl. M34.1 CREST) [S30]
    source = "[S10][S44]",
  },
  crest = {
    group = "connective_tissue_disease", label = "CREST syndrome (limited cutaneous SSc)",
    synonyms = { "CREST syndrome", "CRST", "CRST syndrome", "limited scleroderma",
                 "limited cutaneous systemic sclerosis", "lcSSc", "limited cutaneous scleroderma",
                 "limited systemic cutaneous scleroderma", "limited cutaneous systemic scleroderma" },
    icd10cm = { "M34.1" }, -- ✔ [S30]
    source = "[S14][S15]",
  },
  dermatomyositis = {
    group = "connective_tissue_disease", label = "Dermatomyositis (adult)",
    synonyms = { "adult dermatomyositis", "amyopathic dermatomyositis" }, -- [S10]; "DM" is ambiguous (M.ambiguous)
    icd10cm = { "M33.10", "M33.11", "M33.12", "M33.13", "M33.19" }, -- ✔ [S30]
    icd_prefix = { "M33.1" },
    source = "[S10][S12]",
  },
  juvenile_dermatomyositis = {
    group = "connective_tissue_disease", label = "Juvenile dermatomyositis",
    synonyms = { "JDM", "juvenile DM" },
    icd10cm = { "M33.00", "M33.01", "M33.02", "M33.03", "M33.09" }, -- ✔ [S30]
    icd_prefix = { "M33.0" },
    source = "[S12][S13]",
  },
  polymyositis = {
    group = "connective_tissue_disease", label = "Polymyositis",
    synonyms = {},
    icd10cm = {}, icd_prefix = { "M33.2" }, -- "M33.2x polymyositis" ✔ [S30]
    source = "[S10]",
  },
  lupus = {
    group = "connective_tissue_disease", label = "Systemic lupus erythematosus",
    synonyms = { "SLE", "systemic lupus erythematosus", "systemic lupus", "lupus erythematosus",
                 "lupus nephritis" },
    icd10cm = { "M32.0", "M32.10", "M32.11", "M32.12", "M32.13", "M32.14", "M32.15", "M32.19",
                "M32.8", "M32.9" }, -- ✔ [S30]
    icd_prefix = { "M32" },
    source = "[S10]",
  },
  cutaneous_lupus = {
    group = "connective_tissue_disease", label = "Cutaneous lupus erythematosus",
    synonyms = { "CLE", "cutaneous lupus erythematosus", "discoid lupus", "discoid lupus erythematosus",
                 "DLE", "subacute cutaneous lupus", "subacute cutaneous lupus erythematosus", "SCLE" },
    icd10cm = { "L93.0", "L93.1", "L93.2" }, -- ✔ [S30]; L93.2 = other local LE
    icd_prefix = { "L93" },
    source = "[S10]",
  },
  lupus_panniculitis = {
    group = "connective_tissue_disease", label = "Lupus panniculitis",
    synonyms = { "lupus erythematosus panniculitis" },
    icd10cm = {}, -- L93.2 mapping is ◐ only [S33]: L93.2 resolves to cutaneous_lupus
    source = "[S10]",
  },
  mixed_connective_tissue_disease = {
    group = "connective_tissue_disease", label = "Mixed connective tissue disease",
    synonyms = { "MCTD" },
    icd10cm = {}, -- no MCTD code confirmed (M35.1 is "other overlap syndromes")
    source = "[S10]",
  },
  overlap_ctd = {
    group = "connective_tissue_disease", label = "Overlap / undifferentiated connective tissue disease",
    synonyms = { "overlap syndrome", "undifferentiated connective tissue disease", "UCTD" },
    icd10cm = { "M35.1" }, -- ✔ [S30] other overlap syndromes
    source = "[S10]",
  },
  sjogren = {
    group = "connective_tissue_disease", label = "Sjögren syndrome",
    synonyms = { "Sjögren syndrome", "Sjögren's syndrome", "Sjogrens" },
    icd10cm = {}, icd_prefix = { "M35.0" }, -- M35.00–M35.0C ✔ [S30]
    source = "[X10]",
  },
  rheumatoid_arthritis = {
    group = "connective_tissue_disease", label = "Rheumatoid arthritis",
    synonyms = { "RA" },
    icd10cm = {},
    also = { "calciphylaxis_risk" }, -- non-renal calciphylaxis setting [S55]
    source = "[S10]",
  },
  connective_tissue_disease = {
    group = "connective_tissue_disease", label = "Autoimmune connective-tissue disease (unspecified)",
    synonyms = { "CTD", "autoimmune connective tissue disease", "ACTD", "connective tissue disorder",
                 "collagen disease", "collagenosis" },
    icd10cm = {},
    source = "[S1][S4][S10]",
  },

  ---------------------------------------------------------------- local tissue damage
  trauma = {
    group = "local_tissue_damage", label = "Local trauma",
    synonyms = { "injury", "local trauma", "previous trauma", "local injury", "injection site",
                 "injection sites", "dog bite", "bite injury", "surgical scar", "scar", "ischemic injury",
                 "ischaemic injury" },
    icd10cm = {}, source = "[S4][S5]",
  },
  burn = {
    group = "local_tissue_damage", label = "Burn",
    synonyms = { "burns", "thermal burn" },
    icd10cm = {}, source = "[S47]",
  },
  arthropod_bite = {
    group = "local_tissue_damage", label = "Arthropod bite",
    synonyms = { "arthropod bites", "insect bite" },
    icd10cm = {}, source = "[S47]",
  },
  acne = {
    group = "local_tissue_damage", label = "Acne (scars)",
    synonyms = { "acne scar", "acne scars" },
    icd10cm = {}, source = "[S4]",
  },
  varicose_veins = {
    group = "local_tissue_damage", label = "Varicose veins",
    synonyms = { "varicose vein", "varicosities" },
    icd10cm = {}, source = "[S4]",
  },
  infection = {
    group = "local_tissue_damage", label = "Infection at the site (as the cause)",
    synonyms = { "infections", "onchocerciasis", "cysticercosis", "histoplasmosis", "cryptococcosis",
                 "intrauterine herpes", "parasitic infection", "parasitic infections", "abscess",
                 "cutaneous abscess", "skin abscess", "skin infection", "local infection" }, -- [S5][S20-tx]
    icd10cm = {}, source = "[S5]",
  },
  tumor = {
    group = "local_tissue_damage", label = "Tumour (pre-existing)",
    synonyms = { "tumour", "tumors", "tumours", "neoplasm", "pilomatrixoma", "pilomatricoma",
                 "basal cell carcinoma", "BCC" }, -- [S4][S24]
    icd10cm = {}, source = "[S4][S24]",
  },
  cyst = {
    group = "local_tissue_damage", label = "Cyst",
    synonyms = { "cysts", "epidermoid cyst", "pilar cyst" },
    icd10cm = {}, source = "[S4][S24]",
  },
  panniculitis = {
    group = "local_tissue_damage", label = "Panniculitis",
    synonyms = { "lobular panniculitis", "relapsing panniculitis", "Weber-Christian disease" },
    icd10cm = { "M79.3", "M35.6" }, -- ✔ [S30]
    source = "[S5][S20-tx]",
  },
  pancreatic_panniculitis = {
    group = "local_tissue_damage", label = "Pancreatic panniculitis",
    synonyms = {}, icd10cm = {}, source = "[S5]",
  },
  porphyria_cutanea_tarda = {
    group = "local_tissue_damage", label = "Porphyria cutanea tarda",
    synonyms = { "PCT" },
    icd10cm = { "E80.1" }, -- ✔ [S30]
    source = "[S20-tx]",
  },
  ehlers_danlos = {
    group = "local_tissue_damage", label = "Ehlers–Danlos syndrome",
    synonyms = { "Ehlers-Danlos syndrome", "EDS" },
    icd10cm = { "Q79.60", "Q79.61", "Q79.62", "Q79.63", "Q79.69" }, -- ✔ [S30]
    icd_prefix = { "Q79.6" },
    source = "[S4][S5]",
  },
  pseudoxanthoma_elasticum = {
    group = "local_tissue_damage", label = "Pseudoxanthoma elasticum",
    synonyms = { "PXE" },
    icd10cm = {}, -- "PXE -> Q82.8" index mapping ✘
    source = "[S4][S5]",
  },
  werner_syndrome = {
    group = "local_tissue_damage", label = "Werner syndrome",
    synonyms = {}, icd10cm = {}, source = "[S4][S5]",
  },
  rothmund_thomson = {
    group = "local_tissue_damage", label = "Rothmund–Thomson syndrome",
    synonyms = { "Rothmund-Thomson syndrome" }, icd10cm = {}, source = "[S4][S5]",
  },
  inherited_ct_disorder = { -- added with the default ruleset: seed:003 lists the group by this name
    group = "local_tissue_damage", label = "Inherited connective-tissue disorder (unspecified)",
    synonyms = { "inherited diseases of connective tissue", "inherited connective tissue disorder",
                 "inherited connective tissue disease" },
    icd10cm = {}, source = "[S4][S5] seed:003",
  },

  ---------------------------------------------------------------- metabolic causes
  ckd = {
    group = "metabolic_cause", label = "Chronic kidney disease",
    synonyms = { "chronic kidney disease", "chronic renal failure", "CRF", "chronic renal insufficiency",
                 "chronic renal disease", "diabetic nephropathy", "polycystic kidney disease", "renal failure chronic",
                 "chronic renal disease", "CKD stage 1", "CKD stage 2", "CKD stage 3", "CKD stage 3a",
                 "CKD stage 3b", "CKD stage 4", "CKD stage 5", "CKD 3", "CKD 4", "CKD 5" }, -- N18.1–N18.5 titles [S30]
    icd10cm = { "N18.1", "N18.2", "N18.30", "N18.31", "N18.32", "N18.4", "N18.5", "N18.9" }, -- ✔ [S30]
    icd_prefix = { "N18" }, -- every N18 child is a CKD stage (N18.6 resolves to esrd, more specific)
    -- CKD (709044004), stages 1-4 (431855005, 431856006, 433144002, 431857002): HL7 Germany
    -- value set ChronicKidneyDiseases (github.com/hl7germany/forschungsnetz-covid19,
    -- input/fsh/valuesets/ChronicKidneyDiseases.fsh); 431855005 is also Synthea's
    -- "Chronic kidney disease stage 1 (disorder)"
    snomed = { "709044004", "431855005", "431856006", "433144002", "431857002" },
    also = { "calciphylaxis_risk" }, -- [S18]
    source = "[S2][S50]",
  },
  esrd = {
    group = "metabolic_cause", label = "End-stage renal disease",
    synonyms = { "ESKD", "end stage renal disease", "end stage kidney disease", "end stage renal failure",
                 "terminal CKD", "terminal chronic kidney disease", "terminal renal failure",
                 "ESRF" },
    icd10cm = { "N18.6" }, -- ✔ [S30]
    -- CKD stage 5 (433146000) and stage 5 on dialysis (714152005): the same HL7 Germany value set as ckd
    snomed = { "433146000", "714152005" },
    also = { "calciphylaxis_risk" }, -- [S18]
    source = "[S2][S17]",
  },
  dialysis = {
    group = "metabolic_cause", label = "Renal dialysis (haemodialysis or peritoneal dialysis)",
    synonyms = { "hemodialysis", "haemodialysis", "peritoneal dialysis", "HD", "PD", "renal dialysis",
                 "dialysis dependent", "CKD5D", "CKD 5D", "maintenance haemodialysis", "maintenance hemodialysis",
                 "CAPD", "CCPD", "intermittent hemodialysis" },
    icd10cm = { "Z99.2" }, -- ✔ [S30]
    also = { "calciphylaxis_risk" }, -- dialysis duration (HD and PD) [S18]
    note = "does not imply CKD: daily haemodialysis was used in HFTC with normal kidney function [C1]",
    source = "[S17][S18][S52]",
  },
  hyperparathyroidism = {
    group = "metabolic_cause", label = "Hyperparathyroidism (type not stated)",
    synonyms = { "HPT" },
    icd10cm = { "E21.2", "E21.3" }, -- ✔ titles [S30] (other / unspecified HPT)
    source = "[S4][S5]",
  },
  primary_hyperparathyroidism = {
    group = "metabolic_cause", label = "Primary hyperparathyroidism",
    synonyms = { "PHPT", "primary HPT", "parathyroid adenoma", "normocalcemic primary hyperparathyroidism" },
    icd10cm = { "E21.0" }, -- ✔ [S30]
    also = { "calciphylaxis_risk" }, -- non-uraemic calciphylaxis with normal renal function [X1]
    source = "[S4][S5]",
  },
  secondary_hyperparathyroidism = {
    group = "metabolic_cause", label = "Secondary hyperparathyroidism",
    synonyms = { "SHPT", "secondary HPT", "secondary hyperparathyroidism of renal origin" },
    icd10cm = { "E21.1", "N25.81" }, -- ✔ [S30]
    also = { "calciphylaxis_risk" }, -- [S18]
    source = "[S4][S5][S2]",
  },
  tertiary_hyperparathyroidism = {
    group = "metabolic_cause", label = "Tertiary hyperparathyroidism",
    synonyms = { "tertiary HPT" },
    icd10cm = {}, -- "tertiary -> E21.2" mapping ✘
    source = "[C2]",
  },
  sarcoidosis = {
    group = "metabolic_cause", label = "Sarcoidosis",
    synonyms = { "sarcoid" }, -- 1,25-(OH)2D from granulomas [S5]
    icd10cm = { "D86.0", "D86.1", "D86.2", "D86.3", "D86.9" }, -- ✔ [S30]
    icd_prefix = { "D86" }, -- incl. D86.81–D86.89 ✔ [S30]
    source = "[S5]",
  },
  granulomatous_disease = {
    group = "metabolic_cause", label = "Granulomatous disease (other than sarcoidosis)",
    synonyms = { "granulomatous" },
    icd10cm = {}, source = "[S34-DHVD]", -- 1,25-(OH)2D high in granulomatous disease; §1.5 sub-cause list
  },
  milk_alkali = {
    group = "metabolic_cause", label = "Milk-alkali (calcium-alkali) syndrome",
    synonyms = { "milk alkali syndrome", "milk-alkali syndrome", "calcium alkali syndrome",
                 "calcium-alkali syndrome" },
    icd10cm = {}, -- no specific code ✘ (components E83.52, E87.3)
    source = "[S4][S5][S27]",
  },
  calcium_carbonate_intake = {
    group = "metabolic_cause", label = "Large calcium carbonate (± alkali / vitamin D) intake",
    synonyms = { "calcium carbonate", "calcium supplements", "OTC calcium", "calcium supplement", "oral calcium",
                 "calcium tablets", "calcium citrate" },
    icd10cm = {}, source = "[S27][S64]",
  },
  vitamin_d_excess = {
    group = "metabolic_cause", label = "Vitamin D excess (hypervitaminosis D)",
    synonyms = { "hypervitaminosis D", "vitamin D toxicity", "vitamin D intoxication", "excess vitamin D",
                 "vitamin D overconsumption" },
    icd10cm = { "E67.3" }, -- ✔ [S30]
    source = "[S5]",
  },
  paget_disease = {
    group = "metabolic_cause", label = "Paget disease of bone",
    synonyms = { "Paget disease of bone", "Paget's disease", "Paget's disease of bone", "osteitis deformans" },
    icd10cm = { "M88.0", "M88.1", "M88.88", "M88.89", "M88.9" }, -- ✔ [S30] (+ M88.811–M88.879)
    icd_prefix = { "M88" }, -- WHO category title "Paget disease of bone [osteitis deformans]" [S32]
    source = "[S4][S5]",
  },
  myeloma = {
    group = "metabolic_cause", label = "Multiple myeloma",
    synonyms = { "multiple myeloma", "MM" },
    icd10cm = { "C90.00", "C90.01", "C90.02" }, -- ✔ [S30]
    icd_prefix = { "C90.0" },
    also = { "calciphylaxis_risk" }, -- non-renal calciphylaxis setting [S55]
    source = "[S49]", -- secondary source (Wikipedia)
  },
  leukemia = {
    group = "metabolic_cause", label = "Leukaemia",
    synonyms = { "leukaemia" }, icd10cm = {}, source = "[S49]", -- secondary source
  },
  immobilization = {
    group = "metabolic_cause", label = "Immobilization",
    synonyms = { "immobilisation" }, icd10cm = {}, source = "[S49][S34]",
  },
  paraneoplastic_hypercalcemia = {
    group = "metabolic_cause", label = "Paraneoplastic hypercalcaemia",
    synonyms = { "paraneoplastic hypercalcaemia" }, icd10cm = {}, source = "[S4][S5]",
  },
  bone_metastases = {
    group = "metabolic_cause", label = "Bone metastases / destructive bone disease",
    synonyms = { "bone metastasis", "skeletal metastases", "destructive bone disease",
                 "metastatic disease" }, -- seed:002 lists "metastatic disease" with metastatic causes
    icd10cm = {}, source = "[S4][S5]",
  },
  hyperphosphatemia_familial = {
    group = "metabolic_cause", label = "Hyperphosphatemic familial tumoral calcinosis (HFTC)",
    synonyms = { "HFTC", "hFTC", "hyperphosphatemic familial tumoral calcinosis",
                 "hyperphosphataemic familial tumoral calcinosis", "FGF23 deficiency" },
    icd10cm = {}, -- no code confirmed ✘
    note = "classified metastatic (abnormal P) or idiopathic (tumoral calcinosis) by source (docs/clinical-reference.md §6)",
    source = "[S26]",
  },
  uremic_tumoral_calcinosis = {
    group = "metabolic_cause", label = "Uraemic tumoral calcinosis",
    synonyms = { "uraemic tumoral calcinosis", "uremic TC" },
    icd10cm = {}, source = "[C2][S52]",
  },
  cushing = {
    group = "metabolic_cause", label = "Cushing syndrome / hyperadrenocorticism",
    synonyms = { "Cushing syndrome", "Cushing's syndrome", "Cushing's", "Cushing disease",
                 "Cushing's disease", "hyperadrenocorticism", "hypercortisolism", "pituitary-dependent hyperadrenocorticism",
                 "adrenal-dependent hyperadrenocorticism", "endogenous hyperglucocorticism" },
    icd10cm = { "E24.0", "E24.1", "E24.2", "E24.3", "E24.8", "E24.9" }, -- ✔ [S30] (E24.4 pseudo-Cushing excluded)
    species = { "dog" },
    note = "seed:002 names adrenal-hormone overproduction as the most common cause of metastatic " ..
           "calcinosis cutis in dogs; none of the keyed sources gives this cause for humans",
    source = "seed:002",
  },
  steroid_excess = {
    group = "metabolic_cause", label = "Steroid (corticosteroid) excess",
    synonyms = { "glucocorticoid excess", "corticosteroid excess", "high steroid levels",
                 "hyperglucocorticism" }, -- seed:002; therapy: glucocorticoid_therapy
    icd10cm = {},
    species = { "dog" },
    note = "seed:002: steroid administration or increased endogenous production (dogs)",
    source = "seed:002",
  },

  ---------------------------------------------------------------- iatrogenic
  iv_calcium = {
    group = "iatrogenic_exposure", label = "Intravenous calcium (gluconate or chloride)",
    synonyms = { "intravenous calcium", "IV calcium gluconate", "IV calcium chloride", "calcium gluconate",
                 "calcium chloride", "calcium infusion", "parenteral calcium", "intravenous calcium gluconate",
                 "calcium gluconate infusion", "IV calcium", "calcium-gluconate" },
    icd10cm = {}, source = "[S48]",
  },
  iv_phosphate = {
    group = "iatrogenic_exposure", label = "Phosphate infusion",
    synonyms = { "phosphate infusion", "intravenous phosphate", "IV phosphate", "potassium phosphate infusion",
                 "sodium phosphate infusion", "parenteral phosphate" },
    icd10cm = {}, source = "[S54]",
  },
  calcium_extravasation = {
    group = "iatrogenic_exposure", label = "Extravasation of IV calcium",
    synonyms = { "calcium gluconate extravasation", "calcium chloride extravasation",
                 "calcium extravasation injury", "extravasation of calcium gluconate",
                 "extravasation of calcium chloride", "calcium gluconate extravasation injury" },
    icd10cm = {}, source = "[S48][C14][C15][S63]",
  },
  heel_stick = {
    group = "iatrogenic_exposure", label = "Neonatal heel sticks",
    synonyms = { "heel sticks", "heel prick", "heel pricks", "heelstick", "heel stick calcinosis" },
    icd10cm = {},
    note = "also described as dystrophic (local injury) [S23][S24] (a conflict, docs/clinical-reference.md §6)",
    source = "[S25][S48]",
  },
  calcium_electrode_paste = {
    group = "iatrogenic_exposure", label = "Calcium chloride electrode paste (EEG/EMG)",
    synonyms = { "calcium chloride electrode paste", "electrode paste", "EEG paste", "EMG paste",
                 "calcium containing electrodes", "calcium-containing electrodes" }, -- seed:004
    icd10cm = {}, source = "[S48][S53]",
  },
  calcium_alginate_dressing = {
    group = "iatrogenic_exposure", label = "Calcium alginate dressing",
    synonyms = { "calcium alginate", "alginate dressing" },
    icd10cm = {}, source = "[S48]",
  },
  para_aminosalicylic_acid = {
    group = "iatrogenic_exposure", label = "Para-aminosalicylic acid (PAS)",
    synonyms = { "PAS", "p-aminosalicylic acid", "aminosalicylic acid" },
    icd10cm = {}, source = "[S25][S53]",
  },
  glucocorticoid_therapy = {
    group = "other_risk", label = "Glucocorticoid (corticosteroid) therapy",
    synonyms = { "glucocorticoid therapy", "corticosteroid therapy", "steroid therapy", "exogenous steroids",
                 "steroid administration", "glucocorticoids", "corticosteroids", "systemic corticosteroids",
                 "prednisone", "prednisolone", "methylprednisolone", "dexamethasone", "hydrocortisone",
                 "iatrogenic hyperadrenocorticism", "iatrogenic hypercortisolism", "iatrogenic hyperglucocorticism",
                 "iatrogenic Cushing's syndrome", "exogenous glucocorticoid", "exogenous steroid administration",
                 "long-term corticosteroid treatment" },
    icd10cm = { "E24.2" }, -- drug-induced Cushing syndrome ✔ [S30]
    also = { "calciphylaxis_risk" }, -- systemic corticosteroid use in non-uraemic calciphylaxis [X150]
    note = "dogs: steroid administration is a cause of canine calcinosis cutis, labelled dystrophic, " ..
           "metastatic or iatrogenic by source (docs/clinical-reference.md §8)",
    source = "seed:002 [S90][S92][X150]",
  },
  extravasation = {
    group = "local_tissue_damage", label = "Extravasation of an intravenous drug (no calcium or phosphate named)",
    synonyms = { "extravasation injury", "extravasated", "extravasation of intravenous drugs",
                 "drug extravasation", "infiltration injury", "extravasation phlebitis" },
    icd10cm = {},
    note = "extravasated calcium or phosphate is an iatrogenic exposure (calcium_extravasation, iv_calcium, " ..
           "iv_phosphate); another drug is local tissue injury, called iatrogenic by some case authors [X114]",
    source = "[S1][S63][X114]",
  },
  chemotherapy = {
    group = "other_risk", label = "Chemotherapy / cytotoxic drugs",
    synonyms = { "chemotherapy", "anticancer drugs", "anticancer drug", "cytotoxic drugs", "vinca alkaloid",
                 "vinca alkaloids", "vincristine", "vinblastine", "vinorelbine", "doxorubicin", "anthracycline",
                 "methotrexate", "cyclophosphamide", "intravenous anticancer drugs" },
    icd10cm = {}, also = { "calciphylaxis_risk" }, -- chemotherapy in non-uraemic calciphylaxis [X150]
    source = "[X150][X114]",
  },
  organ_transplant = {
    group = "other_risk", label = "Organ or stem-cell transplant recipient",
    synonyms = { "transplant recipient", "organ transplantation", "transplantation", "allograft recipient",
                 "heart transplant", "lung transplant" },
    icd10cm = {},
    note = "Medscape lists transplant-associated calcinosis cutis as variably classified [S2]",
    source = "[S2]",
  },
  kidney_transplant = {
    group = "other_risk", label = "Kidney transplant recipient",
    synonyms = { "kidney transplantation", "kidney transplant", "renal transplantation", "renal transplant",
                 "renal transplant recipient", "kidney transplant recipient", "renal allograft recipient",
                 "renal allograft", "kidney allograft", "renal graft" },
    icd10cm = {},
    also = { "calciphylaxis_risk" }, -- calciphylaxis after kidney transplantation [X148][X149]
    source = "[X148][X149]",
  },
  stem_cell_transplant = {
    group = "other_risk", label = "Haematopoietic stem-cell / bone-marrow transplant",
    synonyms = { "stem cell transplantation", "stem-cell transplantation", "stem cell transplant",
                 "bone marrow transplantation", "bone marrow transplant", "allogeneic bone marrow transplantation",
                 "allogenic bone marrow transplantation", "HSCT", "allogeneic stem cell transplantation" },
    icd10cm = {}, source = "[X120][X121]",
  },
  liver_transplant = {
    group = "iatrogenic_exposure", label = "Liver transplantation (transplant-associated CC)",
    synonyms = { "liver transplantation", "transplant associated calcinosis",
                 "transplant-associated calcinosis cutis" },
    icd10cm = {},
    note = "Medscape lists transplant-associated CC as variably classified (dystrophic or idiopathic) [S2]",
    source = "[S2]",
  },

  sclerodermoid_gvhd = {
    group = "local_tissue_damage", label = "Sclerodermoid skin disease / sclerodermatous chronic GVHD",
    synonyms = { "sclerodermoid graft versus host disease", "chronic sclerodermoid graft versus host disease",
                 "sclerodermatous chronic graft versus host disease", "sclerodermatous graft versus host disease",
                 "sclerodermatous GVHD", "sclerodermoid GVHD", "sclerotic GVHD", "sclerotic chronic GVHD",
                 "sclerodermoid", "sclerodermatous", "sclerodermatoid", "sclerodermoid skin disease",
                 "chronic graft versus host disease", "chronic GVHD", "cGVHD", "graft versus host disease" },
    icd10cm = {}, source = "[X120][X121]", -- 'the etiology of calcification was thought to be dystrophic' [X120]
  },
  malignancy = {
    group = "other_risk", label = "Malignancy (carcinoma, sarcoma, lymphoma, leukaemia, ...)",
    synonyms = { "malignancy", "malignant neoplasm", "malignant tumour", "malignant tumor", "cancer", "carcinoma",
                 "adenocarcinoma", "sarcoma", "lymphoma", "melanoma", "non-Hodgkin lymphoma", "Hodgkin lymphoma",
                 "metastatic cancer", "squamous cell carcinoma", "neoplastic disease" },
    icd10cm = {},
    also = { "calciphylaxis_risk" }, -- non-uraemic calciphylaxis setting (clinical reference §7.2) [X150]
    note = "a cause of metastatic calcinosis only through hypercalcaemia or bone destruction " ..
           "(paraneoplastic_hypercalcemia, bone_metastases, myeloma, leukemia) [S4][S5]",
    source = "[X150]",
  },
  prematurity = {
    group = "other_risk", label = "Preterm birth / premature neonate",
    synonyms = { "preterm", "premature", "preterm birth", "premature birth", "preterm neonate", "preterm infant",
                 "premature neonate", "premature infant", "premature baby", "preterm newborn", "prematurity",
                 "born prematurely", "extremely preterm", "very preterm" },
    icd10cm = {},
    note = "heel-stick calcinosis is seen mostly in high-risk neonates [S23]; IV calcium is given for neonatal " ..
           "hypocalcaemia [S48][C14]: ask for both",
    source = "[S23][S48]",
  },
  hemolytic_anemia = {
    group = "other_risk", label = "Haemolytic anaemia (autoimmune / immune-mediated)",
    synonyms = { "hemolytic anemia", "autoimmune hemolytic anemia", "immune-mediated hemolytic anemia", "AIHA",
                 "IMHA", "immune mediated haemolytic anaemia" },
    icd10cm = {}, source = "[X126][X144]", -- named beside calcinosis in SLE [X126] and in a dog on steroids [X144]
  },
  phosphate_enema = {
    group = "metabolic_cause", label = "Phosphate enemas or oral phosphate (taking phosphate)",
    synonyms = { "phosphate enema", "phosphate enemas", "sodium phosphate enema", "oral sodium phosphate",
                 "oral phosphate", "phosphate supplements" },
    icd10cm = {}, source = "seed:000", -- 'so can taking calcium or phosphate' (seed:000)
  },
  vitamin_d_analogue = {
    group = "calciphylaxis_risk", label = "Active vitamin D analogue therapy",
    synonyms = { "vitamin D analogue", "vitamin D analog", "active vitamin D", "calcitriol", "alfacalcidol",
                 "paricalcitol", "doxercalciferol", "vitamin D sterols", "vitamin D therapy" },
    icd10cm = {}, source = "[S85][S83][S28]",
  },

  ---------------------------------------------------------------- calciphylaxis
  calciphylaxis = {
    group = "calciphylaxis_feature", label = "Calciphylaxis (diagnosed / biopsy-proven)",
    synonyms = { "calcific uremic arteriolopathy", "calcific uraemic arteriolopathy", "CUA",
                 "nonuremic calciphylaxis", "non-uremic calciphylaxis", "atypical calciphylaxis",
                 "vascular calcification-cutaneous necrosis syndrome", "calcifying panniculitis" }, -- [S20][S46]
    icd10cm = {}, -- "calciphylaxis -> E83.59" mapping ◐ only [S31]
    source = "[S20][S46]",
  },
  livedo = {
    group = "calciphylaxis_feature", label = "Livedo racemosa / violaceous mottling",
    synonyms = { "livedo racemosa", "violaceous mottling", "mottling", "mottled skin", "livedo reticularis",
                 "livedoid", "livedoid pattern", "livedoid lesions", "reticulated violaceous patches",
                 "violaceous mottled lesions" },
    icd10cm = {}, source = "[S6][S17]",
  },
  retiform_purpura = {
    group = "calciphylaxis_feature", label = "Retiform purpura",
    synonyms = {}, icd10cm = {}, source = "[S6]",
  },
  purpura = {
    group = "calciphylaxis_feature", label = "Purpura (not retiform) / purpuric lesions",
    synonyms = { "purpuric", "purpuric lesions", "purpuric macules", "purpuric skin lesions", "purpuric patches" },
    icd10cm = {}, source = "[S83]",
  },
  bullae = {
    group = "calciphylaxis_feature", label = "Bullae (haemorrhagic)",
    synonyms = { "bulla", "bullous", "hemorrhagic bullae", "haemorrhagic bullae", "blisters" },
    icd10cm = {}, source = "[S83]",
  },
  indurated_plaque = {
    group = "calciphylaxis_feature", label = "Painful indurated / hard plaques",
    synonyms = { "indurated plaques", "indurated plaque", "induration", "indurated", "hard plaques",
                 "painful hard plaques", "firm plaques", "indurated areas", "firm indurated areas",
                 "hardened lesions", "indurated lesions", "woody induration" },
    icd10cm = {},
    note = "with pain on the abdomen, thighs, hips, buttocks or breasts in renal failure: the presentation of " ..
           "calciphylaxis [S83][S84]; indurated plaques also occur in other calcinosis",
    source = "[S83][S84][S17]",
  },
  necrotic_ulcer = {
    group = "calciphylaxis_feature", label = "Skin necrosis / non-healing ulcer",
    synonyms = { "skin necrosis", "necrosis", "non healing ulcer", "non-healing ulcers", "ischemic necrosis",
                 "ischaemic necrosis", "gangrene", "necrotic ulcers", "eschar", "eschars", "black eschar",
                 "necrotic eschar", "central eschar", "dermal necrosis", "cutaneous necrosis", "breast necrosis",
                 "tissue necrosis", "epidermal necrosis", "superficial necrosis", "tissue loss",
                 "non-healing tissue loss", "necrotic", "necrotic lesions", "necrotic plaques" },
    icd10cm = {}, source = "[S6][S17]",
  },
  small_vessel_calcification = {
    group = "calciphylaxis_feature", label = "Small-vessel (arteriolar/capillary) calcification on histology",
    synonyms = { "arteriolar calcification", "capillary calcification", "medial calcification",
                 "small vessel calcification on biopsy", "calcification of small vessels",
                 "calcium deposition within a small blood vessel", "calcified small vessels",
                 "calcified subcutaneous vessels", "small blood vessel calcification",
                 "calcification of arterioles", "mural calcification of small vessels" },
    icd10cm = {}, source = "[S1][S6][S20]",
  },
  net_like_vascular_calcification = {
    group = "calciphylaxis_feature", label = "Net-like / arborizing vascular calcification on radiograph",
    synonyms = { "arborizing vascular calcification", "net like calcification", "net-like pattern" },
    icd10cm = {}, source = "[S16]",
  },

  ---------------------------------------------------------------- calciphylaxis risk
  diabetes = {
    group = "calciphylaxis_risk", label = "Diabetes mellitus",
    synonyms = { "diabetes mellitus", "type 2 diabetes", "type 1 diabetes", "T2DM", "T1DM", "diabetic",
                 "diabetes mellitus type II", "non-insulin-dependent diabetes mellitus" },
    -- 73211009 "Diabetes mellitus (disorder)" (a public SNOMED CT code listing found with the
    -- project's code search); 44054006 is Synthea's "Diabetes" (the Synthea R4 bundles of
    -- smart-on-fhir/generated-sample-data)
    snomed = { "73211009", "44054006" },
    icd10cm = {}, source = "[S18]",
  },
  warfarin = {
    group = "calciphylaxis_risk", label = "Warfarin or another vitamin K antagonist (coumarin)",
    synonyms = { "coumadin", "warfarin use", "warfarin therapy", "jantoven", "phenprocoumon", "marcumar",
                 "falithrom", "acenocoumarol", "acenocumarol", "sintrom", "vitamin K antagonist",
                 "vitamin K antagonists", "VKA", "coumarin", "coumarins", "coumarin derivatives",
                 "oral anticoagulant therapy with acenocoumarol", "warfarin sodium" },
    -- warfarin, acenocoumarol and phenprocoumon are all coumarins (vitamin K antagonists) (clinical reference §7.2)
    icd10cm = {}, source = "[S18][S22][S85]",
  },
  obesity = {
    group = "calciphylaxis_risk", label = "Obesity",
    synonyms = { "obese", "morbid obesity", "morbidly obese" }, icd10cm = {}, source = "[S18]",
  },
  protein_c_s_deficiency = {
    group = "calciphylaxis_risk", label = "Protein C or S deficiency",
    synonyms = { "protein C deficiency", "protein S deficiency" }, icd10cm = {}, source = "[S18]",
  },
  hypercoagulable_state = {
    group = "calciphylaxis_risk", label = "Hypercoagulable state",
    synonyms = { "hypercoagulability", "thrombophilia", "lupus anticoagulant", "antiphospholipid syndrome",
                 "factor V Leiden" }, icd10cm = {}, source = "[S17][S88]",
  },
  calcium_based_binders = {
    group = "calciphylaxis_risk", label = "Calcium-containing phosphate binders",
    synonyms = { "calcium containing phosphate binders", "calcium based phosphate binders",
                 "calcium binders", "calcium acetate", "calcium-based binders" },
    icd10cm = {}, source = "[S18][S28]",
  },
  cirrhosis = {
    group = "calciphylaxis_risk", label = "Cirrhosis",
    synonyms = { "liver cirrhosis" }, icd10cm = {}, source = "[S55]",
  },
  poems = {
    group = "calciphylaxis_risk", label = "POEMS syndrome",
    synonyms = { "POEMS syndrome" }, icd10cm = {}, source = "[S55]",
  },

  ---------------------------------------------------------------- CREST / CTD features
  raynaud = {
    group = "crest_feature", label = "Raynaud phenomenon",
    synonyms = { "Raynaud phenomenon", "Raynaud's phenomenon", "Raynauds", "Raynaud's" },
    icd10cm = {}, source = "[S14][S15][S39]",
  },
  esophageal_dysmotility = {
    group = "crest_feature", label = "Oesophageal dysmotility",
    synonyms = { "oesophageal dysmotility", "esophageal hypomotility", "oesophageal hypomotility" },
    icd10cm = {}, source = "[S14][S15]",
  },
  sclerodactyly = {
    group = "crest_feature", label = "Sclerodactyly",
    synonyms = {},
    icd10cm = { "L94.3" }, -- ✔ [S30]
    source = "[S14][S15][S39]",
  },
  telangiectasia = {
    group = "crest_feature", label = "Telangiectasia",
    synonyms = { "telangiectasias", "telangiectases" }, icd10cm = {}, source = "[S14][S15][S39]",
  },
  puffy_fingers = {
    group = "ctd_feature", label = "Puffy fingers", synonyms = {}, icd10cm = {}, source = "[S39]",
  },
  skin_thickening_fingers = {
    group = "ctd_feature", label = "Skin thickening of the fingers proximal to the MCP joints",
    synonyms = { "skin thickening proximal to MCP" }, icd10cm = {}, source = "[S39]",
  },
  digital_ulcers = {
    group = "ctd_feature", label = "Digital tip ulcers",
    synonyms = { "digital tip ulcers", "fingertip ulcers", "digital ulcer" }, icd10cm = {}, source = "[S39]",
  },
  fingertip_pitting_scars = {
    group = "ctd_feature", label = "Fingertip pitting scars",
    synonyms = { "pitting scars" }, icd10cm = {}, source = "[S39]",
  },
  abnormal_nailfold_capillaries = {
    group = "ctd_feature", label = "Abnormal nailfold capillaries",
    synonyms = { "nailfold capillary changes" }, icd10cm = {}, source = "[S39]",
  },
  pah = {
    group = "ctd_feature", label = "Pulmonary arterial hypertension",
    synonyms = { "pulmonary arterial hypertension" }, icd10cm = {}, source = "[S15][S39]",
  },
  ild = {
    group = "ctd_feature", label = "Interstitial lung disease",
    synonyms = { "interstitial lung disease" }, icd10cm = {}, source = "[S39]",
  },
  gottron_papules = {
    group = "ctd_feature", label = "Gottron papules",
    synonyms = { "Gottron's papules" },
    icd10cm = { "L94.4" }, -- ✔ [S30]
    source = "[S30]",
  },

  ---------------------------------------------------------------- autoantibodies
  anticentromere = {
    group = "autoantibody", label = "Anticentromere antibody",
    synonyms = { "ACA", "anti-centromere", "anticentromere antibody", "centromere antibody" },
    icd10cm = {}, source = "[S15][S39][S69][S81]",
  },
  anti_scl70 = {
    group = "autoantibody", label = "Anti-topoisomerase I (anti-Scl-70)",
    synonyms = { "anti-Scl-70", "Scl-70", "anti-topoisomerase I", "anti-topo I" },
    icd10cm = {}, source = "[S39]",
  },
  anti_rna_polymerase_iii = {
    group = "autoantibody", label = "Anti-RNA polymerase III",
    synonyms = { "anti-RNA pol III", "anti-RNAP III" }, icd10cm = {}, source = "[S39][S81]",
  },
  anti_nxp2 = {
    group = "autoantibody", label = "Anti-NXP-2",
    synonyms = { "anti-NXP-2", "NXP-2" }, icd10cm = {}, source = "[S12][S67]",
  },
  anti_mda5 = {
    group = "autoantibody", label = "Anti-MDA-5",
    synonyms = { "anti-MDA-5", "MDA-5" }, icd10cm = {}, source = "[S12][S67]",
  },
  anti_mi2 = {
    group = "autoantibody", label = "Anti-Mi-2",
    synonyms = { "anti-Mi-2", "Mi-2" }, icd10cm = {}, source = "[S67]",
  },
  anti_jo1 = {
    group = "autoantibody", label = "Anti-Jo-1",
    synonyms = { "anti-Jo-1", "Jo-1" }, icd10cm = {}, source = "[C10]",
  },
  ana = {
    group = "autoantibody", label = "Antinuclear antibodies",
    synonyms = { "ANA", "antinuclear antibodies", "antinuclear antibody" }, icd10cm = {}, source = "[S16]",
  },

  ---------------------------------------------------------------- lesion features
  painful = {
    group = "lesion_feature", label = "Painful / tender",
    synonyms = { "pain", "tender", "tenderness", "painful lesions", "excruciating pain", "intense pain",
                 "severe pain", "exquisitely tender", "lancinating pain", "burning pain", "burning sensation" },
    icd10cm = {}, source = "[S2][S14][S87]",
  },
  ulcerated = {
    group = "lesion_feature", label = "Ulcerated",
    synonyms = { "ulceration", "ulcer", "ulcers", "ulcerative", "open wound", "wound", "open sore", "sore",
                 "erosive", "erosions", "ulcerating" }, icd10cm = {}, source = "[S2][S14]",
  },
  nodule = {
    group = "lesion_feature", label = "Nodule(s) / subcutaneous nodules",
    synonyms = { "nodules", "subcutaneous nodule", "subcutaneous nodules", "nodular", "nodular lesions",
                 "hard nodules", "firm nodules", "calcified nodules" },
    icd10cm = {}, source = "[S2-clinical][S17]",
  },
  infected = {
    group = "lesion_feature", label = "Secondarily infected",
    synonyms = { "secondary infection", "recurrent infection", "recurrent infections", "infected lesion" },
    icd10cm = {}, source = "[S2][S14]",
  },
  functional_impairment = {
    group = "lesion_feature", label = "Functional impairment",
    synonyms = { "limited joint mobility", "restricted motion", "nerve compression", "impaired function" },
    icd10cm = {}, source = "[S2]",
  },
  chalky_discharge = {
    group = "lesion_feature", label = "Chalky discharge",
    synonyms = { "chalky material", "chalky extrusion", "chalky fluid", "discharge", "chalky discharge",
                 "white discharge", "chalky white material" },
    icd10cm = {}, source = "[S2-clinical][S14]",
  },
  inflamed = {
    group = "lesion_feature", label = "Inflamed (secondary inflammation)",
    synonyms = { "inflammation", "secondary inflammation", "erythema", "erythematous", "redness",
                 "tender inflammation", "surrounding erythema" }, icd10cm = {}, source = "[S12][S76]",
  },
  solitary = {
    group = "lesion_feature", label = "Solitary lesion",
    synonyms = { "single lesion", "single nodule", "solitary nodule", "solitary lesion", "single papule",
                 "solitary papule" }, icd10cm = {}, source = "[S8][S9]",
  },
  multiple = {
    group = "lesion_feature", label = "Multiple lesions",
    synonyms = { "multiple lesions", "multiple nodules" }, icd10cm = {}, source = "[S8]",
  },
  milia_like_papules = {
    group = "lesion_feature", label = "Milia-like papules (1–2 mm)",
    synonyms = { "milia like", "milia-like", "milia-like papules", "milia-like lesions", "milia like papules" },
    icd10cm = {}, source = "[S8]",
  },
  large_localized = {
    group = "lesion_feature", label = "Large, localized deposit",
    synonyms = { "large deposit", "large localized lesion" }, icd10cm = {}, source = "[S10][S76]",
  },
  superficial = {
    group = "lesion_feature", label = "Superficial deposits / microcalcifications",
    synonyms = { "microcalcifications", "superficial deposits" }, icd10cm = {}, source = "[S74]",
  },

  ---------------------------------------------------------------- named forms of CC
  calcinosis_cutis = {
    group = "calcinosis_form", label = "Calcinosis cutis (unspecified)",
    synonyms = { "CC" },
    icd10cm = { "L94.2" }, -- ✔ [S30]
    source = "[S30]",
  },
  tumoral_calcinosis = {
    group = "calcinosis_form", label = "Tumoral calcinosis",
    synonyms = { "TC", "familial tumoral calcinosis", "normophosphatemic familial tumoral calcinosis", "nFTC" },
    icd10cm = {}, -- no code confirmed ✘
    note = "idiopathic (StatPearls [S3]) vs variably classified (Medscape [S2]) vs metastatic in uraemic TC [C2]",
    source = "[S3][S26]",
  },
  subepidermal_calcified_nodule = {
    group = "calcinosis_form", label = "Subepidermal calcified nodule",
    synonyms = { "SCN", "localized cutaneous calcinosis", "cutaneous calculi",
                 "solitary nodular calcification" },
    icd10cm = {}, source = "[S8][S9]",
  },
  micc = {
    group = "calcinosis_form", label = "Milia-like idiopathic calcinosis cutis",
    synonyms = { "MICC", "milia-like idiopathic calcinosis cutis", "milia like calcinosis" },
    icd10cm = {}, source = "[S8]",
  },
  scrotal_calcinosis = {
    group = "calcinosis_form", label = "Idiopathic scrotal calcinosis",
    synonyms = { "idiopathic scrotal calcinosis", "ISC", "scrotal calcinosis", "calcinosis of the scrotum",
                 "idiopathic calcinosis of scrotum" }, icd10cm = {}, source = "[S61][S62]",
  },
  calcinosis_universalis = {
    group = "calcinosis_form", label = "Calcinosis cutis universalis",
    synonyms = { "calcinosis cutis universalis", "universal calcinosis", "calcinosis universalis" },
    icd10cm = {}, source = "[S2][S48]",
  },
  calcinosis_circumscripta = {
    group = "calcinosis_form", label = "Calcinosis cutis circumscripta",
    synonyms = { "calcinosis cutis circumscripta" }, icd10cm = {}, source = "[S2][S48]",
  },

  ---------------------------------------------------------------- qualitative lab states
  hypercalcemia = {
    group = "lab_finding", label = "Hypercalcaemia (no value given)",
    synonyms = { "hypercalcaemia", "high calcium", "chronic hypercalcemia", "persistent hypercalcemia",
                 "elevated calcium", "elevated serum calcium" },
    icd10cm = { "E83.52" }, -- ✔ [S30]
    source = "[S2][S5]",
  },
  hypocalcemia = {
    group = "lab_finding", label = "Hypocalcaemia (no value given)",
    synonyms = { "hypocalcaemia", "low calcium", "neonatal hypocalcemia", "neonatal hypocalcaemia" },
    icd10cm = { "E83.51" }, -- ✔ [S30]
    source = "[S48]",
  },
  hyperphosphatemia = {
    group = "lab_finding", label = "Hyperphosphataemia (no value given)",
    synonyms = { "hyperphosphataemia", "high phosphate", "elevated phosphate", "elevated serum phosphate",
                 "elevated phosphorus" },
    icd10cm = {}, -- "hyperphosphatemia -> E83.39" mapping ✘
    also = { "calciphylaxis_risk" }, -- [S18]
    source = "[S2][S18]",
  },
  metabolic_alkalosis = {
    group = "lab_finding", label = "Metabolic alkalosis",
    synonyms = { "alkalosis" },
    icd10cm = { "E87.3" }, -- ✔ [S30] (Alkalosis)
    source = "[S27]",
  },
  acute_kidney_injury = {
    group = "lab_finding", label = "Acute kidney injury / renal insufficiency",
    synonyms = { "AKI", "acute renal failure", "renal insufficiency" }, icd10cm = {}, source = "[S27]",
  },
  hypoalbuminemia = {
    group = "lab_finding", label = "Hypoalbuminaemia (no value given)",
    synonyms = { "hypoalbuminaemia", "low albumin" }, icd10cm = {},
    also = { "calciphylaxis_risk" }, source = "[S18]",
  },
  elevated_alp = {
    group = "lab_finding", label = "Elevated alkaline phosphatase (no value given)",
    synonyms = { "high ALP", "raised ALP" }, icd10cm = {},
    also = { "calciphylaxis_risk" }, source = "[S18]",
  },

  ---------------------------------------------------------------- other associations
  down_syndrome = {
    group = "other_risk", label = "Down syndrome",
    synonyms = { "trisomy 21", "Down's syndrome", "Down syndrome" },
    icd10cm = { "Q90.0", "Q90.1", "Q90.2", "Q90.9" }, -- ✔ [S30]
    icd_prefix = { "Q90" },
    source = "[S8][X11]", -- MICC association
  },
  recent_hospitalization = {
    group = "other_risk", label = "Recent hospitalization",
    synonyms = { "recent hospitalisation", "hospitalized", "hospitalised" }, icd10cm = {},
    source = "[S1][S2]", -- typical iatrogenic history
  },
  family_history = {
    group = "other_risk", label = "Family history of calcinosis",
    synonyms = { "familial" }, icd10cm = {}, source = "[S2][S65][S26]",
  },

  ---------------------------------------------------------------- sites
  -- Sites are anatomical terms; the source names where the clinical reference
  -- mentions the site in a calcinosis pattern (docs/clinical-reference.md §2.3),
  -- "anatomy" where it does not.
  fingertips = { group = "site", label = "Fingertips", synonyms = { "fingertip", "finger tips", "digital tips" },
                 icd10cm = {}, source = "[S44]" },
  fingers = { group = "site", label = "Fingers", synonyms = { "finger", "digits", "PIP joints", "PIPs", "phalanx",
              "distal phalanx" },
              icd10cm = {}, source = "[S44]" },
  thumbs = { group = "site", label = "Thumbs", synonyms = { "thumb" }, icd10cm = {}, source = "[S44]" },
  hands = { group = "site", label = "Hands", synonyms = { "hand", "dorsum of hand" }, icd10cm = {},
            source = "[S44][S8][C14]" },
  wrists = { group = "site", label = "Wrists", synonyms = { "wrist" }, icd10cm = {}, source = "anatomy" },
  forearms = { group = "site", label = "Forearms", synonyms = { "forearm" }, icd10cm = {}, source = "anatomy" },
  arms = { group = "site", label = "Arms / upper extremities",
           synonyms = { "arm", "upper arm", "upper extremity", "upper extremities", "upper limb", "upper limbs",
                        "humerus", "extremities" },
           icd10cm = {}, source = "[S44]" },
  elbows = { group = "site", label = "Elbows", synonyms = { "elbow", "antecubital fossa", "antecubital" }, icd10cm = {}, source = "[S12][S57][S26]" },
  knees = { group = "site", label = "Knees", synonyms = { "knee" }, icd10cm = {}, source = "[S12][S57]" },
  periarticular = { group = "site", label = "Periarticular",
                    synonyms = { "around joints", "juxta-articular", "joints" }, icd10cm = {},
                    source = "[S44][S58][S26]" },
  shoulders = { group = "site", label = "Shoulders", synonyms = { "shoulder" }, icd10cm = {},
                source = "[S12][S58][S26]" },
  hips = { group = "site", label = "Hips", synonyms = { "hip" }, icd10cm = {}, source = "[S58][S26]" },
  spine = { group = "site", label = "Spine / paraspinal", synonyms = { "paraspinal" }, icd10cm = {},
            source = "[S57][S14]" },
  iliac_crests = { group = "site", label = "Iliac crests", synonyms = { "iliac crest" }, icd10cm = {},
                   source = "[S57]" },
  thighs = { group = "site", label = "Thighs", synonyms = { "thigh", "inner thigh", "medial thigh", "upper thigh",
             "internal thigh surface" }, icd10cm = {}, source = "[S59]" },
  abdomen = { group = "site", label = "Abdomen", synonyms = { "abdominal wall", "abdominal", "lower abdomen",
              "ventral abdomen", "belly", "pannus" }, icd10cm = {},
              source = "anatomy" },
  buttocks = { group = "site", label = "Buttocks", synonyms = { "buttock", "gluteal", "gluteal region",
               "buttocks area", "buttock area" }, icd10cm = {},
               source = "[S12]" },
  legs = { group = "site", label = "Legs / lower extremities",
           synonyms = { "leg", "lower leg", "lower extremity", "lower extremities", "lower limb", "lower limbs" },
           icd10cm = {}, source = "[S59]" },
  ankles = { group = "site", label = "Ankles", synonyms = { "ankle" }, icd10cm = {}, source = "[C14]" },
  feet = { group = "site", label = "Feet", synonyms = { "foot", "dorsum of foot" }, icd10cm = {},
           source = "[S8][C14]" },
  soles = { group = "site", label = "Soles", synonyms = { "sole", "plantar" }, icd10cm = {}, source = "[S23]" },
  heels = { group = "site", label = "Heels", synonyms = { "heel", "posterolateral heel" }, icd10cm = {},
            source = "[S23][S24]" },
  face = { group = "site", label = "Face", synonyms = { "facial", "cheek", "cheeks", "nose", "forehead",
           "eyebrow", "preauricular", "muzzle", "chin", "jaw" }, icd10cm = {}, source = "[S8][S9]" },
  ear = { group = "site", label = "Ear", synonyms = { "ears", "auricle", "earlobe" }, icd10cm = {}, source = "[S9]" },
  eyelid = { group = "site", label = "Eyelid", synonyms = { "eyelids" }, icd10cm = {}, source = "[S9]" },
  scalp = { group = "site", label = "Scalp", synonyms = { "vertex" }, icd10cm = {}, source = "anatomy" },
  head = { group = "site", label = "Head", synonyms = {}, icd10cm = {}, source = "[S12][S8]" },
  neck = { group = "site", label = "Neck", synonyms = {}, icd10cm = {}, source = "anatomy" },
  trunk = { group = "site", label = "Trunk / torso", synonyms = { "torso", "truncal", "chest", "back", "flank",
            "flanks", "dorsal midline", "interscapular", "dorsum", "chest wall" },
            icd10cm = {}, source = "[S12][S55]" },
  scrotum = { group = "site", label = "Scrotum", synonyms = { "scrotal", "scrotal wall", "scrotal skin",
              "scrotal area", "scrotal region" }, icd10cm = {},
              source = "[S61]" },
  penis = { group = "site", label = "Penis", synonyms = { "penile", "foreskin", "penile shaft", "penile skin",
            "shaft of the penis" }, icd10cm = {},
            source = "[S79] seed:002" },
  breast = { group = "site", label = "Breast(s)", synonyms = { "breasts", "mammary" }, icd10cm = {},
             source = "[S83]" }, -- calciphylaxis localized to the breast [S83]
  axilla = { group = "site", label = "Axilla", synonyms = { "axillae", "armpit", "armpits", "axillary" },
             icd10cm = {}, source = "anatomy" },
  groin = { group = "site", label = "Groin / inguinal", synonyms = { "inguinal", "inguinal area", "inguinal areas",
            "inguinal region" }, icd10cm = {}, source = "anatomy" },
  perineum = { group = "site", label = "Perineum", synonyms = { "perineal", "perianal", "perineal area",
               "perineal areas" }, icd10cm = {}, source = "anatomy" },
  mouth = { group = "site", label = "Mouth / tongue / gums", synonyms = { "tongue", "gum", "gums", "oral",
            "oral cavity", "lip", "lips" }, icd10cm = {}, source = "[S89]" }, -- tongue (dogs) [S89]
  bony_prominences = { group = "site", label = "Bony prominences / pressure areas",
                       synonyms = { "bony prominence", "pressure areas", "pressure area", "pressure points" },
                       icd10cm = {}, source = "[S57][S89]" },
  vulva = { group = "site", label = "Vulva", synonyms = { "vulvar", "labia" }, icd10cm = {}, source = "anatomy" },
  genitals = { group = "site", label = "Genitals", synonyms = { "genital", "genitalia" }, icd10cm = {},
               source = "[S55]" },
}

--- Implications: a term implies the listed terms (applied transitively by `expand`).
-- Only hierarchy that follows from the definitions/codes is encoded; notably
-- `dialysis` does NOT imply `ckd` (daily haemodialysis with normal kidney
-- function in HFTC [C1]) and no diagnosis implies a laboratory state.
M.implies = {
  esrd = { "ckd" },                                   -- N18.6 is a child of N18 CKD [S30]; G5 [S43]
  crest = { "systemic_sclerosis" },                   -- CREST is a form of lcSSc [S14][S15]
  juvenile_dermatomyositis = { "dermatomyositis" },   -- DM spectrum: adult, juvenile, amyopathic [S10]
  primary_hyperparathyroidism = { "hyperparathyroidism" },   -- [S4][S5]
  secondary_hyperparathyroidism = { "hyperparathyroidism" }, -- [S4][S5]
  tertiary_hyperparathyroidism = { "hyperparathyroidism" },  -- [C2]
  lupus_panniculitis = { "cutaneous_lupus", "panniculitis" }, -- CLE incl. lupus panniculitis [S10]; §4 panniculitis row [S33]
  pancreatic_panniculitis = { "panniculitis" },       -- [S5]
  hyperphosphatemia_familial = { "tumoral_calcinosis" }, -- HFTC is a familial TC [S26][S26c]
  uremic_tumoral_calcinosis = { "tumoral_calcinosis", "ckd" }, -- TC in dialysis patients [S52][C2]
  milk_alkali = { "calcium_carbonate_intake" },       -- large intake of calcium + absorbable alkali [S27]
  cushing = { "steroid_excess" },                     -- seed:002 (increased endogenous production)
  glucocorticoid_therapy = { "steroid_excess" },      -- seed:002 (steroid administration; dogs only)
  kidney_transplant = { "organ_transplant" },
  liver_transplant = { "organ_transplant" },
  stem_cell_transplant = { "organ_transplant" },
  leukemia = { "malignancy" },                        -- leukaemia is a malignancy
  myeloma = { "malignancy" },                         -- multiple myeloma is a malignancy
  calcium_extravasation = { "iv_calcium" },           -- extravasation of IV Ca gluconate/chloride [S48]
  breast = { "trunk" },
  axilla = { "trunk" },
  -- sites (anatomical containment)
  fingertips = { "fingers" },
  thumbs = { "fingers" },
  fingers = { "hands" },
  heels = { "feet" },
  soles = { "feet" },
  ear = { "face" },
  eyelid = { "face" },
  face = { "head" },
  scalp = { "head" },
  thighs = { "legs" },
  abdomen = { "trunk" },
  scrotum = { "genitals" },
  penis = { "genitals" },
  vulva = { "genitals" },
}

--- Abbreviations that stand for more than one term: normalize refuses them
-- and names the candidates.
M.ambiguous = {
  dm = { "dermatomyositis", "diabetes" },
  -- seed:004 "renal failure": chronic (metastatic cause [S2]) or acute (milk-alkali [S27])
  renal_failure = { "ckd", "esrd", "acute_kidney_injury" },
}

---------------------------------------------------------------------------
-- Normalization and indexes
---------------------------------------------------------------------------

-- (the key is made by the C core, src/vocabkey.c: the folding table of
-- UTF-8 Latin-1 letters lives there, once; the term map and the lexicon
-- make thousands of keys when a plan is first made)
local vocab_key = require("calcinosis.core").vocab_key

--- Normalization key of a string: UTF-8 Latin-1 letters folded to ASCII
-- ("Sjögren" == "sjogren"; ß "ss", æ and œ "ae" and "oe"), lowercase,
-- apostrophes (' and ’) dropped, every other run of characters other
-- than ASCII letters and digits replaced by "_", none at either end.
-- @tparam string s
-- @treturn string
function M.key(s)
  return vocab_key(s)
end

local function compact(k) return (k:gsub("_", "")) end

local INDEX, COMPACT, ICD, ENTRIES -- built once, below

local function icd_key(code)
  return (code:upper():gsub("%.", ""))
end

local function build()
  INDEX, COMPACT, ICD, ENTRIES = {}, {}, {}, {}
  local function add(k, term, origin)
    if k == "" then return end
    INDEX[k] = INDEX[k] or term
    local c = compact(k)
    COMPACT[c] = COMPACT[c] or term
    ENTRIES[#ENTRIES + 1] = { key = k, term = term, origin = origin }
  end
  local names = {}
  for term in pairs(M.terms) do names[#names + 1] = term end
  table.sort(names)
  for _, term in ipairs(names) do add(M.key(term), term, term) end
  for _, term in ipairs(names) do
    local e = M.terms[term]
    add(M.key(e.label or term), term, e.label)
    for _, syn in ipairs(e.synonyms or {}) do add(M.key(syn), term, syn) end
    for _, list in ipairs({ e.icd10cm or {}, e.icd_prefix or {} }) do
      for _, code in ipairs(list) do
        local k = icd_key(code)
        ICD[k] = ICD[k] or { term = term, code = code }
      end
    end
  end
end

--- All (key, term) pairs of the index: canonical terms, labels and synonyms.
-- Used by the spec to check that no key maps to two terms.
-- @treturn table list of `{ key =, term =, origin = }`
function M.entries()
  if not INDEX then build() end
  return ENTRIES
end

---------------------------------------------------------------------------
-- Queries
---------------------------------------------------------------------------

--- The primary group of a canonical term (nil if unknown).
-- @tparam string term
-- @treturn string|nil
function M.group(term)
  local e = M.terms[term]
  return e and e.group
end

--- Whether a canonical term belongs to a group (primary or `also`).
-- @tparam string term
-- @tparam string group
-- @treturn boolean
function M.in_group(term, group)
  local e = M.terms[term]
  if not e then return false end
  if e.group == group then return true end
  for _, g in ipairs(e.also or {}) do if g == group then return true end end
  return false
end

--- "site" for site terms, "finding" for every other term, nil if unknown.
-- @tparam string term
-- @treturn string|nil
function M.kind(term)
  local e = M.terms[term]
  if not e then return nil end
  return e.group == "site" and "site" or "finding"
end

--- Whether `g` is a known group name.
-- @tparam string g
-- @treturn boolean
function M.is_group(g) return GROUP_SET[g] == true end

--- Canonical terms of a group (sorted), primary or secondary membership.
-- @tparam string group
-- @treturn table
function M.terms_in(group)
  local out = {}
  for term in pairs(M.terms) do if M.in_group(term, group) then out[#out + 1] = term end end
  table.sort(out)
  return out
end

--- Apply `implies` transitively. Returns a new list: the input terms in order,
-- then implied terms not already present (breadth-first, in declaration order).
-- @tparam table terms list of canonical terms
-- @treturn table
function M.expand(terms)
  local out, seen, i = {}, {}, 1
  for _, t in ipairs(terms) do
    if not seen[t] then seen[t] = true; out[#out + 1] = t end
  end
  while i <= #out do
    for _, u in ipairs(M.implies[out[i]] or {}) do
      if not seen[u] then seen[u] = true; out[#out + 1] = u end
    end
    i = i + 1
  end
  return out
end

---------------------------------------------------------------------------
-- Nearest terms
---------------------------------------------------------------------------

--- Optimal-string-alignment Damerau-Levenshtein distance, with early exit
-- above `limit` (returns limit + 1 then): `calcinosis.util.distance`.
-- @function distance
-- @tparam string a
-- @tparam string b
-- @tparam number limit
-- @treturn number
M.distance = require("calcinosis.util").distance
local osa = M.distance

--- Up to `n` (default 3) canonical terms nearest to `s`: Damerau-Levenshtein
-- (optimal string alignment) distance over canonical terms, labels and
-- synonyms, within max(1, min(3, #key // 3)); then whole-word containment.
-- @tparam string s
-- @tparam[opt] string kind "finding" or "site" to restrict suggestions
-- @tparam[opt] number n
-- @treturn table list of canonical terms, nearest first
function M.suggest(s, kind, n)
  if not INDEX then build() end
  n = n or 3
  local k = M.key(s)
  if k == "" then return {} end
  local limit = math.max(1, math.min(3, math.floor(#k / 3)))
  local best = {}
  for _, e in ipairs(ENTRIES) do
    if not kind or M.kind(e.term) == kind then
      local d = osa(k, e.key, limit)
      if d > limit and #k >= 4 then
        -- whole-word containment ("gluconate" in "calcium_gluconate_extravasation")
        local padded, pk = "_" .. e.key .. "_", "_" .. k .. "_"
        if padded:find(pk, 1, true) or pk:find(padded, 1, true) then d = limit + 0.5 end
      end
      if d <= limit + 0.5 and (best[e.term] == nil or d < best[e.term]) then best[e.term] = d end
    end
  end
  local list = {}
  for term, d in pairs(best) do list[#list + 1] = { term = term, d = d } end
  table.sort(list, function(x, y)
    if x.d ~= y.d then return x.d < y.d end
    return x.term < y.term
  end)
  local out = {}
  for i = 1, math.min(n, #list) do out[i] = list[i].term end
  return out
end

local function quote_list(list)
  local q = {}
  for i, t in ipairs(list) do q[i] = "'" .. t .. "'" end
  if #q <= 1 then return q[1] or "" end
  return table.concat(q, ", ", 1, #q - 1) .. " or " .. q[#q]
end

---------------------------------------------------------------------------
-- ICD-10-CM
---------------------------------------------------------------------------

--- Whether `s` looks like an ICD-10-CM code ("N18.6", "n186", "M33.02", "D86").
-- @tparam string s
-- @treturn boolean
function M.is_icd(s)
  s = s:gsub("^%s+", ""):gsub("%s+$", "")
  return #s <= 8 and s:match("^%a%d[%w]%.?%w*$") ~= nil
end

--- Map an ICD-10-CM code to a canonical term by longest prefix among the codes
-- whose titles were read [S30] (with or without the dot, case-insensitive). A code
-- broader than every confirmed code (e.g. "E21") is refused with the codes
-- it would cover.
-- @tparam string code
-- @treturn string|nil term
-- @treturn[opt] string message when not mapped
function M.icd_lookup(code)
  if not INDEX then build() end
  local c = icd_key(code:gsub("%s", ""))
  for i = #c, 3, -1 do
    local hit = ICD[c:sub(1, i)]
    if hit then return hit.term end
  end
  local under = {}
  for k, hit in pairs(ICD) do
    if k:sub(1, #c) == c then under[#under + 1] = hit.code .. " -> " .. hit.term end
  end
  if #under > 0 then
    table.sort(under)
    local more = #under > 6 and string.format(" and %d more", #under - 6) or ""
    return nil, string.format("ICD-10-CM code '%s' is broader than the confirmed codes (%s%s); give a more " ..
      "specific code", code, table.concat(under, ", ", 1, math.min(6, #under)), more)
  end
  return nil, string.format("unknown ICD-10-CM code '%s' (no mapping to a vocabulary term confirmed by " ..
    "the ICD-10-CM code file [S30])", code)
end

---------------------------------------------------------------------------
-- normalize
---------------------------------------------------------------------------

local FALLBACK_SUFFIXES = { "_syndrome", "_disease", "_s" }

local function lookup_key(k)
  local t = INDEX[k] or COMPACT[compact(k)]
  if t then return t end
  for _, suf in ipairs(FALLBACK_SUFFIXES) do
    if #k > #suf and k:sub(-#suf) == suf then
      local base = k:sub(1, -#suf - 1)
      t = INDEX[base] or COMPACT[compact(base)]
      if t then return t end
    end
  end
  -- plural / singular tolerance
  if k:sub(-1) == "s" then
    t = INDEX[k:sub(1, -2)]
    if t then return t end
  end
  return INDEX[k .. "s"]
end

--- Normalize a finding or site to its canonical term.
-- Case-, space-, hyphen- and accent-insensitive; accepts synonyms, labels and
-- ICD-10-CM codes (longest-prefix). On failure returns nil and a message that
-- names the input and suggests up to three nearest canonical terms.
-- @tparam string s
-- @tparam[opt] string kind "finding" or "site": restricts the result and suggestions
-- @treturn string|nil canonical term
-- @treturn[opt] string message
-- @treturn[opt] table suggestions
function M.normalize(s, kind)
  if not INDEX then build() end
  if type(s) ~= "string" then
    return nil, string.format("%s must be a string, got %s", kind or "term", type(s)), {}
  end
  local trimmed = s:gsub("^%s+", ""):gsub("%s+$", "")
  local term = M.terms[trimmed] and trimmed or nil
  local icd_msg
  if not term then
    local k = M.key(trimmed)
    local amb = M.ambiguous[k]
    if amb then
      return nil, string.format("ambiguous %s '%s' (could be %s; give the full term)", kind or "term", s,
        quote_list(amb)), { require("calcinosis.compat").unpack(amb) }
    end
    term = lookup_key(k)
  end
  if not term and M.is_icd(trimmed) then
    term, icd_msg = M.icd_lookup(trimmed)
  end
  if term and kind and M.kind(term) ~= kind then
    return nil, string.format("'%s' is a %s, not a %s", s, M.kind(term), kind), { term }
  end
  if term then return term end
  if icd_msg then return nil, icd_msg, {} end
  local sugg = M.suggest(trimmed, kind)
  local word = kind or (sugg[1] and M.kind(sugg[1])) or "term"
  local msg
  if #sugg > 0 then
    msg = string.format("unknown %s '%s' (did you mean %s?)", word, s, quote_list(sugg))
  else
    msg = string.format("unknown %s '%s' (no close match in the vocabulary)", word, s)
  end
  return nil, msg, sugg
end

--- Normalize a list (Lua list or ";"-separated string) of findings or sites.
-- Unknown or wrong-kind entries are reported, not fatal.
-- @tparam table|string list
-- @tparam[opt] string kind "finding" or "site"
-- @treturn table canonical terms, deduplicated, in input order
-- @treturn table problem messages (strings)
-- @treturn table problem details `{ input =, message =, suggestions = }`
function M.normalize_list(list, kind)
  local items = {}
  if type(list) == "string" then
    for part in list:gmatch("[^;]+") do
      part = part:gsub("^%s+", ""):gsub("%s+$", "")
      if part ~= "" then items[#items + 1] = part end
    end
  elseif type(list) == "table" then
    for _, v in ipairs(list) do items[#items + 1] = v end
  elseif list ~= nil then
    return {}, { string.format("%s list must be a table or a string, got %s", kind or "term", type(list)) },
      { { input = list, message = "not a list", suggestions = {} } }
  end
  local out, seen, problems, details = {}, {}, {}, {}
  for _, item in ipairs(items) do
    local term, msg, sugg = M.normalize(item, kind)
    if term then
      if not seen[term] then seen[term] = true; out[#out + 1] = term end
    else
      problems[#problems + 1] = msg
      details[#details + 1] = { input = item, message = msg, suggestions = sugg or {} }
    end
  end
  return out, problems, details
end

build()

return M
