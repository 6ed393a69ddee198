-- Writes the JSON Schema of each kind of report document,
-- docs/schema/report-<kind>.schema.json, from docs/schema/report.schema.json
-- (the model they share): `kind` fixed to the one kind, and the fields that
-- kind always has required. Keys sorted, two-space indent.
--   lua5.4 tools/gen-report-schemas.lua          write the files
--   lua5.4 tools/gen-report-schemas.lua --check  exit 1 when a file is stale
-- spec/report_schema_spec.lua checks that the committed files are this output.
-- Run from the top of the checkout.
local dkjson = require "dkjson"

local KINDS = {
  { "patient", { "type", "ruleset" } },
  { "cohort", { "records", "ruleset" } },
  { "comparison", { "records" } },
  { "sweep", { "ruleset" } },
  { "validation", {} },
}

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function encode(v, indent)
  indent = indent or ""
  local t = type(v)
  if t == "table" then
    local mt = getmetatable(v)
    local is_array = (mt and mt.__jsontype == "array") or (#v > 0 and not (mt and mt.__jsontype == "object"))
    local inner = indent .. "  "
    if is_array then
      if #v == 0 then return "[]" end
      local parts = {}
      for i, x in ipairs(v) do parts[i] = inner .. encode(x, inner) end
      return "[\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "]"
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    if #keys == 0 then return "{}" end
    local parts = {}
    for i, k in ipairs(keys) do parts[i] = inner .. dkjson.encode(k) .. ": " .. encode(v[k], inner) end
    return "{\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "}"
  end
  return dkjson.encode(v)
end

local M = {}

--- The text of the schema of one kind.
function M.schema(kind, required)
  local s = dkjson.decode(read("docs/schema/report.schema.json"))
  s["$id"] = ("https://calcinosis.invalid/schema/report-%s.schema.json"):format(kind)
  s.title = ("calcinosis %s report document"):format(kind)
  s.description = ("A %s report document; the model of docs/schema/report.schema.json with `kind` %q. " ..
    "Made by tools/gen-report-schemas.lua. A research tool, not a diagnosis."):format(kind, kind)
  s.properties.kind = { const = kind }
  for _, r in ipairs(required) do s.required[#s.required + 1] = r end
  return encode(s) .. "\n"
end

M.kinds = KINDS

if arg and arg[0] and arg[0]:match("gen%-report%-schemas%.lua$") then
  local check = arg[1] == "--check"
  local stale = false
  for _, k in ipairs(KINDS) do
    local path = ("docs/schema/report-%s.schema.json"):format(k[1])
    local text = M.schema(k[1], k[2])
    if check then
      local f = io.open(path, "rb")
      local old = f and f:read("a")
      if f then f:close() end
      if old ~= text then print(path .. " is stale: run lua5.4 tools/gen-report-schemas.lua") stale = true end
    else
      local f = assert(io.open(path, "wb"))
      f:write(text)
      f:close()
    end
  end
  os.exit(stale and 1 or 0)
end

return M
