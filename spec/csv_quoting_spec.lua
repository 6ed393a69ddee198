-- CSV quoting of every text field the commands write: a ruleset whose name,
-- subtypes, rule ids, alternative, alert and ask ids hold ',', '"' and a
-- line break; each CSV output (classify, also with --jobs, compare, sweep,
-- validate) is read back with the spec's own RFC 4180 parser
-- (support.parse_csv, strict) and must give the right columns. On the code
-- before the fix the type, fired, not_evaluable columns (C) and the compare
-- and sweep CSV (Lua) were written unquoted, shifting the columns.
local support = require "support"
local json = require "calcinosis.json"

local tmp, clean = support.temp_files()
teardown(clean)

local RULESET = [[
return ruleset {
  name = %q, version = "1",
  subtypes = { "a,b", 'c"d', "e\nf" },
  rule { id = "r,1", when = "calcium > 10 mg/dL", supports = "a,b", weight = %s, because = "x", source = "S1" },
  rule { id = 'r"2', when = "calcium > 9 mg/dL", supports = 'c"d', weight = 1, because = "x", source = "S1" },
  rule { id = "r\n3", when = "pth > 100", supports = "e\nf", weight = 1, because = "x", source = "S1" },
  param("lim", 3),
  alternative { id = "alt,1", when = "calcium > 10 mg/dL", labels = { "a,b", 'c"d' }, reason = "r", source = "S1" },
  alert { id = 'al"1', when = "calcium > 10 mg/dL", severity = "warning", text = "t", source = "S1" },
  ask { id = "ask\n1", when = "missing(pth)", inputs = { "pth" }, text = "t", source = "S1" },
}
]]
local rs_a = tmp(RULESET:format("q,1", "2"), ".lua")
local rs_b = tmp(RULESET:format('q"2', "0.5"), ".lua")
-- p,1: calcium 11 fires r,1 (2) and r"2 (1), pth missing: type a,b, r\n3 not evaluable, the ask listed;
-- p2: calcium 9.5 fires r"2, pth 200 fires r\n3: a tie, broken by the subtype order: c"d;
-- p3: pth 150 fires r\n3 only: e\nf
local COHORT = tmp('id,calcium [mg/dL],pth [pg/mL]\n"p,1",11,\np2,9.5,200\n"p\n3",8,150\n', ".csv")
local COLUMNS = "id,type,score,fired,not_evaluable,alternatives,alerts,missing,problems"
local EXPECTED = {
  { "id", "type", "score", "fired", "not_evaluable", "alternatives", "alerts", "missing", "problems" },
  { "p,1", "a,b", "2", 'r,1;r"2', "r\n3", 'c"d', 'al"1', "ask\n1", "" },
  { "p2", 'c"d', "1", 'r"2;r\n3', "", "", "", "", "" },
  { "p\n3", "e\nf", "1", "r\n3", "", "", "", "", "" },
}

local function parse(text)
  local ok, rows = pcall(support.parse_csv, text, true)
  assert(ok, tostring(rows) .. " in:\n" .. text)
  return rows
end

local function cmd(args)
  local out, rc, err = support.run(args)
  assert.is_nil(err:find("traceback", 1, true), err)
  return out, rc, err
end

describe("CSV output quotes every text field that needs it", function()
  it("classify: type, fired, not_evaluable, alternatives, alerts, missing and id keep their columns", function()
    local out, rc = cmd(("classify --rules %s --columns %s %s"):format(rs_a, COLUMNS, COHORT))
    assert.equal(0, rc)
    assert.same(EXPECTED, parse(out))
  end)

  it("classify --jobs 2 writes the same rows", function()
    local big = { "id,calcium [mg/dL],pth [pg/mL]" }
    for i = 1, 3000 do big[#big + 1] = ('"p,%d",11,\np%d,9.5,200'):format(i, i) end
    local input = tmp(table.concat(big, "\n") .. "\n", ".csv")
    local out, rc = cmd(("classify --jobs 2 --rules %s --columns %s %s"):format(rs_a, COLUMNS, input))
    assert.equal(0, rc)
    local rows = parse(out)
    assert.equal(6001, #rows)
    for i = 2, #rows, 2 do
      assert.same({ ("p,%d"):format(i // 2), table.unpack(EXPECTED[2], 2) }, rows[i])
      assert.same({ ("p%d"):format(i // 2), table.unpack(EXPECTED[3], 2) }, rows[i + 1])
    end
  end)

  it("classify --format ndjson gives the same texts", function()
    local out, rc = cmd(("classify --format ndjson --rules %s --columns %s %s"):format(rs_a, COLUMNS, COHORT))
    assert.equal(0, rc)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = assert(json.decode(l)) end
    assert.equal(3, #lines)
    assert.equal("a,b", lines[1].type)
    assert.same({ "r,1", 'r"2' }, lines[1].fired)
    assert.same({ "r\n3" }, lines[1].not_evaluable)
    assert.equal("e\nf", lines[3].type)
  end)

  it("compare --format csv: ruleset names, ids, types", function()
    local out, rc = cmd(("compare --format csv --rules %s --rules %s %s"):format(rs_a, rs_b, COHORT))
    assert.equal(0, rc)
    -- under the second ruleset r,1 weighs 0.5: p,1 becomes c"d (1 > 0.5); the others do not change
    assert.same({
      { "a", "b", "id", "type_a", "type_b", "only_in_a", "only_in_b" },
      { "q,1", 'q"2', "p,1", "a,b", 'c"d', "", "" },
    }, parse(out))
  end)

  it("sweep (csv): the subtype names in the header", function()
    local out, rc = cmd(("sweep --rules %s --param lim=1:2:1 %s"):format(rs_a, COHORT))
    assert.equal(0, rc)
    -- the subtype counts, then per rule the records it fired for and could
    -- not evaluate (by hand from the cohort above: r,1 fires for p,1; r"2 for
    -- p,1 and p2; r\n3 for p2 and p3, and cannot be evaluated for p,1), then the hash
    local rows = parse(out)
    assert.same({ "lim", "a,b", 'c"d', "e\nf", "indeterminate",
      "fired:r,1", 'fired:r"2', "fired:r\n3", "not_evaluable:r,1", 'not_evaluable:r"2', "not_evaluable:r\n3",
      "hash" }, rows[1])
    assert.equal(3, #rows)
    for i = 2, 3 do
      assert.same({ tostring(i - 1), "1", "1", "1", "0", "1", "2", "2", "0", "0", "1" }, { table.unpack(rows[i], 1, 11) })
      assert.matches("^%x+$", rows[i][12])
      assert.equal(12, #rows[i])
    end
  end)

  it("validate --format csv: the ruleset name, 19 columns in every row", function()
    local input = tmp('id,calcium [mg/dL],truth\n"p,1",11,metastatic\n', ".csv")
    local out, rc = cmd(("validate --format csv --truth truth --rules %s %s"):format(rs_a, input))
    assert.equal(0, rc)
    local rows = parse(out)
    assert.is_true(#rows > 2)
    for i, r in ipairs(rows) do
      assert.equal(19, #r, "row " .. i)
      if i > 1 then assert.equal("q,1", r[1]) end
    end
    assert.equal("(all)", rows[#rows][2])
  end)

  it("core.csv_field is the C output's quoting, the one the Lua writers use", function()
    local core = require "calcinosis.core"
    local cli = require "calcinosis.cli"
    assert.equal("plain", core.csv_field("plain"))
    assert.equal("", core.csv_field(""))
    assert.equal('"a,b"', core.csv_field("a,b"))
    assert.equal('"say ""hi"""', core.csv_field('say "hi"'))
    assert.equal('"l\r\nm"', core.csv_field("l\r\nm"))
    assert.equal('x,"y,z",3', cli.csv_row { "x", "y,z", 3 })
    local s = 'a,"\n' .. ("q\""):rep(1000)
    assert.same({ { s, "t" } }, parse(cli.csv_row { s, "t" }))
  end)
end)
