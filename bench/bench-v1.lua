-- bench-v1: the benchmark task of bench/README.md in the calcinosis rule
-- language (load with calcinosis.rules.load "bench/bench-v1.lua").
--
-- The bench defines its own derived values (ca_corr falls back to calcium
-- when albumin is missing; eGFR only for adults), so they are lets here; the
-- lets named ca_x_p and egfr shadow the built-in derived values.
-- Source keys are those of docs/clinical-reference.md §14.
-- luacheck: read globals ruleset rule set param let
return ruleset {
  name = "bench-v1",
  version = "1",
  subtypes = { "calciphylaxis", "iatrogenic", "metastatic", "dystrophic", "idiopathic" },
  decision = { tie = "order", indeterminate_at_most = 0, label = "indeterminate" },

  set("IATRO", { "iv_calcium", "iv_phosphate", "calcium_electrode_paste", "heel_stick" }),
  set("META", { "ckd", "dialysis", "hyperparathyroidism", "sarcoidosis", "milk_alkali",
    "vitamin_d_excess", "paget_disease", "myeloma", "paraneoplastic_hypercalcemia" }),
  set("DYS", { "systemic_sclerosis", "dermatomyositis", "lupus", "trauma", "burn", "acne",
    "varicose_veins", "infection", "tumor", "panniculitis", "ehlers_danlos",
    "pseudoxanthoma_elasticum" }),
  set("CAUSE", { "IATRO", "META", "DYS" }),
  set("GENITAL", { "scrotum", "penis", "vulva" }),
  set("UREMIC", { "ckd", "dialysis" }),
  set("NECROSIS", { "livedo", "necrotic_ulcer" }),

  param("ca_high", "10.5 mg/dL", "upper limit of corrected calcium"),
  param("ca_low", "8.5 mg/dL", "lower limit of corrected calcium"),
  param("phos_low", "2.5 mg/dL", "lower limit of phosphate"),
  param("phos_hi_child", "6.5 mg/dL", "upper limit of phosphate under 18 years"),
  param("phos_hi_adult", "4.5 mg/dL", "upper limit of phosphate from 18 years"),
  param("adult_age", "18 years"),
  param("ca_x_p_limit", "70 mg2/dL2", "Ca x P product limit"),
  param("egfr_low", "30 mL/min/{1.73_m2}"),
  param("egfr_uremic", "15 mL/min/{1.73_m2}"),
  param("pth_high", "65 pg/mL"),
  param("vitd_high", "100 ng/mL"),

  let("ca_corr", "if present(albumin) then calcium + 0.8 * (4.0 - albumin) else calcium",
    { unit = "mg/dL", analyte = "calcium" }),
  let("ca_x_p", "ca_corr * phosphate", "mg2/dL2"),
  let("egfr", [[if age >= adult_age
      then 142 * min(creatinine / (if female then 0.7 else 0.9), 1)
             ^ (if female then -0.241 else -0.302)
           * max(creatinine / (if female then 0.7 else 0.9), 1) ^ -1.200
           * 0.9938 ^ age * (if female then 1.012 else 1)
      else unknown]], "mL/min/{1.73_m2}"),
  let("phos_hi", "if age < adult_age then phos_hi_child else phos_hi_adult", "mg/dL"),
  let("normal_ca_p", "ca_corr between ca_low and ca_high and phosphate between phos_low and phos_hi"),

  rule { id = "iatrogenic.exposure", when = "any finding in IATRO", supports = "iatrogenic",
    weight = 5, because = "an exposure to calcium or phosphate therapy or procedure", source = "S1" },
  rule { id = "metastatic.hypercalcemia", when = "ca_corr > ca_high", supports = "metastatic",
    weight = 3, because = "corrected calcium is high", source = "S1" },
  rule { id = "metastatic.hyperphosphatemia", when = "phosphate > phos_hi", supports = "metastatic",
    weight = 3, because = "phosphate is high for age", source = "S1" },
  rule { id = "metastatic.ca_x_p", when = "ca_x_p > ca_x_p_limit", supports = "metastatic",
    weight = 2, because = "the calcium x phosphate product is above the limit", source = "S2" },
  rule { id = "metastatic.low_egfr", when = "egfr < egfr_low", supports = "metastatic",
    weight = 2, because = "renal function is low", source = "S2" },
  rule { id = "metastatic.cause", when = "any finding in META", supports = "metastatic",
    weight = 2, because = "a known cause of metastatic calcification", source = "S2" },
  rule { id = "metastatic.pth", when = "pth > pth_high", supports = "metastatic",
    weight = 1, because = "PTH is high", source = "S2" },
  rule { id = "metastatic.vitd", when = "vitd25 > vitd_high", supports = "metastatic",
    weight = 1, because = "25-OH vitamin D is high", source = "S34" },
  rule { id = "dystrophic.cause", when = "any finding in DYS", supports = "dystrophic",
    weight = 3, because = "local tissue damage or an underlying disease", source = "S1" },
  rule { id = "dystrophic.normal_labs", when = "any finding in DYS and normal_ca_p",
    supports = "dystrophic", weight = 1,
    because = "tissue damage with normal calcium and phosphate", source = "S1" },
  rule { id = "idiopathic.no_cause", when = "no finding in CAUSE and normal_ca_p",
    supports = "idiopathic", weight = 2,
    because = "no cause found and calcium and phosphate are normal", source = "S1" },
  rule { id = "idiopathic.site", when = "no finding in CAUSE and any site in GENITAL",
    supports = "idiopathic", weight = 1, because = "a typical site of idiopathic calcinosis",
    source = "S3" },
  rule { id = "idiopathic.young", when = "no finding in CAUSE and age < adult_age",
    supports = "idiopathic", weight = 1, because = "young age without a cause", source = "S3" },
  rule { id = "calciphylaxis.uremic",
    when = "(any finding in UREMIC or egfr < egfr_uremic) and any finding in NECROSIS",
    supports = "calciphylaxis", weight = 6,
    because = "renal failure with livedo or necrotic ulcers", source = "S6" },
}
