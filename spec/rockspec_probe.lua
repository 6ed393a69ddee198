-- Checks that the rockspec lists every Lua module under lua/ and every C
-- source under src/, and nothing that does not exist.
local root = arg[1] or "."
local env = {}
local chunk = assert(loadfile(root .. "/calcinosis-scm-1.rockspec", "t", env))
chunk()
local listed, sources = {}, {}
for name, v in pairs(env.build.modules) do
  if type(v) == "string" then listed[v] = name
  else for _, s in ipairs(v.sources) do sources[s] = true end end
end
local bad = 0
local function files(cmd)
  local t = {}
  local p = assert(io.popen(cmd))
  for l in p:lines() do t[#t + 1] = l end
  p:close()
  return t
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
