-- --shard K/N: the N parts of a file, classified apart (a cluster array
-- job), concatenated in order are byte-identical to one run.
local support = require "support"

local tmp, clean_tmp = require("support").temp_files()
teardown(clean_tmp)

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>/dev/null; echo \"rc=$?\""))
  local out = p:read("a")
  p:close()
  return out:gsub("rc=%d+\n$", ""), tonumber(out:match("rc=(%d+)\n$"))
end

local COLS = "id,type,score,fired,not_evaluable,problems,line"

local function whole(path, extra)
  local out, rc = sh(("lua5.4 bin/calcinosis classify --quiet %s --columns %s %s"):format(extra or "", COLS, path))
  assert.is_true(rc == 0 or rc == 1, tostring(rc))
  return out
end

local function parts(path, n, extra)
  local all = {}
  for k = 1, n do
    local out, rc = sh(("lua5.4 bin/calcinosis classify --quiet %s --shard %d/%d --columns %s %s")
      :format(extra or "", k, n, COLS, path))
    assert.is_true(rc == 0 or rc == 1, ("shard %d/%d: exit %s"):format(k, n, tostring(rc)))
    all[k] = out
  end
  return table.concat(all)
end

describe("--shard K/N", function()
  -- a generated cohort with quoted fields holding commas, quotes and line breaks
  local text = support.bench_cohort(3000, 3):gsub("\nP0000100,", '\n"P0000100, ""quoted""\nid",', 1)
  local csv = tmp(text, ".csv")

  it("CSV: the parts of N = 1 to 5 concatenated are the whole output", function()
    local one = whole(csv)
    for n = 1, 5 do assert.is_true(parts(csv, n) == one, "N = " .. n) end
  end)

  it("NDJSON too", function()
    local lines = {}
    for i = 1, 400 do
      lines[i] = ('{"id":"N%d","age":%d,"sex":"F","labs":{"calcium":"%.1f mg/dL"},"findings":"trauma"}')
        :format(i, 20 + i % 60, 8 + (i % 50) / 10)
    end
    local nd = tmp(table.concat(lines, "\n") .. "\n", ".ndjson")
    local one = whole(nd)
    for n = 1, 5 do assert.is_true(parts(nd, n) == one, "N = " .. n) end
  end)

  it("more parts than records: the last parts are empty", function()
    local small = tmp("id,age\nA,40\nB,50\n", ".csv")
    assert.equal(whole(small), parts(small, 5))
  end)

  it("is refused for long format and for a bad K/N (exit 2)", function()
    local long = tmp("id,analyte,value,unit\np1,calcium,9.5,mg/dL\n", ".csv")
    local _, rc = sh("lua5.4 bin/calcinosis classify --shard 1/2 " .. long)
    assert.equal(2, rc)
    _, rc = sh("lua5.4 bin/calcinosis classify --shard 3/2 " .. csv)
    assert.equal(2, rc)
    _, rc = sh("lua5.4 bin/calcinosis classify --shard x " .. csv)
    assert.equal(2, rc)
  end)
end)
