-- Writes a FHIR Bulk Data export for bench/fhir.sh: Patient.ndjson and
-- Observation.ndjson (one resource per line) from the Synthea bundles in a
-- folder, repeated with new patient and resource ids until Observation.ndjson
-- has at least MB megabytes; and flat.ndjson, calcinosis' own NDJSON records
-- of about the same size (the baseline reader).
--
-- Usage: lua5.4 bench/fhir-gen.lua BUNDLE_DIR OUT_DIR MB
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
local json = require "calcinosis.json"

local dir, out, mb = arg[1], arg[2], tonumber(arg[3] or "300")
assert(dir and out, "usage: lua5.4 bench/fhir-gen.lua BUNDLE_DIR OUT_DIR MB")
local patients, observations = {}, {}
local p = assert(io.popen('ls "' .. dir .. '"/*.json'))
for path in p:lines() do
  local f = assert(io.open(path, "rb"))
  local b = assert(json.decode(f:read("a")))
  f:close()
  for _, e in ipairs(b.entry or {}) do
    local r = e.resource
    if r.resourceType == "Patient" then patients[#patients + 1] = json.encode(r)
    elseif r.resourceType == "Observation" then observations[#observations + 1] = json.encode(r) end
  end
end
p:close()
assert(#observations > 0, "no Observation in " .. dir)
local po = assert(io.open(out .. "/Patient.ndjson", "wb"))
local oo = assert(io.open(out .. "/Observation.ndjson", "wb"))
local size, copy, target = 0, 0, mb * 1e6
-- ids are UUIDs: the copy number replaces their last 6 hex digits
local function renumber(s, k)
  return (s:gsub("(%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x)%x%x%x%x%x%x", function(head)
    return head .. ("%06x"):format(k)
  end))
end
while size < target do
  copy = copy + 1
  for _, s in ipairs(patients) do po:write(renumber(s, copy), "\n") end
  local chunk = {}
  for i, s in ipairs(observations) do chunk[i] = renumber(s, copy) end
  local text = table.concat(chunk, "\n") .. "\n"
  oo:write(text)
  size = size + #text
end
po:close()
oo:close()
-- flat NDJSON of about the same size, calcinosis' record shape
local fo = assert(io.open(out .. "/flat.ndjson", "wb"))
local fsize, i = 0, 0
while fsize < size do
  local t = {}
  for k = 1, 1000 do
    i = i + 1
    t[k] = ('{"id":"P%07d","age":%d,"sex":"%s","labs":{"calcium":"%.2f mg/dL","albumin":"%.1f g/dL",' ..
      '"phosphate":"%.2f mg/dL","creatinine":"%.2f mg/dL"},"findings":["ckd"]}'):format(
      i, 20 + i % 60, i % 2 == 0 and "F" or "M", 8 + (i % 40) / 10, 3 + (i % 15) / 10, 2.5 + (i % 30) / 10,
      0.6 + (i % 25) / 10)
  end
  local text = table.concat(t, "\n") .. "\n"
  fo:write(text)
  fsize = fsize + #text
end
fo:close()
io.write(("%d copies: %d patients, %d observations, %.0f MB; flat.ndjson %d records, %.0f MB\n"):format(
  copy, copy * #patients, copy * #observations, size / 1e6, i, fsize / 1e6))
