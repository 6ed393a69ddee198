-- busted helper of `luarocks test` (the rockspec's test.flags): builds the
-- C module the suite loads (build/<Lua version>/, see .busted) with
-- `make -s`, unless CALCINOSIS_BUILD names another build.
if not os.getenv("CALCINOSIS_BUILD") then
  local v = _VERSION:match("%d+%.%d+")
  local ok = os.execute("make -s LUA_VERSION=" .. v .. " >&2")
  if ok ~= true and ok ~= 0 then error("tools/busted-helper.lua: make -s LUA_VERSION=" .. v .. " failed", 0) end
end
