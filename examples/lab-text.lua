#!/usr/bin/env lua5.4
-- Reads lab results pasted as text (a file given as argument, or standard
-- input), classifies the patient with the default ruleset and prints the
-- result with the lines that were not read. From the repository root:
--   lua5.4 examples/lab-text.lua examples/lab-text.txt
-- A research tool, not a diagnosis.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/5.4/?.so;" .. package.cpath
local calcinosis = require "calcinosis"
local labtext = require "calcinosis.labtext"

local text
if arg[1] then
  local f, err = io.open(arg[1], "rb")
  if not f then
    io.stderr:write(err, "\n")
    os.exit(2)
  end
  text = f:read("a")
  f:close()
else
  text = io.read("a")
end

local records = labtext.records(text, { id = arg[1] or "pasted" })
local rec = records[1]
local r = calcinosis.classify(rec, nil, { knowledge = false })
print(("%s: %s, confidence %s"):format(rec.id, r.type, r.confidence.level))
local names = {}
for name in pairs(rec.labs) do names[#names + 1] = name end
table.sort(names)
for _, name in ipairs(names) do
  print(("  %-11s %-20s%s%s"):format(name, rec.labs[name],
    rec[name .. "_range"] and ("  range " .. rec[name .. "_range"]) or "",
    rec[name .. "_flag"] and ("  flag " .. rec[name .. "_flag"]) or ""))
end
for _, fired in ipairs(r.fired) do print("  rule " .. fired.id .. ": " .. fired.because) end
local status = 0
for _, p in ipairs(rec.problems) do print("  problem: " .. p); status = 1 end
for _, p in ipairs(r.problems) do print("  problem: " .. p); status = 1 end
for _, u in ipairs(rec.unrecognised) do print("  not read: " .. u) end
print("\n" .. require("calcinosis.util").DISCLAIMER)
os.exit(status)
