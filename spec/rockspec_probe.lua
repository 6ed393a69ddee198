-- Checks that the rockspec installs every Lua module under lua/ and every C
-- source under src/, and nothing that does not exist.
-- Usage: lua5.4 spec/rockspec_probe.lua ROOT [TREE]
-- A "builtin" rockspec lists them (build.modules); a "make" one builds every
-- src/*.c and installs every lua/**/*.lua (Makefile, tools/rock-install.sh):
-- then TREE, a tree `luarocks --lua-version=5.4 make` installed into, must
-- hold each module and the C module, and no calcinosis module that lua/
-- does not have.
local root, tree = arg[1] or ".", arg[2]
local env = {}
local chunk = assert(loadfile(root .. "/calcinosis-scm-1.rockspec", "t", env))
chunk()
local bad = 0
local function files(cmd)
  local t = {}
  local p = assert(io.popen(cmd))
  for l in p:lines() do t[#t + 1] = l end
  p:close()
  return t
end
if env.build.type == "make" then
  assert(tree, "a make rockspec: give the tree it was installed into")
  local share = tree .. "/share/lua/5.4/"
  local listed = {}
  for _, f in ipairs(files("cd '" .. share .. "' && find calcinosis -name '*.lua' | sort")) do listed["lua/" .. f] = true end
  for _, f in ipairs(files("cd '" .. root .. "' && find lua -name '*.lua' | sort")) do
    if not listed[f] then print("not installed by the rockspec: " .. f) bad = bad + 1 end
    listed[f] = nil
  end
  for f in pairs(listed) do print("installed but not in lua/: " .. f) bad = bad + 1 end
  local so = io.open(tree .. "/lib/lua/5.4/calcinosis/core.so", "rb")
  if so then so:close() else print("C module not installed: lib/lua/5.4/calcinosis/core.so") bad = bad + 1 end
  local mk = assert(io.open(root .. "/Makefile")):read("a")
  if not mk:find("SRC%s*:=%s*$%(sort $%(wildcard src/%*%.c%)%)") or not mk:find("\nrock:") then
    print("Makefile: the rock target does not build every src/*.c") bad = bad + 1
  end
  os.exit(bad == 0 and 0 or 1)
end
local listed, sources = {}, {}
for name, v in pairs(env.build.modules) do
  if type(v) == "string" then listed[v] = name
  else for _, s in ipairs(v.sources) do sources[s] = true end end
end
for _, f in ipairs(files("cd '" .. root .. "' && find lua -name '*.lua' | sort")) do
  if not listed[f] then print("not in rockspec: " .. f) bad = bad + 1 end
  listed[f] = nil
end
for f in pairs(listed) do print("listed but missing: " .. f) bad = bad + 1 end
for _, f in ipairs(files("cd '" .. root .. "' && ls src/*.c")) do
  if not sources[f] then print("C source not in rockspec: " .. f) bad = bad + 1 end
  sources[f] = nil
end
for f in pairs(sources) do print("C source listed but missing: " .. f) bad = bad + 1 end
os.exit(bad == 0 and 0 or 1)
