--- The lab table of one patient: measured values in canonical units with
-- reference ranges and flags, derived values, and the problems found.
--
-- The values are read, converted, checked, derived and flagged by the C
-- record logic (src/record.c), the same code that reads every cohort file,
-- and the lab table is built by the C core from the record it read
-- (src/lcal_engine.c, `plan:labs`; the ranges as shown, the formulas and the
-- method names are given to it once per plan by `calcinosis.engine`).
--
-- Each entry: `value` (number in `unit`, or nil), `unit` (canonical),
-- `flag` ("low", "normal", "high", "critical_low", "critical_high" or nil),
-- `range` (`{ low, high, unit, source }` or nil), and where they apply
-- `given` (the text as written), `key` (the key it was given under),
-- `qualitative` ("high"/"low"/"normal" when a case report gives no number),
-- `comparator` ("<", ">" ... for censored values), `method`, `source`.
-- `problems` lists what was wrong with the input; nothing is re-united
-- silently and a derived value whose input is missing is missing.
--
-- Dependencies: calcinosis.engine.
-- @module calcinosis.labs

local engine = require "calcinosis.engine"

local M = {}

--- Variants of albumin-corrected calcium (docs/clinical-reference.md §5.1 [S40]): the
-- formulas as the result shows them (computed by src/derived.c); `calcinosis.engine.ca_variants`.
M.ca_variants = engine.ca_variants

--- The eGFR methods by the C core's code (1 reported, 2 CKD-EPI 2021, 3
-- bedside Schwartz), with their sources; `calcinosis.engine.egfr_methods`.
M.egfr_methods = engine.egfr_methods

--- Computes the lab table of one patient.
-- @tparam table patient `{ id, age, sex, species, height_cm, labs = { name = "10.2 mg/dL" | {10.2, "mg/dL"} | "high" } }`
-- @tparam[opt] table options `ca_coefficient` ("common" (default, 0.8), "payne" (1.0) or "si"),
--   `kdigo_rounding` (false: classify the raw eGFR, default; true: round first),
--   `ranges` / `critical` (lists of range entries, see `calcinosis.ranges`)
-- @treturn table lab table
function M.compute(patient, options)
  if type(patient) ~= "table" then
    error(("calcinosis.labs: bad argument #1 (table expected, got %s)"):format(type(patient)), 3)
  end
  if options ~= nil and type(options) ~= "table" then
    error(("calcinosis.labs: bad argument #2 (table expected, got %s)"):format(type(options)), 3)
  end
  local ca = options and options.ca_coefficient
  if ca and not M.ca_variants[tostring(ca)] then
    error(("calcinosis.labs: unknown ca_coefficient '%s' (common, payne or si)"):format(tostring(ca)), 3)
  end
  -- (no options: the plan of the defaults, found without making its key)
  return engine.labs(patient, options)
end

return M
