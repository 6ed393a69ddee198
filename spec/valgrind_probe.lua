-- Exercises the C core under valgrind (spec/check.sh): units, analytes,
-- derived values, and bad input.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/5.4/?.so;" .. package.cpath
local c = require "calcinosis"
local core = c.core
for _, u in ipairs { "mg/dL", "mmol/L", "µmol/L", "MG/DL", "mL/min/1.73m2", "10*3/uL", "(((m", "[in_i", "{x",
  "s.m-1.g-1", "4.[pi].10*-7.N", "m" .. ("/m"):rep(200), ("("):rep(100), "" } do
  core.unit(u)
  c.convert(1.5, u ~= "" and u or "m", "mg/dL", "calcium")
end
for _, a in ipairs(core.analytes()) do
  local info = core.analyte(a)
  for _, u in ipairs(info.units) do core.measure(a, 2.4, u) end
end
c.labs { id = 1, age = "8 mo", sex = "F", labs = { calcium = "2.4 mg/dL", albumin = { 3, "g/dL" }, creatinine = "x" } }
c.labs { age = 60, sex = "M", height_cm = 170, labs = { calcium = "10.5 mg/dL", albumin = "3 g/dL",
  phosphate = "5 mg/dL", creatinine = "1.4 mg/dL" } }
for _ = 1, 1000 do core.egfr_ckd_epi_2021(1.2, 60, true) core.kdigo(59.7) end
print("ok")
