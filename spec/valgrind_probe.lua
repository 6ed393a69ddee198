-- Exercises the C core under valgrind (spec/check.sh): units, analytes,
-- derived values, bad input, the rule VM and the cohort pipeline.
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
-- the rule VM and the cohort pipeline: CSV and NDJSON in, CSV and NDJSON out,
-- a batch that is not full, malformed records, a ruleset with 70 rules
local rules = require "calcinosis.rules"
local cohort = require "calcinosis.cohort"
local bench = assert(rules.load("bench/bench-v1.lua"))
local function write(text)
  local name = os.tmpname()
  local f = assert(io.open(name, "wb"))
  f:write(text)
  f:close()
  return name
end
local csv = { "id,age_years,sex,calcium [mg/dL],albumin [g/dL],phosphate [mg/dL],creatinine [mg/dL],pth,vitd25,findings,sites" }
local nd = {}
for i = 1, 300 do
  local age = ({ 8, 17, 18, 50, 80, "" })[i % 6 + 1]
  local ca = ({ "9.5", "11.2", "", "2.4", "x" })[i % 5 + 1]
  local f = ({ "", "ckd;livedo", "iv_calcium", "lupus;trauma", "unknown_thing" })[i % 5 + 1]
  csv[#csv + 1] = ("P%d,%s,%s,%s,4.0,%s,1.1,70,30,%s,scrotum"):format(i, age, i % 2 == 0 and "F" or "M", ca, i % 7, f)
  nd[#nd + 1] = ('{"id":"P%d","age":%s,"sex":"%s","labs":{"calcium":"%s mg/dL","ca":{"value":2.5,"unit":"mmol/L"}},' ..
    '"findings":["%s"]}'):format(i, age == "" and "null" or age, i % 2 == 0 and "F" or "M", ca, f)
  if i % 50 == 0 then nd[#nd + 1] = '{"id":"bad\\u00e9",' end
end
local csv_path, nd_path = write(table.concat(csv, "\n") .. "\n"), write(table.concat(nd, "\n") .. "\n")
local cols = { "id", "type", "score", "fired", "not_evaluable", "problems", "line", "ca_corr:%.2f", "egfr", "age", "sex" }
-- a first batch that is not full: the rows past it are computed too
local few = write(table.concat(csv, "\n", 1, 11) .. "\n")
assert(cohort.run_csv(bench, { input = few, output = "/dev/null", columns = cols }))
os.remove(few)
for _, fmt in ipairs { "csv", "ndjson" } do
  assert(cohort.run_csv(bench, { input = csv_path, output = "/dev/null", columns = cols, format = fmt }))
  assert(cohort.run_csv(bench, { input = nd_path, input_format = "ndjson", output = "/dev/null", columns = cols, format = fmt }))
end
local decls = {}
for i = 1, 70 do
  decls[i] = ('rule { id = "r%d", when = "calcium > %d mg/dL or 0.9 ^ age > 0.5", supports = "a", weight = 1, because = "b", source = "S1" }')
    :format(i, i % 12)
end
local many = assert(rules.compile(('return ruleset { name = "many", version = "1", subtypes = { "a" }, %s }')
  :format(table.concat(decls, ",\n"))))
assert(cohort.run_csv(many, { input = csv_path, output = "/dev/null", columns = { "id", "fired", "not_evaluable" } }))
os.remove(csv_path)
os.remove(nd_path)
print("ok")
