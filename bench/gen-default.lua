#!/usr/bin/env lua5.4
-- A synthetic cohort for the default clinical ruleset, as a wide CSV on
-- standard output (the patients of bench/default-patients.lua):
--
--   lua5.4 bench/gen-default.lua N [SEED] > cohort.csv      (about 71 bytes a row)
--
-- Header: id,age,sex,species,height_cm,calcium [mg/dL],albumin [g/dL],
-- phosphate [mg/dL],creatinine [mg/dL],pth [pg/mL],vitd25 [ng/mL],findings,sites
-- (units in the header; ages under a year as "5 d" / "8 mo" in the cell; a
-- lab cell may be empty or a word, "high"/"normal"; findings and sites
-- ';'-separated, a few unknown terms). Every subtype of the default ruleset
-- occurs. Deterministic for N and SEED (default 20261201) with Lua 5.4.
local dir = (arg[0]:match("^(.*)/[^/]*$") or ".")
local N = tonumber(arg[1]) or 1000
local seed = tonumber(arg[2]) or 20261201
local P = dofile(dir .. "/default-patients.lua")
local gen = P.new(seed)

local FMT = { calcium = "%.1f", albumin = "%.1f", phosphate = "%.1f", creatinine = "%.2f", pth = "%.0f",
  vitd25 = "%.0f" }
local out = io.stdout
out:setvbuf("full", 1 << 16)
out:write("id,age,sex,species,height_cm,calcium [mg/dL],albumin [g/dL],phosphate [mg/dL],",
  "creatinine [mg/dL],pth [pg/mL],vitd25 [ng/mL],findings,sites\n")
local buf, nb = {}, 0
local cells = {}
for i = 1, N do
  local p = gen(i)
  cells[1] = p.id
  cells[2] = p.age_text or string.format("%.1f", p.age)
  cells[3] = p.sex
  cells[4] = p.species
  cells[5] = p.height_cm and string.format("%.0f", p.height_cm) or ""
  for k, name in ipairs(P.LABS) do
    local v = p.labs[name]
    cells[5 + k] = v == nil and "" or type(v) == "string" and v or string.format(FMT[name], v)
  end
  cells[12] = table.concat(p.findings, ";")
  cells[13] = table.concat(p.sites, ";")
  nb = nb + 1
  buf[nb] = table.concat(cells, ",")
  if nb == 4096 then
    buf[nb + 1] = ""
    out:write(table.concat(buf, "\n", 1, nb + 1))
    nb = 0
  end
end
if nb > 0 then
  buf[nb + 1] = ""
  out:write(table.concat(buf, "\n", 1, nb + 1))
end
out:close()
