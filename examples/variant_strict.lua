-- A researcher's variant of the bench-v1 ruleset: stricter renal thresholds.
-- Load it with calcinosis.rules.load("examples/variant_strict.lua").
-- luacheck: read globals include rule
local base = include "../bench/bench-v1.lua"   -- start from bench-v1 (path relative to this file)

return base:variant {                          -- same rules, except what is listed below
  name = "bench-v1-strict",                    -- results carry this name ...
  version = "1",                               -- ... this version, and the hash of the compiled rules
  params = {                                   -- change thresholds without copying rules
    ca_x_p_limit = "55 mg2/dL2",               -- solubility product in renal failure [S50], not 70
    egfr_low = "60 mL/min/{1.73_m2}",          -- count renal impairment from CKD G3 on
  },
  drop = { "idiopathic.young" },               -- young age alone is no longer evidence
  rule {                                       -- a new rule (a rule with an existing id replaces it)
    id = "metastatic.ionized",                 -- ids are unique within a ruleset
    when = "ionized_calcium > 1.32 mmol/L",    -- SI limit, converted to mg/dL when compiled
    supports = "metastatic",                   -- the subtype this rule adds weight to
    weight = 3,                                -- added to that subtype's score when the rule fires
    because = "ionized calcium is high",       -- the sentence shown when it fires
    source = "S34",                            -- the source key behind the threshold (docs/clinical-reference.md §14)
  },
}
