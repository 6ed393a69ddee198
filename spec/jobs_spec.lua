-- `calcinosis classify --jobs N` (src/jobs.c): the same bytes as one job
-- whatever the output is: a file (-o, > and >>), a pipe, a pipe read
-- slowly; the first range is written straight to the output, the others
-- are sent from memory while they are written. Inputs over 1 MiB (smaller
-- ones run in one process), with blocks without quotes (only line ends
-- counted) and blocks with quoted line breaks (scanned as the reader does).

local tmp, clean_tmp = require("support").temp_files()
local slurp = require("support").slurp
local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1; echo \"rc=$?\""))
  local text = p:read("a")
  p:close()
  return tonumber(text:match("rc=(%d+)%s*$")), text
end

local HEADER = "id,age_years,sex,calcium [mg/dL],albumin [g/dL],phosphate [mg/dL],creatinine [mg/dL]," ..
  "pth [pg/mL],vitd25 [ng/mL],findings,sites\n"

-- 40,000 rows (about 2.4 MB): quoted line breaks only around rows 9,000 and
-- 27,000 (so most 1 MiB blocks have no quote), a problem every 101 rows
local function csv_input()
  local parts = { HEADER }
  for i = 1, 40000 do
    if (i > 9000 and i < 9400 and i % 3 == 0) or (i > 27000 and i < 27100) then
      parts[#parts + 1] = ('"P%d",60,F,9.5,4.0,3.5,0.8,,,"trauma;\nlupus","say ""x"""\n'):format(i)
    elseif i % 101 == 0 then
      parts[#parts + 1] = ("P%d,60,F,abc,4.0,3.5,0.8,,,ckd,\n"):format(i)
    else
      parts[#parts + 1] = ("P%d,%d,M,%.1f,4.0,%.1f,1.1,70,30,ckd;livedo,thighs\n"):format(i, 20 + i % 60, 8 + i % 5,
        2 + i % 6)
    end
  end
  return table.concat(parts)
end

local function ndjson_input()
  local parts = {}
  for i = 1, 30000 do
    if i % 97 == 0 then
      parts[#parts + 1] = ('{"id":"P%d","age":"old","labs":{"calcium":"9.5 mg/dL"}}\n'):format(i)
    else
      parts[#parts + 1] = ('{"id":"P%d","age":%d,"sex":"F","labs":{"calcium":"%.1f mg/dL","phosphate":%.1f,' ..
        '"albumin":[4.0,"g/dL"],"creatinine":1.1},"findings":["ckd","livedo"],"sites":"thighs"}\n')
        :format(i, 20 + i % 60, 8 + i % 5, 2 + i % 6)
    end
  end
  return table.concat(parts)
end

local COLUMNS = "id,type,score,fired,problems,line,ca_corr:%.2f"

local function classify(input, jobs, fmt, redirect)
  return ("lua5.4 bin/calcinosis classify --quiet --rules bench/bench-v1.lua --columns '%s' --format %s --jobs %d %s %s")
    :format(COLUMNS, fmt, jobs, input, redirect)
end

-- The output of each way to write it, for `jobs` processes.
local function outputs(input, jobs, fmt)
  local got = {}
  local f = tmp()
  sh(classify(input, jobs, fmt, "-o " .. f))
  got["-o FILE"] = slurp(f)
  f = tmp()
  sh(classify(input, jobs, fmt, "> " .. f))
  got["> FILE"] = slurp(f)
  f = tmp("before\n")
  sh(classify(input, jobs, fmt, ">> " .. f)) -- sendfile refuses files opened for appending
  got[">> FILE"] = slurp(f):gsub("^before\n", "", 1)
  f = tmp()
  sh(classify(input, jobs, fmt, "| cat > " .. f))
  got["| cat"] = slurp(f)
  f = tmp()
  sh(classify(input, jobs, fmt, "| (sleep 0.2; cat) > " .. f)) -- the pipe full while the ranges are sent
  got["| slow reader"] = slurp(f)
  return got
end

describe("--jobs: the same bytes as one job, whatever the output", function()
  teardown(clean_tmp)

  for _, case in ipairs {
    { "CSV in, CSV out", csv_input, ".csv", "csv", 40001 },
    { "CSV in, NDJSON out", csv_input, ".csv", "ndjson", 40000 },
    { "NDJSON in, CSV out", ndjson_input, ".ndjson", "csv", 30001 },
  } do
    local name, make, ext, fmt, nlines = case[1], case[2], case[3], case[4], case[5]
    it(name, function()
      local input = tmp(make(), ext)
      local one = tmp()
      local rc = sh(classify(input, 1, fmt, "-o " .. one))
      assert.equal(1, rc) -- some records have problems
      local want = slurp(one)
      assert.is_true(#slurp(input) > 1024 * 1024)
      local _, n = want:gsub("\n", "")
      assert.equal(nlines, n)
      for _, jobs in ipairs { 2, 3, 5 } do
        for how, text in pairs(outputs(input, jobs, fmt)) do
          assert.is_true(text == want, ("%d jobs, %s: %d bytes, one job %d"):format(jobs, how, #text, #want))
        end
      end
    end)
  end

  it("line numbers after quoted line breaks, in every range", function()
    local input = tmp(csv_input(), ".csv")
    local f = tmp()
    sh(classify(input, 3, "csv", "-o " .. f))
    local text = slurp(f)
    -- P9003 spans two lines, so do the rows with quotes after it: P10100 is on line 10101 + 133
    assert.is_truthy(text:find("\nP10100,[^\n]*'abc' is not a number,10234,", 1), "P10100's line")
    -- and 99 more from rows 27001..27099: P39996 (problem every 101 rows: 39996 = 101 x 396)
    assert.is_truthy(text:find("\nP39996,[^\n]*'abc' is not a number,40229,", 1), "P39996's line")
  end)
end)
