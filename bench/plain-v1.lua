#!/usr/bin/env lua5.4
-- plain-v1.lua - the bench-v1 cohort task (shared/bench/README.md) in plain
-- Lua 5.4: no C modules, no LPeg, nothing from the calcinosis project. It is
-- the cross-check and the speed baseline for the project's own bench script.
--
-- Usage: lua5.4 bench/plain-v1.lua [cohort.csv] > output.csv   (stdin if no path)
--
-- Written straight from the README. Columns are found by header name. Cells
-- are split on ',' with string.find; a line that holds a '"' goes through a
-- small RFC 4180 splitter instead (quoted cells within one line; the
-- generator never writes any). A trailing CR (CRLF files) is dropped, and a
-- UTF-8 BOM before the header is skipped.

local find, sub, format, byte = string.find, string.sub, string.format, string.byte
local concat = table.concat
local tonumber, min, max = tonumber, math.min, math.max

local input = io.stdin
if arg[1] and arg[1] ~= "-" then
  input = assert(io.open(arg[1], "rb"))
end

-- Term sets -----------------------------------------------------------------
local IATRO, META, DYS = {}, {}, {}
for w in ("iv_calcium iv_phosphate calcium_electrode_paste heel_stick"):gmatch("%S+") do IATRO[w] = true end
for w in ("ckd dialysis hyperparathyroidism sarcoidosis milk_alkali vitamin_d_excess paget_disease myeloma "
  .. "paraneoplastic_hypercalcemia"):gmatch("%S+") do META[w] = true end
for w in ("systemic_sclerosis dermatomyositis lupus trauma burn acne varicose_veins infection tumor panniculitis "
  .. "ehlers_danlos pseudoxanthoma_elasticum"):gmatch("%S+") do DYS[w] = true end
local GENITAL = { scrotum = true, penis = true, vulva = true }
local ULCER = { livedo = true, necrotic_ulcer = true }

-- Splitting -----------------------------------------------------------------
local function split_quoted(line, t)
  -- RFC 4180 cells within one line: "a,b" and "" escapes.
  local n, pos, len = 0, 1, #line
  while true do
    n = n + 1
    if byte(line, pos) == 34 then -- '"'
      local parts, i = {}, pos + 1
      while true do
        local q = find(line, '"', i, true)
        if not q then error("unterminated quote in: " .. line) end
        parts[#parts + 1] = sub(line, i, q - 1)
        if byte(line, q + 1) == 34 then
          parts[#parts + 1] = '"'
          i = q + 2
        else
          pos = q + 1
          break
        end
      end
      t[n] = concat(parts)
      if pos > len then break end
      if byte(line, pos) ~= 44 then error("text after closing quote in: " .. line) end
      pos = pos + 1
    else
      local c = find(line, ",", pos, true)
      if c then
        t[n] = sub(line, pos, c - 1)
        pos = c + 1
      else
        t[n] = sub(line, pos)
        break
      end
    end
  end
  for i = n + 1, #t do t[i] = nil end
  return n
end

local function split(line, t)
  if find(line, '"', 1, true) then return split_quoted(line, t) end
  local n, pos = 0, 1
  while true do
    local c = find(line, ",", pos, true)
    n = n + 1
    if not c then
      t[n] = sub(line, pos)
      break
    end
    t[n] = sub(line, pos, c - 1)
    pos = c + 1
  end
  for i = n + 1, #t do t[i] = nil end
  return n
end

-- Header --------------------------------------------------------------------
local lines = input:lines()
local header = lines()
if not header then
  io.stderr:write("plain-v1: empty input\n")
  os.exit(1)
end
if sub(header, 1, 3) == "\239\187\191" then header = sub(header, 4) end
if byte(header, -1) == 13 then header = sub(header, 1, -2) end
local cols = {}
do
  local h = {}
  split(header, h)
  for i, name in ipairs(h) do cols[name] = i end
end
local function col(name)
  local i = cols[name]
  if not i then
    io.stderr:write("plain-v1: no column '" .. name .. "' in the header\n")
    os.exit(1)
  end
  return i
end
local C_ID, C_AGE, C_SEX = col("id"), col("age_years"), col("sex")
local C_CA, C_ALB, C_P = col("calcium [mg/dL]"), col("albumin [g/dL]"), col("phosphate [mg/dL]")
local C_CR, C_PTH, C_D = col("creatinine [mg/dL]"), col("pth [pg/mL]"), col("vitd25 [ng/mL]")
local C_FIND, C_SITES = col("findings"), col("sites")
local NCOLS = 0
for _ in pairs(cols) do NCOLS = NCOLS + 1 end

-- An empty cell is a missing value; anything else must be a number.
local function num(s, what, lineno)
  if s == "" or s == nil then return nil end
  local v = tonumber(s)
  if not v then error(format("line %d: %s is not a number: %q", lineno, what, s)) end
  return v
end

-- Rows ----------------------------------------------------------------------
local out, nout = { "id,type,score,fired,ca_corr,ca_x_p,egfr" }, 1
local t = {}
local lineno = 1
local fired = {}

for line in lines do
  lineno = lineno + 1
  if byte(line, -1) == 13 then line = sub(line, 1, -2) end
  if line ~= "" then
    local n = split(line, t)
    if n ~= NCOLS then error(format("line %d: %d cells, expected %d", lineno, n, NCOLS)) end

    local age = num(t[C_AGE], "age_years", lineno)
    local sex = t[C_SEX]
    local ca = num(t[C_CA], "calcium", lineno)
    local alb = num(t[C_ALB], "albumin", lineno)
    local p = num(t[C_P], "phosphate", lineno)
    local cr = num(t[C_CR], "creatinine", lineno)
    local pth = num(t[C_PTH], "pth", lineno)
    local d = num(t[C_D], "vitd25", lineno)

    -- derived values (nil = missing)
    local ca_corr = ca
    if ca and alb then ca_corr = ca + 0.8 * (4.0 - alb) end
    local ca_x_p = ca_corr and p and ca_corr * p
    local egfr
    if age and age >= 18 and cr and (sex == "F" or sex == "M") then
      local female = sex == "F"
      local kappa = female and 0.7 or 0.9
      local alpha = female and -0.241 or -0.302
      local r = cr / kappa
      egfr = 142 * min(r, 1) ^ alpha * max(r, 1) ^ -1.200 * 0.9938 ^ age
      if female then egfr = egfr * 1.012 end
    end
    local phos_hi = age and (age < 18 and 6.5 or 4.5)

    -- findings and sites
    local iatro, meta, dys, ckd_dial, ulcer, genital = false, false, false, false, false, false
    local f = t[C_FIND]
    if f ~= "" then
      local pos = 1
      while true do
        local s = find(f, ";", pos, true)
        local term = s and sub(f, pos, s - 1) or (pos == 1 and f or sub(f, pos))
        if IATRO[term] then iatro = true end
        if META[term] then meta = true end
        if DYS[term] then dys = true end
        if term == "ckd" or term == "dialysis" then ckd_dial = true end
        if ULCER[term] then ulcer = true end
        if not s then break end
        pos = s + 1
      end
    end
    local sites = t[C_SITES]
    if sites ~= "" then
      local pos = 1
      while true do
        local s = find(sites, ";", pos, true)
        local term = s and sub(sites, pos, s - 1) or (pos == 1 and sites or sub(sites, pos))
        if GENITAL[term] then genital = true end
        if not s then break end
        pos = s + 1
      end
    end
    local cause = iatro or meta or dys
    local normal_labs = ca_corr ~= nil and ca_corr >= 8.5 and ca_corr <= 10.5
      and p ~= nil and phos_hi ~= nil and p >= 2.5 and p <= phos_hi

    -- rules, in the table's order
    local nf = 0
    local s_cal, s_iat, s_met, s_dys, s_idi = 0, 0, 0, 0, 0
    if iatro then nf = nf + 1; fired[nf] = "iatrogenic.exposure"; s_iat = s_iat + 5 end
    if ca_corr and ca_corr > 10.5 then nf = nf + 1; fired[nf] = "metastatic.hypercalcemia"; s_met = s_met + 3 end
    if p and phos_hi and p > phos_hi then nf = nf + 1; fired[nf] = "metastatic.hyperphosphatemia"; s_met = s_met + 3 end
    if ca_x_p and ca_x_p > 70 then nf = nf + 1; fired[nf] = "metastatic.ca_x_p"; s_met = s_met + 2 end
    if egfr and egfr < 30 then nf = nf + 1; fired[nf] = "metastatic.low_egfr"; s_met = s_met + 2 end
    if meta then nf = nf + 1; fired[nf] = "metastatic.cause"; s_met = s_met + 2 end
    if pth and pth > 65 then nf = nf + 1; fired[nf] = "metastatic.pth"; s_met = s_met + 1 end
    if d and d > 100 then nf = nf + 1; fired[nf] = "metastatic.vitd"; s_met = s_met + 1 end
    if dys then nf = nf + 1; fired[nf] = "dystrophic.cause"; s_dys = s_dys + 3 end
    if dys and normal_labs then nf = nf + 1; fired[nf] = "dystrophic.normal_labs"; s_dys = s_dys + 1 end
    if not cause and normal_labs then nf = nf + 1; fired[nf] = "idiopathic.no_cause"; s_idi = s_idi + 2 end
    if not cause and genital then nf = nf + 1; fired[nf] = "idiopathic.site"; s_idi = s_idi + 1 end
    if not cause and age and age < 18 then nf = nf + 1; fired[nf] = "idiopathic.young"; s_idi = s_idi + 1 end
    if (ckd_dial or (egfr and egfr < 15)) and ulcer then
      nf = nf + 1; fired[nf] = "calciphylaxis.uremic"; s_cal = s_cal + 6
    end

    -- decision: highest score, ties to the first in this order
    local typ, score = "indeterminate", 0
    if s_cal > score then typ, score = "calciphylaxis", s_cal end
    if s_iat > score then typ, score = "iatrogenic", s_iat end
    if s_met > score then typ, score = "metastatic", s_met end
    if s_dys > score then typ, score = "dystrophic", s_dys end
    if s_idi > score then typ, score = "idiopathic", s_idi end

    nout = nout + 1
    out[nout] = t[C_ID] .. "," .. typ .. "," .. score .. "," .. concat(fired, ";", 1, nf) .. ","
      .. (ca_corr and format("%.2f", ca_corr) or "") .. ","
      .. (ca_x_p and format("%.1f", ca_x_p) or "") .. ","
      .. (egfr and format("%.0f", egfr) or "")
    if nout >= 4096 then
      io.write(concat(out, "\n", 1, nout), "\n")
      nout = 0
    end
  end
end
if nout > 0 then io.write(concat(out, "\n", 1, nout), "\n") end
