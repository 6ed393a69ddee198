-- Writes the full results of the single-patient API for a fixed set of
-- varied patients, one canonical line per call, so that two versions of
-- the library can be compared byte for byte (spec/result_identity_spec.lua
-- runs it once against a checkout of the reference commit and once
-- against this tree).
--
--   lua5.4 spec/result_dump.lua LIBROOT BUILD REPO N OUT
--
-- LIBROOT: the folder holding lua/ of the version to run; BUILD: the folder
-- holding calcinosis/core.so of that version; REPO: this repository (for
-- bench/default-patients.lua and examples/patients); N: how many generated
-- patients; OUT: the file to write. The patients are the same whatever the
-- version (made here, not by the library).
local libroot, build, repo, n, out = arg[1], arg[2], arg[3], tonumber(arg[4]), arg[5]
package.path = libroot .. "/lua/?.lua;" .. libroot .. "/lua/?/init.lua;" .. package.path
package.cpath = build .. "/?.so;" .. package.cpath

local calcinosis = require "calcinosis"
local rules = require "calcinosis.rules"
local json = require "calcinosis.json"
local P = dofile(repo .. "/bench/default-patients.lua")

-- Canonical text of a value: keys sorted (by type, then text), numbers with
-- 17 significant digits, a table's metatable noted when it is the JSON array
-- marker ("L") or any other ("M"); what pairs gives (a result's __pairs).
local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end
local function dump(v, buf, depth)
  local t = type(v)
  if t == "number" then
    if math.type(v) == "integer" then buf[#buf + 1] = ("i%d"):format(v)
    elseif v ~= v then buf[#buf + 1] = "nan"
    else buf[#buf + 1] = ("f%.17g"):format(v) end
  elseif t == "string" then buf[#buf + 1] = ("%q"):format(v)
  elseif t == "boolean" or t == "nil" then buf[#buf + 1] = tostring(v)
  elseif t == "table" then
    if depth > 40 then error("too deep (a cycle?)") end
    local mt = getmetatable(v)
    buf[#buf + 1] = mt == nil and "{" or (type(mt) == "table" and mt.__jsontype == "array") and "L{" or "M{"
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, key_less)
    for _, k in ipairs(keys) do
      dump(k, buf, depth + 1)
      buf[#buf + 1] = "="
      dump(v[k], buf, depth + 1)
      buf[#buf + 1] = ","
    end
    buf[#buf + 1] = "}"
  else
    buf[#buf + 1] = "<" .. t .. ">"
  end
end
local function text(v)
  local buf = {}
  dump(v, buf, 0)
  return table.concat(buf)
end

-- Lab values in the forms a record may carry them (as bench/api.lua does).
local SI = {
  calcium = { "mmol/L", 1 / 4.008 }, phosphate = { "mmol/L", 1 / 3.097 }, albumin = { "g/L", 10 },
  creatinine = { "umol/L", 88.42 }, pth = { "pmol/L", 1 / 9.434 }, vitd25 = { "nmol/L", 2.496 },
}
local CANON = { calcium = "mg/dL", phosphate = "mg/dL", albumin = "g/dL", creatinine = "mg/dL",
  pth = "pg/mL", vitd25 = "ng/mL" }
local R = math.random
local function form(name, v)
  if type(v) ~= "number" then return v end
  local u = R()
  if u < 0.3 then return v end
  local unit, x = CANON[name], v
  if u >= 0.55 and u < 0.8 then unit, x = SI[name][1], v * SI[name][2] end
  if u < 0.9 then return ("%.4g %s"):format(x, unit) end
  if u < 0.95 then return { x, unit } end
  return { value = x, unit = unit }
end

local patients = {}
do
  local gen = P.new(20261202)
  for i = 1, n do
    local p = gen(i)
    local labs = {}
    for _, name in ipairs(P.LABS) do labs[name] = form(name, p.labs[name]) end
    local sex = p.sex
    if R() < 0.2 then sex = sex == "F" and "female" or "male" end
    patients[#patients + 1] = { id = p.id, age = p.age_text or (R() < 0.8 and p.age or ("%.1f y"):format(p.age)),
      sex = sex, species = p.species, height_cm = p.height_cm, labs = labs, findings = p.findings, sites = p.sites }
  end
end
-- awkward records: bad units, implausible values, qualitative words,
-- censored values, aliases, ambiguous and unknown terms, other species, reported derived values
local awkward = {
  { id = "A1", age = 60, sex = "woman", labs = { calcium = "2.4 mg/dL", albumin = "30 g/L", phos = "high" } },
  { id = "A2", age = "8 mo", sex = "M", height_cm = 70, labs = { creatinine = "0.3 mg/dL", calcium = "11.8 mg/dL" },
    findings = { "heel_stick" }, sites = { "heels" } },
  { id = "A3", age = 55, sex = "F", labs = { egfr = "<15", calcium = "9.1 mg/dL", phosphate = "8.2 mg/dL",
    iPTH = "900 pg/mL" }, findings = "esrd;dialysis;livedo", sites = "thighs" },
  { id = "A4", age = 40, sex = "x", labs = { calcium = "banana", albumin = { 4.1, "g/dL" } },
    findings = { "DM", "calcifcation" } },
  { id = "A5", species = "dog", age = 9, labs = { calcium = "12.5 mg/dL", phosphate = "4 mg/dL" },
    findings = { "cushing" }, sites = { "back" } },
  { id = "A6", species = "cat", age = 14, labs = { creatinine = "4.1 mg/dL", phosphate = "9.5 mg/dL" },
    findings = { "ckd" } },
  { id = "A7", age = 30, sex = "F", labs = { ["17861-6"] = "10.9 mg/dL", ["2160-0"] = "1.1 mg/dL",
    corrected_calcium = "11.5 mg/dL", ca_x_p = 80 }, findings = { "systemic_sclerosis", "raynaud" },
    sites = { "fingertips" } },
  { id = "A8" },
  { id = "A9", age = 70, sex = "M", labs = { calcium = "15.2 mg/dL", egfr = "38", creatinine = "2.1 mg/dL" },
    findings = { "no dialysis", "history of sarcoidosis" } },
  { id = "A10", age = 25, sex = "F", labs = { calcium = "normal", phosphate = "wnl", pth = "NA", vitd25 = "-" },
    findings = { "dermatomyositis" }, sites = { "elbows", "knees" } },
  { id = "A11", age = 45, sex = "F", labs = { calcium = "1.1 mmol/L", albumin = "2.0 g/dL", magnesium = "0.4 mmol/L" },
    findings = { "iv_calcium", "calcium_extravasation" }, sites = { "forearms" } },
  { id = "A12", age = 12, sex = "M", labs = { calcium = "9.9 mg/dL", creatinine = "0.6 mg/dL" },
    findings = { "juvenile_dermatomyositis" } },
}
for _, p in ipairs(awkward) do patients[#patients + 1] = p end
do -- the example patients of the repository
  local list = io.popen("ls " .. repo .. "/examples/patients/*.json")
  for path in list:lines() do
    local f = assert(io.open(path, "rb"))
    local p = json.decode(f:read("a"))
    f:close()
    patients[#patients + 1] = p
  end
  list:close()
end

local rs = rules.default()
local f = assert(io.open(out, "wb"))
local function line(tag, i, v) f:write(tag, " ", tostring(i), " ", text(v), "\n") end
for i, p in ipairs(patients) do
  line("classify", i, calcinosis.classify(p))
  do -- knowledge fields read one by one before the whole table
    local r = calcinosis.classify(p)
    local first = { r.type, r.references, r.workup, r.labs, r.lab_status }
    line("classify-read", i, { first = first, all = r })
  end
  line("classify-noknow", i, calcinosis.classify(p, nil, { knowledge = false }))
  line("classify-si", i, calcinosis.classify(p, nil, { ca_coefficient = "si", kdigo_rounding = true }))
  line("ruleset", i, rs:classify(p))
  line("ruleset-know", i, rs:classify(p, { knowledge = true }))
  line("labs", i, calcinosis.labs(p))
  line("labs-payne", i, calcinosis.labs(p, { ca_coefficient = "payne", kdigo_rounding = true }))
  line("json", i, json.encode(calcinosis.classify(p)))
end
f:close()
print(#patients)
