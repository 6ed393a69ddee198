-- Fixed-format numbers in cohort output (ca_corr:%.2f and the like: the C
-- writer's cal_format_fixed, src/csv.c) against Lua's string.format on the
-- same doubles: random values, ties (0.125 to two places is a tie in
-- binary, 2.675 is not), negatives, small values that round to -0.0, huge
-- values (past 2^52 after scaling, where the writer falls back to
-- snprintf), infinities (unknown: an empty cell) and missing values.
local cohort = require "calcinosis.cohort"
local rules = require "calcinosis.rules"
local support = require "support"

local tmp, clean_tmp = support.temp_files()
teardown(clean_tmp)

local rs = assert(rules.compile([[return ruleset { name = "fmt", version = "1", subtypes = { "a" },
  let("a", "pth"), let("b", "0 - pth"), let("c", "pth * 1000000000000"), let("d", "pth"),
  let("e", "pth * 1000000 * 1000000 * 1000000 * 1000000 * 1000000 * 1000000 * 1000000 * 1000000"),
  let("f", "0 - pth / 100000"), let("g", "pth / (pth - pth)"),
  rule { id = "r", when = "pth > 0", supports = "a", weight = 1, because = "b", source = "S1" } }]]))

local COLUMNS = "id,problems,a:%.2f,b:%.1f,c:%.0f,d:%.3f,e:%.0f,f:%.4f,g:%.2f"
local FORMATS = { a = "%.2f", b = "%.1f", c = "%.0f", d = "%.3f", e = "%.0f", f = "%.4f", g = "%.2f" }
local function expected(v)
  local vals = { a = v, b = 0 - v, c = v * 1e12, d = v,
    e = v * 1e6 * 1e6 * 1e6 * 1e6 * 1e6 * 1e6 * 1e6 * 1e6, f = 0 - v / 100000, g = v / (v - v) }
  local out = {}
  for k, fmt in pairs(FORMATS) do
    local x = vals[k]
    out[k] = (x ~= x or x == math.huge or x == -math.huge) and "" or fmt:format(x)
  end
  return out
end

describe("fixed-format output columns", function()
  it("write what string.format writes for the same doubles", function()
    local R = support.lcg(20261202)
    local cells = { "1.125", "1.25", "1.0625", "0.375", "2.5", "0.5", "1.5", "2.675", "1.005", "0.045", "9.995",
      "99.995", "0.0005", "123456.785", "1", "1000", "4503.5", "0.1", "0.7", "", "17.9999", "3.14159265358979",
      "9999.995", "0.3" }
    for _ = 1, 3000 do
      local k = R(0, 6)
      cells[#cells + 1] = ("%." .. k .. "f"):format(R() * 10 ^ R(-2, 4))
    end
    local lines = { "id,pth [pg/mL]" }
    for i, c in ipairs(cells) do lines[#lines + 1] = ("P%d,%s"):format(i, c) end
    local out = tmp()
    local stats, err = cohort.run_csv(rs, { input = tmp(table.concat(lines, "\n") .. "\n"), output = out, columns = COLUMNS })
    assert.is_nil(err)
    assert.equal(#cells, stats.records)
    local rows = support.read_csv(out)
    local checked, ties, huge = 0, 0, 0
    for i, row in ipairs(rows) do
      assert.equal("P" .. i, row.id)
      local v = tonumber(cells[i])
      if v == nil or row.problems ~= "" then
        for k in pairs(FORMATS) do assert.equal("", row[k], row.id .. " " .. k) end
      else
        local want = expected(v)
        for k in pairs(FORMATS) do assert.equal(want[k], row[k], row.id .. " " .. cells[i] .. " " .. k) end
        checked = checked + 1
        if i <= 4 then ties = ties + 1 end
        if #want.e > 40 then huge = huge + 1 end -- (past 2^52: the snprintf path)
      end
    end
    assert.is_true(checked > 1500, "rows compared: " .. checked)
    assert.equal(4, ties)
    assert.equal(checked, huge)
    -- ties and -0.0 as printf rounds them (half to even on the exact binary value), worked out by hand
    assert.same({ "1.12", "-1.1", "1.125" }, { rows[1].a, rows[1].b, rows[1].d })
    assert.same({ "1.25", "-1.2" }, { rows[2].a, rows[2].b })
    assert.same({ "1.06", "1.062" }, { rows[3].a, rows[3].d })
    assert.same({ "0.38", "-0.4", "-0.0000" }, { rows[4].a, rows[4].b, rows[4].f })
    assert.equal("", rows[1].g) -- infinite: unknown
  end)
end)
