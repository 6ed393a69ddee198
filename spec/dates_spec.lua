-- Dates in the C core (src/dates.c), once for every reader: ISO 8601 and
-- HL7 TS read and validated, compared as days; birth_date and <analyte>_date
-- in the record schema; long format keeps the value nearest the index date.
local S = require "spec.support"
local calcinosis = require "calcinosis"
local core = require "calcinosis.core"
local cohort = require "calcinosis.cohort"

local rs = calcinosis.rules.default()
local tmp, clean = S.temp_files()

local function rows(path, opts)
  local t = {}
  for r in assert(cohort.rows(rs, path, opts)) do t[#t + 1] = r end
  return t
end

local function has(list, pat)
  for _, p in ipairs(list) do if p:find(pat) then return true end end
  return false
end

describe("dates", function()
  teardown(clean)

  it("reads ISO 8601 dates, date-times and partial dates, and HL7 TS", function()
    assert.equal("2020-01-31", core.date("2020-01-31"))
    assert.equal("2020-01-31", core.date("2020-01-31T23:59:59.123+05:30"))
    assert.equal("2020-01-31", core.date("2020-01-31T08:00:00Z"))
    assert.equal("2020-02-01", core.date("2020-02"))
    assert.equal("2020-01-01", core.date("2020"))
    assert.equal("2020-01-31", core.date("20200131"))
    assert.equal("2020-01-31", core.date("202001310830"))
    assert.equal("2020-01-31", core.date("20200131083015-0500"))
    assert.equal("2024-02-29", core.date("2024-02-29")) -- a leap year
    assert.equal("2000-02-29", core.date("2000-02-29")) -- divisible by 400
  end)

  it("refuses what is not a date", function()
    for _, s in ipairs { "9999-99-99", "not-a-date", "2023-02-29", "1900-02-29", "2020-13-01", "2020-00-10",
      "2020-04-31", "2020-01-32", "0000-01-01", "2020-1-5", "2020/01/31", "20201301", "2020-01-31T25:00",
      "2020-01-31T10:61", "2020-01-31X", "", "31.01.2020" } do
      local d, e = core.date(s)
      assert.is_nil(d, s)
      assert.matches("is not a date", e)
    end
  end)

  it("reads window lengths in days", function()
    assert.equal(365, core.window("365d"))
    assert.equal(364, core.window("52w"))
    assert.equal(365.25, core.window("12mo"))
    assert.equal(730.5, core.window("2y"))
    assert.equal(30, core.window("30"))
    for _, s in ipairs { "", "0d", "-5d", "soon", "5 hours", "1e3" } do assert.is_nil(core.window(s), s) end
  end)

  it("names each analyte's date field after it", function()
    local a = core.analytes()
    assert.is_true(#a > 10)
    -- the record schema: every <analyte>_date is read from a Lua table
    for _, name in ipairs(a) do
      local t = calcinosis.labs { id = "x", [name .. "_date"] = "bad", [name .. "_range"] = "wide",
        [name .. "_flag"] = "Q" }
      assert.is_true(has(t.problems, "^" .. name .. "_date: 'bad' is not a date"), name)
      assert.is_true(has(t.problems, "^" .. name .. "_range: 'wide' is not a range"), name)
      assert.is_true(has(t.problems, "^" .. name .. "_flag: 'Q' is not an interpretation code"), name)
    end
  end)

  it("reads a reported range and interpretation code from a record, in canonical units", function()
    local t = calcinosis.labs { id = "x", labs = { calcium = "2.7 mmol/L", albumin = "4 g/dL", pth = 70 },
      calcium_range = "2.2 - 2.6 mmol/L",
      calcium_flag = "H", pth_range = "<65 pg/mL", albumin_range = ">=3.5 g/dL" }
    assert.near(2.2 * 4.0078, t.calcium.reported_range.low, 1e-9)
    assert.near(2.6 * 4.0078, t.calcium.reported_range.high, 1e-9)
    assert.equal("H", t.calcium.interpretation)
    assert.same({ high = 65, unit = "pg/mL" }, t.pth.reported_range)
    assert.same({ low = 3.5, unit = "g/dL" }, t.albumin.reported_range)
  end)

  it("computes the age from birth_date at the index date, else at the latest lab date", function()
    -- born 2000-02-29: 19 on 2020-02-28, 20 on 2020-02-29, 20 on 2021-02-28, 21 on 2021-03-01
    local function age(at)
      return calcinosis.labs { id = "x", birth_date = "2000-02-29", labs = { calcium = { 9.5, "mg/dL" } },
        calcium_date = at }.age.value
    end
    assert.equal(19, age("2020-02-28"))
    assert.equal(20, age("2020-02-29"))
    assert.equal(20, age("2021-02-28"))
    assert.equal(21, age("2021-03-01"))
    local t = calcinosis.labs { id = "x", birth_date = "1970-06-15",
      labs = { calcium = { value = 9.5, unit = "mg/dL", date = "2020-06-14" } } }
    assert.equal(49, t.age.value)
    assert.equal("2020-06-14", t.calcium.date)
    assert.equal("1970-06-15", t.birth_date)
    -- an explicit age wins over the birth date
    assert.equal(30, calcinosis.labs { id = "x", age = 30, birth_date = "1970-06-15" }.age.value)
    -- NDJSON and wide CSV take the same fields
    local nd = tmp('{"id":"n","birth_date":"19700615","labs":{"calcium":{"value":9.5,"unit":"mg/dL","date":"2020-06-15"}}}\n',
      ".ndjson")
    assert.equal(50, rows(nd, { labs = true })[1].labs.age.value)
    local csv = tmp("id,birth_date,calcium [mg/dL],calcium_date\nc,1970-06-15,9.5,2020-06-15\nd,9999-99-99,9.5,not-a-date\n")
    local out = tmp("", ".csv")
    assert(cohort.run(rs, { input = csv, output = out, columns = "id,age,calcium_date,problems" }))
    local lines = {}
    for l in S.slurp(out):gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal("c,50,2020-06-15,", lines[2])
    assert.matches("birth_date: '9999%-99%-99' is not a date", lines[3])
    assert.matches("calcium_date: 'not%-a%-date' is not a date", lines[3])
  end)
end)

describe("long format: dates as dates", function()
  teardown(clean)

  -- Fails on the old code: it compared dates as text, so "9999-99-99" was the
  -- latest and "not-a-date" later than any ISO date, and neither was flagged.
  it("flags a date that is not one and keeps the latest real date", function()
    local path = tmp("id,analyte,value,unit,date\n" ..
      "P1,calcium,9.1,mg/dL,2019-12-31\n" ..
      "P1,calcium,13.5,mg/dL,9999-99-99\n" ..
      "P2,calcium,9.0,mg/dL,2020-01-05\n" ..
      "P2,calcium,12.0,mg/dL,not-a-date\n" ..
      "P3,calcium,8.0,mg/dL,20200110\n" ..      -- HL7 TS: later than 2019-12-31 as a date
      "P3,calcium,11.0,mg/dL,2019-12-31T08:00\n")
    local function run(cols)
      local out = tmp("", ".csv")
      assert(cohort.run(rs, { input = path, output = out, columns = cols }))
      local lines = {}
      for l in S.slurp(out):gmatch("[^\n]+") do lines[#lines + 1] = l end
      return lines
    end
    local lines = run("id,calcium,problems") -- columns the old code has
    assert.matches("^P1,9%.1,", lines[2])
    assert.matches("line 3: date '9999%-99%-99' of calcium is not a date", lines[2])
    assert.matches("^P2,9,", lines[3])
    assert.matches("line 5: date 'not%-a%-date' of calcium is not a date", lines[3])
    assert.matches("^P3,8,", lines[4])
    lines = run("id,calcium_date")
    assert.same({ "id,calcium_date", "P1,2019-12-31", "P2,2020-01-05", "P3,2020-01-10" }, lines)
  end)

  it("keeps the value nearest the index date and drops one outside the window", function()
    local path = tmp("id,analyte,value,unit,date\n" ..
      "P1,calcium,9.1,mg/dL,2019-01-10\n" ..
      "P1,calcium,10.9,mg/dL,2020-03-14\n" ..
      "P1,albumin,4.0,g/dL,2010-05-01\n")
    local t = rows(path, { index_date = "2019-02-01", window = "365d" })
    local r = t[1]
    assert.is_true(has(r.problems, "kept the nearer the index date value %(2019%-01%-10%)"))
    assert.is_true(has(r.problems, "line %d+: albumin: the value of 2010%-05%-01 is outside the window %(365 days from 2019%-02%-01%); not used"))
    local out = tmp("", ".csv")
    assert(cohort.run(rs, { input = path, output = out, index_date = "2019-02-01", window = "365d",
      columns = "id,calcium,calcium_date,albumin" }))
    assert.equal("id,calcium,calcium_date,albumin\nP1,9.1,2019-01-10,\n", S.slurp(out))
  end)
end)
