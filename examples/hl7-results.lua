#!/usr/bin/env lua5.4
-- Reads an HL7 v2 file of result messages (ORU^R01, OUL^R22), classifies
-- each patient with the default ruleset and prints the results.
-- From the repository root:
--   lua5.4 examples/hl7-results.lua examples/hl7-results.hl7
-- A research tool, not a diagnosis.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/5.4/?.so;" .. package.cpath
local calcinosis = require "calcinosis"
local hl7 = require "calcinosis.hl7"

local path = arg[1]
if not path then
  io.stderr:write("usage: lua5.4 examples/hl7-results.lua FILE.hl7\n")
  os.exit(2)
end
local f, err = io.open(path, "rb")
if not f then
  io.stderr:write(err, "\n")
  os.exit(2)
end
local text = f:read("a")
f:close()

local records, problems, info = hl7.records(text)
print(("%s: %d message(s), %d patient(s)"):format(path, info.messages, #records))
local status = #problems > 0 and 1 or 0
for _, rec in ipairs(records) do
  local r = calcinosis.classify(rec, nil, { knowledge = false })
  print(("\npatient %s (sex %s, born %s): %s, confidence %s"):format(tostring(rec.id), rec.sex or "?",
    rec.birth_date or "?", r.type, r.confidence.level))
  local names = {}
  for name in pairs(rec.labs) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local n = #rec[name .. "_values"]
    print(("  %-11s %-14s at %s%s%s"):format(name, rec.labs[name], rec[name .. "_date"] or "?",
      rec[name .. "_flag"] and ("  flag " .. rec[name .. "_flag"]) or "",
      n > 1 and ("  (latest of " .. n .. ")") or ""))
  end
  for _, fired in ipairs(r.fired) do print("  rule " .. fired.id .. ": " .. fired.because) end
  for _, p in ipairs(rec.problems) do print("  problem: " .. p); status = 1 end
  for _, p in ipairs(r.problems) do print("  problem: " .. p); status = 1 end
  for _, u in ipairs(rec.unrecognised) do print("  not read: " .. u) end
end
for _, p in ipairs(problems) do print("file problem: " .. p) end
print("\n" .. require("calcinosis.util").DISCLAIMER)
os.exit(status)
