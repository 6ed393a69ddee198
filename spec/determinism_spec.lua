-- The same input gives the same answer in every process. Lua seeds its
-- string hashes anew in each process, so a loop over a table's keys (pairs)
-- visits them in a different order from one run to the next; wherever that
-- order showed (which of two things was reported, which of two entries won)
-- the library now goes in sorted order. Each case runs a small script in
-- several processes and compares what they print; with two keys each run
-- has about even chances of either order, so a case that depended on it
-- fails here with a probability of 1 - 2^-(RUNS-1).
-- luacheck: std +busted

local RUNS = 10

local function in_processes(body)
  local script = os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write([[
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("CALCINOSIS_BUILD") or "build/5.4") .. "/?.so;" .. package.cpath
]], body)
  f:close()
  local outs = {}
  for i = 1, RUNS do
    local p = assert(io.popen("lua5.4 " .. script .. " 2>&1"))
    outs[i] = p:read("a")
    p:close()
  end
  os.remove(script)
  return outs
end

local function same_everywhere(outs, expected)
  for i = 1, #outs do assert.are.equal(expected, outs[i], "process " .. i) end
end

describe("the same answer in every process", function()
  it("a variant with two unknown params names the first in sorted order", function()
    same_everywhere(in_processes([[
local rules = require "calcinosis.rules"
local base = assert(rules.ruleset { name = "s", version = "1", subtypes = { "a" },
  rules.param("lim", "1 mg/dL"),
  rules.rule { id = "r", when = "calcium > lim", supports = "a", weight = 1, because = "x", source = "S1" } })
local _, err = base:variant { params = { zeta = "1 mg/dL", alpha = "2 mg/dL", limx = "3 mg/dL" } }
io.write(tostring(err):match("unknown param '[^']*'") or tostring(err), "\n")
]]), "unknown param 'alpha'\n")
  end)

  it("a ruleset's warnings about its sets come in one order", function()
    local outs = in_processes([[
local rules = require "calcinosis.rules"
local decls = { name = "s", version = "1", subtypes = { "a" } }
for i, n in ipairs { "S_ONE", "S_TWO", "S_THREE", "S_FOUR" } do
  decls[#decls + 1] = rules.set(n, { "not_a_term_" .. i })
end
decls[#decls + 1] = rules.rule { id = "r", when = "any finding in S_ONE or any finding in S_TWO " ..
  "or any finding in S_THREE or any finding in S_FOUR", supports = "a", weight = 1, because = "x", source = "S1" }
local rs = assert(rules.ruleset(decls))
io.write(table.concat(rs.warnings, "\n"), "\n")
]])
    -- four warnings, one per set, the sets in sorted order
    local sets = {}
    for s in outs[1]:gmatch("set '(S_%u+)'") do sets[#sets + 1] = s end
    assert.are.same({ "S_FOUR", "S_ONE", "S_THREE", "S_TWO" }, sets)
    same_everywhere(outs, outs[1])
  end)

  it("an HL7 code table with a bad entry among others names the same one", function()
    same_everywhere(in_processes([[
local hl7 = require "calcinosis.hl7"
local ok, err = pcall(hl7.records, "MSH|^~\\&|x\r", { codes = { ["B-2"] = "not_an_analyte", ["A-1"] = "nor_this",
  ["C-3"] = "calcium" } })
io.write(tostring(ok), " ", (tostring(err):gsub("^.-: ", "")), "\n")
]]), "false codes[A-1] = nor_this is not a code and a known analyte\n")
  end)

  it("util.sorted_keys: string keys in string order, mixed keys by their text, in every process", function()
    same_everywhere(in_processes([[
local util = require "calcinosis.util"
local t = {}
for i = 1, 300 do t["k" .. i] = true end
t["B"], t["a"], t["_"], t["k10 "] = 1, 2, 3, 4
io.write(table.concat(util.sorted_keys(t), ","), "\n")
local mixed = util.sorted_keys({ [10] = 1, [9] = 1, x = 1, [true] = 1, ["10"] = 1, [2.5] = 1 })
for i, k in ipairs(mixed) do mixed[i] = type(k) .. ":" .. tostring(k) end
io.write(table.concat(mixed, ","), "\n")
]]), (function()
      local keys = {}
      for i = 1, 300 do keys[#keys + 1] = "k" .. i end
      keys[#keys + 1], keys[#keys + 2], keys[#keys + 3], keys[#keys + 4] = "B", "a", "_", "k10 "
      table.sort(keys)
      return table.concat(keys, ",") .. "\n"
    end)() .. "number:10,string:10,number:2.5,number:9,boolean:true,string:x\n")
  end)
end)
