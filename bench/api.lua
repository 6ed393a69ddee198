#!/usr/bin/env lua5.4
-- Speed of the Lua API on single patients, side by side in one run:
--
--   lua5.4 bench/api.lua [N] [SEED]        (default N = 100000; from the repo root or anywhere)
--
-- Generates N varied patients (bench/default-patients.lua: neonates to 90
-- years, both sexes, mostly human, some dogs and cats; labs as numbers,
-- "value unit" strings in mg/dL or SI units, {value, unit} tables, words
-- "high"/"normal", some missing; findings and sites of the default ruleset's
-- sets, a few unknown terms), then times with os.clock (CPU time), each over
-- all N patients (made 1000 at a time, untimed) after a warm-up on the first 1000:
--
--   calcinosis.classify(patient)     the whole result (scores, fired, confidence, alternatives, ...)
--   ruleset:classify(patient)        ruleset = require("calcinosis.rules").default()
--   calcinosis.labs(patient)         the lab table (conversion, flags, derived values)
--
-- and prints microseconds per call against the targets (classify <= 25 us,
-- labs <= 10 us), and a checksum (counts by type, labs totals) to compare runs.
-- API_GC=0 (a diagnostic, not the targets' measure): the garbage collector
-- is stopped during the timed calls and each batch's garbage is collected
-- untimed, so that the figures leave out the collector's work (marking,
-- sweeping and freeing) that the calls' garbage causes; the difference to
-- a run without it is that work.
-- Uses this checkout's lua/ and build/<version>/ (run `make -s` first), as
-- bin/calcinosis does; CALCINOSIS_BUILD overrides the build folder.
local dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
-- CALCINOSIS_ROOT: the folder whose lua/ (and build/) to use instead of this
-- checkout's (bench/api-instructions.sh points it at the baseline commit)
local root = os.getenv("CALCINOSIS_ROOT") or (dir .. "/..")
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
do
  local v = _VERSION:match("%d+%.%d+")
  local build = os.getenv("CALCINOSIS_BUILD")
  build = build and (build:sub(1, 1) == "/" and build or root .. "/" .. build) or (root .. "/build/" .. v)
  package.cpath = build .. "/?.so;" .. package.cpath
end

local N = math.tointeger(tonumber(arg[1] or "100000")) or error("N must be a whole number")
local seed = math.tointeger(tonumber(arg[2] or "20261201")) or error("SEED must be a whole number")
local TARGET = { classify = 25, labs = 10 }
local GC = os.getenv("API_GC") ~= "0"

local calcinosis = require "calcinosis"
local ruleset = require("calcinosis.rules").default()
local P = dofile(dir .. "/default-patients.lua")

-- Lab values in the forms a record may carry them. Factors from the canonical unit.
local SI = {
  calcium = { "mmol/L", 1 / 4.008 }, phosphate = { "mmol/L", 1 / 3.097 }, albumin = { "g/L", 10 },
  creatinine = { "umol/L", 88.42 }, pth = { "pmol/L", 1 / 9.434 }, vitd25 = { "nmol/L", 2.496 },
}
local CANON = { calcium = "mg/dL", phosphate = "mg/dL", albumin = "g/dL", creatinine = "mg/dL",
  pth = "pg/mL", vitd25 = "ng/mL" }
local SPELL = { ["mg/dL"] = { "mg/dL", "mg/dl" }, ["umol/L"] = { "umol/L", "µmol/L" } }

local R = math.random
local function form(name, v)
  if type(v) ~= "number" then return v end -- nil or a word
  local u = R()
  if u < 0.30 then return v end                                   -- a number in the canonical unit
  local unit, x = CANON[name], v
  if u >= 0.55 and u < 0.80 or u >= 0.90 and R() < 0.5 then unit, x = SI[name][1], v * SI[name][2] end
  local spell = SPELL[unit]
  if spell then unit = spell[R(#spell)] end
  if u < 0.90 then return string.format("%.4g %s", x, unit) end  -- "2.45 mmol/L"
  return { x, unit }                                              -- { 2.45, "mmol/L" }
end

-- The patients, made again for each function (the same ones: P.new reseeds
-- math.random, which the forms above draw from too), BATCH at a time, so that
-- the live heap stays small whatever N is: N patients held at once would make
-- every garbage-collection cycle traverse them (at N = 100,000, 80 MB, which
-- doubled the time of calcinosis.labs). The garbage collector is stopped
-- while a batch is made, so that all of its work falls in the timed calls.
local BATCH = 1000
local function patients()
  local gen = P.new(seed)
  local i = 0
  return function() -- the next batch, or nil
    if i >= N then return nil end
    local batch = {}
    collectgarbage("stop")
    for j = 1, math.min(BATCH, N - i) do
      local p = gen(i + j)
      local labs = {}
      for _, name in ipairs(P.LABS) do labs[name] = form(name, p.labs[name]) end
      local sex = p.sex
      if R() < 0.1 then sex = sex == "F" and "female" or "male" end
      batch[j] = { id = p.id, age = p.age_text or (R() < 0.8 and p.age or string.format("%.1f y", p.age)),
        sex = sex, species = p.species, height_cm = p.height_cm, labs = labs,
        findings = p.findings, sites = p.sites }
    end
    collectgarbage("restart")
    i = i + #batch
    return batch, i - #batch
  end
end

-- Times f over all N patients after a warm-up on the first batch;
-- digest(result, i) keeps what the checksums need.
local function bench(f, digest)
  do
    local first = patients()()
    for j = 1, #first do f(first[j]) end
  end
  local next_batch = patients()
  collectgarbage("collect")
  local s = 0
  while true do
    local batch, base = next_batch()
    if not batch then break end
    if not GC then collectgarbage("stop") end
    local t = os.clock()
    for j = 1, #batch do digest(f(batch[j]), base + j) end
    s = s + os.clock() - t
    if not GC then
      collectgarbage("restart")
      collectgarbage("collect")
    end
  end
  return s
end

io.write(string.format("# %s, N = %d, seed = %d, batches of %d patients\n",
  calcinosis._VERSION or "calcinosis", N, seed, BATCH))
io.stdout:flush()

local function report(name, s, target)
  local us = s / N * 1e6
  io.write(string.format("%-30s %10.2f us/call %12.0f calls/s  %s\n", name, us, N / (s > 0 and s or 1e-9),
    not GC and "(collector stopped in the calls: a diagnostic, not the target's measure)"
      or target and string.format("target <= %2d us  %s", target, us <= target and "PASS" or "MISS")
      or "(no target: the whole result built at once)"))
  io.stdout:flush()
end

local function class_digest(types, sum)
  return function(r, i)
    types[i] = r.type
    sum.score = sum.score + (r.scores and r.scores[r.type] or 0)
    sum.problems = sum.problems + #(r.problems or {})
  end
end
local labs_sum = { cc = 0, egfr = 0, high = 0, problems = 0 }
local function labs_digest(t)
  local c, e = t.corrected_calcium, t.egfr
  if c and type(c.value) == "number" then labs_sum.cc = labs_sum.cc + c.value end
  if e and type(e.value) == "number" then labs_sum.egfr = labs_sum.egfr + e.value end
  for _, name in ipairs(P.LABS) do if t[name] and t[name].flag == "high" then labs_sum.high = labs_sum.high + 1 end end
  labs_sum.problems = labs_sum.problems + #(t.problems or {})
end

-- API_ONLY=classify|ruleset|labs: time only that call; none: only make the
-- patients (for instruction counts, bench/api-instructions.sh)
local only = os.getenv("API_ONLY")
local types1, types2, sum1, sum2 = {}, {}, { score = 0, problems = 0 }, { score = 0, problems = 0 }
if not only or only == "classify" then
  local s1 = bench(function(p) return calcinosis.classify(p) end, class_digest(types1, sum1))
  report("calcinosis.classify(patient)", s1, TARGET.classify)
end
if not only or only == "ruleset" then
  local s2 = bench(function(p) return ruleset:classify(p) end, class_digest(types2, sum2))
  -- (no target of its own: the result's lists are built at once, where
  -- calcinosis.classify(patient, ruleset) builds them when first read)
  report("ruleset:classify(patient)", s2, nil)
end
if not only or only == "labs" then
  local s3 = bench(function(p) return calcinosis.labs(p) end, labs_digest)
  report("calcinosis.labs(patient)", s3, TARGET.labs)
end
if only == "none" then -- the patients only (what the counts above include besides the calls)
  bench(function(p) return p end, function() end)
end
if only then return end

-- checksum: counts by type, agreement of the two classify calls, labs totals
local ORDER = { "calciphylaxis", "iatrogenic", "metastatic", "dystrophic", "idiopathic", "indeterminate" }
local counts, differ, first = {}, 0, nil
for i = 1, N do
  local a, b = types1[i], types2[i]
  counts[a] = (counts[a] or 0) + 1
  if a ~= b then differ = differ + 1; first = first or string.format("D%07d", i) end
end
local parts = {}
for _, t in ipairs(ORDER) do parts[#parts + 1] = string.format("%s=%d", t, counts[t] or 0); counts[t] = nil end
for t, n in pairs(counts) do parts[#parts + 1] = string.format("%s=%d", t, n) end
io.write("checksum types: ", table.concat(parts, " "), "\n")
io.write(string.format("checksum classify: score sum %.1f, %d problems; ruleset:classify: score sum %.1f, " ..
  "type differs on %d%s\n", sum1.score, sum1.problems, sum2.score, differ, first and (" (first: " .. first .. ")") or ""))
io.write(string.format("checksum labs: corrected calcium sum %.2f, eGFR sum %.1f, %d high flags, %d problems\n",
  labs_sum.cc, labs_sum.egfr, labs_sum.high, labs_sum.problems))
