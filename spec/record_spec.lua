-- The words a record's cells may hold, read by the C pipeline
-- (src/record.c) through `calcinosis classify`, from CSV and from NDJSON:
-- sex, qualitative lab results and missing-value codes, in any case and
-- with surrounding spaces.
local support = require "support"

local tmp, clean_tmp = require("support").temp_files()

-- A ruleset whose fired rules show the flags and the sex the reader found.
local RULES = tmp([[
return ruleset {
  name = "spellings", version = "1",
  subtypes = { "metastatic", "dystrophic" },
  rule { id = "p.high", when = "high(phosphate)", supports = "metastatic", weight = 1, because = "x", source = "S1" },
  rule { id = "p.low", when = "low(phosphate)", supports = "metastatic", weight = 1, because = "x", source = "S1" },
  rule { id = "p.normal", when = "normal(phosphate)", supports = "metastatic", weight = 1, because = "x", source = "S1" },
  rule { id = "sex.f", when = "female", supports = "dystrophic", weight = 1, because = "x", source = "S1" },
  rule { id = "sex.m", when = "male", supports = "dystrophic", weight = 1, because = "x", source = "S1" },
  rule { id = "no.age", when = "missing(age)", supports = "dystrophic", weight = 1, because = "x", source = "S1" },
}
]], ".lua")

local COLUMNS = "id,sex,age,calcium,phosphate,fired,problems"

-- Runs classify on a file; returns the rows by id and the exit status.
local function classify(path)
  local out = tmp(nil, ".csv")
  local p = assert(io.popen(("lua5.4 bin/calcinosis classify --quiet --rules %s --columns %s -o %s %s 2>&1; echo rc=$?")
    :format(RULES, COLUMNS, out, path)))
  local text = p:read("a")
  p:close()
  local rc = tonumber(text:match("rc=(%d+)%s*$"))
  assert(rc == 0 or rc == 1, text)
  local rows = {}
  for _, r in ipairs(support.read_csv(out)) do rows[r.id] = r end
  return rows, rc
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return ("\\u%04x"):format(c:byte()) end) .. '"'
end

-- records: list of { id =, sex =, age =, calcium =, phosphate =, species =, height = } (texts)
local function as_csv(records)
  local t = { "id,sex,age,species,height_cm,calcium [mg/dL],phosphate [mg/dL]" }
  for _, r in ipairs(records) do
    t[#t + 1] = table.concat({ r.id, r.sex or "", r.age or "", r.species or "", r.height or "", r.calcium or "",
      r.phosphate or "" }, ",")
  end
  return table.concat(t, "\n") .. "\n"
end

local function as_ndjson(records)
  local t = {}
  for _, r in ipairs(records) do
    local f = { '"id":' .. json_string(r.id) }
    for _, k in ipairs { "sex", "age", "species" } do
      if r[k] then f[#f + 1] = json_string(k) .. ":" .. json_string(r[k]) end
    end
    if r.height then f[#f + 1] = '"height_cm":' .. json_string(r.height) end
    local labs = {}
    for _, k in ipairs { "calcium", "phosphate" } do
      if r[k] then labs[#labs + 1] = json_string(k) .. ":" .. json_string(r[k]) end
    end
    f[#f + 1] = '"labs":{' .. table.concat(labs, ",") .. "}"
    t[#t + 1] = "{" .. table.concat(f, ",") .. "}"
  end
  return table.concat(t, "\n") .. "\n"
end

-- Runs the records as CSV and as NDJSON; returns { csv = rows, ndjson = rows } and the statuses.
local function both(records)
  local a, rca = classify(tmp(as_csv(records), ".csv"))
  local b, rcb = classify(tmp(as_ndjson(records), ".ndjson"))
  return { csv = a, ndjson = b }, { csv = rca, ndjson = rcb }
end

local function has(list, item)
  for x in (list or ""):gmatch("[^;]+") do if x == item then return true end end
  return false
end

-- every case of a word: as written, lower, upper, capitalised, with spaces around
local function cases(w)
  return { w, w:lower(), w:upper(), w:sub(1, 1):upper() .. w:sub(2):lower(), "  " .. w .. " " }
end

local SEX = { F = { "f", "female", "w", "woman" }, M = { "m", "male", "man" } }
local QUAL = {
  high = { "high", "elevated", "raised", "increased" },
  low = { "low", "decreased", "reduced" },
  normal = { "normal", "wnl", "within normal limits" },
}
local MISSING = { "NA", "N/A", "NaN", "null", "none", "missing", "-", "--", ".", "not done", "unknown" }

describe("record spellings (C reader, CSV and NDJSON)", function()
  teardown(clean_tmp)

  -- the two spellings the C reader rejected before (the Lua reader took them)
  it("'woman' is F and 'within normal limits' is normal", function()
    local got, rc = both {
      { id = "w1", sex = "woman", age = "50", phosphate = "3.5" },
      { id = "w2", sex = "F", age = "50", phosphate = "within normal limits" },
    }
    for fmt, rows in pairs(got) do
      assert.same({ "F", "", true }, { rows.w1.sex, rows.w1.problems, has(rows.w1.fired, "sex.f") }, fmt)
      assert.same({ "", true }, { rows.w2.problems, has(rows.w2.fired, "p.normal") }, fmt)
      assert.equal(0, rc[fmt], fmt)
    end
  end)

  it("sex: f, female, w, woman, m, male, man in any case", function()
    local records, want = {}, {}
    for sex, words in pairs(SEX) do
      for _, w in ipairs(words) do
        for _, c in ipairs(cases(w)) do
          local id = "r" .. #records + 1
          records[#records + 1] = { id = id, sex = c, age = "50" }
          want[id] = { sex = sex, text = c }
        end
      end
    end
    local got, rc = both(records)
    for fmt, rows in pairs(got) do
      for id, w in pairs(want) do
        local r = rows[id]
        assert.equal("", r.problems, fmt .. " '" .. w.text .. "'")
        assert.equal(w.sex, r.sex, fmt .. " '" .. w.text .. "'")
        assert.is_true(has(r.fired, w.sex == "F" and "sex.f" or "sex.m"), fmt .. " '" .. w.text .. "'")
      end
      assert.equal(0, rc[fmt], fmt)
    end
  end)

  it("qualitative lab results: high, elevated, raised, increased, low, decreased, reduced, normal, wnl, "
    .. "within normal limits in any case", function()
    local records, want = {}, {}
    for flag, words in pairs(QUAL) do
      for _, w in ipairs(words) do
        for _, c in ipairs(cases(w)) do
          local id = "q" .. #records + 1
          records[#records + 1] = { id = id, sex = "F", age = "50", phosphate = c }
          want[id] = { flag = flag, text = c }
        end
      end
    end
    local got, rc = both(records)
    for fmt, rows in pairs(got) do
      for id, w in pairs(want) do
        local r = rows[id]
        assert.equal("", r.problems, fmt .. " '" .. w.text .. "'")
        assert.equal("", r.phosphate, fmt .. " '" .. w.text .. "'") -- a flag, not a value
        for flag in pairs(QUAL) do
          assert.equal(flag == w.flag, has(r.fired, "p." .. flag), fmt .. " '" .. w.text .. "' p." .. flag)
        end
      end
      assert.equal(0, rc[fmt], fmt)
    end
  end)

  it("missing-value codes in lab, age, sex, species and height cells: missing, no problem", function()
    local records, texts = {}, {}
    for _, code in ipairs(MISSING) do
      for _, c in ipairs(cases(code)) do
        for _, field in ipairs { "sex", "age", "species", "height", "calcium", "phosphate" } do
          local id = "m" .. #records + 1
          local r = { id = id, sex = "F", age = "50", species = "human", height = "160", calcium = "9.5",
            phosphate = "3.5" }
          r[field] = c
          records[#records + 1] = r
          texts[id] = { field = field, text = c }
        end
      end
    end
    local got, rc = both(records)
    for fmt, rows in pairs(got) do
      for id, w in pairs(texts) do
        local r = rows[id]
        local what = ("%s %s '%s'"):format(fmt, w.field, w.text)
        assert.equal("", r.problems, what)
        if w.field == "sex" or w.field == "calcium" or w.field == "phosphate" then
          assert.equal("", r[w.field], what)
        elseif w.field == "age" then
          assert.equal("", r.age, what)
          assert.is_true(has(r.fired, "no.age"), what)
        else
          assert.equal("F", r.sex, what)
          assert.equal("9.5", r.calcium, what)
        end
      end
      assert.equal(0, rc[fmt], fmt)
    end
  end)

  it("other words are still problems", function()
    local got, rc = both {
      { id = "x1", sex = "x", age = "50" },
      { id = "x2", sex = "F", age = "old" },
      { id = "x3", sex = "F", age = "50", phosphate = "foo" },
      { id = "x4", sex = "F", age = "50", phosphate = "within limits" },
      { id = "x5", sex = "F", age = "50", species = "horse" },
      { id = "x6", sex = "womanly", age = "50" },
    }
    for fmt, rows in pairs(got) do
      assert.equal(1, rc[fmt], fmt)
      assert.matches("unknown sex 'x'", rows.x1.problems, 1, true)
      assert.matches("'old' is not an age", rows.x2.problems, 1, true)
      assert.matches("'foo' is not a number", rows.x3.problems, 1, true)
      assert.matches("'within limits' is not a number", rows.x4.problems, 1, true)
      assert.matches("unknown species 'horse'", rows.x5.problems, 1, true)
      assert.matches("unknown sex 'womanly'", rows.x6.problems, 1, true)
    end
  end)
end)
