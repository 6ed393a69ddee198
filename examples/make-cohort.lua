#!/usr/bin/env lua5.4
-- Writes examples/cohort.csv, the bundled example cohort, from the patient
-- records in examples/patients/*.json: one row per patient, lab values with
-- their units in the cells (as written in the records, mixed units included),
-- findings and sites ';'-separated. Run from the repository root:
--   lua5.4 examples/make-cohort.lua > examples/cohort.csv
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
local json = require "calcinosis.json"

local files = {}
local p = assert(io.popen("ls examples/patients/*.json"))
for f in p:lines() do files[#files + 1] = f end
p:close()
table.sort(files)

local LABS = { "calcium", "ionized_calcium", "corrected_calcium", "albumin", "phosphate", "creatinine",
  "pth", "vitd25", "vitd125", "magnesium", "alp", "egfr" }

local function cell(v)
  if v == nil then return "" end
  if type(v) == "table" then v = tostring(v[1] or v.value) .. " " .. tostring(v[2] or v.unit or "") end
  v = tostring(v)
  if v:find('[,"\n]') then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

local header = { "id", "age", "sex", "species", "height_cm" }
for _, l in ipairs(LABS) do header[#header + 1] = l end
header[#header + 1] = "findings"
header[#header + 1] = "sites"
io.write(table.concat(header, ","), "\n")
for _, f in ipairs(files) do
  local h = assert(io.open(f, "rb"))
  local rec = assert(json.decode(h:read("a")))
  h:close()
  local labs = rec.labs or {}
  local row = { cell(rec.id), cell(rec.age), cell(rec.sex), cell(rec.species), cell(rec.height_cm) }
  for _, l in ipairs(LABS) do row[#row + 1] = cell(labs[l]) end
  row[#row + 1] = cell(table.concat(rec.findings or {}, ";"))
  row[#row + 1] = cell(table.concat(rec.sites or {}, ";"))
  io.write(table.concat(row, ","), "\n")
end
