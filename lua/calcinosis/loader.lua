--- Loading the library's own Lua modules from bytecode compiled at build
-- time, for the command's start-up (compiling the sources was about 40% of
-- it). Used by `bin/calcinosis` in a source checkout, nowhere in the
-- library: a host that embeds `calcinosis` loads the sources as usual.
--
-- `make` writes `build/5.4/calcinosis/modules.luac` (tools/bytecode.lua):
-- each module's bytecode and the hash of the source it was compiled from
-- (`core.quick_hash`: 8 bytes a step, several times faster than the FNV-1a
-- of `core.hash`, which was about 0.6 ms of each start-up).
-- The searcher this module adds uses a module's bytecode only while the
-- source file that `package.path` finds for it still has that hash, so an
-- edited, moved or other copy of a module is read from its source, exactly
-- as without the cache; a missing, unreadable or foreign (another Lua
-- version's) cache file is ignored. `CALCINOSIS_BYTECODE=0` turns it off.
--
-- Dependencies: calcinosis.core (its quick_hash).
-- @module calcinosis.loader

local M = {}

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

--- A package searcher over a cache of modules (the table a
-- `modules.luac` returns: `{ [name] = { hash, bytecode } }`).
-- @tparam table cache
-- @tparam[opt] table stats counts, updated: `bytecode` (modules loaded from
--   it) and `source` (modules in it whose source had changed, left to the
--   next searcher)
-- @treturn function a searcher for `package.searchers`
function M.searcher(cache, stats)
  local hash = require("calcinosis.core").quick_hash
  local searchpath = package.searchpath
  return function(name)
    local e = cache[name]
    if type(e) ~= "table" or not searchpath then return nil end
    local path = searchpath(name, package.path)
    local src = path and read(path)
    if not src or hash(src) ~= e[1] then
      if stats then stats.source = (stats.source or 0) + 1 end
      return nil -- (the source searcher reads it)
    end
    local fn = load(e[2], "@" .. path, "b")
    if not fn then return nil end
    if stats then stats.bytecode = (stats.bytecode or 0) + 1 end
    return fn, path
  end
end

--- Adds the searcher of a cache file before the source searcher, once.
-- @tparam string file a `modules.luac` made by tools/bytecode.lua with this interpreter
-- @tparam[opt] table stats as for `searcher`
-- @treturn boolean|nil true when it was added
-- @treturn[2] string why not (no file, another Lua's bytecode, turned off)
function M.install(file, stats)
  if os.getenv("CALCINOSIS_BYTECODE") == "0" then return nil, "turned off (CALCINOSIS_BYTECODE=0)" end
  local searchers = package.searchers
  if not searchers or not package.searchpath then return nil, "this Lua has no package.searchers" end
  local chunk, err = loadfile(file, "b")
  if not chunk then return nil, err end
  local ok, cache = pcall(chunk)
  if not ok or type(cache) ~= "table" then return nil, file .. ": not a module cache" end
  table.insert(searchers, 2, M.searcher(cache, stats))
  return true
end

return M
