--- The validation report layout: for each ruleset the summary (accuracy,
-- Cohen's kappa, macro-F1 with their intervals), the validation table per
-- subtype with Wilson intervals, a forest plot of the sensitivities and
-- specificities, the confusion matrix as a heat map and the patients it got
-- wrong; McNemar's test between rulesets. Every statistic comes from
-- `calcinosis.validate`. A template: copy it and change it.
--
-- Dependencies: calcinosis.report.document.
-- @module calcinosis.report.validation

local D = require "calcinosis.report.document"

local M = {}

local function p3(x) return x and ("%.3f"):format(x) or "n/a" end
local function ci(x) return x.value and ("%s [%s, %s]"):format(p3(x.value), p3(x.low), p3(x.high)) or "n/a" end

--- The validation report document.
-- @tparam table c from `calcinosis.validate.compare`
-- @tparam[opt] {table,...} rulesets `{ name, version, hash }` of each, in order
-- @tparam[opt] table opts `input`, `truth` (the reference column), `max_wrong` (default 50), `disclaimer`
-- @treturn table document
function M.document(c, rulesets, opts)
  opts = opts or {}
  rulesets = rulesets or {}
  local max_wrong = opts.max_wrong or 50
  local blocks = {}
  for i, v in ipairs(c.tables) do
    local rs = rulesets[i] or {}
    local b = {
      D.para(("%d patients scored against %s; left out: %d without a reference label, %d with one that names no subtype."):format(
        v.n, opts.truth and ("the reference column '" .. opts.truth .. "'") or "the reference labels",
        v.left_out.missing, v.left_out.unknown), "lead"),
    }
    local summary = { { "accuracy", ci(v.accuracy), ("%d of %d"):format(v.correct, v.n) } }
    if v.kappa then
      summary[#summary + 1] = { "Cohen's kappa", ("%s [%s, %s]"):format(p3(v.kappa.value), p3(v.kappa.low), p3(v.kappa.high)),
        "SE " .. p3(v.kappa.se) }
    end
    summary[#summary + 1] = { "macro-F1", p3(v.macro_f1), "" }
    b[#b + 1] = D.table("Overall (95% intervals: Wilson for accuracy, kappa +- 1.96 SE)", { "statistic", "value [95% CI]", "note" }, summary)
    local rows, forest = {}, {}
    for _, l in ipairs(v.labels) do
      local e = v.per_label[l]
      if e.tp + e.fp + e.fn > 0 then
        rows[#rows + 1] = { l, e.tp, e.fp, e.fn, e.tn, ci(e.sensitivity), ci(e.specificity), ci(e.ppv), ci(e.npv), p3(e.f1) }
        forest[#forest + 1] = { label = l .. " sensitivity", value = e.sensitivity.value, low = e.sensitivity.low, high = e.sensitivity.high }
        forest[#forest + 1] = { label = l .. " specificity", value = e.specificity.value, low = e.specificity.low, high = e.specificity.high }
      end
    end
    if v.accuracy.value then
      forest[#forest + 1] = { label = "accuracy", value = v.accuracy.value, low = v.accuracy.low, high = v.accuracy.high }
    end
    b[#b + 1] = D.table("Validation table per subtype (Wilson 95% intervals)", { "label", "TP", "FP", "FN", "TN", "sensitivity",
      "specificity", "PPV", "NPV", "F1" }, rows, { "l", "r", "r", "r", "r", "r", "r", "r", "r", "r" })
    b[#b + 1] = D.figure("forest-" .. i, "Sensitivity, specificity and accuracy with Wilson 95% intervals",
      { kind = "forest", title = ("%s: sensitivity and specificity"):format(tostring(v.name)), rows = forest, min = 0, max = 1,
        x_title = "proportion" })
    local values = {}
    for r, a in ipairs(v.labels) do
      values[r] = {}
      for col, bb in ipairs(v.labels) do values[r][col] = v.matrix[a][bb] end
    end
    b[#b + 1] = D.figure("confusion-" .. i, "Confusion matrix (rows: reference, columns: result)",
      { kind = "heatmap", title = ("%s: confusion matrix"):format(tostring(v.name)), rows = v.labels, cols = v.labels,
        values = values, row_title = "reference (rows)", col_title = "result (columns)" })
    local wrong = {}
    for k, w in ipairs(v.wrong) do
      if k > max_wrong then break end
      wrong[#wrong + 1] = { tostring(w.id), w.truth, w.type, table.concat(w.fired, ", ") }
    end
    b[#b + 1] = D.table(("Patients classified differently from the reference (%d)"):format(#v.wrong),
      { "id", "reference", "result", "rules that fired" }, wrong)
    if #v.wrong > max_wrong then b[#b + 1] = D.para(("... and %d more."):format(#v.wrong - max_wrong)) end
    b[#b + 1] = D.para("Counting: " .. v.counting, "note")
    b[#b + 1] = D.table("Ruleset", { "name", "version", "hash" }, { { tostring(rs.name or v.name), tostring(rs.version), tostring(rs.hash) } })
    blocks[#blocks + 1] = D.section("Ruleset " .. tostring(v.name), b, "ruleset-" .. i)
  end
  if #c.mcnemar > 0 then
    local rows = {}
    for _, m in ipairs(c.mcnemar) do
      rows[#rows + 1] = { ("%s vs %s"):format(tostring(m.first), tostring(m.second)), m.b, m.c, m.method,
        m.statistic and p3(m.statistic) or "", ("%.4g"):format(m.p) }
    end
    blocks[#blocks + 1] = D.section("McNemar's test between rulesets", {
      D.table("McNemar's test (b: only the first right, c: only the second right)",
        { "pair", "b", "c", "method", "statistic", "p" }, rows, { "l", "r", "r", "l", "r", "r" }),
    })
  end
  return D.document("validation", "Validation report" .. (opts.input and (": " .. opts.input) or ""), blocks, {
    subtitle = opts.truth and ("reference labels: " .. opts.truth) or nil,
    disclaimer = opts.disclaimer or require("calcinosis.report.patient").DISCLAIMER,
  })
end

return M
