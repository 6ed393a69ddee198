--- Knowledge tables the default ruleset uses to fill a result: work-up,
-- referrals, treatment options, prognosis notes, classification conflicts,
-- Ca x P thresholds, albumin-correction coefficients, critical values and
-- "missing input" hints.
--
-- Every clinical statement carries source keys (`S16`, `S2-tx`, `C2`, `X1`
-- ...) or names a seed document (`seed:002`); `calcinosis.sources` resolves
-- each to its full reference, and docs/clinical-reference.md (§9-§11) is the
-- clinical reference these tables follow. Wording is descriptive ("reported",
-- "listed"): this is a research tool, not advice to a patient. Doses appear only
-- where a source printed them (`regimen`, verbatim, each with its source); all
-- other doses are UNCONFIRMED and are deliberately absent.
--
-- Pure data plus small pure functions; no I/O, no C core.
-- @module calcinosis.knowledge

local M = {}

--- The labels a classification can carry.
M.subtypes = { "dystrophic", "metastatic", "idiopathic", "iatrogenic", "calciphylaxis", "indeterminate" }

--- Seed documents cited as `seed:NNN` (the project's seed documents; full
-- descriptions in `calcinosis.sources`).
M.seed_sources = {
  ["seed:000"] = "project seed document: Scleroderma News patient-information page on calcinosis",
  ["seed:001"] = "project seed document: Hidoc Dr. overview article on calcinosis",
  ["seed:002"] = "project seed document: calcinosis Q&A compilation (incl. dogs, Cushing's, specialists)",
  ["seed:003"] = "project seed document: blog post 'How do you get calcinosis cutis?' (four types, surgery indications)",
  ["seed:004"] = "project seed document: WikiMD page 'Calcinosis cutis'",
}

--- General statement shown with every treatment list.
M.treatment_preamble = {
  text = "Options reported in the literature; the evidence base is weak overall: no treatment is approved " ..
         "for calcinosis cutis or calciphylaxis, and a systematic review of 30 studies (288 patients with " ..
         "SSc or DM) found only level IB evidence (against low-dose warfarin) and level IV for everything else.",
  sources = { "S20", "S11" },
}

---------------------------------------------------------------------------
-- Work-up (docs/clinical-reference.md §9)
---------------------------------------------------------------------------

--- Work-up items. `general` applies to every result; `by_subtype[subtype]`
-- and `by_finding[term]` add to it. Each item `{ id, test, reason, sources }`.
M.workup = {
  general = {
    { id = "history", test = "History: connective-tissue disease symptoms, renal disease/dialysis, trauma, " ..
        "recent hospitalization/infusions, drugs (calcium, vitamin D, warfarin), family history",
      reason = "points to the subtype", sources = { "S2", "S65" } },
    { id = "examination", test = "Examination: firm white–yellow papules/plaques/nodules; chalky extrusion; " ..
        "ulceration; diminished pulses/gangrene in severe vascular calcification",
      reason = "extent and complications", sources = { "S2-clinical" } },
    { id = "serum_calcium", test = "Serum calcium (± albumin-corrected or ionized calcium)",
      reason = "metastatic vs other subtypes (serum Ca/P status)", sources = { "S1", "S2", "S34" } },
    { id = "phosphate", test = "Serum phosphate", reason = "metastatic vs other subtypes (serum Ca/P status)",
      sources = { "S1", "S2", "S34" } },
    { id = "renal_function", test = "Renal function (creatinine/eGFR)",
      reason = "chronic renal failure is the most common metastatic cause", sources = { "S2", "S34" } },
    { id = "pth", test = "Parathyroid hormone (intact PTH)", reason = "primary/secondary/tertiary hyperparathyroidism",
      sources = { "S2", "S34" } },
    { id = "vitamin_d", test = "25-OH vitamin D (± 1,25-(OH)2 vitamin D)",
      reason = "vitamin D excess; granulomatous disease", sources = { "S2", "S34" } },
    { id = "alp", test = "Alkaline phosphatase", reason = "bone disease; calciphylaxis risk factor",
      sources = { "S2", "S34", "S18" } },
    { id = "imaging", test = "Plain radiographs (soft-tissue opacity, extent); CT or MRI for extent",
      reason = "confirm and map deposits", sources = { "S23", "S61", "S66" } },
    { id = "biopsy", test = "Biopsy where the diagnosis is uncertain (basophilic calcium deposits; von Kossa " ..
        "stain positive)", reason = "histological confirmation", sources = { "S7" } },
  },
  by_subtype = {
    dystrophic = {
      { id = "ctd_serology", test = "Autoimmune serology when a connective-tissue disease is suspected",
        reason = "dystrophic CC most often accompanies CTD", sources = { "S2", "S34", "S66" } },
    },
    metastatic = {
      { id = "vitd125_granulomatous", test = "1,25-(OH)2 vitamin D",
        reason = "high in sarcoidosis/granulomatous disease, some malignancies and primary HPT; low in " ..
                 "chronic renal failure; not a reliable indicator of vitamin D toxicity (use 25-OH-D)",
        sources = { "S34-DHVD" } },
    },
    idiopathic = {
      { id = "exclude_metabolic", test = "Serum calcium, phosphate and PTH (normal by definition in idiopathic CC)",
        reason = "idiopathic CC requires no metabolic disorder", sources = { "S1", "S61" } },
    },
    iatrogenic = {
      { id = "exposure_history", test = "History of calcium- or phosphate-containing infusions, calcium " ..
          "alginate dressings, calcium chloride electrode paste, heel sticks or PAS at the lesion site",
        reason = "iatrogenic causes listed by sources", sources = { "S48", "S53", "S25" } },
    },
    calciphylaxis = {
      { id = "cua_chemistry", test = "BUN, creatinine; calcium, phosphate, ALP, albumin; PTH",
        reason = "calciphylaxis work-up (Medscape, Nunley 2018)", sources = { "S16" } },
      { id = "cua_coagulation", test = "Coagulation: PT, aPTT, antithrombin III, protein C, protein S, " ..
          "anticardiolipin, lupus anticoagulant, factor V Leiden, homocysteine",
        reason = "hypercoagulable states are calciphylaxis risk factors", sources = { "S16", "S17", "S18" } },
      { id = "cua_exclusion", test = "Cryoglobulins, rheumatoid factor, hepatitis C antibody, cryofibrinogen, " ..
          "amylase, lipase, aluminium, ESR, CRP, ANA, ANCA",
        reason = "exclude vasculitis and mimics", sources = { "S16" } },
      { id = "cua_radiography", test = "Plain radiography (arborizing vascular calcification; a net-like " ..
          "pattern was strongly associated with calciphylaxis); bone scintigraphy as a non-invasive aid",
        reason = "non-invasive support", sources = { "S16" } },
      { id = "cua_biopsy", test = "Punch biopsy from the lesion margin (definitive diagnosis)",
        reason = "caution in non-ulcerated lesions: the biopsy site may not heal; in a registry of 117 " ..
                 "dialysis cases only 32.5% were biopsied", sources = { "S59", "S22" } },
    },
  },
  by_finding = {
    systemic_sclerosis = {
      { id = "ssc_antibodies", test = "Anticentromere, anti-topoisomerase I (anti-Scl-70), anti-RNA polymerase III",
        reason = "SSc-related autoantibodies (2013 ACR/EULAR items)", sources = { "S39" } },
    },
    crest = {
      { id = "ssc_antibodies", test = "Anticentromere, anti-topoisomerase I (anti-Scl-70), anti-RNA polymerase III",
        reason = "SSc-related autoantibodies; anticentromere typical in CREST", sources = { "S39", "S15" } },
    },
    dermatomyositis = {
      { id = "dm_antibodies", test = "Anti-NXP-2, anti-MDA-5",
        reason = "associated with calcinosis in adult DM", sources = { "S12" } },
    },
    juvenile_dermatomyositis = {
      { id = "jdm_antibodies", test = "Anti-NXP-2, anti-MDA-5, anti-Mi-2",
        reason = "associated with calcinosis in JDM", sources = { "S67" } },
    },
    scrotal_calcinosis = {
      { id = "scrotal_ct", test = "CT (scrotal-wall calcification); diagnosis is clinical + histology",
        reason = "idiopathic scrotal calcinosis", sources = { "S61" } },
    },
    hyperphosphatemia_familial = {
      { id = "hftc_labs", test = "Tubular reabsorption of phosphate, 1,25-(OH)2 vitamin D, C-terminal FGF23",
        reason = "HFTC: inappropriately increased TRP, elevated or inappropriately normal 1,25-(OH)2D, " ..
                 "elevated C-terminal FGF23, normal Ca and PTH", sources = { "S26" } },
    },
    tumoral_calcinosis = {
      { id = "tc_phosphate", test = "Serum phosphate, calcium, PTH and renal function",
        reason = "hyperphosphatemic (HFTC) vs normophosphatemic familial TC vs uraemic TC",
        sources = { "S26", "S26c", "S52" } },
    },
  },
}

---------------------------------------------------------------------------
-- Referrals (the seed documents and the sources; docs/clinical-reference.md §9)
---------------------------------------------------------------------------

--- Specialties the literature names. A referral applies when the result's
-- subtype is in `for_subtypes` or any finding is in `for_findings`/
-- `for_groups` (vocabulary groups).
M.referrals = {
  { id = "nephrology", specialty = "Nephrology",
    for_subtypes = { "calciphylaxis" },
    for_findings = { "ckd", "esrd", "dialysis", "secondary_hyperparathyroidism", "tertiary_hyperparathyroidism",
                     "uremic_tumoral_calcinosis", "milk_alkali" },
    reason = "consulted as indicated by the underlying disease (renal disease, dialysis, CKD-MBD); " ..
             "calciphylaxis management includes dialysis intensification and mineral control",
    sources = { "seed:002", "S17", "S28", "S59" } },
  { id = "rheumatology", specialty = "Rheumatology",
    for_subtypes = {},
    for_groups = { "connective_tissue_disease", "crest_feature" },
    reason = "connective-tissue disease underlying dystrophic calcinosis",
    sources = { "seed:002", "seed:003", "S10" } },
  { id = "haematology", specialty = "Haematology",
    for_subtypes = {},
    for_findings = { "myeloma", "leukemia", "hypercoagulable_state", "protein_c_s_deficiency", "poems" },
    reason = "consulted as indicated by the underlying disease (haematological malignancy; " ..
             "hypercoagulable states in calciphylaxis)",
    sources = { "seed:002", "seed:003", "S17", "S18", "S55" } },
  { id = "dermatology", specialty = "Dermatology",
    for_subtypes = { "dystrophic", "metastatic", "idiopathic", "iatrogenic", "calciphylaxis", "indeterminate" },
    reason = "skin biopsy (histology; punch biopsy from the lesion margin in calciphylaxis) and " ..
             "lesion-directed therapies (intralesional/topical agents, laser, excision). The sources name the " ..
             "procedures, not the specialty",
    sources = { "S7", "S59", "S74" } },
  { id = "endocrinology", specialty = "Endocrinology / parathyroid surgery",
    for_subtypes = {},
    for_findings = { "primary_hyperparathyroidism", "tertiary_hyperparathyroidism", "hyperphosphatemia_familial" },
    reason = "hyperparathyroidism (parathyroidectomy reported in metastatic CC and calciphylaxis); HFTC " ..
             "(phosphate lowering). The sources name the treatments, not the specialty",
    sources = { "S17", "S26", "S28", "X8" } },
  { id = "wound_palliative", specialty = "Wound care / palliative care",
    for_subtypes = { "calciphylaxis" },
    reason = "wound care/debridement and analgesia/palliative care are listed for calciphylaxis",
    sources = { "S17", "S19", "S59" } },
  { id = "surgery", specialty = "Surgery",
    for_subtypes = {},
    for_findings = { "subepidermal_calcified_nodule", "scrotal_calcinosis" },
    for_features = { "painful", "ulcerated", "infected", "functional_impairment", "large_localized" },
    reason = "excision is reported for large, localized, symptomatic lesions, recurrent ulceration/infection, " ..
             "SCN and scrotal calcinosis",
    sources = { "S9", "S10", "S61", "S76", "seed:003" } },
}

---------------------------------------------------------------------------
-- Treatments (docs/clinical-reference.md §10)
---------------------------------------------------------------------------

--- Treatment options reported in the literature. Fields:
-- `id, name, status` ("option", "adjunct" or "not recommended (level IB)"),
-- `for_subtypes`, `for_findings` (vocabulary terms), `for_features` (lesion
-- features), `for_groups` (vocabulary groups), `unconditional_for` (subtypes
-- for which the findings/features are not required), `by_finding_alone`
-- (returned for its findings whatever the subtype), `indication`, `evidence`, `regimen` (list of `{ text, sources }`,
-- verbatim as a source printed it, only where printed), `dose_note`, `cautions` (list of
-- `{ text, sources }`), `sources`.
M.treatments = {
  {
    id = "diltiazem", name = "Diltiazem (calcium-channel blocker)", status = "option",
    for_subtypes = { "dystrophic" },
    for_findings = { "systemic_sclerosis", "crest", "dermatomyositis", "juvenile_dermatomyositis" },
    for_features = {},
    indication = "Dystrophic CC in connective-tissue disease (SSc, DM)",
    evidence = "Level IV [S11]; partial response 9/17 (Mayo series) [S10]; \"effective at high doses, but not " ..
               "low doses\" (EULAR 2012 talk) [S68]; 12 SSc patients, slight radiological improvement in 3 only " ..
               "[S69]; response over at least 5 years variable [S2-tx]",
    dose_note = "dose not given by the sources read (UNCONFIRMED)",
    cautions = {},
    sources = { "S10", "S68", "S69", "S11", "S2-tx" },
  },
  {
    id = "bisphosphonates", name = "Bisphosphonates (etidronate, alendronate, pamidronate)", status = "option",
    for_subtypes = { "dystrophic", "calciphylaxis" },
    unconditional_for = { "calciphylaxis" },
    for_findings = { "juvenile_dermatomyositis", "dermatomyositis", "systemic_sclerosis", "crest" },
    for_features = {},
    indication = "Dystrophic CC (JDM, SSc); listed as a calciphylaxis adjunct",
    evidence = "Level IV [S11]; alendronate response in JDM (case letters) [S70]; etidronate + cimetidine >5 y in " ..
               "a JDM case [S71]; \"benefits in some studies but not in others\" [S68]; listed for calciphylaxis " ..
               "[S17][S59]",
    dose_note = "dose not given by the sources read (UNCONFIRMED)",
    cautions = {
      { text = "Etidronate requires prolonged therapy and can cause paradoxical hyperphosphatemia",
        sources = { "S2-tx" } },
    },
    sources = { "S2-tx", "S11", "S17", "S68", "S70", "S71" },
  },
  {
    id = "sts_iv", name = "Sodium thiosulfate (STS), intravenous", status = "option",
    for_subtypes = { "calciphylaxis" },
    for_findings = {}, for_features = {},
    indication = "Calciphylaxis (off-label; \"first-line\" per Jiménez-Gallo)",
    evidence = "Registry: 54.7% received IV STS, 98.3% of them ≥12.5 g [S22]. PD review: 44% wound healing, " ..
               "50% died [S73]. Improvement usually within 2 weeks [S16]",
    regimen = {
      { text = "5–75 g IV after/during HD, most commonly 25 g after each dialysis; paediatric 12 g/1.7 m²; " ..
               "infuse over 30–60 min", sources = { "S16" } },
      { text = "UK renal handbook: first dose 12.5 g over last 30 min of HD, then 25 g over last 60 min of each " ..
               "dialysis; ondansetron 4 mg before", sources = { "S72" } },
    },
    cautions = {
      { text = "Nausea/vomiting; anion-gap metabolic acidosis (adjust dialysate bicarbonate)", sources = { "S16" } },
      { text = "Hypotension, sinus congestion; monitor U&E, Ca, P weekly and PTH monthly", sources = { "S72" } },
      { text = "Intraperitoneal route not recommended — chemical peritonitis", sources = { "S16", "S73" } },
      { text = "Chronic use → monitor bone mineral density", sources = { "S56" } },
    },
    sources = { "S6", "S16", "S22", "S72", "S73" },
  },
  {
    id = "sts_topical_il", name = "Sodium thiosulfate, topical or intralesional", status = "option",
    for_subtypes = { "dystrophic", "idiopathic" },
    unconditional_for = { "dystrophic" },
    for_findings = { "tumoral_calcinosis" },
    for_features = { "ulcerated" },
    indication = "Ulcerative CC, tumoral calcinosis, dystrophic CC",
    evidence = "Intralesional STS \"promising\", level IV [S11]; topical STS mean time to response 4.9 months " ..
               "(range 2–24) [S74]",
    regimen = {
      { text = "25% topical or intralesional STS (Medscape)", sources = { "S2-tx" } },
    },
    cautions = {
      { text = "Intralesional STS: transient pain in >11%", sources = { "S74" } },
    },
    sources = { "S2-tx", "S11", "S74" },
  },
  {
    id = "minocycline", name = "Minocycline", status = "option",
    for_subtypes = { "dystrophic" },
    for_findings = { "crest", "systemic_sclerosis", "dermatomyositis", "juvenile_dermatomyositis" },
    for_features = {},
    indication = "Limited cutaneous SSc calcinosis with pain/ulceration; inflamed DM lesions",
    evidence = "8/9 lcSSc patients improved; earliest after 1 month, mean 4.8 months [S75]; inflamed lesions " ..
               "in DM [S12]",
    regimen = {
      { text = "50 or 100 mg daily", sources = { "S75" } },
      { text = "\"50 or 100 mg/day in cyclic long-term use\"", sources = { "S76" } },
    },
    cautions = {
      { text = "Deposits darkened to blue/black (discoloration)", sources = { "S75" } },
    },
    sources = { "S12", "S68", "S75", "S76" },
  },
  {
    id = "colchicine", name = "Colchicine", status = "option",
    for_subtypes = { "dystrophic" },
    for_findings = {}, for_features = { "inflamed" },
    indication = "Inflammation around deposits",
    evidence = "\"Beneficial in some\" [S2-tx]",
    regimen = {
      { text = "1 mg/day orally (SSc review)", sources = { "S76" } },
    },
    cautions = {},
    sources = { "S2-tx", "S76" },
  },
  {
    id = "il_corticosteroids", name = "Intralesional corticosteroids", status = "option",
    for_subtypes = { "dystrophic" },
    for_findings = {}, for_features = { "inflamed" },
    indication = "Secondary inflammation",
    evidence = "Listed by Medscape [S2-tx]; no outcome data in the sources read",
    regimen = {
      { text = "Triamcinolone acetonide 20 mg/mL suspension", sources = { "S76" } },
    },
    cautions = {},
    sources = { "S2-tx", "S76" },
  },
  {
    id = "low_dose_warfarin", name = "Low-dose warfarin", status = "not recommended (level IB)",
    for_subtypes = { "dystrophic" },
    for_findings = {}, for_features = {},
    indication = "Historical use in dystrophic CC",
    evidence = "Level IB evidence that it should NOT be used (small RCT + 4 retrospective studies) [S11]; no " ..
               "benefit [S2-tx]",
    cautions = {
      { text = "Warfarin is a calciphylaxis risk factor; in a registry warfarin use was associated with " ..
               "mortality (HR 2.74)", sources = { "S18", "S22" } },
      { text = "Sources list stopping warfarin in calciphylaxis", sources = { "S17", "S19", "S59" } },
    },
    sources = { "S2-tx", "S11", "S18", "S22" },
  },
  {
    id = "probenecid", name = "Probenecid", status = "option",
    for_subtypes = { "dystrophic" },
    for_findings = {}, for_features = {},
    indication = "Dystrophic CC",
    evidence = "\"Beneficial in some\" [S2-tx]; no data read",
    dose_note = "dose not given by the sources read (UNCONFIRMED)",
    cautions = {},
    sources = { "S2-tx" },
  },
  {
    id = "antacid_binders", name = "Magnesium- or aluminium-containing antacids as phosphate binders",
    status = "option",
    for_subtypes = { "metastatic" },
    for_findings = { "hyperphosphatemia", "hyperphosphatemia_familial" }, for_features = {},
    indication = "CC with phosphate excess",
    evidence = "Listed by Medscape [S2-tx]; specific aluminium-hydroxide evidence in CTD calcinosis UNCONFIRMED",
    dose_note = "dose not given by the sources read (UNCONFIRMED)",
    cautions = {
      { text = "Risk of magnesium or aluminium toxicity in renal insufficiency", sources = { "S2-tx" } },
    },
    sources = { "S2-tx" },
  },
  {
    id = "biologics_ivig", name = "Rituximab, TNF inhibitors, IVIG", status = "option",
    for_subtypes = { "dystrophic" },
    for_findings = { "dermatomyositis", "juvenile_dermatomyositis", "systemic_sclerosis", "crest" },
    for_features = {},
    indication = "DM/JDM/SSc calcinosis",
    evidence = "Rituximab \"promising\" in DM and SSc; TNF inhibitors in JDM; level IV [S11]; a mechanism table " ..
               "lists IVIG [S77]",
    cautions = {},
    sources = { "S11", "S77" },
  },
  {
    id = "early_immunosuppression", name = "Early aggressive immunosuppression", status = "option",
    for_subtypes = { "dystrophic" },
    for_findings = { "juvenile_dermatomyositis" }, for_features = {},
    indication = "JDM (prevention of calcinosis)",
    evidence = "May prevent calcinosis — an association, not trial-proven [S12]",
    cautions = {},
    sources = { "S12" },
  },
  {
    id = "treat_underlying_ctd", name = "Treatment of the underlying connective-tissue disease", status = "option",
    for_subtypes = { "dystrophic" },
    for_findings = {}, for_groups = { "connective_tissue_disease" }, for_features = {},
    indication = "Dystrophic CC with an underlying disease",
    evidence = "Sources advise identifying and treating the underlying cause [seed:003][seed:002]; agents above; " ..
               "surgery for symptomatic localized deposits (docs/clinical-reference.md §10)",
    cautions = {},
    sources = { "seed:002", "seed:003", "S12" },
  },
  {
    id = "surgical_excision", name = "Surgical excision", status = "option",
    for_subtypes = { "dystrophic", "idiopathic", "metastatic" },
    for_findings = { "subepidermal_calcified_nodule", "scrotal_calcinosis" },
    for_features = { "painful", "ulcerated", "infected", "functional_impairment", "large_localized" },
    indication = "Large, localized, symptomatic lesions; recurrent ulceration/infection; SCN; scrotal calcinosis " ..
                 "[S9][S10][S12][S61][S76]; very painful lesions, recurrent infection or functional impairment " ..
                 "[seed:003]",
    evidence = "Mayo: 28 excised → 22 complete, 5 partial, 1 no response [S10]; \"treatment of choice\" in DM " ..
               "calcinosis [S12]; SCN: excision, excellent prognosis even after incomplete resection [S9]; " ..
               "scrotal calcinosis: surgery [S61]",
    cautions = {
      { text = "Recurrence after excision is reported", sources = { "S74", "S61", "seed:000", "seed:003" } },
      { text = "Fingertip surgery risks neurovascular-bundle damage; may need grafts", sources = { "S74" } },
      { text = "One SSc text calls surgery a \"last resort\"", sources = { "S56" } },
    },
    sources = { "S9", "S10", "S12", "S56", "S61", "S74", "S76" },
  },
  {
    id = "eswl", name = "Extracorporeal shock-wave lithotripsy (ESWL)", status = "option",
    for_subtypes = { "dystrophic" },
    for_findings = {}, for_features = { "painful" },
    indication = "Painful dystrophic deposits",
    evidence = "Median pain (VAS) reduction 3 (range 0–9) [S74]; local/minimally invasive therapies overall: " ..
               "40 studies/136 patients, partial or complete remission 64–81% with monotherapy, recurrence 2% " ..
               "(3/136) [S74]",
    cautions = {},
    sources = { "S74" },
  },
  {
    id = "laser", name = "Laser (incl. CO2)", status = "option",
    for_subtypes = { "dystrophic", "idiopathic" },
    for_findings = {}, for_features = { "superficial" },
    indication = "Superficial deposits / microcalcifications",
    evidence = "Complete remission of microcalcifications 57% (12/21) after a single laser procedure [S74]",
    cautions = {
      { text = "CO2 laser: scarring/hyperkeratosis 56% (10/18)", sources = { "S74" } },
    },
    sources = { "S74" },
  },
  -- subtype-specific management -------------------------------------------------
  {
    id = "metastatic_correct_ca_p", name = "Correction of the calcium/phosphate disorder", status = "option",
    for_subtypes = { "metastatic" },
    for_findings = {}, for_features = {},
    indication = "Metastatic CC",
    evidence = "CKD: phosphate control (non-calcium binders e.g. sevelamer), low-Ca dialysate, stop/adjust " ..
               "vitamin D and calcium-based binders, intensified (daily) dialysis, treat HPT (calcimimetics / " ..
               "parathyroidectomy) [S28][S52][C2][S59]. PHPT case: lesions disappeared after normalization of " ..
               "Ca/P [X8]",
    regimen = {
      { text = "KDOQI: if corrected Ca > 10.2 mg/dL (2.54 mmol/L) stop Ca-based binders/vitamin D sterols; " ..
               "total elemental Ca intake ≤ 2000 mg/day (adults)", sources = { "S28" } },
    },
    cautions = {
      { text = "Resorption of large deposits can cause transient PTH-independent hypercalcaemia",
        sources = { "C2" } },
    },
    sources = { "S28", "S52", "C2", "S59", "X8" },
  },
  {
    id = "sarcoidosis_treatment", name = "Treatment of sarcoidosis", by_finding_alone = true, status = "option",
    for_subtypes = { "metastatic" },
    for_findings = { "sarcoidosis" }, for_features = {},
    indication = "Metastatic CC from sarcoidosis",
    evidence = "Sarcoidosis + cola case: prednisone + stopping cola → clinical resolution in 4 months, " ..
               "radiographic in 2 years [C13]",
    cautions = {},
    sources = { "C13" },
  },
  {
    id = "hftc_lower_phosphate", name = "Phosphate lowering in HFTC", by_finding_alone = true, status = "option",
    for_subtypes = { "metastatic", "idiopathic" },
    for_findings = { "hyperphosphatemia_familial" }, for_features = {},
    indication = "Hyperphosphatemic familial tumoral calcinosis",
    evidence = "No clearly effective therapy; treatment aims to lower phosphate [S26]; daily haemodialysis " ..
               "despite normal kidney function controlled hyperphosphatemia in one case [C1]",
    cautions = {},
    sources = { "S26", "C1" },
  },
  {
    id = "calciphylaxis_mineral_control", name = "Mineral and medication control in calciphylaxis",
    status = "option",
    for_subtypes = { "calciphylaxis" },
    for_findings = {}, for_features = {},
    indication = "Calciphylaxis",
    evidence = "Control Ca, P, PTH; stop calcium, vitamin D, warfarin; calcimimetics; increase dialysis " ..
               "[S17][S19][S59]. Successful treatment → pain improvement and healing within 2–4 weeks, but " ..
               "complete resolution takes many months [S17]",
    cautions = {},
    sources = { "S17", "S19", "S59" },
  },
  {
    id = "parathyroidectomy", name = "(Sub)total parathyroidectomy", status = "option",
    for_subtypes = { "calciphylaxis", "metastatic" },
    unconditional_for = { "calciphylaxis" },
    for_findings = { "secondary_hyperparathyroidism", "tertiary_hyperparathyroidism" },
    for_features = {},
    indication = "Calciphylaxis; hyperparathyroidism in metastatic CC",
    evidence = "Listed for calciphylaxis [S17][S19][S59] and for treating HPT in CKD-related metastatic CC " ..
               "[S28][S52][C2][S59]",
    cautions = {},
    sources = { "S17", "S19", "S59", "S28" },
  },
  {
    id = "wound_care", name = "Wound care / debridement", status = "option",
    for_subtypes = { "calciphylaxis" },
    for_findings = {}, for_features = {},
    indication = "Calciphylaxis ulcers",
    evidence = "Listed by sources [S17][S19][S59]",
    cautions = {},
    sources = { "S17", "S19", "S59" },
  },
  {
    id = "hyperbaric_oxygen", name = "Hyperbaric oxygen", status = "adjunct",
    for_subtypes = { "calciphylaxis" },
    for_findings = {}, for_features = {},
    indication = "Calciphylaxis",
    evidence = "Listed by sources [S17][S19][S59]",
    cautions = {},
    sources = { "S17", "S19", "S59" },
  },
  {
    id = "analgesia_palliative", name = "Analgesia / palliative care", status = "option",
    for_subtypes = { "calciphylaxis" },
    for_findings = {}, for_features = {},
    indication = "Calciphylaxis (very painful lesions; high mortality)",
    evidence = "Listed by sources [S17][S19][S59]",
    cautions = {},
    sources = { "S17", "S19", "S59" },
  },
  {
    id = "observation", name = "Observation (spontaneous resolution reported)", by_finding_alone = true, status = "option",
    for_subtypes = { "iatrogenic", "idiopathic" },
    for_findings = { "heel_stick", "calcium_extravasation", "iv_calcium", "micc" }, for_features = {},
    indication = "Heel-stick nodules; calcium-gluconate extravasation lesions; MICC",
    evidence = "Iatrogenic CC usually self-limiting; heel-stick nodules resolve by 18–30 months [S23]; " ..
               "Ca-gluconate extravasation lesions resolved in weeks–months [C14][C15][X5][X9]; MICC may regress " ..
               "spontaneously [X11]",
    cautions = {
      { text = "Heel-stick nodules: recurrence reported after curettage", sources = { "S23" } },
    },
    sources = { "S23", "C14", "C15", "X5", "X9", "X11" },
  },
}

---------------------------------------------------------------------------
-- Prognosis (docs/clinical-reference.md §11)
---------------------------------------------------------------------------

--- Prognosis notes. A note applies when the subtype is in `for_subtypes`, or
-- any finding is in `for_findings`, or any site is in `for_sites`.
M.prognosis = {
  { id = "general", for_subtypes = { "dystrophic", "metastatic", "idiopathic", "iatrogenic", "indeterminate" },
    text = "CC itself is usually benign; prognosis is determined by the underlying disease. Lesions may become " ..
           "painful, limit joint mobility, compress nerves, ulcerate and become infected",
    sources = { "S2" } },
  { id = "calciphylaxis_mortality", for_subtypes = { "calciphylaxis" },
    text = "Reported mortality varies by source: 1-year mortality > 50% [S17]; > 50% die within 1 year, usually " ..
           "from sepsis [S19]; 6-month survival ~50% [S20]; \"as high as 60–80%\" [S59]; 1-year mortality " ..
           "45–80%, sepsis leading cause, worse with ulceration [S78]; registry of 117 dialysis patients: 21.6% " ..
           "died, median survival 2.9 months [S22]",
    sources = { "S17", "S19", "S20", "S59", "S78", "S22" } },
  { id = "calciphylaxis_site", for_subtypes = {}, requires_subtype = "calciphylaxis",
    for_sites = { "trunk", "abdomen", "genitals", "penis", "scrotum", "vulva" },
    text = "Truncal and genital involvement adversely affect outcome in calciphylaxis",
    sources = { "S55" } },
  { id = "calciphylaxis_penile", for_subtypes = {}, requires_subtype = "calciphylaxis",
    for_sites = { "penis" },
    text = "Penile calciphylaxis: mortality up to 69% at 6 months",
    sources = { "S79" } },
  { id = "calciphylaxis_healing", for_subtypes = { "calciphylaxis" },
    text = "With successful treatment, pain improvement and healing within 2–4 weeks, but complete resolution " ..
           "takes many months",
    sources = { "S17" } },
  { id = "heel_stick", for_findings = { "heel_stick" },
    text = "Heel-stick calcinosis: spontaneous resolution expected (appear at 4–12 months of age, resolve by " ..
           "18–30 months; cases persisting to 4, 5, 7 years reported)",
    sources = { "S23", "S24", "S25" } },
  { id = "neonatal_extravasation", for_findings = { "calcium_extravasation" },
    text = "Calcium-gluconate extravasation calcinosis in neonates/infants: spontaneous resolution within " ..
           "weeks–months (3 weeks–6 months reported)",
    sources = { "C15", "X5", "X9", "S63b" } },
  { id = "scn", for_findings = { "subepidermal_calcified_nodule" },
    text = "Subepidermal calcified nodule: excellent prognosis, even after incomplete resection",
    sources = { "S9" } },
  { id = "scrotal", for_findings = { "scrotal_calcinosis" },
    text = "Idiopathic scrotal calcinosis: recurrence possible after excision; in a 7-patient series no " ..
           "recurrence at 12 months",
    sources = { "S61", "S62" } },
  { id = "micc", for_findings = { "micc" },
    text = "MICC can disappear spontaneously by adulthood",
    sources = { "X11" } },
  { id = "jdm_onset", for_findings = { "juvenile_dermatomyositis" },
    text = "JDM calcinosis: onset usually 1–3 years after illness onset, reported from onset up to 20 years later",
    sources = { "S13" } },
  { id = "metastatic_reversal", for_subtypes = { "metastatic" },
    text = "Lesions disappeared after normalization of Ca/P in a primary-HPT case [X8]; sarcoidosis case: " ..
           "clinical resolution in 4 months, radiographic in 2 years [C13]",
    sources = { "X8", "C13" } },
}

---------------------------------------------------------------------------
-- Classification conflicts (docs/clinical-reference.md §6)
---------------------------------------------------------------------------

--- Known classification conflicts. `labels` are the defensible labels, the
-- first being what the §1.5 pathway gives; `alternative_reason[label]`
-- explains each alternative.
M.conflicts = {
  {
    id = "heel_stick",
    when = "Calcinosis at heel-stick sites in a newborn/infant",
    labels = { "iatrogenic", "dystrophic" },
    reason = "Listed as iatrogenic by several sources [S25-full case][S48]; pathogenesis described as " ..
             "dystrophic (local injury) by JAMA Pediatrics, VisualDx and case authors [S23][S24][C7]",
    alternative_reason = {
      dystrophic = "pathogenesis is local injury (JAMA Pediatrics, VisualDx, case authors) [S23][S24][C7]",
    },
    sources = { "S25", "S48", "S23", "S24", "C7" },
  },
  {
    id = "tumoral_calcinosis_hftc",
    when = "Tumoral calcinosis with high phosphate and normal calcium and PTH (HFTC-like)",
    labels = { "metastatic", "idiopathic" },
    reason = "The pathway gives metastatic for an abnormal phosphate [S1]; StatPearls lists tumoral calcinosis " ..
             "under idiopathic [S3]; Medscape calls it variably classified [S2]; Radiopaedia notes phosphate is " ..
             "usually elevated in idiopathic CC [S7]; HFTC has high P with normal Ca and PTH [S26]",
    alternative_reason = {
      idiopathic = "StatPearls lists tumoral calcinosis under idiopathic; an elevated phosphate is a flag, not an " ..
                   "exclusion, in TC-like presentations [S3][S7][S26]",
    },
    sources = { "S1", "S2", "S3", "S7", "S26" },
  },
  {
    id = "uremic_tumoral_calcinosis",
    when = "Tumoral calcinosis in a dialysis/uraemic patient",
    labels = { "metastatic", "idiopathic" },
    reason = "Uraemic TC is driven by elevated Ca×P and hyperparathyroidism and behaves as metastatic [S52][C2]; " ..
             "StatPearls lists TC under idiopathic [S3]",
    alternative_reason = {
      idiopathic = "StatPearls lists tumoral calcinosis under idiopathic [S3]",
    },
    sources = { "S3", "S52", "C2" },
  },
  {
    id = "isolated_pth",
    when = "PTH elevated with normal calcium and phosphate",
    labels = { "dystrophic", "idiopathic", "metastatic" },
    reason = "The pathway defines metastatic by abnormal serum Ca and/or P and only asks to 'consider' PTH " ..
             "[S1][S2]; hyperparathyroidism (primary or secondary) is a listed metastatic cause [S4][S5]. The " ..
             "pathway label (dystrophic with local tissue damage, else idiopathic) and metastatic are both " ..
             "defensible",
    alternative_reason = {
      metastatic = "hyperparathyroidism is a listed metastatic cause although Ca and P are normal [S4][S5]",
    },
    sources = { "S1", "S2", "S4", "S5" },
  },
  {
    id = "four_vs_five_subtypes",
    when = "Calciphylaxis",
    labels = { "calciphylaxis", "metastatic" },
    reason = "Reiter 2011, StatPearls and UpToDate list five subtypes including calciphylaxis [S1][S3][S20]; " ..
             "Medscape lists four (no calciphylaxis) [S2]; a four-type scheme lists calciphylaxis under " ..
             "metastatic causes [seed:003]; VisualDx uses \"mixed\" as the fifth type [S24]",
    alternative_reason = {
      metastatic = "four-subtype schemes (Medscape) have no calciphylaxis subtype; one lists it under metastatic " ..
                   "causes [S2][seed:003]",
    },
    sources = { "S1", "S2", "S3", "S20", "S24", "seed:003" },
  },
  {
    id = "variably_classified",
    when = "Calcinosis cutis circumscripta or universalis, tumoral calcinosis, transplant-associated CC " ..
           "(no metabolic abnormality)",
    labels = { "idiopathic", "dystrophic" },
    reason = "\"Variably classified as either dystrophic or idiopathic\" (Medscape) [S2]",
    alternative_reason = {
      dystrophic = "Medscape: variably classified as dystrophic or idiopathic [S2]",
      idiopathic = "Medscape: variably classified as dystrophic or idiopathic [S2]",
    },
    sources = { "S2" },
  },
  {
    id = "idiopathic_phosphate",
    when = "Idiopathic presentation with an elevated phosphate",
    labels = { "metastatic", "idiopathic" },
    reason = "Radiopaedia: in idiopathic CC \"serum calcium will be normal, although phosphate is usually " ..
             "elevated\" [S7]; Reiter: idiopathic = no metabolic abnormality [S1]",
    alternative_reason = {
      idiopathic = "Radiopaedia: phosphate usually elevated in idiopathic CC [S7]",
    },
    sources = { "S1", "S7" },
  },
  {
    id = "mixed",
    when = "Both local tissue damage and abnormal Ca/P",
    labels = { "metastatic", "dystrophic" },
    reason = "One review uses a \"mixed\" category (dystrophic + metastatic factors) [S45]; VisualDx lists " ..
             "\"mixed\" as a type [S24]",
    alternative_reason = {
      dystrophic = "local tissue damage is present too (\"mixed\" category) [S45][S24]",
    },
    sources = { "S45", "S24" },
  },
  -- The three below were added with the default ruleset (lua/calcinosis/rules/default.lua).
  {
    id = "canine_adrenal",
    when = "Dog with hyperadrenocorticism (Cushing's) or steroid excess and calcium and phosphate normal " ..
           "for a dog",
    labels = { "metastatic", "idiopathic", "dystrophic" },
    reason = "A seed document names overproduction of adrenal hormones (or steroid administration) the most " ..
             "common cause of metastatic calcinosis cutis in dogs [seed:002], as does a veterinary hospital " ..
             "page [S92]; the pathway defines metastatic by abnormal serum Ca and/or P [S1], and most veterinary " ..
             "dermatology sources call it dystrophic [S89][S90][S91] (docs/clinical-reference.md §8)",
    alternative_reason = {
      metastatic = "seed 002: adrenal-hormone overproduction is the most common cause of metastatic " ..
                   "calcinosis cutis in dogs [seed:002]",
      idiopathic = "the pathway on serum values (normal for a dog) and no tissue damage gives idiopathic [S1][S38]",
      dystrophic = "the pathway on serum values (normal for a dog) with tissue damage gives dystrophic [S1][S38]",
    },
    sources = { "seed:002", "S1", "S38" },
  },
  {
    id = "low_ca_p_only",
    when = "Calcium or phosphate below the reference range, none above",
    labels = { "metastatic" },
    reason = "The pathway's criterion for metastatic is an abnormal serum Ca and/or P [S1]; the sources " ..
             "describe metastatic calcinosis with elevated calcium and/or phosphate [S2][seed:003][seed:004]",
    alternative_reason = {
      metastatic = "the pathway's criterion is an abnormal (not only a high) serum Ca and/or P [S1]",
    },
    sources = { "S1", "S2", "seed:003", "seed:004" },
  },
  {
    id = "metastatic_cause_normal_labs",
    when = "A listed metastatic cause with calcium and phosphate normal",
    labels = { "metastatic", "dystrophic", "idiopathic" },
    reason = "The pathway defines metastatic by abnormal serum Ca and/or P [S1][S2]; with both normal the " ..
             "label rests on a listed cause of abnormal Ca/P metabolism [S2][S4][S5]",
    alternative_reason = {
      dystrophic = "calcium and phosphate are normal and local tissue damage or disease is present: the " ..
                   "pathway gives dystrophic [S1]",
      idiopathic = "calcium and phosphate are normal: the pathway (no tissue damage) gives idiopathic [S1]",
      metastatic = "a listed cause of abnormal calcium/phosphate metabolism is present [S2][S4][S5]",
    },
    sources = { "S1", "S2", "S4", "S5" },
  },
}

---------------------------------------------------------------------------
-- Ca x P thresholds, correction coefficients, critical values
---------------------------------------------------------------------------

--- Ca x P thresholds quoted for metastatic calcification (docs/clinical-reference.md §5.2).
-- `default` is the key used when the caller does not choose: 70 mg²/dL², the
-- value two sources (Medscape, StatPearls) give for ectopic calcification
-- "without preceding tissue damage"; 60 and 55 are selectable.
M.ca_x_p_thresholds = {
  default = 70,
  { value = 70, unit = "mg2/dL2", si = 5.639, si_unit = "mmol2/L2", -- SI computed (clinical reference §5.2)
    meaning = "ectopic (metastatic) calcification possible without tissue damage", sources = { "S2", "S3" } },
  { value = 60, unit = "mg2/dL2", si = 4.833, si_unit = "mmol2/L2",
    meaning = "metastatic calcification \"usually\" occurs above this", sources = { "S48" } },
  { value = 55, unit = "mg2/dL2", si = 4.431, si_unit = "mmol2/L2",
    meaning = "\"solubility product\" exceeded → calcification in renal failure", sources = { "S50" } },
}

--- Ca x P targets (not diagnostic thresholds), for report context only.
M.ca_x_p_targets = {
  { value = 55, unit = "mg2/dL2", population = "adults CKD 3–5", meaning = "KDOQI 2003 target (EVIDENCE)",
    sources = { "S28" } },
  { value = 55, unit = "mg2/dL2", population = "adolescents > 12 y", meaning = "KDOQI paediatric target (OPINION)",
    sources = { "S28" } },
  { value = 65, unit = "mg2/dL2", population = "younger children (≤ 12 y)",
    meaning = "KDOQI paediatric target (OPINION)", sources = { "S28" } },
  { value = 4.8, unit = "mmol2/L2", population = "CKD (albumin-corrected Ca)",
    meaning = "UK Renal Association 2007 (ideally < 4.2)", sources = { "S29" } },
  { value = 4.0, unit = "mmol2/L2", population = "CKD", meaning = "CARI 2006 (printed unit \"mmol/L\")",
    sources = { "S29" } },
}

--- Albumin-correction variants (docs/clinical-reference.md §5.1). `default` names the variant used
-- when the caller does not choose (matches the C core's "common"). Not applied
-- to dogs or cats [S38].
M.ca_coefficients = {
  default = "common",
  common = { coefficient = 0.8, reference_albumin = 4.0, unit = "mg/dL per g/dL",
             formula = "corrCa [mg/dL] = Ca [mg/dL] + 0.8 × (4.0 − albumin [g/dL])",
             status = "secondary sources attributing it to Payne", sources = { "S40" } },
  payne = { coefficient = 1.0, reference_albumin = 4.0, unit = "mg/dL per g/dL",
            formula = "adjCa [mg/dL] = Ca [mg/dL] − albumin [g/dL] + 4.0",
            status = "printed in the Payne 1973 abstract", sources = { "S40" } },
  si = { coefficient = 0.02, reference_albumin = 40, unit = "mmol/L per g/L",
         formula = "corrCa [mmol/L] = Ca [mmol/L] + 0.02 × (40 − albumin [g/L])",
         status = "secondary sources (\"Payne's formula\")", sources = { "S40" } },
  payne_si = { coefficient = 0.02495, reference_albumin = 40, unit = "mmol/L per g/L",
               formula = "Ca + 0.02495 × (40 − albumin [g/L])",
               status = "computed unit conversion of the Payne original only", sources = { "S40", "S37" } },
  caveats = {
    { text = "In patients with eGFR < 60, unadjusted total Ca had better diagnostic accuracy against ionized Ca " ..
             "than adjusted formulas", sources = { "S82" } },
    { text = "Albumin-corrected total-Ca formulas perform poorly in dogs — not applied to canine data",
      sources = { "S38" } },
  },
  not_for_species = { "dog", "cat" },
}

--- Critical (panic) values reported by laboratories (docs/clinical-reference.md §4.5), mg/dL.
-- `default` is the laboratory used for alerts unless the caller chooses one.
M.critical_values = {
  default = "mayo",
  calcium = {
    mayo = { high = 12.0, note = "symptoms common > 11.5; > 15.0 medical emergency", sources = { "S34" } },
    ucsf = { low = 6.5, high = 13.5, sources = { "S35" } },
    bozeman = { low = 6.0, high = 14.0, sources = { "S35" } },
    mercyone = { low = 6.0, high = 13.0, sources = { "S35" } },
    augusta = { low = 6.5, low_child = 7.0, high = 13.0, note = "low ≤ 7.0 at ≤ 12 y, ≤ 6.5 at > 12 y; " ..
                "high ≥ 13.0", sources = { "S35" } },
  },
  magnesium = {
    sinai_quest = { low = 1.1, high = 4.7, sources = { "S35" } },
    ridgeview = { low = 1.0, high = 5.0, sources = { "S35" } },
  },
  creatinine = {
    fhplab = { high = 10.0, sources = { "S35" } },
  },
  unconfirmed = "no critical value found for phosphate, ionized calcium, PTH or vitamin D " ..
    "(docs/clinical-reference.md §4.5)",
}

--- Alerts the ruleset may raise.
M.alerts = {
  calciphylaxis_suspected = {
    severity = "urgent",
    text = "Suspected calciphylaxis: reported 1-year mortality > 50% (sepsis the leading cause); biopsy is the " ..
           "definitive diagnosis",
    sources = { "S17", "S19", "S59" },
  },
  critical_calcium = {
    severity = "critical",
    text = "Calcium beyond a laboratory critical value",
    sources = { "S34", "S35" },
  },
  critical_creatinine = {
    severity = "critical",
    text = "Creatinine at or beyond a laboratory critical value",
    sources = { "S35" },
  },
}

--- Hints for the result's `missing` list: input -> what its absence leaves open.
M.missing = {
  phosphate = { text = "phosphate not given: metastatic cannot be ruled out",
                sources = { "S1", "S2" } },
  calcium = { text = "calcium not given: metastatic cannot be ruled out", sources = { "S1", "S2" } },
  albumin = { text = "albumin not given: total calcium cannot be albumin-corrected", sources = { "S40" } },
  pth = { text = "PTH not given: hyperparathyroidism (primary/secondary/tertiary) not assessed",
          sources = { "S2", "S4", "S5" } },
  creatinine = { text = "creatinine/eGFR not given: chronic renal failure (most common metastatic cause) not " ..
                 "assessed", sources = { "S2" } },
  vitd25 = { text = "25-OH vitamin D not given: vitamin D excess not assessed", sources = { "S5", "S34" } },
  vitd125 = { text = "1,25-(OH)2 vitamin D not given: granulomatous disease (sarcoidosis) not assessed",
              sources = { "S34-DHVD", "S5" } },
  exposure_history = { text = "no therapy/procedure history at the lesion site: iatrogenic not assessed",
                       sources = { "S1", "S48" } },
  age = { text = "age not given: age-specific (paediatric, neonatal) reference ranges and age patterns not applied",
          sources = { "S34", "S35" } },
  sex = { text = "sex not given: sex-specific reference ranges and the sex risk factor of calciphylaxis not applied",
          sources = { "S34", "S18" } },
  biopsy = { text = "no histology: small-vessel calcification (calciphylaxis) not confirmed; biopsy is the " ..
             "definitive diagnosis", sources = { "S59", "S20" } },
}

---------------------------------------------------------------------------
-- Pure helpers
---------------------------------------------------------------------------

local function set_of(list)
  local s = {}
  if type(list) == "table" then
    for k, v in pairs(list) do
      if type(k) == "number" then s[v] = true else s[k] = v and true or nil end
    end
  end
  return s
end

local function any_in(list, set)
  for _, x in ipairs(list or {}) do if set[x] then return true end end
  return false
end

local function contains(list, x)
  for _, y in ipairs(list or {}) do if y == x then return true end end
  return false
end

local function groups_match(groups, findings, in_group)
  if not groups or not in_group then return false end
  for f in pairs(findings) do
    for _, g in ipairs(groups) do if in_group(f, g) then return true end end
  end
  return false
end

local function default_in_group(term, group)
  local ok, vocab = pcall(require, "calcinosis.vocab")
  return ok and vocab.in_group(term, group)
end

--- Treatment options for a subtype and a set/list of findings (lesion
-- features are findings too). An option is returned when `subtype` is in its
-- `for_subtypes` and either it names no findings/features/groups, or the
-- subtype is in its `unconditional_for`, or one named finding/feature/group is
-- present. Options flagged `by_finding_alone` (observation of heel-stick and
-- extravasation nodules, HFTC phosphate lowering, sarcoidosis treatment) are
-- also returned for their findings whatever the subtype, so an alternative
-- label keeps them. Order follows `M.treatments`.
-- @tparam string subtype
-- @tparam[opt] table findings list or set of canonical terms
-- @treturn table list of treatment entries
function M.treatments_for(subtype, findings)
  local f = set_of(findings)
  local out = {}
  for _, t in ipairs(M.treatments) do
    local named = #(t.for_findings or {}) + #(t.for_features or {}) + #(t.for_groups or {}) > 0
    local hit = any_in(t.for_findings, f) or any_in(t.for_features, f)
      or groups_match(t.for_groups, f, default_in_group)
    local applies = contains(t.for_subtypes, subtype)
      and (not named or hit or contains(t.unconditional_for, subtype))
    if applies or (t.by_finding_alone and any_in(t.for_findings, f)) then
      out[#out + 1] = t
    end
  end
  return out
end

--- Work-up items for a subtype and findings: general, then by subtype, then
-- by finding, deduplicated by id.
-- @tparam string subtype
-- @tparam[opt] table findings list or set of canonical terms
-- @treturn table list of work-up items
function M.workup_for(subtype, findings)
  local out, seen = {}, {}
  local function add(list)
    for _, item in ipairs(list or {}) do
      if not seen[item.id] then seen[item.id] = true; out[#out + 1] = item end
    end
  end
  add(M.workup.general)
  add(M.workup.by_subtype[subtype])
  local f = set_of(findings)
  local names = {}
  for term in pairs(f) do names[#names + 1] = term end
  table.sort(names)
  for _, term in ipairs(names) do add(M.workup.by_finding[term]) end
  return out
end

--- Referrals for a subtype and findings.
-- @tparam string subtype
-- @tparam[opt] table findings list or set of canonical terms
-- @treturn table list of referral entries
function M.referrals_for(subtype, findings)
  local f = set_of(findings)
  local out = {}
  for _, r in ipairs(M.referrals) do
    if contains(r.for_subtypes, subtype) or any_in(r.for_findings, f) or any_in(r.for_features, f)
       or groups_match(r.for_groups, f, default_in_group) then
      out[#out + 1] = r
    end
  end
  return out
end

--- Prognosis notes for a subtype, findings and sites.
-- @tparam string subtype
-- @tparam[opt] table findings list or set of canonical terms
-- @tparam[opt] table sites list or set of canonical site terms
-- @treturn table list of prognosis notes
function M.prognosis_for(subtype, findings, sites)
  local f, s = set_of(findings), set_of(sites)
  local out = {}
  for _, p in ipairs(M.prognosis) do
    local ok = contains(p.for_subtypes, subtype) or any_in(p.for_findings, f)
    if not ok and p.for_sites and any_in(p.for_sites, s) then
      ok = (p.requires_subtype == nil or p.requires_subtype == subtype)
    end
    if ok then out[#out + 1] = p end
  end
  return out
end

--- A conflict entry by id.
-- @tparam string id
-- @treturn table|nil
function M.conflict(id)
  for _, c in ipairs(M.conflicts) do if c.id == id then return c end end
  return nil
end

--- A Ca x P threshold entry by value (default `M.ca_x_p_thresholds.default`).
-- @tparam[opt] number value 55, 60 or 70
-- @treturn table|nil
function M.ca_x_p_threshold(value)
  value = value or M.ca_x_p_thresholds.default
  for _, t in ipairs(M.ca_x_p_thresholds) do if t.value == value then return t end end
  return nil
end

return M
