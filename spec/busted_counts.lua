-- Reads busted's JSON output, prints failures and errors, and writes
-- "PASSED FAILED SKIPPED" (errors count as failed; pending specs are the
-- ones skipped because ../shared is not beside the clone) on the last line.
local path, label = arg[1], arg[2] or "busted"
local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()
local start = text:find("{", 1, true)
if not start then os.exit(1) end
local ok, cjson = pcall(require, "cjson")
local doc
if ok then
  local okd, v = pcall(cjson.decode, text:sub(start))
  if okd then doc = v end
end
if not doc then doc = require("dkjson").decode(text:sub(start)) end
if type(doc) ~= "table" then os.exit(1) end
local function list(k) return type(doc[k]) == "table" and doc[k] or {} end
for _, kind in ipairs { "failures", "errors" } do
  for _, t in ipairs(list(kind)) do
    local where = t.trace and t.trace.short_src and (t.trace.short_src .. ":" .. tostring(t.trace.currentline)) or ""
    io.stderr:write(("    %s %s: %s\n      %s\n      %s\n"):format(label, kind:sub(1, -2), tostring(t.name), where,
      tostring(t.message):gsub("\n", "\n      ")))
  end
end
local why = {}
for _, t in ipairs(list("pendings")) do
  local m = t.message
  if type(m) == "table" then m = m.message end
  m = tostring(m or ""):gsub("^.-skipped: ", "")
  if not why[m] then why[m] = true; io.stderr:write(("    %s skipped: %s\n"):format(label, m)) end
end
print(#list("successes") .. " " .. (#list("failures") + #list("errors")) .. " " .. #list("pendings"))
