-- The default clinical ruleset of calcinosis: what `calcinosis.classify(patient)`
-- answers when no ruleset is given, and the ruleset researchers copy and vary
-- (`calcinosis.rules.default():variant { params = { ca_x_p_limit = "55 mg2/dL2" } }`).
-- It is an ordinary ruleset file: it loads in the sandbox like any user file
-- (`calcinosis.rules.load(path)`), with no privileged path.
--
-- A research tool, not a diagnosis. Every rule names its source: the keys
-- ([S1], [C2], ...) are those of DOMAIN.md §8 (the clinical reference of this
-- project); `seed:002` is the seed document seeds/002_a7dbe297998eec20.txt.
--
-- THE PATHWAY (DOMAIN.md §1.5, reconstructed from Reiter et al. 2011 [S1];
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
-- Ties go to the first subtype in `subtypes`, which is the order of the
-- pathway's questions: calciphylaxis, iatrogenic, metastatic, dystrophic,
-- idiopathic. The result is `indeterminate` when the best score is at most 1:
-- a single supporting finding (a high PTH alone, a typical site alone) is not
-- enough to name a subtype.
--
-- LABS. Calcium and phosphate are judged by their flags (`high(x)`, `low(x)`,
-- `normal(x)`), i.e. against the reference ranges of calcinosis.ranges for the
-- patient's age, sex and species: paediatric and neonatal ranges for children
-- (phosphate runs markedly higher in children, DOMAIN.md §2.3 [S34][S35]),
-- canine and feline ranges for dogs and cats (§2.5 [S38]). Calcium is the
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
-- isolated PTH elevation, four vs five subtypes, DOMAIN.md §7) are not hidden:
-- where a rule can carry the other view it does (dystrophic.heel_stick_injury),
-- and calcinosis.classify adds an `alternatives` list to every result.
--
-- Terms in the sets are canonical terms of calcinosis.vocab; specific terms
-- are listed next to the general ones they imply (esrd next to ckd), so the
-- sets also work where implications are not expanded (cohort runs in C).
-- luacheck: read globals ruleset rule set param let
return ruleset {
  name = "calcinosis-default",
  version = "1.0",
  subtypes = { "calciphylaxis", "iatrogenic", "metastatic", "dystrophic", "idiopathic" },
  decision = { tie = "order", indeterminate_at_most = 1, label = "indeterminate" },

  ---------------------------------------------------------------------------
  -- Sets of findings and sites

  -- Step 1. Calciphylaxis: the diagnosis or its histology [S1][S6][S20][S46]
  set("CUA_CONFIRMED", { "calciphylaxis", "small_vessel_calcification" }),
  -- livedo racemosa -> retiform purpura -> skin necrosis [S6][S17]
  set("CUA_SKIN", { "livedo", "retiform_purpura", "necrotic_ulcer" }),
  set("CUA_ISCHAEMIC", { "retiform_purpura", "necrotic_ulcer" }),
  -- renal failure / dialysis: the usual setting of calciphylaxis [S1][S17][S20]
  set("RENAL", { "ckd", "esrd", "dialysis" }),
  -- risk factors [S18][S17] and non-renal settings [S55][X1]
  set("CUA_RISK", { "diabetes", "warfarin", "obesity", "protein_c_s_deficiency", "hypercoagulable_state",
    "calcium_based_binders", "cirrhosis", "poems", "rheumatoid_arthritis", "myeloma",
    "primary_hyperparathyroidism", "secondary_hyperparathyroidism", "hyperphosphatemia",
    "hypoalbuminemia", "elevated_alp", "ckd", "esrd", "dialysis" }),

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
    "immobilization", "hyperphosphatemia_familial", "uremic_tumoral_calcinosis" }),
  -- hypercalcaemia / hyperphosphataemia reported without a value [S2][S5]; seed:002
  set("REPORTED_HIGH_CA_P", { "hypercalcemia", "hyperphosphatemia" }),
  -- dogs: adrenal-hormone (steroid) overproduction or administration (seed:002)
  set("CANINE_ADRENAL", { "cushing", "steroid_excess" }),

  -- Step 4. Local tissue damage and underlying diseases [S4][S5][S10][S20][S47][X10];
  -- seed:000, seed:001, seed:002, seed:003, seed:004
  set("CTD", { "systemic_sclerosis", "crest", "dermatomyositis", "juvenile_dermatomyositis", "polymyositis",
    "lupus", "cutaneous_lupus", "lupus_panniculitis", "mixed_connective_tissue_disease", "overlap_ctd",
    "sjogren", "rheumatoid_arthritis", "connective_tissue_disease" }),
  set("LOCAL_DAMAGE", { "trauma", "burn", "arthropod_bite", "acne", "varicose_veins", "infection", "tumor",
    "cyst", "panniculitis", "pancreatic_panniculitis", "porphyria_cutanea_tarda", "inherited_ct_disorder",
    "ehlers_danlos", "pseudoxanthoma_elasticum", "werner_syndrome", "rothmund_thomson" }),
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
  let("crest_pattern", [[at least 2 findings in CREST_FEATURES
      or (any finding in SSC_ANTIBODIES and any finding in CREST_FEATURES)]]),

  ---------------------------------------------------------------------------
  -- Step 1: calciphylaxis (tier 20). Small-vessel calcification of the dermis
  -- and subcutaneous fat with ischaemic skin; usually on dialysis, also
  -- non-uraemic [S1][S6][S17][S20][S55][X1]. Four-subtype schemes put it
  -- under metastatic (DOMAIN.md §7): the result lists that alternative.

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
    when = "at least 2 findings in CUA_SKIN and any finding in CUA_RISK and no finding in RENAL",
    because = "livedo, retiform purpura and/or necrosis with a calciphylaxis risk factor or non-renal " ..
              "setting (warfarin, primary hyperparathyroidism, myeloma, ...)",
    source = "S6 S17 S18 S55 X1" },
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
  rule { id = "metastatic.canine_adrenal", supports = "metastatic", weight = 2,
    when = "dog and any finding in CANINE_ADRENAL",
    because = "in dogs, overproduction of adrenal hormones (or steroid administration) is named the most " ..
              "common cause of metastatic calcinosis cutis (seed 002; dogs only)",
    source = "seed:002" },
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
  rule { id = "dystrophic.normal_ca_p", supports = "dystrophic", weight = 2,
    when = "(any finding in DYSTROPHIC_CAUSES or crest_pattern) and ca_p_normal",
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
              "penis is also described, seed 002)",
    source = "S61 S62" },
}
