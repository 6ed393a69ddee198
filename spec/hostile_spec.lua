-- Hostile inputs (spec/fixtures/bad/, listed in its MANIFEST with the command
-- to run, the documented exit status, the records expected and a text the
-- messages must hold) run through the command as users run it. Each checks:
-- no crash (no signal, no "stack traceback", no "internal error"), the exit
-- status, one output row per input record where the manifest counts them,
-- and a message naming the problem. Inputs too big to commit (a 100 MB
-- line), a directory, a FIFO and /dev/full are made in a temp folder here.
local support = require "support"

local DIR = "spec/fixtures/bad/"

local function read_manifest()
  local list = {}
  for line in io.lines(DIR .. "MANIFEST") do
    if line ~= "" and line:sub(1, 1) ~= "#" then
      local f = {}
      for x in (line .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = x end
      assert(#f == 6, "MANIFEST: 6 fields expected in: " .. line)
      list[#list + 1] = { fixture = f[1], format = f[2], status = tonumber(f[3]),
        records = f[4] ~= "-" and tonumber(f[4]) or nil, pattern = f[5] ~= "-" and f[5] or nil, args = f[6] }
    end
  end
  return list
end

local tmpdir = os.tmpname()
os.remove(tmpdir)
assert(os.execute("mkdir -p '" .. tmpdir .. "'"))
teardown(function() os.execute("rm -rf '" .. tmpdir .. "'") end)

local HEADER = "id,age,sex,calcium [mg/dL],phosphate [mg/dL],albumin [g/dL],findings,sites\n"
local made = {}
-- the fixtures made at test time; returns the path and, for a FIFO, its writer
local function make(name)
  if made[name] then return made[name] end
  local path = tmpdir .. "/" .. name:sub(2)
  if name == "@csv_100mb_line" then
    path = path .. ".csv"
    local f = assert(io.open(path, "wb"))
    f:write(HEADER, "P0,60,F,10,4,4,,\nP1,60,F,10,4,4,")
    local chunk = ("x"):rep(1 << 20)
    for _ = 1, 100 do f:write(chunk) end
    f:write(",\nP2,61,M,9,4,4,,\n")
    f:close()
  elseif name == "@ndjson_100mb_line" then
    path = path .. ".ndjson"
    local f = assert(io.open(path, "wb"))
    f:write('{"id":"P0"}\n{"id":"')
    local chunk = ("x"):rep(1 << 20)
    for _ = 1, 100 do f:write(chunk) end
    f:write('"}\n{"id":"P2"}\n')
    f:close()
  elseif name == "@dir" then
    assert(os.execute("mkdir -p '" .. path .. "'"))
  elseif name == "@fifo" then
    path = path .. ".csv"
  elseif name == "@devfull" then
    path = "/dev/full"
  else
    error("unknown generated fixture " .. name)
  end
  made[name] = path
  return path
end

local function count_rows(out, format)
  if format == "ndjson-out" then
    local n = 0
    for _ in out:gmatch("[^\n]+") do n = n + 1 end
    return n
  end
  local rows = support.parse_csv(out, true)
  return #rows - 1 -- the header line
end

local counts = { fixtures = {}, by_format = {}, by_status = {} }

describe("hostile inputs (spec/fixtures/bad/MANIFEST)", function()
  local list = read_manifest()

  it("has at least 60 fixtures across the formats, each listed file present and each file listed", function()
    local listed, formats = {}, {}
    for _, e in ipairs(list) do
      if e.fixture:sub(1, 1) ~= "@" then
        assert(io.open(DIR .. e.fixture, "rb"), "missing fixture " .. e.fixture):close()
        listed[e.fixture] = true
      end
      counts.fixtures[e.fixture] = true
      formats[e.format] = true
    end
    local p = io.popen("ls " .. DIR)
    for name in p:lines() do
      if name ~= "MANIFEST" then assert(listed[name], name .. " is not in the MANIFEST") end
    end
    p:close()
    local n = 0
    for _ in pairs(counts.fixtures) do n = n + 1 end
    assert.is_true(n >= 60, n .. " fixtures")
    for _, f in ipairs { "csv", "long", "ndjson", "json", "rules", "output" } do assert.truthy(formats[f], f) end
  end)

  for i, e in ipairs(list) do
    it(("%d. %s: %s exits %d"):format(i, e.fixture, e.args:gsub("{f}", e.fixture), e.status), function()
      local path = e.fixture:sub(1, 1) == "@" and make(e.fixture) or (DIR .. e.fixture)
      local writer
      if e.fixture == "@fifo" then
        os.remove(path)
        assert(os.execute("mkfifo '" .. path .. "'"))
        -- a writer that gives up after 20 s should nothing read the FIFO
        writer = io.popen("timeout 20 sh -c 'cat examples/cohort.csv > \"" .. path .. "\"'; echo done")
      end
      local args = e.args:gsub("{f}", function() return "'" .. path .. "'" end)
      local t0 = os.time()
      -- a hang fails the spec (status 124), not the suite; valgrind-suite.sh sets CALCINOSIS_SLOW
      local limit = 120 * require("support").SLOW
      local out, rc, err, sig = support.run(args, nil, limit)
      if writer then writer:close() end
      assert.is_nil(sig, "ended by signal " .. tostring(sig))
      assert.is_true(os.time() - t0 < limit and rc ~= 124, ("took more than %d s (stopped)"):format(limit))
      local both = out .. err
      assert.is_nil(both:find("stack traceback", 1, true), err)
      assert.is_nil(both:find("internal error", 1, true), err)
      assert.equal(e.status, rc, err)
      if e.pattern then
        assert.truthy(both:find(e.pattern, 1, true), ("no %q in:\n%s"):format(e.pattern, both:sub(1, 2000)))
      end
      if e.records then
        local ndjson_out = args:find("--format ndjson", 1, true)
        assert.equal(e.records, count_rows(out, ndjson_out and "ndjson-out" or "csv"))
      end
      counts.by_format[e.format] = (counts.by_format[e.format] or 0) + 1
      counts.by_status[e.status] = (counts.by_status[e.status] or 0) + 1
    end)
  end

  it("counts (printed for the record)", function()
    local n, f, s = 0, {}, {}
    for _ in pairs(counts.fixtures) do n = n + 1 end
    for k, v in pairs(counts.by_format) do f[#f + 1] = k .. " " .. v end
    for k, v in pairs(counts.by_status) do s[#s + 1] = "exit " .. k .. ": " .. v end
    table.sort(f)
    table.sort(s)
    io.stderr:write(("\n# hostile inputs: %d fixtures, %d runs; by format: %s; by outcome: %s\n")
      :format(n, #list, table.concat(f, ", "), table.concat(s, ", ")))
    assert.is_true(n >= 60)
  end)
end)
