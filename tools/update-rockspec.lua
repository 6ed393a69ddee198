#!/usr/bin/env lua5.4
-- Rewrites the module list of calcinosis-scm-1.rockspec (between the
-- "-- BEGIN MODULES" and "-- END MODULES" lines) from the files in lua/ and
-- src/. Usage: lua5.4 tools/update-rockspec.lua [FILE-LIST]
-- FILE-LIST: a file with one path per line (default: git ls-files -co).
local list = {}
local src = arg[1] and io.open(arg[1]) or io.popen("git ls-files -co --exclude-standard")
for l in src:lines() do list[#list + 1] = l end
src:close()
table.sort(list)
local c, lua = {}, {}
for _, f in ipairs(list) do
  if f:match("^src/[^/]+%.c$") then c[#c + 1] = ('        "%s",'):format(f) end
  local m = f:match("^lua/(.+)%.lua$")
  if m then
    m = m:gsub("/", "."):gsub("%.init$", "")
    lua[#lua + 1] = ('    ["%s"] = "%s",'):format(m, f)
  end
end
local block = table.concat({
  "    [\"calcinosis.core\"] = {",
  "      sources = {",
  table.concat(c, "\n"),
  "      },",
  "      libraries = { \"m\" },",
  "      incdirs = { \"src\" },",
  "    },",
  table.concat(lua, "\n"),
}, "\n")
local path = "calcinosis-scm-1.rockspec"
local f = assert(io.open(path))
local text = f:read("a")
f:close()
local new, n = text:gsub("(%-%- BEGIN MODULES[^\n]*\n).-( *%-%- END MODULES)", function(a, b) return a .. block .. "\n" .. b end)
assert(n == 1, "markers not found in " .. path)
if arg[2] == "-" then io.write(new) return end
f = assert(io.open(path, "w"))
f:write(new)
f:close()
