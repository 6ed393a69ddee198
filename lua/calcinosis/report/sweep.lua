--- The sweep report layout: subtype counts and rule-fire counts against the
-- swept parameter, as line charts and tables. The counts come from the C
-- cohort runs of the `sweep` command. A template: copy it and change it.
--
-- Dependencies: calcinosis.report.document.
-- @module calcinosis.report.sweep

local D = require "calcinosis.report.document"

local M = {}

--- The sweep report document.
-- @tparam table s `{ name, unit, labels, rows = { { value, counts = { [label] = n },
--   fired = { [rule id] = n } (optional) } }, rules (ids in order, optional), ruleset = { name, version, hash } }`
-- @tparam[opt] table opts `input`, `disclaimer`
-- @treturn table document
function M.document(s, opts)
  opts = opts or {}
  local pname = s.name .. (s.unit and (" [" .. s.unit .. "]") or "")
  local xs, series = {}, {}
  for i, l in ipairs(s.labels) do series[i] = { name = l, values = {} } end
  local head, rows, align = { pname }, {}, { "r" }
  for _, l in ipairs(s.labels) do head[#head + 1] = l; align[#align + 1] = "r" end
  for _, r in ipairs(s.rows) do
    xs[#xs + 1] = r.value
    local row = { D.num(r.value) }
    for i, l in ipairs(s.labels) do
      local k = r.counts[l] or 0
      row[#row + 1] = k
      series[i].values[#series[i].values + 1] = k
    end
    rows[#rows + 1] = row
  end
  local rs = s.ruleset or {}
  local blocks = {
    D.section("Ruleset and parameter", {
      D.table("The ruleset swept", { "name", "version", "hash", "parameter", "values" },
        { { tostring(rs.name), tostring(rs.version), tostring(rs.hash), pname,
          ("%d, from %s to %s"):format(#xs, D.num(xs[1]), D.num(xs[#xs])) } }),
    }),
    D.section("Subtype counts", {
      D.figure("sweep-types", ("Records by type against %s"):format(pname), { kind = "line",
        title = "Records by type against " .. s.name, x = xs, series = series, x_title = pname, y_title = "records" }),
      D.table(("Records by type at each value of %s"):format(pname), head, rows, align),
    }),
  }
  if s.rules and s.rows[1] and s.rows[1].fired then
    -- the rules whose count changes over the sweep (the others are listed once)
    local changing, steady = {}, {}
    for _, id in ipairs(s.rules) do
      local first, varies = s.rows[1].fired[id] or 0, false
      for _, r in ipairs(s.rows) do if (r.fired[id] or 0) ~= first then varies = true end end
      if varies then changing[#changing + 1] = id elseif first > 0 then steady[#steady + 1] = ("%s %d"):format(id, first) end
    end
    local rseries, rhead, rrows, ralign = {}, { pname }, {}, { "r" }
    for i, id in ipairs(changing) do rseries[i] = { name = id, values = {} }; rhead[#rhead + 1] = id; ralign[#ralign + 1] = "r" end
    for _, r in ipairs(s.rows) do
      local row = { D.num(r.value) }
      for i, id in ipairs(changing) do
        local k = r.fired[id] or 0
        row[#row + 1] = k
        rseries[i].values[#rseries[i].values + 1] = k
      end
      rrows[#rrows + 1] = row
    end
    local b = {}
    if #changing > 0 then
      b[#b + 1] = D.figure("sweep-rules", ("Records on which each rule fired against %s (rules whose count changes)"):format(pname),
        { kind = "line", title = "Rule fires against " .. s.name, x = xs, series = rseries, x_title = pname, y_title = "records" })
      b[#b + 1] = D.table("Records on which each rule fired, for the rules whose count changes", rhead, rrows, ralign)
    else
      b[#b + 1] = D.para("No rule's fire count changes over the sweep.")
    end
    if #steady > 0 then b[#b + 1] = D.para("Rules that fired the same number of times at every value: " .. table.concat(steady, ", ") .. ".") end
    blocks[#blocks + 1] = D.section("Rule fires", b)
  end
  return D.document("sweep", "Sweep report: " .. s.name .. (opts.input and (" over " .. opts.input) or ""), blocks, {
    subtitle = ("%s from %s to %s (%d values)"):format(pname, D.num(xs[1]), D.num(xs[#xs]), #xs),
    disclaimer = opts.disclaimer or require("calcinosis.report.patient").DISCLAIMER,
    ruleset = { name = tostring(rs.name), version = tostring(rs.version), hash = tostring(rs.hash) },
  })
end

return M
