-- A Lua patient table is read into the record's fields in C without being
-- written as NDJSON text first (src/lcal_patient.c, lcal_read_patient), through the
-- same field filling as the NDJSON reader (src/ndjson.c). The table must be
-- read exactly as the NDJSON line it is written as (plan:patient_json) is
-- read by the NDJSON reader (plan:classify_line): the same fields, hence
-- the same problems, type, scores, rules fired and not evaluable, missing
-- inputs, confidence, inputs and lab values, for
-- every spelling and type a value may have, including the odd ones
-- (booleans, nested tables, NaN, functions, invalid UTF-8, alias keys given
-- twice, more than 64 keys, metatables). A few cases are also checked by
-- hand against the messages ndjson.h documents.
local engine = require "calcinosis.engine"
local rules = require "calcinosis.rules"

local rs = rules.default()
local plan = engine.for_patients(rs)

local function same_number(a, b)
  if a ~= a then return b ~= b end
  return a == b
end

local function list_equal(a, b, what)
  assert.are.equal(#a, #b, what .. ": length")
  for i = 1, #a do
    assert.is_true(same_number(a[i], b[i]), ("%s[%d]: %s vs %s"):format(what, i, tostring(a[i]), tostring(b[i])))
  end
end

local LAB_FIELDS = { "value", "unit", "flag", "comparator", "qualitative", "method" }

-- the raw results of the table and of its NDJSON line, field by field
local function compare(p, label)
  local line = plan:patient_json(p)
  local a = plan:classify(p)
  a.vars, a.lets, a.terms = plan:inputs()
  local b = plan:classify_line(line)
  b.vars, b.lets, b.terms = plan:inputs()
  local what = label .. " " .. line
  assert.are.same(b.problems, a.problems, what)
  for _, k in ipairs { "id", "species", "type" } do assert.are.equal(b[k], a[k], what .. ": " .. k) end
  assert.is_true(same_number(a.best, b.best), what .. ": best")
  for _, k in ipairs { "lets", "vars", "terms", "dropped_terms", "alerts", "fired_rules" } do
    list_equal(a[k], b[k], what .. ": " .. k)
  end
  for _, k in ipairs { "named_scores", "values", "not_evaluable", "confidence" } do
    assert.are.same(b[k], a[k], what .. ": " .. k)
  end
  -- why each rule fired (rendered from the inputs compared above)
  assert.are.equal(#b.fired, #a.fired, what .. ": fired")
  for i, f in ipairs(b.fired) do assert.are.same({ f.id, f.why }, { a.fired[i].id, a.fired[i].why }, what .. ": why") end
  -- (what the lab table says the labs were given as comes from the table
  -- itself, which the line has not: the given texts are left out)
  assert.are.equal(#b.missing, #a.missing, what .. ": missing")
  for i, m in ipairs(b.missing) do
    assert.are.same({ m.input, m.rules, m.weight }, { a.missing[i].input, a.missing[i].rules, a.missing[i].weight })
  end
  local ta, tb = a.labs:table(), b.labs:table()
  for name, e in pairs(tb) do
    if type(e) == "table" and name ~= "problems" then
      for _, f in ipairs(LAB_FIELDS) do
        assert.is_true(same_number(e[f], (ta[name] or {})[f]), ("%s: labs.%s.%s"):format(what, name, f))
      end
    end
  end
  return a
end

-- a small deterministic generator (the same cases on every run)
local seed = 20261202
local function rnd(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n + 1
end
local function pick(t) return t[rnd(#t)] end

local deep = { { { { { { "deep" } } } } } }
local SCALARS = { "10.2 mg/dL", "2.45 mmol/L", "high", "normal", "", "  ", "<15", "9,8", "8 mo", "58 y",
  "\255\254", "caf\195\169", "a\0b", "line\nbreak", "tab\t", 58, 0, -1, 2.5, 1e-7, 1 / 3, 0 / 0, math.huge,
  -math.huge, 1e300, -0.0, math.mininteger, 123456789012, 4.1, true, false, print }
local TABLES = { {}, { 1, 2 }, { a = 1 }, deep, { "x", { "y" } }, { [2] = "hole" }, { value = "\255" } }
local LAB_KEYS = { "calcium", "ca", "Calcium", "17861-6", "albumin", "alb", "phosphate", "phos", "creatinine",
  "pth", "egfr", "vitd25", "corrected_calcium", "foo", "\255", "cal\0cium" }
local TERMS = { "ckd", "dialysis", "warfarin", "calciphylaxis", "dermatomyositis", "thighs", "heels", "bogus",
  "CKD", "N18.6", "", "\255" }
local UNITS = { "mg/dL", "mmol/L", "g/dL", "g/L", "umol/L", "\194\181mol/L", "pg/mL", "", "furlongs" }

local function scalar_or_table()
  if rnd(5) == 1 then return pick(TABLES) end
  return pick(SCALARS)
end

local function lab_value()
  local r = rnd(9)
  if r <= 3 then return pick(SCALARS) end
  if r == 4 then return { pick(SCALARS), pick(UNITS) } end
  if r == 5 then return { value = pick(SCALARS), unit = pick(UNITS), date = pick { "2025-01-02", "bad", 3, nil } } end
  if r == 6 then return { value = pick(SCALARS), note = pick(SCALARS), extra = pick(TABLES) } end
  if r == 7 then return { pick(SCALARS), pick(UNITS), pick(SCALARS), pick(TABLES) } end
  if r == 8 then return { unit = pick(UNITS) } end
  return pick(TABLES)
end

local function terms()
  local r = rnd(6)
  if r == 1 then return pick(TERMS) .. ";" .. pick(TERMS) end
  if r == 2 then return scalar_or_table() end
  local t = {}
  for i = 1, rnd(5) - 1 do t[i] = rnd(8) == 1 and scalar_or_table() or pick(TERMS) end
  return t
end

local function patient()
  local p = {}
  if rnd(6) > 1 then p.id = rnd(4) == 1 and scalar_or_table() or ("P" .. rnd(1000)) end
  if rnd(5) > 1 then p.age = rnd(3) == 1 and scalar_or_table() or rnd(90) end
  if rnd(4) > 1 then p.sex = pick { "F", "M", "female", "male", "x", true, 1 } end
  if rnd(4) == 1 then p.species = pick { "human", "dog", "cat", "horse", 3 } end
  if rnd(4) == 1 then p.height_cm = pick { 160, "160", "tall", false } end
  if rnd(3) > 1 then p.findings = terms() end
  if rnd(3) > 1 then p.sites = terms() end
  local r = rnd(10)
  if r <= 7 then
    local labs = {}
    for _ = 1, rnd(6) do labs[pick(LAB_KEYS)] = lab_value() end
    p.labs = labs
  elseif r == 8 then
    p.labs = scalar_or_table()
  end
  if rnd(8) == 1 then p.problems = pick { { "given problem" }, { "a", 3, {} }, "text", {}, { x = 1 } } end
  if rnd(6) == 1 then
    p.birth_date = pick { "1960-05-01", "yesterday", 1960, true }
    p.calcium_date = pick { "2025-01-02", {}, 5 }
    p.calcium_flag = pick { "H", "high", true }
    p.calcium_range = pick { "8.5-10.5", "8.5 - 10.5 mg/dL", {} }
    p.unmapped = pick { "\255", { "\255" }, "ok" }
  end
  if rnd(10) == 1 then p.note = "\255 ignored" end
  return p
end

describe("a patient table read without NDJSON text", function()
  it("gives what its NDJSON line gives, for 3000 generated tables of every spelling and type", function()
    for i = 1, 3000 do compare(patient(), "case " .. i) end
  end)

  it("gives what its NDJSON line gives for tables with metatables and many keys", function()
    local proxied = setmetatable({ id = "M1" }, { __index = function(_, k)
      if k == "age" then return 61 end
      if k == "labs" then return { calcium = "11.9 mg/dL" } end
      if k == "calcium_flag" then return "H" end
    end })
    local a = compare(proxied, "metatable")
    assert.are.equal("M1", a.id)
    local many = { id = "K1", labs = {} }
    for k = 1, 80 do many.labs["unknown_" .. k] = k end
    many.labs.calcium = "10 mg/dL"
    compare(many, "80 lab keys")
    local deeper = { id = "D1", findings = { { { { { { "\255" } } } } } }, labs = { calcium = { value = deep } } }
    compare(deeper, "deep")
  end)

  it("reports the odd values as ndjson.h documents (checked by hand)", function()
    local function problems(p)
      return table.concat(plan:classify(p).problems, "\n")
    end
    local t = problems { id = "H1", labs = { calcium = true } }
    assert.truthy(t:find("labs: calcium: expected a number, a text like '10.2 mg/dL', or a value with a unit",
      1, true), t)
    t = problems { id = "H2", findings = { "ckd", 3 } }
    assert.truthy(t:find("findings: expected a list of terms (strings)", 1, true), t)
    -- keys are read in sorted order: "ca" before "calcium"
    t = problems { id = "H3", labs = { calcium = "9 mg/dL", ca = "10 mg/dL" } }
    assert.truthy(t:find("labs: calcium given twice (as 'ca' and 'calcium'); kept the first", 1, true), t)
    t = problems { id = "H4", labs = { zinc = 3 } }
    assert.truthy(t:find("labs: unknown analyte 'zinc'", 1, true), t)
    t = problems { id = "H5", age = true }
    assert.truthy(t:find("age: expected a number or a text like '8 mo'", 1, true), t)
    t = problems { id = "H6", labs = "high" }
    assert.truthy(t:find("labs: expected an object", 1, true), t)
    -- the invalid UTF-8 of an ignored lab entry's field still counts, last
    local r = plan:classify { id = "H7", labs = { calcium = { value = 10, unit = "mg/dL", note = "\255" } } }
    assert.truthy(r.problems[#r.problems]:find("invalid UTF-8", 1, true), table.concat(r.problems, "\n"))
    -- empty tables are empty lists: no problem
    assert.are.same({}, plan:classify { id = "H8", labs = {}, findings = {}, sites = {}, problems = {} }.problems)
    -- a number id and a NaN lab value (NaN is written as the text "nan")
    local n = plan:classify { id = 17, labs = { calcium = 0 / 0 } }
    assert.are.equal("17", n.id)
  end)
end)

describe("numbers of a patient table", function()
  -- the texts are made in C without printf where that is exact; these are
  -- what Lua's own formatting gives (computed here, independently)
  it("are read as their shortest round-trip text, and given as tostring shows them", function()
    local seed2 = 7
    local function r()
      seed2 = (seed2 * 1103515245 + 12345) % 2147483648
      return seed2 / 2147483648
    end
    for i = 1, 4000 do
      -- full-precision values from 1e-7 to 1e17 (not short decimals: those are written with at most 6 decimals)
      local x = (r() + 1 + math.floor(r() * 8)) * 10.0 ^ (math.floor(r() * 25) - 7)
      if i % 2 == 0 then x = -x end
      local want = ("%.15g"):format(x)
      if tonumber(want) ~= x then want = ("%.17g"):format(x) end
      assert.are.equal('{"age":' .. want .. "}", plan:patient_json { age = x })
      local t = require("calcinosis").labs { labs = { calcium = { x, "mg/dL" }, phosphate = x } }
      assert.are.equal(tostring(x) .. " mg/dL", t.calcium.given)
      assert.are.equal(tostring(x), t.phosphate.given)
    end
  end)
end)
