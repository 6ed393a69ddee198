--- The comparison report layout: counts per ruleset (table and bar chart),
-- and for each pair of rulesets the confusion matrix as a heat map,
-- Cohen's kappa and the patients who change type with the rules
-- responsible. Built from `calcinosis.compare.compare_rows` (the statistics
-- are computed there). A template: copy it and change it.
--
-- Dependencies: calcinosis.report.document.
-- @module calcinosis.report.comparison

local D = require "calcinosis.report.document"

local M = {}

local function pct(k, n) return n > 0 and ("%.1f%%"):format(100 * k / n) or "" end

--- The comparison report document.
-- @tparam table c from `calcinosis.compare.compare_rows`
-- @tparam {table,...} rulesets `{ name, version, hash }` of each, in order
-- @tparam[opt] table opts `input` (the cohort file, for the title), `disclaimer`
-- @treturn table document
function M.document(c, rulesets, opts)
  opts = opts or {}
  local head = { "type" }
  for _, name in ipairs(c.names) do head[#head + 1] = name end
  local rows, series = {}, {}
  for i, name in ipairs(c.names) do series[i] = { name = name, values = {} } end
  for _, l in ipairs(c.labels) do
    local row = { l }
    for i = 1, #c.names do
      local k = c.counts[i][l] or 0
      row[#row + 1] = k
      series[i].values[#series[i].values + 1] = k
    end
    rows[#rows + 1] = row
  end
  local align = { "l" }
  for i = 1, #c.names do align[i + 1] = "r" end
  local rs_rows = {}
  for i, r in ipairs(rulesets) do rs_rows[i] = { c.names[i], tostring(r.version), tostring(r.hash) } end
  local blocks = {
    D.section("Rulesets", { D.table("Rulesets compared", { "name", "version", "hash" }, rs_rows) }),
    D.section("Counts per ruleset", {
      D.para(("%d patients classified under each ruleset."):format(c.n)),
      D.table("Records by type under each ruleset", head, rows, align),
      D.figure("counts", "Records by type under each ruleset", { kind = "bar", title = "Records by type under each ruleset",
        categories = c.labels, series = series, y_title = "records" }),
    }),
  }
  for pi, p in ipairs(c.pairs) do
    local values = {}
    for r, a in ipairs(c.labels) do
      values[r] = {}
      for col, b in ipairs(c.labels) do values[r][col] = (p.matrix[a] or {})[b] or 0 end
    end
    local mrows = {}
    for r, a in ipairs(c.labels) do
      local row = { a }
      for col = 1, #c.labels do row[#row + 1] = values[r][col] end
      mrows[#mrows + 1] = row
    end
    local mhead = { p.a_name .. " \\ " .. p.b_name }
    local malign = { "l" }
    for _, l in ipairs(c.labels) do mhead[#mhead + 1] = l; malign[#malign + 1] = "r" end
    local ch = {}
    for _, x in ipairs(p.changes) do
      ch[#ch + 1] = { tostring(x.id), x.from, x.to, table.concat(x.only_in_a, ", "), table.concat(x.only_in_b, ", ") }
    end
    local b = {
      D.para(("Cohen's kappa %s; %d of %d patients (%s) change type."):format(
        p.kappa and ("%.3f"):format(p.kappa) or "n/a", p.changed, p.n, pct(p.changed, p.n)), "lead"),
      D.table(("Confusion matrix: %s (rows) against %s (columns)"):format(p.a_name, p.b_name), mhead, mrows, malign),
      D.figure("confusion-" .. pi, ("Confusion matrix of %s (rows) against %s (columns)"):format(p.a_name, p.b_name),
        { kind = "heatmap", title = ("%s vs %s"):format(p.a_name, p.b_name), rows = c.labels, cols = c.labels,
          values = values, row_title = p.a_name .. " (rows)", col_title = p.b_name .. " (columns)" }),
      D.table("Patients who change type, with the rules that fired under one ruleset only",
        { "id", "type under " .. p.a_name, "type under " .. p.b_name, "rules only under " .. p.a_name,
          "rules only under " .. p.b_name }, ch),
    }
    if p.changed > #p.changes then
      b[#b + 1] = D.para(("... and %d more patients who change type (raise --max-changes to list them)."):format(
        p.changed - #p.changes))
    end
    blocks[#blocks + 1] = D.section(("%s vs %s"):format(p.a_name, p.b_name), b, "pair-" .. pi)
  end
  return D.document("comparison", "Comparison report" .. (opts.input and (": " .. opts.input) or ""), blocks, {
    subtitle = ("%d patients under %d rulesets"):format(c.n, #c.names),
    disclaimer = opts.disclaimer or require("calcinosis.report.patient").DISCLAIMER,
    records = c.n,
  })
end

return M
