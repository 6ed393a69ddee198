-- Pasted lab text into a patient record (calcinosis.labtext): every line
-- form of the brief to its exact analyte, value, unit, range and flag;
-- lines not understood returned as written; the example; property tests.
local labtext = require "calcinosis.labtext"
local calcinosis = require "calcinosis"

local EN_DASH = "\226\128\147"

local function rec_of(text, opts)
  local recs, problems = labtext.records(text, opts)
  assert.equal(1, #recs)
  assert.same({}, problems)
  return recs[1]
end

describe("labtext: the lines people paste", function()
  -- { line, { analyte, labs text, range, flag }, ... }
  local cases = {
    { "Calcium 11.2 mg/dL (8.5-10.5) H", { "calcium", "11.2 mg/dL", 11.2, "mg/dL", "8.5-10.5", "H" } },
    { "Ca: 2.80 mmol/L [2.15" .. EN_DASH .. "2.55] HIGH",
      { "calcium", "2.80 mmol/L", 2.80, "mmol/L", "2.15" .. EN_DASH .. "2.55", "HIGH" } },
    { "Phosphorus, serum 6.3 mg/dL", { "phosphate", "6.3 mg/dL", 6.3, "mg/dL" } },
    { "Alb 3.1 g/dL", { "albumin", "3.1 g/dL", 3.1, "g/dL" } },
    { "PTH, intact 412 pg/mL", { "pth", "412 pg/mL", 412, "pg/mL" } },
    { "25-OH Vitamin D 18 ng/mL", { "vitd25", "18 ng/mL", 18, "ng/mL" } },
    { "Creatinine 3.4 mg/dL  eGFR 17 mL/min/1.73m2", { "creatinine", "3.4 mg/dL", 3.4, "mg/dL" },
      { "egfr", "17 mL/min/1.73m2", 17, "mL/min/1.73m2" } },
    { "Calcium 2,45 mmol/l", { "calcium", "2.45 mmol/l", 2.45, "mmol/l" } },
    { "Ca 2,45 mmol/l (2,15-2,55)", { "calcium", "2.45 mmol/l", 2.45, "mmol/l", "2,15-2,55" } },
    { "Calcium 7.1 mg/dL (8.5 - 10.5) L", { "calcium", "7.1 mg/dL", 7.1, "mg/dL", "8.5 - 10.5", "L" } },
    { "Calcium 14.9 mg/dL HH", { "calcium", "14.9 mg/dL", 14.9, "mg/dL", nil, "HH" } },
    { "Calcium 5.9 mg/dL LL", { "calcium", "5.9 mg/dL", 5.9, "mg/dL", nil, "LL" } },
    { "Phos 1.1 mg/dL LOW", { "phosphate", "1.1 mg/dL", 1.1, "mg/dL", nil, "LOW" } },
    { "PTH 98 pg/mL *", { "pth", "98 pg/mL", 98, "pg/mL", nil, "*" } },
    { "PTH 98 pg/mL (15-65) (H)", { "pth", "98 pg/mL", 98, "pg/mL", "15-65", "H" } },
    { "eGFR <15 mL/min/1.73 m2", { "egfr", "<15 mL/min/1.73 m2", 15, "mL/min/1.73 m2" } },
    { "Creatinine \226\137\165 10 mg/dL", { "creatinine", ">=10 mg/dL", 10, "mg/dL" } },
    { "Ionised calcium: 1.41 mmol/L (1.15-1.29) H", { "ionized_calcium", "1.41 mmol/L", 1.41, "mmol/L",
      "1.15-1.29", "H" } },
    { "Ca 9.5 mg/dL; Phos 4.1 mg/dL, Alb 4.0 g/dL", { "calcium", "9.5 mg/dL", 9.5, "mg/dL" },
      { "phosphate", "4.1 mg/dL", 4.1, "mg/dL" }, { "albumin", "4.0 g/dL", 4.0, "g/dL" } },
    { "Calcium 9.9", { "calcium", "9.9", 9.9 } },
    { "Vitamin D, 25-Hydroxy 31 ng/mL", { "vitd25", "31 ng/mL", 31, "ng/mL" } },
    { "1,25-Dihydroxyvitamin D 45 pg/mL", { "vitd125", "45 pg/mL", 45, "pg/mL" } },
    { "Parathyroid Hormone, Intact 70 pg/mL H", { "pth", "70 pg/mL", 70, "pg/mL", nil, "H" } },
    { "GFR, estimated 52 mL/min/1.73m2", { "egfr", "52 mL/min/1.73m2", 52, "mL/min/1.73m2" } },
    { "Creatinine, serum 1.9 mg/dL", { "creatinine", "1.9 mg/dL", 1.9, "mg/dL" } },
    { "Albumin (serum) 2.9 g/dL L", { "albumin", "2.9 g/dL", 2.9, "g/dL", nil, "L" } },
    { "Calcium 11.2 mg/dL H (8.5-10.5)", { "calcium", "11.2 mg/dL", 11.2, "mg/dL", "8.5-10.5", "H" } },
  }
  for _, c in ipairs(cases) do
    it(("reads %q"):format(c[1]), function()
      local r = rec_of(c[1])
      local labs = {}
      for k = 2, #c do
        local e = c[k]
        local a = e[1]
        labs[a] = e[2]
        assert.equal(e[5], r[a .. "_range"], a)
        assert.equal(e[6], r[a .. "_flag"], a)
        assert.equal(1, #r[a .. "_values"], a)
        assert.equal(e[3], r[a .. "_values"][1].value, a)
        assert.equal(e[4], r[a .. "_values"][1].unit, a)
      end
      assert.same(labs, r.labs)
      assert.same({}, r.unrecognised)
      assert.same({}, r.problems)
    end)
  end

  it("keeps the comparator of a censored value", function()
    local r = rec_of("eGFR <15 mL/min/1.73 m2")
    assert.equal("<", r.egfr_values[1].comparator)
  end)

  local unrecognised = {
    "Calcium was 11.2 yesterday",        -- words after the result
    "Chemistry panel:",                  -- a heading
    "PTH 1,234 pg/mL",                   -- a comma and 3 digits: decimal or thousands?
    "Calcium 11.2 mg/dL (8.5-10.5",      -- an unclosed range
    "Calcium high",                      -- no number
    "11.2 mg/dL",                        -- no name
    "Calcium 11.2 furlongs",             -- not a unit
    "Calcium 11.2mg/dL",                 -- unit glued to the number
  }
  for _, l in ipairs(unrecognised) do
    it(("returns %q as it was written, never guessed"):format(l), function()
      local r = rec_of(l)
      assert.same({}, r.labs)
      assert.same({ l }, r.unrecognised)
    end)
  end

  it("returns a result with an unknown analyte as written and reads the others of its line", function()
    local r = rec_of("Sodium 140 mmol/L  Ca 9.5 mg/dL\nCa 19-9 37 U/mL")
    assert.same({ calcium = "9.5 mg/dL" }, r.labs)
    assert.same({ "Sodium 140 mmol/L", "Ca 19-9 37 U/mL" }, r.unrecognised)
  end)

  it("reads lines ended by LF, CRLF or CR, skips blank lines and names the record with opts.id", function()
    for _, sep in ipairs { "\n", "\r\n", "\r" } do
      local r = rec_of(table.concat({ "Calcium 11.2 mg/dL", "", "  ", "Alb 3.1 g/dL" }, sep), { id = "case-7" })
      assert.equal("case-7", r.id)
      assert.same({ calcium = "11.2 mg/dL", albumin = "3.1 g/dL" }, r.labs)
    end
  end)

  it("keeps an analyte given twice in _values, the last in labs, and says so", function()
    local r = rec_of("Calcium 11.2 mg/dL\nAlb 3.1 g/dL\nCa 10.1 mg/dL")
    assert.equal("10.1 mg/dL", r.labs.calcium)
    assert.same({ 11.2, 10.1 }, { r.calcium_values[1].value, r.calcium_values[2].value })
    assert.same({ 1, 3 }, { r.calcium_values[1].line, r.calcium_values[2].line })
    assert.same({ "calcium given 2 times (lines 1, 3); the last is used" }, r.problems)
  end)

  it("gives records the C record logic reads and classify accepts", function()
    local r = rec_of("Calcium 11.2 mg/dL (8.5-10.5) H\nCa 2,45 mmol/l\nPhosphorus, serum 6.3 mg/dL\nAlb 3.1 g/dL",
      { id = "p1" })
    local t = calcinosis.labs { id = r.id, labs = r.labs }
    assert.same({}, t.problems)
    assert.near(2.45 * 40.078 / 10, t.calcium.value, 1e-9) -- the last calcium, mmol/L x M(Ca) / 10
    assert.near(6.3, t.phosphate.value, 1e-12)
    local res = calcinosis.classify(r)
    -- the reader's problems pass into the result (the record's `problems` list), and no other
    assert.same({ "calcium given 2 times (lines 1, 2); the last is used" }, r.problems)
    assert.same({ "calcium given 2 times (lines 1, 2); the last is used (record p1)" }, res.problems)
    assert.equal(3.1, res.labs.albumin.value)
  end)

  it("raises on programmer errors", function()
    assert.has_error(function() labtext.records(42) end)
    assert.has_error(function() labtext.records("", { ids = "x" }) end,
      "calcinosis.labtext.records: unknown option 'ids' (did you mean 'id'?)")
    assert.has_error(function() labtext.parse_line(nil) end)
  end)
end)

describe("labtext: the example", function()
  it("examples/lab-text.lua reads examples/lab-text.txt and classifies it", function()
    local p = assert(io.popen("lua5.4 examples/lab-text.lua examples/lab-text.txt 2>&1; echo rc=$?"))
    local out = p:read("a")
    p:close()
    assert.matches("examples/lab-text.txt: metastatic", out, 1, true)
    assert.matches("calcium     11.2 mg/dL            range 8.5-10.5  flag H", out, 1, true)
    assert.matches("egfr        17 mL/min/1.73m2", out, 1, true)
    assert.matches("vitd25      18 ng/mL", out, 1, true)
    assert.matches("not read: Chemistry, 2024-03-01", out, 1, true)
    assert.matches("not read: Sodium 139 mmol/L", out, 1, true)
    assert.matches("Research tool, not a diagnosis", out, 1, true)
    assert.matches("rc=0\n$", out)
  end)
end)

describe("labtext: property tests", function()
  local rng = require("support").lcg -- (seeded: the same cases on every run)
  local PIECES = { "Calcium", "Ca", "Ca:", "Phosphorus,", "serum", "PTH,", "intact", "25-OH", "Vitamin", "D", "eGFR",
    "11.2", "2,45", "1,234", "<", ">=", "\226\137\164", "mg/dL", "mmol/l", "mL/min/1.73", "m2", "(", ")", "[", "]",
    "8.5-10.5", "2.15" .. EN_DASH .. "2.55", EN_DASH, "-", "H", "L", "HH", "HIGH", "LOW", "*", ";", ",", " ", "  ",
    "\t", "\n", "\r", "\0", "\226", "\255", "(H)", "x", "." }
  local LINES = { "Calcium 11.2 mg/dL (8.5-10.5) H", "Ca: 2.80 mmol/L [2.15" .. EN_DASH .. "2.55] HIGH",
    "Phosphorus, serum 6.3 mg/dL", "Creatinine 3.4 mg/dL  eGFR 17 mL/min/1.73m2", "25-OH Vitamin D 18 ng/mL" }

  local function check(text)
    local ok, recs, problems = pcall(labtext.records, text, { id = "p" })
    assert(ok, recs)
    assert.equal(1, #recs)
    assert.is_table(problems)
    local r = recs[1]
    for a, v in pairs(r.labs) do
      assert.is_table(calcinosis.core.analyte(a))
      assert.is_string(v)
    end
    for _, u in ipairs(r.unrecognised) do assert.is_string(u) end
  end

  it("random lines of lab-text pieces (3000, seeded) give a record, never an error", function()
    local R = rng(42)
    local t0 = os.clock()
    for _ = 1, 3000 do
      local parts = {}
      for _ = 1, R(14) do parts[#parts + 1] = PIECES[R(#PIECES)] end
      check(table.concat(parts, R(2) == 1 and " " or ""))
    end
    assert.is_true(os.clock() - t0 < 20 * require("support").SLOW) -- (valgrind-suite.sh: about 20x slower)
  end)

  it("mutations of the brief's lines (3000, seeded) give a record, never an error", function()
    local R = rng(9001)
    for _ = 1, 3000 do
      local s = LINES[R(#LINES)]
      for _ = 1, R(4) do
        local i = R(#s)
        local op = R(3)
        if op == 1 then s = s:sub(1, i - 1) .. s:sub(i + 1)
        elseif op == 2 then s = s:sub(1, i) .. PIECES[R(#PIECES)] .. s:sub(i + 1)
        else s = s:sub(1, i - 1) .. string.char(R(256) - 1) .. s:sub(i + 1) end
      end
      check(s)
    end
  end)

  it("a line read is read the same way again (the grammar has no state)", function()
    local a = rec_of(table.concat(LINES, "\n"))
    local b = rec_of(table.concat(LINES, "\n"))
    assert.same(a, b)
  end)
end)
