--- Small helpers every layer shares: the research-tool statement, the
-- brief number format, the "did you mean" suggester, the sorted keys of a
-- table and the JSON-array marker. A leaf: it requires nothing.
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

--- The most distance cells (name length x candidate length) one `suggest`
-- call computes: the whole search is bounded, whatever the number and the
-- length of the candidates.
M.SUGGEST_WORK = 400000

--- The closest candidate to `name`, or nil when none is close (within
-- max(2, #name // 3) edits). Names longer than 200 bytes get no suggestion;
-- candidates whose length is too far from the name's are skipped at once;
-- the search stops (with the best so far) after `M.SUGGEST_WORK` cells.
-- @tparam string name
-- @tparam {string,...} candidates
-- @tparam[opt] number work the bound on cells, default `M.SUGGEST_WORK`
-- @treturn string|nil
function M.suggest(name, candidates, work)
  if type(name) ~= "string" or #name > 200 or type(candidates) ~= "table" then return nil end
  local best, bestd
  local ln = #name
  local limit = math.max(2, math.floor(ln / 3))
  work = work or M.SUGGEST_WORK
  for _, c in ipairs(candidates) do
    work = work - 1
    if work < 0 then break end
    if type(c) == "string" and math.abs(#c - ln) <= limit then
      work = work - ln * #c
      if work < 0 then break end
      -- only a strictly closer candidate can win: a tighter early exit
      local d = M.distance(name, c, bestd and bestd - 1 or limit)
      if d <= limit and (not bestd or d < bestd) then
        best, bestd = c, d
        if d == 0 then break end
      end
    end
  end
  return best
end

local function by_text(a, b) -- (equal texts, as 10 and "10": by type name, the same every run)
  local x, y = tostring(a), tostring(b)
  if x ~= y then return x < y end
  return type(a) < type(b)
end

--- The keys of a table in sorted order (by their text, so that keys of
-- any type sort; keys of equal text, as 10 and "10", by their type's
-- name): for loops whose order shows, which must be the same in every
-- process (pairs goes in hash order, which Lua seeds anew in each).
-- @tparam table t
-- @treturn {any,...}
function M.sorted_keys(t)
  local keys, n, strings = {}, 0, true
  for k in pairs(t) do
    n = n + 1
    keys[n] = k
    if strings and type(k) ~= "string" then strings = false end
  end
  -- (string keys only, the usual case: the same order, compared in C)
  if strings then table.sort(keys) else table.sort(keys, by_text) end
  return keys
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

--- A deep copy of a value: tables are copied (keys and values, with their
-- metatables, such as the JSON-array marker; a table met twice is copied
-- once), anything else is returned as it is. A result of
-- `calcinosis.classify` is complete in the copy (its fields filled in
-- when iterated over), and the copy has no metatable. For editing what a
-- result or a lab table shares with others (their `range` and `critical`
-- tables are the plan's own, read-only).
-- @param v
-- @return the copy
function M.copy(v, seen)
  if type(v) ~= "table" then return v end
  seen = seen or {}
  if seen[v] then return seen[v] end
  local c = {}
  seen[v] = c
  for k, x in pairs(v) do c[M.copy(k, seen)] = M.copy(x, seen) end
  local mt = getmetatable(v)
  if type(mt) == "table" then setmetatable(c, mt) end
  return c
end

return M
