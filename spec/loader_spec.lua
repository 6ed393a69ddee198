-- calcinosis.loader and tools/bytecode.lua: bin/calcinosis loads the
-- library's modules from the bytecode `make` compiled, each only while its
-- source is unchanged, and answers exactly as from the sources.
local loader = require "calcinosis.loader"

local BUILD = os.getenv("CALCINOSIS_BUILD") or "build/5.4"
local REAL = "build/5.4/calcinosis/modules.luac" -- (made by the default build only)

local tmps = {}
local function tmpdir()
  local d = os.tmpname()
  os.remove(d)
  assert(os.execute("mkdir -p '" .. d .. "/lua/calcinosis'"))
  tmps[#tmps + 1] = d
  return d
end
teardown(function() for _, d in ipairs(tmps) do os.execute("rm -rf '" .. d .. "'") end end)

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

local function run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1; echo \"rc=$?\""))
  local out = p:read("a")
  p:close()
  local rc = tonumber(out:match("rc=(%d+)\n$"))
  return (out:gsub("rc=%d+\n$", "")), rc
end

-- compiles ROOT's modules with tools/bytecode.lua; returns the cache table
local function make_cache(root)
  local out = root .. "/modules.luac"
  local msg, rc = run("LUA_CPATH='" .. BUILD .. "/?.so' lua5.4 tools/bytecode.lua '" .. root .. "' '" .. out .. "'")
  assert(rc == 0, msg)
  return assert(loadfile(out, "b"))(), out
end

describe("calcinosis.loader", function()
  local saved_path
  before_each(function() saved_path = package.path end)
  after_each(function() package.path = saved_path end)

  it("loads a module from its bytecode while the source is unchanged, from the source once it changes", function()
    local root = tmpdir()
    local file = root .. "/lua/calcinosis/zz_loader_probe.lua"
    write(file, "return { v = 1 }\n")
    local cache = make_cache(root)
    assert.is_table(cache["calcinosis.zz_loader_probe"])
    package.path = root .. "/lua/?.lua;" .. package.path
    local stats = {}
    local search = loader.searcher(cache, stats)
    local fn, path = search("calcinosis.zz_loader_probe")
    assert.is_function(fn)
    assert.equal(root .. "/lua/calcinosis/zz_loader_probe.lua", path)
    assert.same({ v = 1 }, fn())
    assert.same({ bytecode = 1 }, stats)
    -- edited after make: the cached code is not used
    write(file, "return { v = 2 }\n")
    assert.is_nil(search("calcinosis.zz_loader_probe"))
    assert.same({ bytecode = 1, source = 1 }, stats)
    -- a module the cache does not hold, and one package.path does not find
    assert.is_nil(search("calcinosis.zz_not_there"))
    package.path = saved_path
    assert.is_nil(search("calcinosis.zz_loader_probe"))
  end)

  it("tells a source from the same source with any one byte changed (core.quick_hash)", function()
    local quick = require("calcinosis.core").quick_hash
    local base = "local M = {} -- a module\nfunction M.f(x) return x * 2 end\nreturn M\n"
    for n = 0, #base do
      local s = base:sub(1, n)
      local h = quick(s)
      assert.matches("^%x+$", h)
      assert.equal(16, #h)
      assert.equal(h, quick(s .. ""))
      assert.not_equal(h, quick(s .. " "))
      for i = 1, n do
        local b = s:byte(i)
        for _, d in ipairs { 1, 32, 128 } do
          local t = s:sub(1, i - 1) .. string.char((b + d) % 256) .. s:sub(i + 1)
          assert.not_equal(h, quick(t), ("length %d, byte %d + %d"):format(n, i, d))
        end
      end
    end
  end)

  it("leaves the default ruleset out (it is read as a ruleset file, in its sandbox)", function()
    local root = tmpdir()
    assert(os.execute("mkdir -p '" .. root .. "/lua/calcinosis/rules'"))
    write(root .. "/lua/calcinosis/rules/default.lua", "return 1\n")
    write(root .. "/lua/calcinosis/rules/init.lua", "return 2\n")
    local cache = make_cache(root)
    assert.is_nil(cache["calcinosis.rules.default"])
    assert.is_table(cache["calcinosis.rules"])
  end)

  it("ignores a cache file that is missing, not bytecode or not a cache", function()
    local root = tmpdir()
    local ok, err = loader.install(root .. "/none.luac")
    assert.is_nil(ok)
    assert.is_string(err)
    write(root .. "/text.luac", "return {}\n")
    ok, err = loader.install(root .. "/text.luac") -- (text: refused by mode "b")
    assert.is_nil(ok)
    assert.is_string(err)
    write(root .. "/bad.luac", string.dump(load("return 42")))
    ok, err = loader.install(root .. "/bad.luac")
    assert.is_nil(ok)
    assert.matches("not a module cache", err)
  end)

  it("the cache make writes is fresh: every module the command loads comes from it", function()
    local f = io.open(REAL, "rb")
    assert.is_not_nil(f, REAL .. " is missing: run make")
    f:close()
    local script = [[
      package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
      package.cpath = "build/5.4/?.so;" .. package.cpath
      local stats = {}
      assert(require("calcinosis.loader").install("]] .. REAL .. [[", stats))
      local cli = require "calcinosis.cli"
      cli.main({ "classify", "--quiet", "-o", "/dev/null", "examples/cohort.csv" })
      io.write("\nbytecode=", stats.bytecode or 0, " source=", stats.source or 0, "\n")
    ]]
    local file = tmpdir() .. "/probe.lua"
    write(file, script)
    local out, rc = run("lua5.4 " .. file)
    assert.equal(0, rc, out)
    local b, s = out:match("bytecode=(%d+) source=(%d+)")
    assert.is_truthy(tonumber(b) >= 10, out)
    assert.equal("0", s, "modules edited since make were read from source: run make")
  end)

  it("is turned off by CALCINOSIS_BYTECODE=0", function()
    local out, rc = run("CALCINOSIS_BYTECODE=0 lua5.4 -e 'package.path = \"lua/?.lua;\" .. package.path; " ..
      "print(select(2, require(\"calcinosis.loader\").install(\"" .. REAL .. "\")))'")
    assert.equal(0, rc, out)
    assert.matches("turned off", out)
  end)
end)

describe("bin/calcinosis with and without the bytecode", function()
  -- the same bytes and exit status either way, for the main jobs and errors
  local cases = {
    "classify --rules bench/bench-v1.lua --columns 'id,type,score,fired,ca_corr:%.2f,ca_x_p:%.1f,egfr:%.0f' " ..
      "examples/cohort.csv",
    "classify --summary --columns id,type,score,confidence,alternatives,alerts,problems examples/cohort.csv",
    "classify examples/patients/heel_stick_infant.json",
    "classify --columns id,nope examples/cohort.csv",
    "classify --rules /nonexistent/rules.lua examples/cohort.csv",
    "--help",
  }
  for _, args in ipairs(cases) do
    it(args, function()
      local on, rc_on = run("lua5.4 bin/calcinosis " .. args)
      local off, rc_off = run("CALCINOSIS_BYTECODE=0 lua5.4 bin/calcinosis " .. args)
      assert.equal(rc_off, rc_on)
      assert.equal(off, on)
      assert.is_true(#on > 0)
    end)
  end
end)
