-- The cohort pipeline's per-stream memos (src/termmap.c: whole findings and
-- sites cells; src/output.c: the fired column's text per set of fired
-- rules): rows that repeat cells and fired sets, over many batches, get
-- what an independent implementation gives (bench/plain-v1.lua, plain Lua
-- written from the bench's README), and every row keeps its own problems.
local cohort = require "calcinosis.cohort"
local rules = require "calcinosis.rules"
local support = require "support"

local tmp, clean_tmp = support.temp_files()
teardown(clean_tmp)

local BENCH_COLUMNS = "id,type,score,fired,ca_corr:%.2f,ca_x_p:%.1f,egfr:%.0f"
local bench = assert(rules.load("bench/bench-v1.lua"))

local function run_c(csv_path, columns)
  local out = tmp()
  local stats, err = cohort.run_csv(bench, { input = csv_path, output = out, columns = columns or BENCH_COLUMNS })
  assert.is_nil(err)
  return stats, support.read_csv(out)
end

describe("cohort memos", function()
  it("give plain-v1.lua's type, score and fired rules on every row of 3,000 (12 batches)", function()
    local csv = tmp(support.bench_cohort(3000, 7))
    local _, rows = run_c(csv)
    local plain_out = tmp()
    assert.is_true(os.execute("lua5.4 bench/plain-v1.lua " .. csv .. " > " .. plain_out))
    local plain = support.read_csv(plain_out)
    assert.equal(3000, #rows)
    assert.equal(#plain, #rows)
    local sets, repeated = {}, 0
    for i = 1, #rows do
      local c, p = rows[i], plain[i]
      assert.same({ p.id, p.type, p.score, p.fired }, { c.id, c.type, c.score, c.fired })
      if sets[c.fired] then repeated = repeated + 1 end
      sets[c.fired] = true
    end
    -- the memo paths are taken: most rows repeat a fired set seen before
    assert.is_true(repeated > 2000, "rows with a fired set seen before: " .. repeated)
  end)

  it("report an unknown term on every row whose cell holds it, not only the first, and apply each row's own sites", function()
    local KINDS = { "ckd;dialysis", "ckd;frobnitz", "lupus", "Systemic Sclerosis", "" }
    local lines = { "id,age_years,sex,calcium [mg/dL],phosphate [mg/dL],findings,sites" }
    for i = 1, 600 do
      lines[#lines + 1] = ("P%04d,50,F,9.5,3.5,%s,%s"):format(i, KINDS[i % 5 + 1], i % 3 == 0 and "scrotum" or "hands")
    end
    local csv = tmp(table.concat(lines, "\n") .. "\n")
    local stats, rows = run_c(csv, "id,type,fired,problems")
    assert.equal(600, stats.records)
    assert.equal(120, stats.with_problems)
    local sites = 0
    for i = 1, 600 do
      local row, k = rows[i], i % 5 + 1
      local r = { row.id, row.type, row.fired, row.problems }
      assert.equal(("P%04d"):format(i), r[1])
      if k == 2 then
        assert.matches("unknown term 'frobnitz'", r[4])
        assert.matches("metastatic.cause", r[3]) -- ckd, the known term of the same cell
      else
        assert.equal("", r[4])
      end
      if k == 1 then assert.matches("metastatic.cause", r[3]) end
      if k == 3 or k == 4 then assert.matches("dystrophic.cause", r[3]) end -- "Systemic Sclerosis" by its key
      -- a genital site counts only without a cause: the rows with no findings and the scrotum
      local site = k == 5 and i % 3 == 0
      assert.equal(site, r[3]:find("idiopathic.site", 1, true) ~= nil, r[1] .. ": " .. r[3])
      if site then sites = sites + 1 end
    end
    assert.equal(40, sites)
  end)
end)
