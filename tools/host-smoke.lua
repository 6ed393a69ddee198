-- Smoke check of one Lua host (spec/check.sh runs it under lua5.1, luajit,
-- lua5.3 and lua5.4): loads the C core and the `calcinosis` module from
-- this checkout, then tries each layer in turn.
--   Usage: LUA tools/host-smoke.lua BUILD [full|core]
--   BUILD: the folder holding calcinosis/core.so for this host (build/5.1, ...)
--   full:  everything must run: convert, labs, classify, a cohort (5.3, 5.4)
--   core:  the C core and what needs no rule compiler must run (convert,
--          quantity, analytes, the C derived values, the CSV reader); labs,
--          classify and the cohort are tried and reported, not required
--          (Lua 5.1 and LuaJIT: the rule compiler, which labs, classify and
--          cohorts go through, is Lua 5.3 code: integer division, bit
--          operators, string.pack).
-- Written in the Lua 5.1 subset. Prints one line per check, then
-- "N passed, N failed, N not on this host"; exits 1 when a check failed.
local build, mode = arg[1], arg[2] or "full"
assert(build, "usage: tools/host-smoke.lua BUILD [full|core]")
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = build .. "/?.so;" .. package.cpath

local host = rawget(_G, "jit") and _G.jit.version or _VERSION
local passed, failed, absent = 0, 0, 0

local function first_line(e) return (tostring(e):gsub("\n.*", "")) end

-- check(name, required, fn): fn raises or returns false, message on failure.
local function check(name, required, fn)
  local ok, res, msg = pcall(fn)
  if ok and res ~= false then
    passed = passed + 1
    print(("ok - %s: %s"):format(host, name))
  elseif required then
    failed = failed + 1
    print(("not ok - %s: %s: %s"):format(host, name, first_line(ok and msg or res)))
  else
    absent = absent + 1
    print(("# %s: %s: not on this host: %s"):format(host, name, first_line(ok and msg or res)))
  end
end

local function near(a, b, tol, what)
  if type(a) ~= "number" or math.abs(a - b) > tol then
    error(("%s: %s, expected %s"):format(what, tostring(a), tostring(b)), 0)
  end
end

local full = mode == "full"
local calcinosis

check("require 'calcinosis.core'", true, function()
  local core = require "calcinosis.core"
  return type(core) == "table" and type(core.convert) == "function", "no core.convert"
end)

check("require 'calcinosis'", true, function()
  calcinosis = require "calcinosis"
  return type(calcinosis._VERSION) == "string", "no _VERSION"
end)

check("calcinosis.convert", true, function()
  near(calcinosis.convert(10, "mg/dL", "mmol/L", "calcium"), 2.495, 0.001, "10 mg/dL calcium in mmol/L")
  near(calcinosis.convert(2.5, "mmol/L", "mg/dL", "calcium"), 10.02, 0.01, "2.5 mmol/L calcium in mg/dL")
  local v, e = calcinosis.convert(1, "mg/dL", "mmol/L")
  if v ~= nil or not tostring(e):find("molar mass", 1, true) then error("mg/dL to mmol/L without analyte: " .. tostring(e), 0) end
end)

check("calcinosis.quantity and analyte", true, function()
  local q = calcinosis.quantity("<15 mL/min")
  if not (q and q.value == 15 and q.comparator == "<") then error("quantity '<15 mL/min'", 0) end
  local a = calcinosis.analyte("phos")
  if not (a and a.name == "phosphate") then error("analyte 'phos': " .. tostring(a and a.name), 0) end
end)

check("C core: corrected calcium, eGFR, KDIGO stage", true, function()
  local core = calcinosis.core
  near(core.corrected_calcium(10.5, 3.0, "common"), 11.3, 1e-9, "corrected calcium 10.5 mg/dL, albumin 3.0 g/dL")
  near(core.egfr_ckd_epi_2021(120 / 88.42, 60, false), 59.7, 0.1, "CKD-EPI 2021, creatinine 120 umol/L, 60 y, male")
  local _, stage = core.kdigo(59.71)
  if stage ~= "G3a" then error("KDIGO stage of 59.71: " .. tostring(stage), 0) end
  _, stage = core.kdigo(59.71, true)
  if stage ~= "G2" then error("KDIGO stage of 59.71 rounded: " .. tostring(stage), 0) end
end)

check("C core: CSV reader (examples/cohort.csv)", true, function()
  local r = assert(calcinosis.core.csv_open("examples/cohort.csv", ","))
  local header = r:next()
  local row = r:next()
  r:close()
  if not (header and header[1] == "id" and row and #row == #header) then error("header or first row", 0) end
end)

check("calcinosis.labs", full, function()
  local t = calcinosis.labs {
    id = "p1", age = 60, sex = "F",
    labs = { calcium = "10.5 mg/dL", albumin = { 30, "g/L" }, phosphate = "high", creatinine = "120 umol/L" },
  }
  near(t.corrected_calcium.value, 11.3, 1e-9, "corrected calcium")
  if t.corrected_calcium.flag ~= "high" then error("flag " .. tostring(t.corrected_calcium.flag), 0) end
  near(t.egfr.value, 44.7, 0.1, "eGFR")
  if t.ckd_stage.value ~= "G3b" then error("stage " .. tostring(t.ckd_stage.value), 0) end
end)

check("calcinosis.classify (default ruleset)", full, function()
  local r = calcinosis.classify {
    id = "p1", age = 52, sex = "M",
    labs = { calcium = "10.2 mg/dL", albumin = "4.0 g/dL", phosphate = "7.7 mg/dL", creatinine = "6.8 mg/dL" },
    findings = { "esrd", "dialysis" }, sites = { "shoulders", "periarticular" },
  }
  if r.type ~= "metastatic" or r.id ~= "p1" then error("type " .. tostring(r.type) .. ", id " .. tostring(r.id), 0) end
end)

check("calcinosis.cohort.run (examples/cohort.csv)", full, function()
  local out = os.tmpname()
  local stats, e = require("calcinosis.cohort").run(calcinosis.rules.default(), {
    input = "examples/cohort.csv", output = out, columns = { "id", "type" }, format = "csv",
  })
  local f = io.open(out, "rb")
  local text = f and f:read("*a") or ""
  if f then f:close() end
  os.remove(out)
  if not stats then error(e, 0) end
  local lines = select(2, text:gsub("\n", "\n"))
  if stats.records < 1 or lines ~= stats.records + 1 or not text:find("^id,type\n") then
    error(("%d records, %d lines"):format(stats.records, lines), 0)
  end
end)

print(("%s (%s checks): %d passed, %d failed, %d not on this host"):format(host, mode, passed, failed, absent))
os.exit(failed == 0 and 0 or 1)
