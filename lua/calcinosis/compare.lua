--- Comparing classifications of the same patients: counts by type, the
-- confusion matrix and Cohen's kappa of each pair of rulesets, and the
-- patients whose type changes with the rules that made the difference.
-- Used by `calcinosis.compare` and the `compare` command.
--
-- Dependencies: none.
-- @module calcinosis.compare

local M = {}

--- Cohen's kappa of a confusion matrix (rows: A, columns: B).
-- @tparam table matrix `matrix[a][b]` counts
-- @tparam {string,...} labels
-- @tparam number n the number of pairs
-- @treturn number|nil kappa (nil when n is 0)
local function kappa(matrix, labels, n)
  if n == 0 then return nil end
  local po, pe = 0, 0
  for _, a in ipairs(labels) do
    po = po + ((matrix[a] or {})[a] or 0)
    local ra, cb = 0, 0
    for _, b in ipairs(labels) do
      ra = ra + ((matrix[a] or {})[b] or 0)
      cb = cb + ((matrix[b] or {})[a] or 0)
    end
    pe = pe + (ra / n) * (cb / n)
  end
  po = po / n
  if pe == 1 then return 1 end
  return (po - pe) / (1 - pe)
end
M.kappa = kappa

--- Compares classification outputs (lists of `{ id, type, fired = {ids} }`
-- per ruleset, same order). Returns the comparison table.
-- @tparam {string,...} names ruleset names
-- @tparam function next_rows iterator returning a list of rows (one per ruleset) or nil
-- @tparam table labels subtype labels in order
-- @tparam integer max_changes how many changed patients to keep
function M.compare_rows(names, next_rows, labels, max_changes)
  local k = #names
  local counts, pairs_ = {}, {}
  for i = 1, k do counts[i] = {} end
  for i = 1, k do
    for j = i + 1, k do
      pairs_[#pairs_ + 1] = { a = i, b = j, matrix = {}, n = 0, changed = 0, changes = {} }
    end
  end
  local n = 0
  for rows in next_rows do
    n = n + 1
    for i = 1, k do
      local t = rows[i].type
      counts[i][t] = (counts[i][t] or 0) + 1
    end
    for _, p in ipairs(pairs_) do
      local ra, rb = rows[p.a], rows[p.b]
      p.matrix[ra.type] = p.matrix[ra.type] or {}
      p.matrix[ra.type][rb.type] = (p.matrix[ra.type][rb.type] or 0) + 1
      p.n = p.n + 1
      if ra.type ~= rb.type then
        p.changed = p.changed + 1
        if #p.changes < max_changes then
          local fa, fb = {}, {}
          for _, x in ipairs(ra.fired) do fa[x] = true end
          for _, x in ipairs(rb.fired) do fb[x] = true end
          local only_a, only_b = {}, {}
          for _, x in ipairs(ra.fired) do if not fb[x] then only_a[#only_a + 1] = x end end
          for _, x in ipairs(rb.fired) do if not fa[x] then only_b[#only_b + 1] = x end end
          p.changes[#p.changes + 1] = { id = ra.id, from = ra.type, to = rb.type,
            only_in_a = only_a, only_in_b = only_b }
        end
      end
    end
  end
  for _, p in ipairs(pairs_) do
    p.kappa = kappa(p.matrix, labels, p.n)
    p.a_name, p.b_name = names[p.a], names[p.b]
  end
  return { n = n, names = names, labels = labels, counts = counts, pairs = pairs_ }
end

return M
