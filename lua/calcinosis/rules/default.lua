-- The default clinical ruleset of calcinosis: what `calcinosis.classify(patient)`
-- answers when no ruleset is given, and the ruleset researchers copy and vary
-- (`calcinosis.rules.default():variant { params = { ca_x_p_limit = "55 mg2/dL2" } }`).
-- It is an ordinary ruleset file: it loads in the sandbox like any user file
-- (`calcinosis.rules.load(path)`), with no privileged path.
--
-- A research tool, not a diagnosis. Every rule names its source: the keys
-- ([S1], [C2], ..., and `seed:002` for a seed document of the project)
-- resolve to full references through `calcinosis.sources` (the bibliography
-- of docs/clinical-reference.md, the clinical reference of this project; a
-- result lists them under `references`).
--
-- THE PATHWAY (docs/clinical-reference.md §3, reconstructed from Reiter et al. 2011 [S1];
-- the published figure itself was not read, so the tree is UNCONFIRMED as a
-- reproduction of it). Five questions, asked in this order:
--
--   1. Small-vessel calcification with ischaemic skin (retiform purpura,
--      necrosis), usually in renal failure?           -> calciphylaxis [S1][S6][S20]
--   2. Else: a calcium/phosphate-containing therapy or procedure at the
--      lesion site (IV calcium or phosphate, extravasation, calcium alginate
--      dressing, calcium chloride electrode paste, heel sticks, PAS)?
--                                                      -> iatrogenic   [S1][S48][S53]
--   3. Else: serum calcium and/or phosphate abnormal (corrected or ionized
--      calcium; consider Ca x P, PTH, vitamin D, renal function)?
--                                                      -> metastatic   [S1][S2]
--   4. Else (Ca and P normal): local tissue damage or an underlying disease
--      (connective-tissue disease, trauma, infection, tumour, panniculitis,
--      inherited connective-tissue disorder, acne ...)? -> dystrophic   [S1][S4]
--   5. Else                                            -> idiopathic   [S1][S3]
--
-- HOW THE RULES ENCODE IT. A rule adds its weight to one subtype; the subtype
-- with the highest score wins. The weights are tiered so that the order of
-- the questions decides, whatever else is present:
--
--   tier            gate weight   the most the later subtypes can add up to
--   calciphylaxis       20        iatrogenic 16 + 3 = 19
--   iatrogenic          16        metastatic 6+1+2+2+1+1+1+1 = 15
--   metastatic           6        dystrophic with abnormal labs 3 + 3 = 6
--                                 (a tie, which goes to metastatic, below)
--   dystrophic         3 + 2      idiopathic needs "no cause" and normal labs
--   idiopathic         3 + 1..4
--
-- Supporting rules (weight 1) add evidence inside a tier but cannot cross one.
-- The gates added with the case-report lexicon keep these weights: the
-- presentation of calciphylaxis (painful indurated plaques, nodules or
-- ulcers at its sites in a renal setting; painful livedo, purpura,
-- induration or necrosis in a non-renal setting, clinical reference §7) is 20; the
-- canine hyperglucocorticism rule is 3 (a dystrophic cause); extravasation of
-- a drug without calcium or phosphate is a dystrophic cause (3), not an
-- iatrogenic exposure (16); the no-cause-no-labs rule is 2 (idiopathic tier).
-- Ties go to the first subtype in `subtypes`, which is the order of the
-- pathway's questions: calciphylaxis, iatrogenic, metastatic, dystrophic,
-- idiopathic. The result is `indeterminate` when the best score is at most 1:
-- a single supporting finding (a high PTH alone, a typical site alone) is not
-- enough to name a subtype.
--
-- LABS. Calcium and phosphate are judged by their flags (`high(x)`, `low(x)`,
-- `normal(x)`), i.e. against the reference ranges of calcinosis.ranges for the
-- patient's age, sex and species: paediatric and neonatal ranges for children
-- (phosphate runs markedly higher in children, clinical reference §4.3 [S34][S35]),
-- canine and feline ranges for dogs and cats (§4.4 [S38]). Calcium is the
-- albumin-corrected calcium when albumin is given (never for dogs and cats:
-- the correction performs poorly there [S38]), else the total calcium, and an
-- ionized calcium counts too. A value given only as "high"/"low"/"normal" has
-- a flag and counts. A missing value leaves the rules that need it not
-- evaluable (three-valued logic), which the result reports.
--
-- CONTESTED THRESHOLDS are params (change them with `variant { params = ... }`
-- or `calcinosis classify --param name=value`):
--   ca_x_p_limit   70 mg2/dL2 [S2][S3]; alternatives 60 [S48] and 55 [S50].
--   The albumin-correction coefficient is an option of calcinosis.labs, not of
--   the ruleset: "common" 0.8 (default), "payne" 1.0 (as printed in the Payne
--   1973 abstract), "si" 0.02 mmol/L per g/L [S40]; pass
--   `{ ca_coefficient = "payne" }` to calcinosis.classify, or
--   `--ca-coefficient payne` on the command line.
--
-- CONFLICTS the literature has on the label (heel sticks, tumoral calcinosis,
-- isolated PTH elevation, four vs five subtypes, clinical reference §6) are not hidden:
-- where a rule can carry the other view it does (dystrophic.heel_stick_injury),
-- and the `alternative` declarations at the end list the other defensible
-- labels with their reasons. The `alert`, `ask` and `confidence`
-- declarations after them say what else every result carries: alerts
-- (suspected calciphylaxis, critical values), the missing inputs worth
-- asking for, and how sure the answer is. They are decided by the C engine
-- like the rules, for one patient and for a cohort alike; a variant can drop
-- or replace them (`drop = { "alternative.heel_stick" }`).
--
-- Terms in the sets are canonical terms of calcinosis.vocab; specific terms
-- are listed next to the general ones they imply (esrd next to ckd), so the
-- sets also work where implications are not expanded (cohort runs in C).
-- luacheck: read globals ruleset rule set param let alternative alert ask confidence
return ruleset {
  name = "calcinosis-default",
  version = "1.0",
  subtypes = { "calciphylaxis", "iatrogenic", "metastatic", "dystrophic", "idiopathic" },
  -- confidence: "high" from 0.75, "moderate" from 0.45, else "low" (see the
  -- confidence declarations at the end)
  decision = { tie = "order", indeterminate_at_most = 1, label = "indeterminate",
    confidence = { high = 0.75, moderate = 0.45 } },

  ---------------------------------------------------------------------------
  -- Sets of findings and sites

  -- Step 1. Calciphylaxis: the diagnosis or its histology [S1][S6][S20][S46]
  set("CUA_CONFIRMED", { "calciphylaxis", "small_vessel_calcification" }),
  -- livedo racemosa -> retiform purpura -> skin necrosis [S6][S17]
  set("CUA_SKIN", { "livedo", "retiform_purpura", "necrotic_ulcer" }),
  -- how calciphylaxis presents when a record says neither "necrosis" nor
  -- "retiform purpura": painful indurated plaques or nodules that ulcerate;
  -- livedo reticularis, purpura and bullae (clinical reference §7.1) [S83][S84][S87][S17]
  set("CUA_SIGNS", { "livedo", "retiform_purpura", "necrotic_ulcer", "purpura", "bullae", "indurated_plaque" }),
  -- where: abdomen, thighs, hips, breast, penis [S83]; lower extremities and
  -- torso, thighs commonly [S59]; truncal and genital involvement [S55]
  set("CUA_SITES", { "abdomen", "thighs", "hips", "buttocks", "breast", "penis", "genitals", "legs", "trunk" }),
  set("CUA_ISCHAEMIC", { "retiform_purpura", "necrotic_ulcer" }),
  -- renal failure / dialysis: the usual setting of calciphylaxis [S1][S17][S20]
  set("RENAL", { "ckd", "esrd", "dialysis" }),
  -- risk factors [S18][S17] and non-renal settings [S55][X1]
  set("CUA_RISK", { "diabetes", "warfarin", "obesity", "protein_c_s_deficiency", "hypercoagulable_state",
    "calcium_based_binders", "cirrhosis", "poems", "rheumatoid_arthritis", "myeloma",
    "primary_hyperparathyroidism", "secondary_hyperparathyroidism", "hyperphosphatemia",
    "hypoalbuminemia", "elevated_alp", "ckd", "esrd", "dialysis",
    -- clinical reference §7.2: vitamin D analogues [S85][S83], hypercalcaemia [S17]; non-uraemic cases:
    -- malignancy, systemic corticosteroids, chemotherapy [X150]; after kidney transplantation [X148][X149]
    "vitamin_d_analogue", "hypercalcemia", "malignancy", "leukemia", "glucocorticoid_therapy", "chemotherapy",
    "kidney_transplant" }),
  -- non-renal settings of calciphylaxis (a risk profile, not another subtype, clinical reference §7.2): vitamin K
  -- antagonists (coumarins), malignancy, cirrhosis, myeloma, POEMS, rheumatoid arthritis,
  -- thrombophilia [S55][S85][S88]; primary hyperparathyroidism [X1]; corticosteroids, chemotherapy [X150]
  set("CUA_NON_RENAL", { "warfarin", "malignancy", "leukemia", "myeloma", "cirrhosis", "poems",
    "rheumatoid_arthritis", "primary_hyperparathyroidism", "protein_c_s_deficiency", "hypercoagulable_state",
    "glucocorticoid_therapy", "chemotherapy" }),

  -- Step 2. Iatrogenic exposures at the lesion site [S48][S53][S54][S25][C14][C15];
  -- seed:003 (parenteral calcium or phosphate, heel sticks), seed:004 (IV
  -- calcium, calcium-containing electrodes), seed:000 (taking calcium or phosphate)
  set("IATROGENIC_EXPOSURES", { "iv_calcium", "iv_phosphate", "calcium_extravasation", "heel_stick",
    "calcium_electrode_paste", "calcium_alginate_dressing", "para_aminosalicylic_acid" }),

  -- Step 3. Causes of abnormal calcium/phosphate metabolism [S2][S4][S5][S27][S49][S26][C2][S52];
  -- seed:002 (CKD, hyperparathyroidism, sarcoidosis, vitamin D, milk-alkali,
  -- myeloma), seed:003 (HPT, paraneoplastic hypercalcaemia, Paget, sarcoidosis,
  -- chronic renal failure), seed:004 (hyperparathyroidism, renal failure)
  set("METASTATIC_CAUSES", { "ckd", "esrd", "dialysis",
    "hyperparathyroidism", "primary_hyperparathyroidism", "secondary_hyperparathyroidism",
    "tertiary_hyperparathyroidism",
    "sarcoidosis", "granulomatous_disease", "vitamin_d_excess",
    "milk_alkali", "calcium_carbonate_intake",
    "paraneoplastic_hypercalcemia", "bone_metastases", "paget_disease", "myeloma", "leukemia",
    "immobilization", "hyperphosphatemia_familial", "uremic_tumoral_calcinosis",
    "phosphate_enema" }), -- seed:000: 'so can taking calcium or phosphate'

  -- hypercalcaemia / hyperphosphataemia reported without a value [S2][S5]; seed:002
  set("REPORTED_HIGH_CA_P", { "hypercalcemia", "hyperphosphatemia" }),
  -- dogs: adrenal-hormone (steroid) overproduction or administration (seed:002)
  set("CANINE_ADRENAL", { "cushing", "steroid_excess" }),
  -- (glucocorticoid_therapy implies steroid_excess, whose association is sourced for dogs only)

  -- Step 4. Local tissue damage and underlying diseases [S4][S5][S10][S20][S47][X10];
  -- seed:000, seed:001, seed:002, seed:003, seed:004
  set("CTD", { "systemic_sclerosis", "crest", "dermatomyositis", "juvenile_dermatomyositis", "polymyositis",
    "lupus", "cutaneous_lupus", "lupus_panniculitis", "mixed_connective_tissue_disease", "overlap_ctd",
    "sjogren", "rheumatoid_arthritis", "connective_tissue_disease" }),
  -- extravasation of a drug that holds no calcium or phosphate is local tissue injury [S1][X114];
  -- sclerodermoid chronic GVHD: 'the etiology of calcification was thought to be dystrophic' [X120][X121]
  set("LOCAL_DAMAGE", { "trauma", "burn", "arthropod_bite", "acne", "varicose_veins", "infection", "tumor",
    "cyst", "panniculitis", "pancreatic_panniculitis", "porphyria_cutanea_tarda", "inherited_ct_disorder",
    "ehlers_danlos", "pseudoxanthoma_elasticum", "werner_syndrome", "rothmund_thomson", "extravasation",
    "sclerodermoid_gvhd" }),
  set("DYSTROPHIC_CAUSES", { "CTD", "LOCAL_DAMAGE" }),
  -- CREST: calcinosis, Raynaud, oesophageal dysmotility, sclerodactyly,
  -- telangiectasia; anticentromere antibody typical [S14][S15][S39]
  set("CREST_FEATURES", { "raynaud", "esophageal_dysmotility", "sclerodactyly", "telangiectasia" }),
  set("SSC_ANTIBODIES", { "anticentromere", "anti_scl70", "anti_rna_polymerase_iii" }),

  -- Step 5. Idiopathic forms [S3][S7][S8][S9][S61][S2][S48]
  set("IDIOPATHIC_FORMS", { "tumoral_calcinosis", "subepidermal_calcified_nodule", "micc",
    "scrotal_calcinosis", "calcinosis_universalis", "calcinosis_circumscripta" }),
  set("HEAD_SITES", { "head", "face", "ear", "eyelid", "scalp" }),  -- SCN: mostly face/head [S8][S9]
  set("MALE_GENITAL_SITES", { "scrotum", "penis" }),                -- [S61][S62]; seed:002 (penis)

  -- Anything that gives the calcinosis a cause (the idiopathic rules need none)
  set("CAUSES", { "CUA_CONFIRMED", "CUA_ISCHAEMIC", "IATROGENIC_EXPOSURES", "liver_transplant",
    "METASTATIC_CAUSES", "REPORTED_HIGH_CA_P", "CANINE_ADRENAL", "DYSTROPHIC_CAUSES" }),

  ---------------------------------------------------------------------------
  -- Parameters (contested or chosen thresholds; alternatives documented)

  param("ca_x_p_limit", "70 mg2/dL2",
    "Ca x P above which metastatic calcification is reported: 70 [S2][S3] (default); 60 [S48]; " ..
    "55 [S50] ('solubility product' in renal failure). KDOQI < 55 (adults) / < 65 (young children) " ..
    "[S28] are treatment targets, not diagnostic thresholds"),
  param("adult_age", "18 years",
    "age from which adult reference ranges apply (Mayo adult ranges >= 18 y [S34]); below it Ca x P " ..
    "counts only with an abnormal Ca or P, because paediatric phosphate runs higher [S34][S35]"),
  param("cua_ckd_stage", 3,
    "KDIGO G category (1 G1 .. 3 G3a .. 6 G5) from which the renal setting of calciphylaxis counts " ..
    "without a renal diagnosis: 3 = G3a, eGFR < 60, the CKD definition [S43] (calciphylaxis reported " ..
    "in CKD 3 [S60]) (default); 6 = G5 only ('usually ESKD/dialysis' [S1][S20])"),
  param("renal_failure_stage", 6,
    "KDIGO G category counted as chronic renal failure: 6 = G5, eGFR < 15, 'kidney failure' [S43] " ..
    "(default); 5 = G4 (eGFR < 30)"),
  param("vitd25_toxic", "80 ng/mL",
    "25-OH vitamin D above which toxicity is possible: 80 ng/mL (Mayo [S34]) (default); 150 ng/mL " ..
    "(ARUP 'possible toxicity'; Mayo 'most toxicity > 150' [S34][S35])"),

  ---------------------------------------------------------------------------
  -- Derived values (truth values; unknown when the lab is missing)

  -- calcium status: corrected calcium when there is one, else total calcium;
  -- an ionized calcium counts as well [S1][S34]
  let("ca_total_known", "present(high(calcium)) or present(high(corrected_calcium))"),
  let("ca_ion_known", "present(high(ionized_calcium))"),
  let("ca_high", [[if ca_total_known
      then (if present(high(corrected_calcium)) then high(corrected_calcium) else high(calcium))
           or (ca_ion_known and high(ionized_calcium))
      else (if ca_ion_known then high(ionized_calcium) else unknown)]]),
  let("ca_low", [[if ca_total_known
      then (if present(high(corrected_calcium)) then low(corrected_calcium) else low(calcium))
           or (ca_ion_known and low(ionized_calcium))
      else (if ca_ion_known then low(ionized_calcium) else unknown)]]),
  let("ca_p_high", "ca_high or high(phosphate)"),
  let("ca_p_normal", "not ca_high and not ca_low and normal(phosphate)"),
  -- known to be high (false, not unknown, when the labs are missing)
  let("ca_p_high_known", "present(ca_p_high) and ca_p_high"),
  let("renal_failure", "any finding in RENAL or ckd_stage >= cua_ckd_stage"),
  -- the renal setting of calciphylaxis: renal failure, or a kidney transplant (calciphylaxis
  -- after kidney transplantation, also with normal graft function [X148][X149])
  let("renal_setting", "renal_failure or finding kidney_transplant"),
  -- calcium and phosphate known (not missing) and neither abnormal
  let("ca_p_known_normal", "present(ca_p_normal) and ca_p_normal"),
  let("ca_p_abnormal_known", "ca_p_high_known or (present(ca_low) and ca_low) or (present(low(phosphate)) and low(phosphate))"),
  -- known states (false, not unknown, when the lab is missing), for the
  -- result declarations below
  let("ca_high_known", "present(ca_high) and ca_high"),
  let("ca_low_known", "present(ca_low) and ca_low"),
  let("ca_normal_known", "present(ca_high) and not ca_high and not ca_low"),
  let("p_high_known", "present(high(phosphate)) and high(phosphate)"),
  let("p_low_known", "present(low(phosphate)) and low(phosphate)"),
  let("p_normal_known", "present(normal(phosphate)) and normal(phosphate)"),
  let("pth_high_known", "present(high(pth)) and high(pth)"),
  let("crest_pattern", [[at least 2 findings in CREST_FEATURES
      or (any finding in SSC_ANTIBODIES and any finding in CREST_FEATURES)]]),

  ---------------------------------------------------------------------------
  -- Step 1: calciphylaxis (tier 20). Small-vessel calcification of the dermis
  -- and subcutaneous fat with ischaemic skin; usually on dialysis, also
  -- non-uraemic [S1][S6][S17][S20][S55][X1]. Four-subtype schemes put it
  -- under metastatic (clinical reference §6): the result lists that alternative.

  rule { id = "calciphylaxis.confirmed", supports = "calciphylaxis", weight = 20,
    when = "any finding in CUA_CONFIRMED",
    because = "calciphylaxis is diagnosed, or histology shows small-vessel (arteriolar/capillary) " ..
              "calcification in the dermis/subcutis",
    source = "S1 S6 S20" },
  rule { id = "calciphylaxis.uraemic", supports = "calciphylaxis", weight = 20,
    when = "any finding in CUA_ISCHAEMIC and renal_failure",
    because = "retiform purpura or skin necrosis / non-healing ulcers in renal failure or on dialysis",
    source = "S1 S6 S17 S20" },
  rule { id = "calciphylaxis.non_uraemic", supports = "calciphylaxis", weight = 20,
    when = "at least 2 findings in CUA_SIGNS and any finding in CUA_RISK and no finding in RENAL",
    because = "livedo, retiform purpura and/or necrosis with a calciphylaxis risk factor or non-renal " ..
              "setting (warfarin, primary hyperparathyroidism, myeloma, ...)",
    source = "S6 S17 S18 S55 X1" },
  rule { id = "calciphylaxis.presentation_renal", supports = "calciphylaxis", weight = 20,
    when = [[renal_setting and any site in CUA_SITES
             and (finding indurated_plaque or (finding painful and (finding ulcerated or finding nodule)))
             and no finding in {tumoral_calcinosis, uremic_tumoral_calcinosis}]],
    because = "painful indurated plaques, or painful nodules or ulcers, on the abdomen, thighs, hips, buttocks, " ..
              "breasts, legs or trunk in renal failure, on dialysis or after a kidney transplant: how " ..
              "calciphylaxis presents before necrosis (tumoral calcinosis excluded)",
    source = "S83 S84 S17 S55 S59 X148" },
  rule { id = "calciphylaxis.presentation_non_renal", supports = "calciphylaxis", weight = 20,
    when = [[no finding in RENAL and any finding in CUA_NON_RENAL and finding painful
             and any finding in CUA_SIGNS and any site in CUA_SITES]],
    because = "painful livedo, purpura, induration, bullae or necrosis at a typical site in a non-renal " ..
              "setting of calciphylaxis (a vitamin K antagonist such as warfarin, acenocoumarol or " ..
              "phenprocoumon, malignancy, cirrhosis, myeloma, rheumatoid arthritis, thrombophilia, " ..
              "primary hyperparathyroidism, corticosteroids, chemotherapy)",
    source = "S83 S84 S87 S55 S85 S88 X1 X150" },
  rule { id = "calciphylaxis.livedo_renal", supports = "calciphylaxis", weight = 4,
    when = "finding livedo and renal_failure",
    because = "livedo racemosa (the first stage before retiform purpura and necrosis) in renal failure",
    source = "S6 S17" },
  rule { id = "calciphylaxis.radiograph", supports = "calciphylaxis", weight = 4,
    when = "finding net_like_vascular_calcification",
    because = "a net-like (arborizing) vascular calcification on radiographs was strongly associated " ..
              "with calciphylaxis",
    source = "S16" },
  rule { id = "calciphylaxis.risk_profile", supports = "calciphylaxis", weight = 1,
    when = "any finding in CUA_SKIN and (female or finding diabetes or high(phosphate) or ca_x_p > ca_x_p_limit)",
    because = "ischaemic skin signs with one of the strongest risk factors in multivariate analysis " ..
              "(female sex, diabetes, hyperphosphataemia, high Ca x P)",
    source = "S18" },

  ---------------------------------------------------------------------------
  -- Step 2: iatrogenic (tier 16). A therapy or procedure at the lesion site.

  rule { id = "iatrogenic.exposure", supports = "iatrogenic", weight = 16,
    when = "any finding in IATROGENIC_EXPOSURES",
    because = "a calcium- or phosphate-containing therapy or procedure at the lesion site (IV calcium or " ..
              "phosphate, extravasation, calcium alginate dressing, calcium chloride electrode paste, " ..
              "neonatal heel sticks, para-aminosalicylic acid)",
    source = "S1 S48 S53 S54 S25" },
  rule { id = "iatrogenic.transplant", supports = "iatrogenic", weight = 3,
    when = "finding liver_transplant",
    because = "transplant-associated calcinosis cutis (listed with iatrogenic causes; Medscape calls it " ..
              "variably classified as dystrophic or idiopathic)",
    source = "S2" },

  ---------------------------------------------------------------------------
  -- Step 3: metastatic (tier 6). Abnormal serum calcium and/or phosphate;
  -- then the sub-causes and the values the pathway asks to consider.

  rule { id = "metastatic.ca_p_high", supports = "metastatic", weight = 6,
    when = "ca_high or high(phosphate)",
    because = "calcium (corrected or ionized) and/or phosphate above the reference range for age, sex " ..
              "and species",
    source = "S1 S2" },
  rule { id = "metastatic.reported_high", supports = "metastatic", weight = 6,
    when = "any finding in REPORTED_HIGH_CA_P and not ca_p_high_known",
    because = "hypercalcaemia or hyperphosphataemia is reported (no value given)",
    source = "S2 S5" },
  rule { id = "metastatic.ca_p_low", supports = "metastatic", weight = 1,
    when = "(ca_low or low(phosphate)) and not ca_p_high",
    because = "calcium or phosphate below the reference range (the pathway's criterion is 'abnormal'; " ..
              "the sources describe metastatic calcinosis with high calcium and/or phosphate)",
    source = "S1 S2" },
  rule { id = "metastatic.ca_x_p", supports = "metastatic", weight = 1,
    when = "ca_x_p > ca_x_p_limit and (age >= adult_age or ca_p_high)",
    because = "the calcium x phosphate product is above the limit at which metastatic calcification is " ..
              "reported",
    source = "S2 S3" },
  rule { id = "metastatic.known_cause", supports = "metastatic", weight = 2,
    when = "any finding in METASTATIC_CAUSES",
    because = "a cause of abnormal calcium/phosphate metabolism listed by the sources (chronic renal " ..
              "failure, hyperparathyroidism, vitamin D excess, sarcoidosis, milk-alkali syndrome, " ..
              "malignancy or bone destruction, HFTC, uraemic tumoral calcinosis)",
    source = "S2 S4 S5" },
  rule { id = "metastatic.pth_high", supports = "metastatic", weight = 1,
    when = "high(pth)",
    because = "PTH above the reference range (hyperparathyroidism is a listed cause; the pathway asks to " ..
              "consider PTH)",
    source = "S1 S2 S4" },
  rule { id = "metastatic.renal_failure", supports = "metastatic", weight = 1,
    when = "ckd_stage >= renal_failure_stage",
    because = "eGFR in the kidney-failure range: chronic renal failure is the most common cause of " ..
              "metastatic calcinosis",
    source = "S2 S43" },
  rule { id = "metastatic.vitd25_high", supports = "metastatic", weight = 1,
    when = "vitd25 > vitd25_toxic",
    because = "25-OH vitamin D in the range where toxicity is possible (vitamin D excess)",
    source = "S5 S34" },
  rule { id = "metastatic.vitd125_high", supports = "metastatic", weight = 1,
    when = "high(vitd125)",
    because = "1,25-(OH)2 vitamin D above the reference range (granulomatous disease, some " ..
              "malignancies, primary hyperparathyroidism)",
    source = "S34" },

  ---------------------------------------------------------------------------
  -- Step 4: dystrophic (3, and 2 more when Ca and P are known to be normal).
  -- Local tissue damage or an underlying disease with normal serum Ca and P.

  rule { id = "dystrophic.tissue_damage", supports = "dystrophic", weight = 3,
    when = "any finding in DYSTROPHIC_CAUSES",
    because = "local tissue damage or an underlying disease (connective-tissue disease, trauma, " ..
              "infection, tumour or cyst, panniculitis, acne, varicose veins, burns, inherited " ..
              "connective-tissue disorder)",
    source = "S1 S4 S5 S10" },
  rule { id = "dystrophic.crest_pattern", supports = "dystrophic", weight = 3,
    when = "crest_pattern and no finding in DYSTROPHIC_CAUSES",
    because = "features of CREST / limited cutaneous systemic sclerosis (two of Raynaud, oesophageal " ..
              "dysmotility, sclerodactyly, telangiectasia, or one with an SSc antibody)",
    source = "S14 S15 S39" },
  -- Dogs: canine calcinosis cutis with hyperadrenocorticism or glucocorticoid
  -- treatment is called dystrophic by most veterinary dermatology sources
  -- (vetbook, a 46-dog series, a case report) [S89][S90][S91], metastatic by a
  -- hospital client page and a seed document [S92][seed:002], and iatrogenic when
  -- the steroids are given (clinical reference §8, §6). The default label follows the
  -- weight of the sources, three against two: dystrophic; the alternatives
  -- canine_hyperglucocorticism and canine_glucocorticoid_therapy carry the
  -- other labels with their sources. A dog with high calcium or phosphate is
  -- still metastatic (step 3 comes first) [S89].
  rule { id = "dystrophic.canine_hyperglucocorticism", supports = "dystrophic", weight = 3,
    when = "dog and any finding in CANINE_ADRENAL and no finding in DYSTROPHIC_CAUSES",
    because = "a dog with hyperadrenocorticism or glucocorticoid treatment: veterinary dermatology describes " ..
              "its calcinosis cutis as dystrophic deposition, virtually pathognomonic for hyperadrenocorticism",
    source = "S89 S90 S91" },
  rule { id = "dystrophic.normal_ca_p", supports = "dystrophic", weight = 2,
    when = "(any finding in DYSTROPHIC_CAUSES or crest_pattern or (dog and any finding in CANINE_ADRENAL)) and ca_p_normal",
    because = "tissue damage or disease with normal serum calcium and phosphate",
    source = "S1 S2" },
  rule { id = "dystrophic.heel_stick_injury", supports = "dystrophic", weight = 3,
    when = "finding heel_stick",
    because = "the pathogenesis of heel-stick calcinosis is described as local injury (dystrophic) by " ..
              "JAMA Pediatrics, VisualDx and case authors",
    source = "S23 S24 C7" },

  ---------------------------------------------------------------------------
  -- Step 5: idiopathic (3 when no cause is found and Ca and P are normal;
  -- typical forms and patterns add 1 each).

  rule { id = "idiopathic.no_cause", supports = "idiopathic", weight = 3,
    when = "no finding in CAUSES and not crest_pattern and ca_p_normal",
    because = "no tissue damage, disease, therapy or metabolic cause, and calcium and phosphate are normal",
    source = "S1 S3" },
  -- No cause and no labs (the pathway's step 5, clinical reference §3; a decision of this ruleset):
  -- a presentation typical of an idiopathic form -- a child, a named
  -- idiopathic form, milia-like papules, scrotal or penile nodules in a man --
  -- with no cause and calcium or phosphate not given (and none known to be
  -- abnormal) is named idiopathic, with low confidence (the calcium and
  -- phosphate factors), the alternative metastatic (idiopathic_unmeasured)
  -- and the missing labs as what could overturn it. Without such a
  -- presentation the result stays indeterminate.
  rule { id = "idiopathic.typical_unmeasured", supports = "idiopathic", weight = 2,
    when = [[no finding in CAUSES and not crest_pattern and not ca_p_known_normal and not ca_p_abnormal_known
             and ((human and age < adult_age) or any finding in IDIOPATHIC_FORMS or finding milia_like_papules
                  or (male and any site in MALE_GENITAL_SITES))]],
    because = "no cause, and a presentation typical of idiopathic calcinosis (a child; a named idiopathic form; " ..
              "milia-like papules; scrotal or penile nodules in a man), calcium or phosphate not given: the " ..
              "leading subtype, until the labs rule out metastatic",
    source = "S1 S3 S8 S9 S61 S62" },
  rule { id = "idiopathic.named_form", supports = "idiopathic", weight = 1,
    when = "any finding in IDIOPATHIC_FORMS and ca_p_normal",
    because = "a form listed as idiopathic (tumoral calcinosis, subepidermal calcified nodule, MICC, " ..
              "scrotal calcinosis, calcinosis universalis/circumscripta) with normal calcium and phosphate",
    source = "S3 S7 S8 S9 S61" },
  rule { id = "idiopathic.scn_pattern", supports = "idiopathic", weight = 1,
    when = "age < adult_age and any site in HEAD_SITES and (finding solitary or finding subepidermal_calcified_nodule)",
    because = "a solitary nodule on the face or head of a child (subepidermal calcified nodule pattern)",
    source = "S8 S9" },
  rule { id = "idiopathic.micc_pattern", supports = "idiopathic", weight = 1,
    when = "(finding milia_like_papules or finding micc) and (finding down_syndrome or age < adult_age)",
    because = "multiple milia-like papules in a child or with Down syndrome (MICC pattern)",
    source = "S8 X11" },
  rule { id = "idiopathic.genital_pattern", supports = "idiopathic", weight = 1,
    when = "male and any site in MALE_GENITAL_SITES",
    because = "scrotal nodules in a man (idiopathic scrotal calcinosis; idiopathic calcinosis of the " ..
              "penis is also described [seed:002])",
    source = "S61 S62" },

  ---------------------------------------------------------------------------
  -- Alternatives: the other labels the literature allows (docs/clinical-reference.md
  -- §6). After the decision, when a condition holds, each of its labels
  -- other than the result's type is listed with its reason; `conflict` names
  -- the conflict of §6 a declaration encodes when it is not its id (the
  -- pathway's label differs with and without tissue damage).

  alternative { id = "heel_stick", labels = { "iatrogenic", "dystrophic" },
    when = "finding heel_stick",
    reasons = {
      iatrogenic = "listed as iatrogenic by several sources [S25][S48]",
      dystrophic = "pathogenesis is local injury (JAMA Pediatrics, VisualDx, case authors) [S23][S24][C7]" },
    source = "S25 S48 S23 S24 C7" },
  alternative { id = "uremic_tumoral_calcinosis", labels = { "metastatic", "idiopathic" },
    when = "finding uremic_tumoral_calcinosis or (finding tumoral_calcinosis and any finding in {dialysis, esrd})",
    reasons = {
      metastatic = "uraemic tumoral calcinosis is driven by elevated Ca x P and hyperparathyroidism and " ..
                   "behaves as metastatic [S52][C2]",
      idiopathic = "StatPearls lists tumoral calcinosis under idiopathic [S3]" },
    source = "S3 S52 C2" },
  alternative { id = "tumoral_calcinosis_hftc", labels = { "metastatic", "idiopathic" },
    when = [[(finding tumoral_calcinosis or finding hyperphosphatemia_familial) and p_high_known
             and not ca_high_known and not pth_high_known
             and not (finding uremic_tumoral_calcinosis or any finding in {dialysis, esrd})]],
    reasons = {
      metastatic = "the pathway gives metastatic for an abnormal phosphate [S1]",
      idiopathic = "StatPearls lists tumoral calcinosis under idiopathic; an elevated phosphate is a flag, " ..
                   "not an exclusion, in TC-like presentations [S3][S7][S26]" },
    source = "S1 S2 S3 S7 S26" },
  alternative { id = "isolated_pth", labels = { "dystrophic", "metastatic" },
    when = "pth_high_known and ca_normal_known and p_normal_known and any finding in DYSTROPHIC_CAUSES",
    reasons = {
      dystrophic = "the pathway defines metastatic by abnormal serum Ca and/or P and only asks to " ..
                   "'consider' PTH [S1][S2]",
      metastatic = "hyperparathyroidism is a listed metastatic cause although Ca and P are normal [S4][S5]" },
    source = "S1 S2 S4 S5" },
  alternative { id = "isolated_pth_no_damage", conflict = "isolated_pth", labels = { "idiopathic", "metastatic" },
    when = "pth_high_known and ca_normal_known and p_normal_known and no finding in DYSTROPHIC_CAUSES",
    reasons = {
      idiopathic = "the pathway defines metastatic by abnormal serum Ca and/or P and only asks to " ..
                   "'consider' PTH [S1][S2]",
      metastatic = "hyperparathyroidism is a listed metastatic cause although Ca and P are normal [S4][S5]" },
    source = "S1 S2 S4 S5" },
  alternative { id = "four_vs_five_subtypes", labels = { "calciphylaxis", "metastatic" },
    when = "is_calciphylaxis",
    reasons = {
      calciphylaxis = "Reiter 2011, StatPearls and UpToDate list five subtypes including calciphylaxis " ..
                      "[S1][S3][S20]",
      metastatic = "four-subtype schemes (Medscape) have no calciphylaxis subtype; one lists it under " ..
                   "metastatic causes [S2][seed:003]" },
    source = "S1 S2 S3 S20 S24 seed:003" },
  alternative { id = "variably_classified", labels = { "idiopathic", "dystrophic" },
    when = [[any finding in {calcinosis_circumscripta, calcinosis_universalis, tumoral_calcinosis, liver_transplant}
             and not ca_high_known and not p_high_known]],
    reason = "Medscape: variably classified as dystrophic or idiopathic [S2]",
    source = "S2" },
  alternative { id = "idiopathic_phosphate", labels = { "metastatic", "idiopathic" },
    when = "is_metastatic and p_high_known and not ca_high_known and no finding in CAUSES",
    reasons = {
      metastatic = "Reiter: idiopathic means no metabolic abnormality [S1]",
      idiopathic = "Radiopaedia: phosphate usually elevated in idiopathic CC [S7]" },
    source = "S1 S7" },
  alternative { id = "mixed", labels = { "metastatic", "dystrophic" },
    when = [[(any finding in DYSTROPHIC_CAUSES or (dog and any finding in CANINE_ADRENAL))
             and (ca_high_known or p_high_known)]],
    reasons = {
      metastatic = "calcium or phosphate is high (the pathway's step 3) [S1]",
      dystrophic = "local tissue damage is present too (\"mixed\" category) [S45][S24]" },
    source = "S45 S24" },
  alternative { id = "canine_adrenal", labels = { "dystrophic", "metastatic" },
    when = "dog and any finding in CANINE_ADRENAL and not ca_high_known and not p_high_known",
    reasons = {
      dystrophic = "veterinary dermatology: dystrophic deposition, virtually pathognomonic for " ..
                   "hyperadrenocorticism; most of 46 dogs had an exogenous or endogenous corticosteroid source; " ..
                   "dystrophic the most common subtype [S89][S90][S91]",
      metastatic = "a veterinary hospital page and a seed document call corticosteroid overproduction the most common " ..
                   "cause of metastatic calcinosis cutis in dogs [S92][seed:002]" },
    source = "S89 S90 S91 S92 seed:002" },
  alternative { id = "canine_glucocorticoid_therapy", conflict = "canine_adrenal", labels = { "iatrogenic" },
    when = "dog and finding glucocorticoid_therapy",
    reason = "the glucocorticoids were given: with exogenous steroids the label iatrogenic is also in use " ..
             "(clinical reference §8); the histology does not differ between endogenous and iatrogenic " ..
             "hyperglucocorticism [S90]",
    source = "S89 S90" },
  alternative { id = "drug_extravasation", labels = { "dystrophic", "iatrogenic" },
    when = "finding extravasation and no finding in IATROGENIC_EXPOSURES",
    reasons = {
      dystrophic = "the extravasated drug holds no calcium or phosphate: local tissue injury, the pathway's " ..
                   "step 4 (step 2 asks for a calcium/phosphate-containing therapy) [S1][S48]",
      iatrogenic = "a side effect of therapy or a medical intervention, the subtype's definition [S1][S2]; " ..
                   "case authors call it iatrogenic [X114]" },
    source = "S1 S2 S48 X114" },
  alternative { id = "idiopathic_unmeasured", labels = { "idiopathic", "metastatic" },
    when = "is_idiopathic and (not present(ca_high) or not present(high(phosphate)))",
    reasons = {
      idiopathic = "no cause was found (the pathway's step 5) [S1][S3]",
      metastatic = "calcium and/or phosphate not given: an abnormal value would make it metastatic (the " ..
                   "pathway's step 3) [S1][S2]" },
    source = "S1 S2 S3" },
  alternative { id = "low_ca_p_only", labels = { "metastatic" },
    when = [[(ca_low_known or p_low_known) and not ca_high_known and not p_high_known
             and (is_dystrophic or is_idiopathic or is_indeterminate)]],
    reason = "the pathway's criterion is an abnormal (not only a high) serum Ca and/or P [S1]",
    source = "S1 S2 seed:003 seed:004" },
  alternative { id = "metastatic_cause_normal_labs", labels = { "metastatic", "dystrophic" },
    when = [[is_metastatic and ca_normal_known and p_normal_known and any finding in METASTATIC_CAUSES
             and not (dog and any finding in CANINE_ADRENAL) and any finding in DYSTROPHIC_CAUSES]],
    reasons = {
      metastatic = "a listed cause of abnormal calcium/phosphate metabolism is present [S2][S4][S5]",
      dystrophic = "calcium and phosphate are normal and local tissue damage or disease is present: the " ..
                   "pathway gives dystrophic [S1]" },
    source = "S1 S2 S4 S5" },
  alternative { id = "metastatic_cause_normal_labs_no_damage", conflict = "metastatic_cause_normal_labs", labels = { "metastatic", "idiopathic" },
    when = [[is_metastatic and ca_normal_known and p_normal_known and any finding in METASTATIC_CAUSES
             and not (dog and any finding in CANINE_ADRENAL) and no finding in DYSTROPHIC_CAUSES]],
    reasons = {
      metastatic = "a listed cause of abnormal calcium/phosphate metabolism is present [S2][S4][S5]",
      idiopathic = "calcium and phosphate are normal: the pathway (no tissue damage) gives idiopathic [S1]" },
    source = "S1 S2 S4 S5" },

  ---------------------------------------------------------------------------
  -- Alerts, most severe first (urgent, critical, warning)

  alert { id = "calciphylaxis_suspected", severity = "urgent", when = "is_calciphylaxis",
    text = "Suspected calciphylaxis: reported 1-year mortality > 50% (sepsis the leading cause); biopsy is " ..
           "the definitive diagnosis",
    source = "S17 S19 S59" },
  alert { id = "calciphylaxis_not_excluded", severity = "warning",
    when = [[not is_calciphylaxis and (any finding in CUA_CONFIRMED
             or (any finding in CUA_ISCHAEMIC and (any finding in RENAL or ckd_stage >= 3))
             or score_calciphylaxis > 1)]],
    text = "Features associated with calciphylaxis are present although the result is {type}; reported " ..
           "1-year mortality > 50% (sepsis the leading cause); biopsy is the definitive diagnosis",
    source = "S17 S19 S59" },
  -- laboratory critical values (calcinosis.ranges.critical; none is known for
  -- phosphate, ionized calcium, PTH or vitamin D) [S34][S35]
  alert { id = "critical_calcium", severity = "critical", analytes = { "calcium", "corrected_calcium" },
    when = "critical(calcium) or critical(corrected_calcium)",
    text = "Calcium beyond a laboratory critical value", source = "S34 S35" },
  alert { id = "critical_magnesium", severity = "critical", analytes = { "magnesium" }, when = "critical(magnesium)",
    text = "Magnesium at or beyond a laboratory critical value", source = "S35" },
  alert { id = "critical_creatinine", severity = "critical", analytes = { "creatinine" },
    when = "critical(creatinine)",
    text = "Creatinine at or beyond a laboratory critical value", source = "S35" },

  ---------------------------------------------------------------------------
  -- Missing inputs worth asking for. Priority 2: the pathway's deciding
  -- inputs (step 3 cannot be answered without calcium and phosphate); the
  -- others rank by the weight of the rules they leave not evaluable.

  ask { id = "calcium", priority = 2, when = "not present(ca_high)",
    inputs = { "calcium", "corrected_calcium", "ionized_calcium" },
    text = "calcium not given: metastatic cannot be ruled out", changes = "the pathway's step 3 (metastatic)",
    source = "S1 S2" },
  ask { id = "phosphate", priority = 2, when = "not present(high(phosphate))", inputs = { "phosphate", "ca_x_p" },
    text = "phosphate not given: metastatic cannot be ruled out", changes = "the pathway's step 3 (metastatic)",
    source = "S1 S2" },
  ask { id = "biopsy", weight = 1,
    when = "(is_calciphylaxis or score_calciphylaxis > 0) and no finding in {small_vessel_calcification, calciphylaxis}",
    text = "no histology: small-vessel calcification (calciphylaxis) not confirmed; biopsy is the definitive " ..
           "diagnosis", source = "S59 S20" },
  ask { id = "pth", when = "not present(high(pth))", inputs = { "pth" },
    text = "PTH not given: hyperparathyroidism (primary/secondary/tertiary) not assessed", source = "S2 S4 S5" },
  ask { id = "creatinine", when = "missing(ckd_stage) and not present(high(creatinine))",
    inputs = { "creatinine", "egfr", "ckd_stage" },
    text = "creatinine/eGFR not given: chronic renal failure (most common metastatic cause) not assessed",
    source = "S2" },
  ask { id = "vitd25", when = "missing(vitd25)", inputs = { "vitd25" },
    text = "25-OH vitamin D not given: vitamin D excess not assessed", source = "S5 S34" },
  ask { id = "vitd125", when = "not present(high(vitd125))", inputs = { "vitd125" },
    text = "1,25-(OH)2 vitamin D not given: granulomatous disease (sarcoidosis) not assessed",
    source = "S34-DHVD S5" },
  ask { id = "age", when = "missing(age)", inputs = { "age" },
    text = "age not given: age-specific (paediatric, neonatal) reference ranges and age patterns not applied",
    source = "S34 S35" },
  ask { id = "sex", when = "missing(female)", inputs = { "female", "male" },
    text = "sex not given: sex-specific reference ranges and the sex risk factor of calciphylaxis not applied",
    source = "S34 S18" },
  ask { id = "albumin", weight = 0.5,
    when = "present(calcium) and missing(albumin) and missing(corrected_calcium) and human",
    inputs = { "albumin" },
    text = "albumin not given: total calcium cannot be albumin-corrected", source = "S40" },
  ask { id = "exposure_history", weight = 0.5, when = "no finding in CAUSES",
    text = "no therapy/procedure history at the lesion site: iatrogenic not assessed", source = "S1 S48" },
  ---------------------------------------------------------------------------
  -- Confidence: the margin of the winning score, sqrt((best - second) /
  -- best), times these factors. A research tool's rule of thumb, not a
  -- validated score.

  confidence { id = "calcium_unknown", factor = 0.6, when = "not present(ca_high)",
    because = "calcium status unknown" },
  confidence { id = "phosphate_unknown", factor = 0.6, when = "not present(high(phosphate))",
    because = "phosphate unknown" },
  confidence { id = "rules_not_evaluable", factor = 0.9, when = "unevaluable_share > 0.5",
    because = "more than half of the winning subtype's rules were not evaluable" },
  confidence { id = "literature_disagrees", factor = 0.7, when = "alternative_count > 0 and not is_indeterminate",
    because = "the literature disagrees on the label (see alternatives)" },
  confidence { id = "clinical_calciphylaxis", factor = 0.8,
    when = "is_calciphylaxis and no finding in CUA_CONFIRMED",
    because = "calciphylaxis named from its presentation, without histology (biopsy is the definitive diagnosis)" },
  confidence { id = "unknown_terms", factor = 0.9, when = "unknown_terms > 0",
    because = "some findings or sites were not recognized" },
}
