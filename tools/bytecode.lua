-- The library's Lua modules compiled once, for the command's start-up:
--
--   lua5.4 tools/bytecode.lua ROOT OUT
--
-- compiles every lua/**/*.lua under ROOT (but the default ruleset, which
-- calcinosis.rules reads as a ruleset file, in its sandbox) with this
-- interpreter and writes OUT: a binary chunk that returns
-- `{ [module name] = { hash, bytecode } }`, hash being core.quick_hash
-- of the source file's bytes. bin/calcinosis hands OUT to
-- calcinosis.loader, which uses a module's bytecode only while the source
-- file on package.path still has that hash (an edited file is read from
-- source). Compiling the sources was about 40% of the command's start-up
-- (bench/README.md). Needs ROOT's build of the C module on package.cpath
-- (the Makefile runs it after building core.so). OUT is written whole or
-- not at all (a temporary file renamed).
local root, out = arg[1], arg[2]
if not root or not out then
  io.stderr:write("usage: lua5.4 tools/bytecode.lua ROOT OUT\n")
  os.exit(2)
end
local core = require "calcinosis.core"

local SKIP = { ["calcinosis.rules.default"] = true } -- (a ruleset, loaded as one)

local names = {}
local list = assert(io.popen("cd '" .. root .. "/lua' && find calcinosis -name '*.lua' | LC_ALL=C sort"))
for f in list:lines() do names[#names + 1] = f end
list:close()

local parts = { "return {\n" }
for _, f in ipairs(names) do
  local name = f:gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", ".")
  if not SKIP[name] then
    local path = root .. "/lua/" .. f
    local fh = assert(io.open(path, "rb"))
    local src = fh:read("*a")
    fh:close()
    local fn = assert(load(src, "@" .. path)) -- (line information kept: messages and tracebacks as from source)
    parts[#parts + 1] = ("[%q] = { %q, %q },\n"):format(name, core.quick_hash(src), string.dump(fn))
  end
end
parts[#parts + 1] = "}\n"
local chunk = assert(load(table.concat(parts), "=calcinosis modules"))
local tmp = out .. ".tmp"
local fh = assert(io.open(tmp, "wb"))
assert(fh:write(string.dump(chunk, true)))
assert(fh:close())
assert(os.rename(tmp, out))
