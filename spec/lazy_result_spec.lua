-- A result of calcinosis.classify is filled in when first used (its
-- presented lists and knowledge fields; lua/calcinosis/classify.lua): it
-- must be the table ruleset:classify(p, { knowledge = true }) builds at
-- once (the C engine's eager presentation, another code path) whatever is
-- done first with it: a field read, pairs, JSON encoding (calcinosis.json
-- and dkjson), an assignment, calcinosis.complete. And the tables a lab
-- table shares with the other patients of its plan (range, critical) are
-- documented as read-only, with calcinosis.copy to edit a copy.
local calcinosis = require "calcinosis"
local json = require "calcinosis.json"
local dkjson = require "dkjson"
local rules = require "calcinosis.rules"

local P = dofile("bench/default-patients.lua")

-- Canonical text of a value through pairs (a result's __pairs), keys
-- sorted, numbers with 17 digits, the JSON-array marker noted.
local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end
local function dump(v, buf)
  local t = type(v)
  if t == "number" then
    buf[#buf + 1] = math.type(v) == "integer" and ("i%d"):format(v) or ("f%.17g"):format(v)
  elseif t == "string" then buf[#buf + 1] = ("%q"):format(v)
  elseif t == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end -- (first: a lazy result has no metatable after pairs)
    table.sort(keys, key_less)
    local mt = getmetatable(v)
    buf[#buf + 1] = mt == nil and "{" or (type(mt) == "table" and mt.__jsontype == "array") and "L{" or "M{"
    for _, k in ipairs(keys) do
      dump(k, buf)
      buf[#buf + 1] = "="
      dump(v[k], buf)
      buf[#buf + 1] = ","
    end
    buf[#buf + 1] = "}"
  else
    buf[#buf + 1] = tostring(v)
  end
end
local function text(v)
  local buf = {}
  dump(v, buf)
  return table.concat(buf)
end

-- The same with next (raw: no __pairs), for what calcinosis.complete gives.
local function raw_text(v)
  if type(v) ~= "table" then return text(v) end
  local keys, buf = {}, {}
  for k in next, v do keys[#keys + 1] = k end
  table.sort(keys, key_less)
  for _, k in ipairs(keys) do buf[#buf + 1] = text(k) .. "=" .. text(rawget(v, k)) end
  return "{" .. table.concat(buf, ",") .. "}"
end

-- Varied patients: generated ones (all types, labs as numbers, "value unit"
-- texts in both unit systems, {value, unit} tables, words, missing), and
-- awkward ones (unknown terms, refused values, a dog, nothing at all).
local function patients()
  local list = {}
  local gen = P.new(20261202)
  local R = math.random
  for i = 1, 40 do
    local p = gen(i)
    local labs = {}
    for _, name in ipairs(P.LABS) do
      local v = p.labs[name]
      local u = R()
      if type(v) == "number" and u < 0.3 then v = ("%.4g"):format(v) .. (name == "pth" and " pg/mL" or
        name == "vitd25" and " ng/mL" or name == "albumin" and " g/dL" or " mg/dL")
      elseif type(v) == "number" and u < 0.45 then v = { v } end
      labs[name] = v
    end
    list[#list + 1] = { id = p.id, age = p.age_text or p.age, sex = p.sex, species = p.species,
      height_cm = p.height_cm, labs = labs, findings = p.findings, sites = p.sites }
  end
  list[#list + 1] = { id = "odd1", age = "8 mo", labs = { calcium = "12.9 mmol/L", phos = "high", egfr = "<15" },
    findings = { "dialysis", "no such finding" }, sites = "thigh;abdomen" }
  list[#list + 1] = { id = "odd2", species = "dog", age = 9, labs = { calcium = 13.1, phosphate = { 8, "mg/dL" } },
    findings = { "cushing" }, sites = { "dorsum" } }
  list[#list + 1] = { id = "odd3" }
  list[#list + 1] = { id = "odd4", age = 61, sex = "female", labs = { calcium = "pink", creatinine = "3 mg/dL",
    albumin = 2.1 }, findings = { "warfarin", "retiform_purpura", "esrd" }, sites = { "thigh" } }
  return list
end

local FIELDS = { "id", "type", "score", "scores", "fired", "not_evaluable", "values", "problems",
  "term_problems", "alternatives", "alerts", "missing", "confidence", "findings", "sites", "notes", "species",
  "name", "version", "hash", "ruleset", "disclaimer", "references", "labs", "lab_status", "workup",
  "referrals", "treatments", "treatment_note", "treatment_sources", "prognosis" }

describe("a lazy result of calcinosis.classify", function()
  local ruleset = rules.default()
  local cases = patients()
  local OPTIONS = { false, { ca_coefficient = "payne" } }

  local function eager(p, o)
    local opts = { knowledge = true }
    for k, v in pairs(o or {}) do opts[k] = v end
    return ruleset:classify(p, opts)
  end
  local function lazy(p, o) return calcinosis.classify(p, nil, o or nil) end

  it("is lazy: the presented lists are not made until used", function()
    local r = lazy(cases[1])
    assert.is_not_nil(rawget(r, "type"))
    assert.is_not_nil(rawget(r, "scores"))
    assert.is_not_nil(rawget(r, "problems"))
    assert.is_nil(rawget(r, "fired"))
    assert.is_nil(rawget(r, "confidence"))
    assert.is_nil(rawget(r, "labs"))
    assert.is_table(r.fired) -- and then there
    assert.is_table(rawget(r, "confidence"))
    assert.is_nil(getmetatable(r))
  end)

  it("gives every field, read first, as the eager result has it", function()
    for _, o in ipairs(OPTIONS) do
      for _, p in ipairs(cases) do
        local want = eager(p, o)
        for _, k in ipairs(FIELDS) do
          local r = lazy(p, o)
          assert.equal(text(want[k]), text(r[k]), ("patient %s, field %s"):format(tostring(p.id), k))
        end
        -- and no field the eager result lacks
        local r = lazy(p, o)
        assert.is_nil(r.no_such_field)
        assert.equal(text(want), text(r), "patient " .. tostring(p.id))
      end
    end
  end)

  it("iterates (pairs) and encodes (calcinosis.json, dkjson) as the eager result", function()
    for _, o in ipairs(OPTIONS) do
      for _, p in ipairs(cases) do
        local want = eager(p, o)
        local n, m = 0, 0
        for k, v in pairs(lazy(p, o)) do
          n = n + 1
          assert.equal(text(want[k]), text(v), ("patient %s, field %s"):format(tostring(p.id), tostring(k)))
        end
        for _ in pairs(want) do m = m + 1 end
        assert.equal(m, n)
        assert.equal(json.encode(want), json.encode(lazy(p, o)))
        assert.equal(json.encode(want, { indent = "  " }), json.encode(lazy(p, o), { indent = "  " }))
        local opts = { keyorder = {} }
        for _, k in ipairs(FIELDS) do opts.keyorder[#opts.keyorder + 1] = k end
        assert.equal(dkjson.encode(want, opts), dkjson.encode(lazy(p, o), opts))
      end
    end
  end)

  it("keeps a field assigned before the others are filled in", function()
    local p = cases[2]
    local want = eager(p)
    local r = lazy(p)
    r.fired = "mine"
    r.extra = 1
    assert.equal("mine", r.fired)
    assert.equal(1, r.extra)
    want.fired, want.extra = "mine", 1
    assert.equal(text(want), text(r))
  end)

  it("is complete after calcinosis.complete, also for next and rawget", function()
    for _, p in ipairs(cases) do
      local want = eager(p)
      local r = lazy(p)
      assert.equal(r, calcinosis.complete(r))
      assert.is_nil(getmetatable(r))
      assert.equal(raw_text(want), raw_text(r), "patient " .. tostring(p.id))
      assert.equal(r, calcinosis.complete(r)) -- again: nothing changes
      assert.equal(raw_text(want), raw_text(r))
    end
    assert.equal(7, calcinosis.complete(7))
    local t = setmetatable({}, { __index = function() return 1 end })
    assert.equal(t, calcinosis.complete(t))
    assert.is_not_nil(getmetatable(t)) -- not a result: left as it is
  end)

  it("is eager where asked: knowledge = false, ruleset:classify", function()
    local r = calcinosis.classify(cases[3], nil, { knowledge = false })
    assert.is_nil(getmetatable(r))
    assert.is_table(rawget(r, "fired"))
    assert.is_table(rawget(r, "alternatives"))
    local e = ruleset:classify(cases[3])
    assert.is_nil(getmetatable(e))
    assert.is_table(rawget(e, "confidence"))
    assert.equal(text(e.fired), text(r.fired))
  end)
end)

describe("the tables a lab table shares with its plan", function()
  local a = calcinosis.labs { age = 50, sex = "F", labs = { calcium = "10.9 mg/dL", creatinine = 1 } }
  local b = calcinosis.labs { age = 52, sex = "F", labs = { calcium = 9.1, creatinine = "80 umol/L" } }

  it("are shared: the same range and critical tables for the patients of a plan (documented)", function()
    assert.equal(a.calcium.range, b.calcium.range)
    assert.equal(a.calcium.critical, b.calcium.critical)
    local r = calcinosis.classify { age = 50, sex = "F", labs = { calcium = "10.9 mg/dL" } }
    assert.equal(a.calcium.range, r.labs.calcium.range)
    -- another plan with the same ranges list: the same table too
    local c = calcinosis.labs({ age = 50, sex = "F", labs = { calcium = 9 } }, { ca_coefficient = "payne" })
    assert.equal(a.calcium.range, c.calcium.range)
    -- another list: its own tables (the same values for the entries it shares)
    local mine = calcinosis.ranges.with { { analyte = "calcium", low = 8.5, high = 10.5, unit = "mg/dL",
      source = "our lab" } }
    local d = calcinosis.labs({ age = 50, sex = "F", labs = { calcium = 9, creatinine = 1 } }, { ranges = mine })
    assert.equal("our lab", d.calcium.range.source)
    assert.are_not.equal(a.creatinine.range, d.creatinine.range)
    assert.equal(text(a.creatinine.range), text(d.creatinine.range))
    -- and the range a fired rule's value shows
    local function value_range(res, name)
      for _, f in ipairs(res.fired) do
        for _, v in ipairs(f.values) do if v.name == name and v.range then return v.range end end
      end
    end
    local p1 = { age = 50, sex = "F", labs = { calcium = 12.4, phosphate = 7.9 }, findings = { "esrd" } }
    local p2 = { age = 51, sex = "F", labs = { calcium = "11.9 mg/dL", phosphate = 8.2 }, findings = { "esrd" } }
    local r1, r2 = rules.default():classify(p1), calcinosis.classify(p2)
    local v1, v2 = value_range(r1, "phosphate"), value_range(r2, "phosphate")
    assert.is_table(v1)
    assert.equal(v1, v2)
    assert.is_nil(v1.inclusive) -- (low, high, unit, source: not the lab entry's own table)
    assert.equal(calcinosis.labs(p1).phosphate.range.low, v1.low)
    local readme = assert(io.open("README.md")):read("a")
    assert.truthy(readme:find("**Shared tables.**", 1, true))
    assert.truthy(readme:find("read-only", 1, true))
    assert.truthy(readme:find("calcinosis.copy(t)", 1, true))
  end)

  it("are copied by calcinosis.copy: a deep copy to edit, the original untouched", function()
    local before, before_b = text(a), text(b)
    local c = calcinosis.copy(a)
    assert.equal(before, text(c))
    assert.are_not.equal(a.calcium, c.calcium)
    assert.are_not.equal(a.calcium.range, c.calcium.range)
    assert.equal(getmetatable(a.problems), getmetatable(c.problems)) -- the JSON-array marker kept
    assert.equal(json.encode(a), json.encode(c))
    c.calcium.range.low = 0
    c.calcium.range.extra = true
    assert.equal(before, text(a))
    assert.equal(before_b, text(b))
    assert.is_nil(b.calcium.range.extra)
    -- a table met twice is copied once; cycles end
    local t = { x = {} }
    t.y, t.self = t.x, t
    local d = calcinosis.copy(t)
    assert.equal(d.x, d.y)
    assert.equal(d, d.self)
    assert.are_not.equal(t.x, d.x)
    assert.equal("s", calcinosis.copy("s"))
  end)

  it("copies a lazy result complete", function()
    local p = { age = 70, sex = "M", labs = { calcium = 11.5, phosphate = 6 }, findings = { "esrd" } }
    local want = text(calcinosis.classify(p))
    local c = calcinosis.copy(calcinosis.classify(p))
    assert.is_nil(getmetatable(c))
    assert.equal(want, text(c))
    assert.is_table(rawget(c, "fired"))
    assert.is_table(rawget(c, "labs"))
  end)
end)
