-- Helpers shared by specs.
local M = {}

--- Path of a file in ../shared (beside the repository).
function M.shared(rel)
  return "../shared/" .. rel
end

--- Reads a small RFC 4180 CSV file into a list of tables keyed by header.
function M.read_csv(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  local rows, row, field, i, n = {}, {}, {}, 1, #text
  local inq = false
  while i <= n do
    local c = text:sub(i, i)
    if inq then
      if c == '"' then
        if text:sub(i + 1, i + 1) == '"' then field[#field + 1] = '"'; i = i + 1
        else inq = false end
      else field[#field + 1] = c end
    elseif c == '"' then inq = true
    elseif c == "," then row[#row + 1] = table.concat(field); field = {}
    elseif c == "\n" or c == "\r" then
      if c == "\r" and text:sub(i + 1, i + 1) == "\n" then i = i + 1 end
      row[#row + 1] = table.concat(field); field = {}
      rows[#rows + 1] = row; row = {}
    else field[#field + 1] = c end
    i = i + 1
  end
  if #field > 0 or #row > 0 then row[#row + 1] = table.concat(field); rows[#rows + 1] = row end
  local header = table.remove(rows, 1)
  local out = {}
  for _, r in ipairs(rows) do
    local t = {}
    for k, h in ipairs(header) do t[h] = r[k] end
    out[#out + 1] = t
  end
  return out
end

--- Half a unit in the last place of a number printed with `digits`
-- significant digits.
function M.sig_tolerance(x, digits)
  if x == 0 then return 0.5 * 10 ^ -digits end
  local e = math.floor(math.log(math.abs(x), 10))
  return 0.5 * 10 ^ (e - digits + 1)
end

--- Half a unit in the last printed place of a number written as text.
function M.printed_tolerance(s)
  local dec = s:match("%.(%d+)$")
  return 0.5 * 10 ^ -(dec and #dec or 0)
end

return M
