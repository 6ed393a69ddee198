-- The cohort loop's record reading: the record of the row before is read
-- into again (cal_record_read_next, which clears dates, ranges and flags only
-- when the input has such columns), and the usual cells (a plain number, F or
-- M) are read inline, every other cell by the full readers. Both must give
-- what reading each record afresh gives; the expected rows are worked out
-- by hand from the cells below.
local support = require "support"
local tmp, clean_tmp = support.temp_files()

teardown(clean_tmp)

local function classify(csv, columns)
  local out, rc, err = support.run("classify --columns " .. columns .. " " .. tmp(csv))
  return out, rc, err
end

describe("records read one after the other", function()
  it("a date, flag, range or birth date of a row is not carried to the next", function()
    -- C has no age: it comes from the birth date at the latest lab date
    -- (1970-05-06 to 2024-03-04: 53 years); D has neither, so no age
    local out, rc = classify(table.concat({
      "id,age,sex,calcium [mg/dL],calcium_date,calcium_flag,calcium_range,birth_date",
      "A,50,F,9.0,2024-01-02,H,8.5-10.5 mg/dL,",
      "B,50,F,9.5,,,,",
      "C,,F,9.5,2024-03-04,,,1970-05-06",
      "D,,F,9.5,,,,",
    }, "\n") .. "\n", "id,age,calcium_date,calcium")
    assert.are.equal(0, rc)
    assert.are.equal(table.concat({
      "id,age,calcium_date,calcium",
      "A,50,2024-01-02,9",
      "B,50,,9.5",
      "C,53,2024-03-04,9.5",
      "D,,,9.5",
    }, "\n") .. "\n", out)
  end)

  it("cells that are not a plain number, F or M are read as the full readers read them", function()
    local out, rc = classify(table.concat({
      "id,age,sex,calcium [mg/dL],calcium_unit,phosphate [mg/dL],findings",
      "A,45,F,9.0,,3.5,ckd",                  -- the inline cases
      "B, 45 ,f, 9.0 ,,3.5 mg/dL,ckd;dialysis", -- spaces, a unit in the cell, f
      "C,8 mo,female,2.25,mmol/L,<2.5,CKD",   -- an age unit, the unit column, a censored value
      "D,200,x,high,,-1,",                    -- out of range, unknown sex, a word, negative
      "E,45,M,NA,,99999,unknown_thing",       -- a missing code, implausible
      "F,045.50,m,10,,4.,ckd",                -- leading zero, a point without decimals
    }, "\n") .. "\n", "id,age,sex,calcium,phosphate,problems")
    assert.are.equal(1, rc) -- D and E have problems
    -- C: 8 months = 8/12 years; 2.25 mmol/L x 4.0078 (mg/dL per mmol/L of calcium) = 9.01755
    assert.are.equal(table.concat({
      "id,age,sex,calcium,phosphate,problems",
      "A,45,F,9,3.5,",
      "B,45,F,9,3.5,",
      "C,0.666667,F,9.01755,2.5,",
      "D,,,,,age: 200 years is not between 0 and 150; sex: unknown sex 'x' (expected F or M); "
        .. "phosphate [mg/dL]: value -1 is negative",
      "E,45,M,,,phosphate [mg/dL]: 99999 is outside the plausible range of phosphate; "
        .. "findings: unknown term 'unknown_thing'",
      "F,45.5,M,10,4,",
    }, "\n") .. "\n", out)
  end)
end)
