-- Reads busted's JSON output (arg[1]) and checks that every spec file of
-- arg[2] (default: spec) ran: each *_spec.lua has at least one success,
-- failure, error or pending. Prints "N of N spec files ran", and the files
-- that did not. Used by spec/check.sh for `luarocks test`.
local path, dir = arg[1], arg[2] or "spec"
local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()
local start = text:find("{", 1, true)
if not start then print("no busted JSON output") os.exit(1) end
-- luarocks may print after busted's JSON: cjson refuses trailing text, dkjson reads up to it
local ok, cjson = pcall(require, "cjson")
local doc
if ok then
  local okd, v = pcall(cjson.decode, text:sub(start))
  if okd then doc = v end
end
if not doc then doc = require("dkjson").decode(text, start) end
if type(doc) ~= "table" then print("no busted JSON output") os.exit(1) end
local ran = {}
for _, kind in ipairs { "successes", "failures", "errors", "pendings" } do
  for _, t in ipairs(doc[kind] or {}) do
    local src = t.trace and t.trace.short_src or (t.element and t.element.trace and t.element.trace.short_src)
    if src then ran[src:match("([^/]+_spec%.lua)$") or src] = true end
  end
end
local p = assert(io.popen("ls '" .. dir .. "'"))
local all, missing = 0, {}
for name in p:lines() do
  if name:match("_spec%.lua$") then
    all = all + 1
    if not ran[name] then missing[#missing + 1] = name end
  end
end
p:close()
print(("%d of %d spec files ran"):format(all - #missing, all))
for _, m in ipairs(missing) do print("did not run: " .. m) end
os.exit(#missing == 0 and all > 0 and 0 or 1)
