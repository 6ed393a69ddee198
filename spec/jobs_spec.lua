-- `calcinosis classify --jobs N` (src/jobs.c): the same bytes as one job
-- whatever the output is: a file (-o, > and >>), a pipe, a pipe read
-- slowly. The input is cut into chunks of about 1 MiB, dealt to the
-- processes in turn; each chunk's output goes to the output in input
-- order (placed with pwrite in a regular file, else written in turn).
-- Inputs over 1 MiB (smaller ones run in one process), with blocks without
-- quotes (only line ends counted) and blocks with quoted line breaks
-- (scanned as the reader does). What spans a cut (an id repeated across
-- it, --strict's stop in a late chunk) comes out as in one job. A write
-- that fails, in any chunk, is reported as one job reports it.

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
  sh(classify(input, jobs, fmt, "| (sleep 0.2; cat) > " .. f)) -- the pipe full while the chunks are written
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

  it("line numbers after quoted line breaks, in every chunk", function()
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

-- 3 MB in which every record has the id of the one before (each but the
-- first is noted: "id 'X' repeats the previous record's"), with blank lines
-- and quoted line breaks here and there, so that some cuts fall after a
-- blank line or a record of two lines
local function same_id_csv()
  local parts = { HEADER }
  for i = 1, 60000 do
    if i % 1001 == 0 then parts[#parts + 1] = "\n\n" end
    if i % 777 == 0 then
      parts[#parts + 1] = ('X,%d,F,9.5,4.0,3.5,0.8,,,"trauma;\nlupus",fingers\n'):format(20 + i % 60)
    else
      parts[#parts + 1] = ("X,%d,M,%.1f,4.0,%.1f,1.1,70,30,ckd;livedo,thighs\n"):format(20 + i % 60, 8 + i % 5, 2 + i % 6)
    end
  end
  return table.concat(parts)
end

local function same_id_ndjson()
  local parts = {}
  for i = 1, 30000 do
    if i % 1001 == 0 then parts[#parts + 1] = "\n" end
    parts[#parts + 1] = ('{"id":"X","age":%d,"sex":"F","labs":{"calcium":"%.1f mg/dL","phosphate":%.1f,' ..
      '"albumin":[4.0,"g/dL"],"creatinine":1.1},"findings":["ckd","livedo"],"sites":"thighs"}\n')
      :format(20 + i % 60, 8 + i % 5, 2 + i % 6)
  end
  return table.concat(parts)
end

describe("--jobs: what spans a cut", function()
  teardown(clean_tmp)

  for _, case in ipairs {
    { "CSV", same_id_csv, ".csv", 60000 },
    { "NDJSON", same_id_ndjson, ".ndjson", 30000 },
  } do
    local name, make, ext, records = case[1], case[2], case[3], case[4]
    it(name .. ": an id that repeats the record's before a cut is noted, as in one job (--jobs and --shard)", function()
      local input = tmp(make(), ext)
      assert.is_true(#slurp(input) > 2 * 1024 * 1024)
      local one = tmp()
      assert.equal(1, (sh(classify(input, 1, "csv", "-o " .. one))))
      local want = slurp(one)
      local _, repeats = want:gsub("id 'X' repeats the previous record's", "")
      assert.equal(records - 1, repeats) -- every record but the first, in one job
      for _, jobs in ipairs { 2, 3, 7 } do
        for how, text in pairs(outputs(input, jobs, "csv")) do
          local _, got = text:gsub("id 'X' repeats the previous record's", "")
          assert.is_true(text == want, ("%d jobs, %s: %d bytes, one job %d; %d repeats noted, one job %d")
            :format(jobs, how, #text, #want, got, repeats))
        end
        local shards = {}
        for k = 1, jobs do
          local f = tmp()
          sh(classify(input, 1, "csv", ("--shard %d/%d -o %s"):format(k, jobs, f)))
          shards[k] = slurp(f)
        end
        local text = table.concat(shards)
        assert.is_true(text == want, ("--shard K/%d: %d bytes, one job %d"):format(jobs, #text, #want))
      end
    end)
  end

  it("a file that starts with a byte-order mark and blank lines: the header after them, in every chunk", function()
    local input = tmp("\xEF\xBB\xBF\r\n\n" .. csv_input(), ".csv")
    local one = tmp()
    assert.equal(1, (sh(classify(input, 1, "csv", "-o " .. one))))
    local want = slurp(one)
    assert.matches("^id,type,score,fired,problems,line,ca_corr\nP1,", want)
    for _, jobs in ipairs { 2, 3 } do
      local f = tmp()
      sh(classify(input, jobs, "csv", "-o " .. f))
      local text = slurp(f)
      assert.is_true(text == want, ("%d jobs: %d bytes, one job %d"):format(jobs, #text, #want))
    end
  end)

  it("--strict: the first problem in a late chunk stops the run where one job stops", function()
    -- 40,000 clean rows (2.4 MB, three chunks and more), one problem at row 33,333
    local parts = { HEADER }
    for i = 1, 40000 do
      parts[#parts + 1] = i == 33333 and "P33333,60,F,abc,4.0,3.5,0.8,,,ckd,\n"
        or ("P%d,%d,M,%.1f,4.0,%.1f,1.1,70,30,ckd;livedo,thighs\n"):format(i, 20 + i % 60, 8 + i % 5, 2 + i % 6)
    end
    local input = tmp(table.concat(parts), ".csv")
    local want, want_rc, want_err
    for _, jobs in ipairs { 1, 2, 3, 7 } do
      local f = tmp()
      local rc, text = sh(classify(input, jobs, "csv", "--strict -o " .. f))
      local out = slurp(f)
      if jobs == 1 then
        want, want_rc, want_err = out, rc, text
        assert.is_truthy(text:find("line 33334", 1, true), text)
        local _, n = out:gsub("\n", "")
        assert.equal(33333, n) -- the header and the 33,332 rows before it
      else
        assert.equal(want_rc, rc)
        assert.equal(want_err, text)
        assert.is_true(out == want, ("%d jobs: %d bytes, one job %d"):format(jobs, #out, #want))
      end
    end
  end)
end)

describe("--jobs: where the output already has bytes, and writes that fail", function()
  teardown(clean_tmp)

  it("a file the shell opened holds what came before, the output, and what came after", function()
    local input = tmp(csv_input(), ".csv")
    local want = slurp((function()
      local f = tmp()
      sh(classify(input, 1, "csv", "-o " .. f))
      return f
    end)())
    for _, jobs in ipairs { 1, 2, 3 } do
      -- the output starts where the shell's offset is, and the offset is left at its end
      local f = tmp()
      sh(("{ printf 'before\\n'; %s; printf 'after\\n'; } > %s"):format(classify(input, jobs, "csv", ""), f))
      local text = slurp(f)
      assert.is_true(text == "before\n" .. want .. "after\n", ("%d jobs: %d bytes"):format(jobs, #text))
      -- opened for reading and writing, not truncated: the bytes past the output stay
      f = tmp(("x"):rep(#want + 1000))
      sh(classify(input, jobs, "csv", "1<> " .. f))
      text = slurp(f)
      assert.is_true(text == want .. ("x"):rep(1000), ("%d jobs, 1<>: %d bytes"):format(jobs, #text))
    end
  end)

  it("a write that fails in the first chunk or a later one: the file named, exit status 2", function()
    local input = tmp(csv_input(), ".csv")
    local one = tmp()
    sh(classify(input, 1, "csv", "-o " .. one))
    local size = #slurp(one)
    assert.is_true(size > 2 * 1024 * 1024)
    -- a limit on the size of files (RLIMIT_FSIZE; SIGXFSZ ignored, so the write fails with EFBIG), in 512-byte
    -- blocks as sh counts them: in the first chunk, in the middle of the output, near its end (a later chunk's
    -- own writes, or what waited in its memory)
    for _, at in ipairs { 100 * 1024, size // 2, size - 200 * 1024 } do
      for _, jobs in ipairs { 1, 2, 3 } do
        local f = tmp()
        local rc, text = sh(("sh -c 'ulimit -f %d; trap \"\" XFSZ; exec %s'")
          :format(at // 512, classify(input, jobs, "csv", "-o " .. f)))
        assert.equal(2, rc, ("%d jobs, limit %d: %s"):format(jobs, at, text))
        assert.is_truthy(text:find(f .. ": write error", 1, true), ("%d jobs, limit %d: %s"):format(jobs, at, text))
      end
    end
  end)

  it("a device that refuses every write (/dev/full): reported, not a crash", function()
    local f = io.open("/dev/full", "w")
    if not f then
      pending("no /dev/full here")
      return
    end
    f:close()
    local input = tmp(csv_input(), ".csv")
    for _, jobs in ipairs { 1, 2, 3 } do
      local rc, text = sh("{ " .. classify(input, jobs, "csv", "> /dev/full") .. "; }") -- its stderr to sh's
      assert.equal(2, rc, ("%d jobs: %s"):format(jobs, text))
      assert.is_truthy(text:find("standard output: write error", 1, true), ("%d jobs: %s"):format(jobs, text))
    end
  end)

  it("a pipe its reader closed (| head): what one job does, SIGPIPE (status 141), no message", function()
    local input = tmp(csv_input(), ".csv")
    for _, jobs in ipairs { 1, 2, 3 } do
      local _, text = sh(('( { %s; echo "st=$?" >&2; } | head -c 100 > /dev/null ) 2>&1')
        :format(classify(input, jobs, "csv", "")))
      assert.equal("st=141", (text:gsub("rc=%d+%s*$", ""):gsub("%s+$", "")), ("%d jobs: %s"):format(jobs, text))
    end
  end)

  it("a job's process killed: the job named, exit status 2", function()
    -- the children of a process as Linux lists them (not pgrep: it can hang under the ASan preload)
    if not io.open("/proc/self/task") then
      pending("no /proc/PID/task/PID/children here")
      return
    end
    -- 240,000 rows (about 14 MB): each process takes long enough to be killed while it runs
    local parts = {}
    local csv = csv_input()
    for _ = 1, 6 do parts[#parts + 1] = (csv:gsub("^[^\n]*\n", "", 1)) end
    local input = tmp(HEADER .. table.concat(parts), ".csv")
    for _, victim in ipairs { 1, 2 } do
      local out, log = tmp(), tmp()
      -- the process whose number is victim (in order of start) among the parent's children, once both are there
      local rc, text = sh(([[
%s 2> %s &
p=$!
kids=""
i=0
while [ $i -lt 3000 ]; do # (a parent that has ended has no children: the loop ends)
  kids=$(cat /proc/$p/task/$p/children 2> /dev/null | tr ' ' '\n' | sort -n | tr '\n' ' ')
  set -- $kids
  [ $# -ge 2 ] && break
  i=$((i + 1))
done
set -- $kids
eval "k=\${%d}"
kill -9 $k
wait $p
echo "status=$?"
cat %s]]):format(classify(input, 2, "csv", "-o " .. out), log, victim, log))
      assert.equal(0, rc)
      assert.is_truthy(text:find("status=2", 1, true), text)
      assert.is_truthy(text:find(("job %d failed"):format(victim), 1, true), text)
    end
  end)
end)
