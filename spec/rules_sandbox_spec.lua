-- Loading ruleset files: the sandbox refuses every escape, budgets stop
-- runaway scripts, and trusted files get the full environment on request.
local rules = require "calcinosis.rules"

local OK_TAIL = [[
return ruleset { name = "s", version = "1", subtypes = { "a" },
  rule { id = "r", when = "true", supports = "a", weight = 1, because = "x", source = "S1" } }]]

local function try(code, options)
  return rules.compile(code .. "\n" .. OK_TAIL, options)
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

describe("ruleset sandbox", function()
  it("runs a plain ruleset", function()
    assert.truthy(try(""))
  end)

  for _, name in ipairs { "io", "os", "require", "load", "loadstring", "dofile", "loadfile", "debug",
    "package", "collectgarbage", "getmetatable", "setmetatable", "rawget", "rawset", "rawequal",
    "pcall", "xpcall", "coroutine", "_G", "print" } do
    it("has no " .. name, function()
      local rs, err = try(("assert(%s == nil, 'escaped: %s')"):format(name, name))
      assert.truthy(rs, err)
      rs, err = try(("local x = %s.x"):format(name))
      assert.is_nil(rs)
      assert.matches("attempt to index", err, 1, true)
    end)
  end

  it("gives no string.dump and no way to the string metatable", function()
    assert.truthy(try("assert(string.dump == nil); assert(('x').dump == nil)"))
    local rs, err = try("local mt = getmetatable('')")
    assert.is_nil(rs)
    assert.matches("getmetatable", err, 1, true)
  end)

  it("bounds string.rep, also through the string metatable", function()
    local rs, err = try("local s = string.rep('x', 1e9)")
    assert.is_nil(rs)
    assert.matches("too large", err, 1, true)
    rs, err = try("local s = ('x'):rep(1e9)")
    assert.is_nil(rs)
    assert.matches("too large", err, 1, true)
    -- and the real string.rep is back afterwards
    assert.equal(2000000, #("x"):rep(2000000))
  end)

  it("refuses bytecode", function()
    local rs, err = rules.compile(string.dump(function() end))
    assert.is_nil(rs)
    assert.matches("binary", err, 1, true)
  end)

  it("stops an endless loop with the instruction budget", function()
    local rs, err = try("while true do end")
    assert.is_nil(rs)
    assert.matches("instruction budget exceeded", err, 1, true)
  end)

  it("stops endless recursion", function()
    local rs, err = try("local function f() return 1 + f() end f()")
    assert.is_nil(rs)
    assert.truthy(err:find("stack overflow", 1, true) or err:find("budget", 1, true), err)
  end)

  it("stops a table bomb with the memory budget", function()
    local rs, err = try("local t = {} for i = 1, 1e9 do t[i] = { i } end",
      { budget = { instructions = 1e12, memory_kb = 8192 } })
    assert.is_nil(rs)
    assert.matches("memory budget exceeded", err, 1, true)
  end)

  it("stops a string doubling bomb with the memory budget", function()
    local rs, err = try("local s = ('x'):rep(1000) for i = 1, 40 do s = s .. s end",
      { budget = { instructions = 1e12, memory_kb = 8192 } })
    assert.is_nil(rs)
    assert.matches("memory budget exceeded", err, 1, true)
  end)

  -- single operations that no hook can interrupt: the allocator guard fails them
  for name, code in pairs {
    ["one huge concatenation"] = "local s = ('x'):rep(1000000) local t = s" .. (" .. s"):rep(100),
    ["table.concat of many big strings"] =
      "local s = ('x'):rep(1000000) local t = {} for i = 1, 1000 do t[i] = s end local u = table.concat(t)",
    ["string.format of many big strings"] =
      "local s = ('x'):rep(1000000) local t = {} for i = 1, 200 do t[i] = s end "
      .. "local u = string.format(('%s'):rep(200), table.unpack(t))",
    ["string.rep with a count given as text"] = "local s = string.rep('x', '100000000')",
  } do
    it("stops " .. name .. " with the memory budget", function()
      local rs, err = try(code, { budget = { instructions = 1e9, memory_kb = 16384 } })
      assert.is_nil(rs)
      assert.truthy(err:find("memory budget exceeded", 1, true) or err:find("too large", 1, true), err)
      -- the state's allocator is back to normal
      assert.equal(50000000, #("x"):rep(50000000))
    end)
  end

  -- the parse of a rule's expression (LPeg) runs out of the budget: the
  -- load reports the budget (it said "rule 'r': not enough memory", as if
  -- the expression were wrong)
  it("reports the memory budget when a rule's parse runs out of it", function()
    local rs, err = rules.compile([[
local e = ("calcium + "):rep(20000) .. "1 > 2"
return ruleset { name = "m", version = "1", subtypes = { "a" },
  rule { id = "r", when = e, supports = "a", weight = 1, because = "x", source = "S1" } }]],
      { budget = { instructions = 1e9, memory_kb = 4096 } })
    assert.is_nil(rs)
    assert.matches("memory budget exceeded (4096 KB)", err, 1, true)
    assert.is_nil(err:find("not enough memory", 1, true), err)
  end)

  it("cannot catch the budget error (no pcall)", function()
    local rs, err = try("while true do end")
    assert.is_nil(rs)
    assert.matches("budget", err, 1, true)
  end)

  it("restores the debug hook of the caller", function()
    local function h() end
    debug.sethook(h, "", 1000000)
    try("while true do end")
    local now = debug.gethook()
    debug.sethook()
    assert.equal(h, now)
  end)

  it("refuses include of absolute paths", function()
    local rs, err = try("local b = include '/etc/passwd.lua'")
    assert.is_nil(rs)
    assert.matches("absolute paths", err, 1, true)
  end)

  describe("files", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    local path = dir .. "/trusted.lua"
    write(path, "local home = os.getenv('HOME')\n" .. OK_TAIL)

    it("loads a file in the sandbox by default", function()
      local rs, err = rules.load(path)
      assert.is_nil(rs)
      assert.matches(path .. ":1:", err, 1, true)
      assert.matches("attempt to index", err, 1, true)
    end)

    it("gives a trusted file the full environment when asked", function()
      local rs, err = rules.load(path, { trusted = true })
      assert.truthy(rs, err)
    end)

    it("includes a file relative to the including file", function()
      write(dir .. "/base.lua", OK_TAIL)
      write(dir .. "/variant.lua", [[local b = include "base.lua"
return b:variant { name = "v" }]])
      local rs = assert(rules.load(dir .. "/variant.lua"))
      assert.equal("v", rs.name)
    end)

    it("reports the file and line of an error in an included file", function()
      write(dir .. "/bad.lua", [[return ruleset { name = "b", version = "1", subtypes = { "a" },
  rule { id = "bad.one", when = "calcium >> 1", supports = "a", weight = 1, because = "x", source = "S1" } }]])
      write(dir .. "/inc.lua", [[return include "bad.lua"]])
      local rs, err = rules.load(dir .. "/inc.lua")
      assert.is_nil(rs)
      assert.matches("bad.lua:2:", err, 1, true)
      assert.matches("rule 'bad.one': syntax error: unexpected '>'", err, 1, true)
    end)

    it("stops include cycles", function()
      write(dir .. "/loop.lua", [[return include "loop.lua"]])
      local rs, err = rules.load(dir .. "/loop.lua")
      assert.is_nil(rs)
      assert.matches("nested too deeply", err, 1, true)
    end)
  end)
end)
