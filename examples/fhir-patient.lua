#!/usr/bin/env lua5.4
-- Reads a FHIR R4 bundle (or a resource, or a Bulk Data NDJSON file or
-- folder), classifies each patient in it with the default ruleset and prints
-- the result with the lab values, their units and dates.
-- Run from the repository root:
--   lua5.4 examples/fhir-patient.lua examples/fhir-bundle.json [INDEX_DATE]
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/5.4/?.so;" .. package.cpath
local calcinosis = require "calcinosis"
local cohort = require "calcinosis.cohort"

local path, index_date = arg[1], arg[2]
if not path then
  io.stderr:write("usage: lua5.4 examples/fhir-patient.lua BUNDLE.json [INDEX_DATE]\n")
  os.exit(2)
end
local rows, err = cohort.rows(calcinosis.rules.default(), path,
  { input_format = "fhir", labs = true, index_date = index_date })
if not rows then
  io.stderr:write(err, "\n")
  os.exit(2)
end
local status = 0
for r in rows do
  local l = r.labs
  print(("patient %s: %s (score %s)"):format(r.id, r.type, r.score))
  print(("  age %s, sex %s, findings: %s"):format(l.age and l.age.value or "?", l.sex or "?",
    table.concat(r.findings, ", ")))
  for _, name in ipairs { "calcium", "corrected_calcium", "phosphate", "albumin", "pth", "creatinine", "egfr" } do
    local e = l[name]
    if e and e.value then
      print(("  %-18s %8.2f %-16s %-7s %s"):format(name, e.value, e.unit, e.flag or "", e.date or ""))
    end
  end
  for _, f in ipairs(r.fired) do print("  fired: " .. f.id) end
  for _, p in ipairs(r.problems) do print("  problem: " .. p) status = 1 end
  -- the reader's notes: codes that map to nothing, resources not used
  if r.unmapped then print("  codes not mapped: " .. r.unmapped) end
  if r.skipped then print("  not used: " .. r.skipped) end
  print("  " .. r.disclaimer)
end
os.exit(status)
