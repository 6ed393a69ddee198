--- Small helpers every layer shares: the research-tool statement, the
-- brief number format, the "did you mean" suggester and the JSON-array
-- marker. A leaf: it requires nothing.
-- @module calcinosis.util

local M = {}

--- The statement every result, report and command output carries.
M.DISCLAIMER = "Research tool, not a diagnosis: results are literature-based suggestions for a clinician to review."

--- Formats a number briefly (no trailing zeros; "unknown" for NaN).
-- @tparam number v
-- @treturn string
function M.fmt(v)
  if v ~= v then return "unknown" end
  if v == math.floor(v) and math.abs(v) < 1e15 then return ("%d"):format(v) end
  return ("%.6g"):format(v)
end

--- Optimal-string-alignment Damerau-Levenshtein distance of two strings,
-- with an early exit above `limit` (returns limit + 1 then).
-- @tparam string a
-- @tparam string b
-- @tparam[opt] number limit default: no limit
-- @treturn number
function M.distance(a, b, limit)
  local la, lb = #a, #b
  limit = limit or math.max(la, lb)
  if math.abs(la - lb) > limit then return limit + 1 end
  local prev2, prev = {}, {}
  for j = 0, lb do prev[j] = j end
  for i = 1, la do
    local cur = { [0] = i }
    local rowmin = i
    local ai = a:byte(i)
    for j = 1, lb do
      local bj = b:byte(j)
      local cost = (ai == bj) and 0 or 1
      local v = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      if i > 1 and j > 1 and ai == b:byte(j - 1) and a:byte(i - 1) == bj then
        v = math.min(v, prev2[j - 2] + 1)
      end
      cur[j] = v
      if v < rowmin then rowmin = v end
    end
    if rowmin > limit then return limit + 1 end
    prev2, prev = prev, cur
  end
  return prev[lb]
end

--- The closest candidate to `name`, or nil when none is close (within
-- max(2, #name // 3) edits). Names longer than 200 bytes get no suggestion.
-- @tparam string name
-- @tparam {string,...} candidates
-- @treturn string|nil
function M.suggest(name, candidates)
  if #name > 200 then return nil end
  local best, bestd
  local limit = math.max(2, #name // 3)
  for _, c in ipairs(candidates) do
    local d = M.distance(name, c, limit)
    if d <= limit and (not bestd or d < bestd) then best, bestd = c, d end
  end
  return best
end

--- Metatable marking a table as a JSON array (for empty lists); the same
-- table as `calcinosis.json.array`.
M.array = { __jsontype = "array" }

--- Marks a table as a JSON array and returns it.
-- @tparam[opt] table t default: a new table
-- @treturn table
function M.list(t)
  return setmetatable(t or {}, M.array)
end

return M
