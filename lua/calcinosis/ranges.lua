--- Reference ranges and critical values, as data.
--
-- Ranges are laboratory- and method-specific; these are examples from named
-- laboratories (mostly Mayo Clinic Laboratories) as reproduced in the
-- project's clinical reference (docs/clinical-reference.md §4), with the
-- source key of each (resolved by `calcinosis.sources`).
-- Replace or extend them with your own laboratory's ranges, per call or
-- per run (nothing here is global state):
--
--     local ranges = require "calcinosis.ranges"
--     local mine = ranges.with { { analyte = "calcium", low = 8.5, high = 10.5, unit = "mg/dL",
--                                  source = "our lab 2026" } }   -- takes precedence
--     calcinosis.labs(patient, { ranges = mine })
--     calcinosis.classify(patient, nil, { ranges = mine })
--
-- An entry: `analyte`, `low`, `high` (either may be absent), `unit` (any unit
-- the analyte converts to; converted when used), optional `species`
-- ("human" when absent), `sex` ("F"/"M"; both when absent), `age_min`
-- (inclusive) and `age_max` (exclusive) in years, and `source`. The first
-- matching entry wins, so put specific entries before general ones.
-- Critical entries have the same shape; `inclusive = true` means the limit
-- itself is critical (printed as "<=" / ">=" by the laboratory).
-- The C record logic selects the entry (src/record.c); lists are converted
-- for it once per list: pass a new list (`ranges.with`) rather than edit
-- one in place.
-- @module calcinosis.ranges

local M = {}

local D = 1 / 365.25 -- one day in years
local MO = 1 / 12 -- one month in years

--- The default reference ranges (a list; first match wins).
M.reference = {
  -- Total calcium, mg/dL. Mayo CA [S34] (clinical reference §4.2, §4.3)
  { analyte = "calcium", age_max = 1, low = 8.7, high = 11.0, unit = "mg/dL", source = "Mayo CA [S34]" },
  { analyte = "calcium", age_min = 1, age_max = 18, low = 9.3, high = 10.6, unit = "mg/dL", source = "Mayo CA [S34]" },
  { analyte = "calcium", age_min = 18, age_max = 60, low = 8.6, high = 10.0, unit = "mg/dL", source = "Mayo CA [S34]" },
  { analyte = "calcium", age_min = 60, low = 8.8, high = 10.2, unit = "mg/dL", source = "Mayo CA [S34]" },
  -- Dog and cat total calcium (Engelking appendix) [S38] (clinical reference §4.4)
  { analyte = "calcium", species = "dog", low = 9.4, high = 11.8, unit = "mg/dL", source = "Engelking [S38]" },
  { analyte = "calcium", species = "cat", low = 8.8, high = 11.7, unit = "mg/dL", source = "Engelking [S38]" },

  -- Ionized calcium, mg/dL. Mayo CAI [S34]; <= 13 d not established.
  { analyte = "ionized_calcium", age_min = 14 * D, age_max = 1, low = 5.21, high = 5.99, unit = "mg/dL", source = "Mayo CAI [S34]" },
  { analyte = "ionized_calcium", age_min = 1, age_max = 2, low = 5.04, high = 5.84, unit = "mg/dL", source = "Mayo CAI [S34]" },
  { analyte = "ionized_calcium", age_min = 2, age_max = 3, low = 4.87, high = 5.67, unit = "mg/dL", source = "Mayo CAI [S34]" },
  { analyte = "ionized_calcium", age_min = 3, age_max = 24, low = 4.83, high = 5.52, unit = "mg/dL", source = "Mayo CAI [S34]" },
  { analyte = "ionized_calcium", age_min = 24, low = 4.57, high = 5.43, unit = "mg/dL", source = "Mayo CAI [S34]" },

  -- Phosphate, mg/dL. Under 12 months Mayo has none: Quest (F / M) [S35];
  -- from 1 year Mayo PHOS [S34] (clinical reference §4.3).
  { analyte = "phosphate", sex = "F", age_max = 31 * D, low = 3.1, high = 7.7, unit = "mg/dL", source = "Quest [S35]" },
  { analyte = "phosphate", sex = "M", age_max = 31 * D, low = 2.8, high = 7.0, unit = "mg/dL", source = "Quest [S35]" },
  { analyte = "phosphate", sex = "F", age_max = 3 * MO, low = 3.1, high = 7.2, unit = "mg/dL", source = "Quest [S35]" },
  { analyte = "phosphate", sex = "M", age_max = 3 * MO, low = 3.1, high = 6.6, unit = "mg/dL", source = "Quest [S35]" },
  { analyte = "phosphate", sex = "F", age_max = 1, low = 3.1, high = 6.8, unit = "mg/dL", source = "Quest [S35]" },
  { analyte = "phosphate", sex = "M", age_max = 1, low = 3.1, high = 6.6, unit = "mg/dL", source = "Quest [S35]" },
  { analyte = "phosphate", sex = "M", age_min = 1, age_max = 5, low = 4.3, high = 5.4, unit = "mg/dL", source = "Mayo PHOS [S34]" },
  { analyte = "phosphate", sex = "F", age_min = 1, age_max = 8, low = 4.3, high = 5.4, unit = "mg/dL", source = "Mayo PHOS [S34]" },
  { analyte = "phosphate", sex = "M", age_min = 5, age_max = 14, low = 3.7, high = 5.4, unit = "mg/dL", source = "Mayo PHOS [S34]" },
  { analyte = "phosphate", sex = "F", age_min = 8, age_max = 14, low = 4.0, high = 5.2, unit = "mg/dL", source = "Mayo PHOS [S34]" },
  { analyte = "phosphate", sex = "M", age_min = 14, age_max = 16, low = 3.5, high = 5.3, unit = "mg/dL", source = "Mayo PHOS [S34]" },
  { analyte = "phosphate", sex = "F", age_min = 14, age_max = 16, low = 3.5, high = 4.9, unit = "mg/dL", source = "Mayo PHOS [S34]" },
  { analyte = "phosphate", age_min = 16, age_max = 18, low = 3.1, high = 4.7, unit = "mg/dL", source = "Mayo PHOS [S34]" },
  { analyte = "phosphate", age_min = 18, low = 2.5, high = 4.5, unit = "mg/dL", source = "Mayo PHOS [S34]" },
  { analyte = "phosphate", species = "dog", low = 2.6, high = 7.2, unit = "mg/dL", source = "Engelking [S38]" },
  { analyte = "phosphate", species = "cat", low = 3.0, high = 6.3, unit = "mg/dL", source = "Engelking [S38]" },

  -- Albumin, g/dL. Hunterdon (BCG) under 1 year [S35]; Mayo ALB >= 12 months [S34].
  { analyte = "albumin", age_max = 4 * D, low = 2.8, high = 4.4, unit = "g/dL", source = "Hunterdon [S35]" },
  { analyte = "albumin", age_max = 1, low = 3.8, high = 5.4, unit = "g/dL", source = "Hunterdon [S35]" },
  { analyte = "albumin", age_min = 1, low = 3.5, high = 5.0, unit = "g/dL", source = "Mayo ALB [S34]" },

  -- Creatinine, mg/dL. Mayo CRTS1 (enzymatic) [S34].
  { analyte = "creatinine", age_max = 1, low = 0.17, high = 0.42, unit = "mg/dL", source = "Mayo CRTS1 [S34]" },
  { analyte = "creatinine", age_min = 1, age_max = 6, low = 0.19, high = 0.49, unit = "mg/dL", source = "Mayo CRTS1 [S34]" },
  { analyte = "creatinine", age_min = 6, age_max = 11, low = 0.26, high = 0.61, unit = "mg/dL", source = "Mayo CRTS1 [S34]" },
  { analyte = "creatinine", sex = "M", age_min = 11, age_max = 15, low = 0.35, high = 0.86, unit = "mg/dL", source = "Mayo CRTS1 [S34]" },
  { analyte = "creatinine", sex = "F", age_min = 11, age_max = 16, low = 0.35, high = 0.86, unit = "mg/dL", source = "Mayo CRTS1 [S34]" },
  { analyte = "creatinine", sex = "M", age_min = 15, low = 0.74, high = 1.35, unit = "mg/dL", source = "Mayo CRTS1 [S34]" },
  { analyte = "creatinine", sex = "F", age_min = 16, low = 0.59, high = 1.04, unit = "mg/dL", source = "Mayo CRTS1 [S34]" },
  { analyte = "creatinine", species = "dog", low = 0.6, high = 2.0, unit = "mg/dL", source = "Engelking [S38]" },

  -- Intact PTH, pg/mL. Mayo PTH2 [S34].
  { analyte = "pth", age_max = 28 * D, low = 7.0, high = 59, unit = "pg/mL", source = "Mayo PTH2 [S34]" },
  { analyte = "pth", age_max = 1, low = 8.0, high = 61, unit = "pg/mL", source = "Mayo PTH2 [S34]" },
  { analyte = "pth", age_min = 1, age_max = 11, low = 11, high = 59, unit = "pg/mL", source = "Mayo PTH2 [S34]" },
  { analyte = "pth", age_min = 11, age_max = 18, low = 15, high = 68, unit = "pg/mL", source = "Mayo PTH2 [S34]" },
  { analyte = "pth", age_min = 18, low = 15, high = 65, unit = "pg/mL", source = "Mayo PTH2 [S34]" },

  -- 25-OH vitamin D, ng/mL: Mayo 25HDN (2011 IOM) 20-50 optimum; < 20
  -- deficiency; 51-80 increased risk of hypercalciuria; > 80 toxicity possible [S34].
  { analyte = "vitd25", low = 20, high = 50, unit = "ng/mL", source = "Mayo 25HDN [S34]" },

  -- 1,25-(OH)2 vitamin D, pg/mL. Mayo DHVD [S34].
  { analyte = "vitd125", age_max = 16, low = 24, high = 86, unit = "pg/mL", source = "Mayo DHVD [S34]" },
  { analyte = "vitd125", sex = "M", age_min = 16, low = 18, high = 64, unit = "pg/mL", source = "Mayo DHVD [S34]" },
  { analyte = "vitd125", sex = "F", age_min = 16, low = 18, high = 78, unit = "pg/mL", source = "Mayo DHVD [S34]" },

  -- Magnesium. RCPA/AACB harmonised (mmol/L) for children; UMich adult [S35].
  { analyte = "magnesium", age_max = 7 * D, low = 0.6, high = 1.0, unit = "mmol/L", source = "RCPA/AACB [S35]" },
  { analyte = "magnesium", age_max = 18, low = 0.65, high = 1.1, unit = "mmol/L", source = "RCPA/AACB [S35]" },
  { analyte = "magnesium", age_min = 18, low = 1.5, high = 2.4, unit = "mg/dL", source = "UMich [S35]" },
  { analyte = "magnesium", species = "dog", low = 1.8, high = 2.6, unit = "mEq/L", source = "Engelking [S38]" },

  -- Alkaline phosphatase, U/L. Mayo ALP [S34].
  { analyte = "alp", age_max = 15 * D, low = 83, high = 248, unit = "U/L", source = "Mayo ALP [S34]" },
  { analyte = "alp", age_max = 1, low = 122, high = 469, unit = "U/L", source = "Mayo ALP [S34]" },
  { analyte = "alp", age_min = 1, age_max = 10, low = 142, high = 335, unit = "U/L", source = "Mayo ALP [S34]" },
  { analyte = "alp", age_min = 10, age_max = 13, low = 129, high = 417, unit = "U/L", source = "Mayo ALP [S34]" },
  { analyte = "alp", sex = "M", age_min = 13, age_max = 15, low = 116, high = 468, unit = "U/L", source = "Mayo ALP [S34]" },
  { analyte = "alp", sex = "M", age_min = 15, age_max = 17, low = 82, high = 331, unit = "U/L", source = "Mayo ALP [S34]" },
  { analyte = "alp", sex = "M", age_min = 17, age_max = 19, low = 55, high = 149, unit = "U/L", source = "Mayo ALP [S34]" },
  { analyte = "alp", sex = "M", age_min = 19, low = 40, high = 129, unit = "U/L", source = "Mayo ALP [S34]" },
  { analyte = "alp", sex = "F", age_min = 13, age_max = 15, low = 57, high = 254, unit = "U/L", source = "Mayo ALP [S34]" },
  { analyte = "alp", sex = "F", age_min = 15, age_max = 17, low = 50, high = 117, unit = "U/L", source = "Mayo ALP [S34]" },
  { analyte = "alp", sex = "F", age_min = 17, low = 35, high = 104, unit = "U/L", source = "Mayo ALP [S34]" },
  { analyte = "alp", species = "dog", low = 12, high = 127, unit = "U/L", source = "Engelking [S38]" },

  -- eGFR: >= 60 reported as reference (>= 18 y, CKD-EPI 2021) [S34].
  { analyte = "egfr", age_min = 18, low = 60, unit = "mL/min/{1.73_m2}", source = "Mayo CRTS1 [S34]" },
}

--- Derived values flagged against another analyte's range.
M.same_as = { corrected_calcium = "calcium" }

--- Critical (panic) values (docs/clinical-reference.md §4.5). Laboratories disagree; the
-- defaults name theirs. No critical value was found for phosphate, ionized
-- calcium, PTH or vitamin D (UNCONFIRMED), so none is set.
M.critical = {
  -- Total calcium: UCSF < 6.5 mg/dL; Mayo > 12.0 mg/dL critical [S35][S34]
  { analyte = "calcium", low = 6.5, high = 12.0, unit = "mg/dL", source = "UCSF low [S35], Mayo high [S34]" },
  -- Magnesium: Sinai/Quest <= 1.1 and >= 4.7 mg/dL [S35]
  { analyte = "magnesium", low = 1.1, high = 4.7, inclusive = true, unit = "mg/dL", source = "Sinai/Quest [S35]" },
  -- Creatinine: fhplab 10.0 mg/dL [S35]
  { analyte = "creatinine", high = 10.0, inclusive = true, unit = "mg/dL", source = "fhplab [S35]" },
}

--- A list of entries that take precedence over a base list (default: the
-- reference ranges): `calcinosis.labs(p, { ranges = ranges.with { entry, ... } })`.
-- Nothing global changes: the new list is passed where it is used (a
-- ruleset's plan, one call).
-- @tparam table entries list of entries (see the module description)
-- @tparam[opt] table base default `M.reference` (`M.critical` for critical entries)
-- @treturn table a new list
function M.with(entries, base)
  if type(entries) ~= "table" then error("ranges.with: expected a list of entries", 2) end
  local out = {}
  for i, e in ipairs(entries) do
    if type(e) ~= "table" or type(e.analyte) ~= "string" then
      error(("ranges.with: entry %d needs an analyte name"):format(i), 2)
    end
    out[#out + 1] = e
  end
  for _, e in ipairs(base or M.reference) do out[#out + 1] = e end
  return out
end

return M
