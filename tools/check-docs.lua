-- Checks that every public function of the modules under lua/ has a doc
-- comment that LDoc reads (make docs): a comment block starting with "---"
-- directly above its definition.
--   lua5.4 tools/check-docs.lua [BUILD]     (BUILD: the C module, default build/5.4)
-- Public: each function-valued field of a module's table (a file with an
-- @module tag, loaded with require) whose name does not start with "_", and
-- each such function of a class table the module exposes under a capitalised
-- name (calcinosis.rules.Ruleset). A field whose definition is not found in
-- the module's file (`function M.name`, `M.name =`, `function Class:name`,
-- `name = function` in the module's table constructor) counts as
-- undocumented. Prints each one, then "N public functions, N undocumented".
local build = arg[1] or "build/5.4"
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = build .. "/?.so;" .. package.cpath

local function read_lines(path)
  local t = {}
  for l in io.lines(path) do t[#t + 1] = l end
  return t
end

-- Is the definition at line i preceded by a doc comment block?
local function documented(lines, i)
  local j = i - 1
  while j >= 1 and lines[j]:match("^%s*%-%-") do
    if lines[j]:match("^%s*%-%-%-") and not lines[j]:match("^%s*%-%-%-%-") then return true end
    j = j - 1
  end
  return false
end

local function plain(s) return (s:gsub("%p", "%%%0")) end

-- The lines that define owner.name (owner "M" or a class name).
local function definitions(lines, owner, name)
  local o, n = plain(owner), plain(name)
  local found = {}
  local pats = {
    "^function%s+" .. o .. "[.:]" .. n .. "%s*%(",
    "^" .. o .. "%." .. n .. "%s*=",
    "^%s*" .. o .. "%." .. n .. "%s*=%s*function",
  }
  for i, l in ipairs(lines) do
    for _, p in ipairs(pats) do
      if l:match(p) then found[#found + 1] = i break end
    end
  end
  -- `M.name = f` of a `local function f` documented where it is defined
  for k = 1, #found do
    local f = lines[found[k]]:match("^" .. o .. "%." .. n .. "%s*=%s*([%a_][%w_]*)%s*$")
    if f then
      for i, l in ipairs(lines) do
        if l:match("^local%s+function%s+" .. plain(f) .. "%s*%(") or l:match("^function%s+" .. plain(f) .. "%s*%(") then
          found[#found + 1] = i
        end
      end
    end
  end
  if #found == 0 and owner == "M" then
    -- a field of the constructor `local M = { name = function ... }`
    local inside = false
    for i, l in ipairs(lines) do
      if l:match("^local M%s*=%s*{") then inside = true
      elseif inside and l:match("^}") then inside = false
      elseif inside and l:match("^%s+" .. n .. "%s*=") then found[#found + 1] = i end
    end
  end
  return found
end

local files = {}
local p = assert(io.popen("find lua -name '*.lua' | sort"))
for f in p:lines() do files[#files + 1] = f end
p:close()

local total, bad = 0, 0
local function check(path, lines, owner, label, name)
  total = total + 1
  local defs = definitions(lines, owner, name)
  local ok = false
  for _, i in ipairs(defs) do if documented(lines, i) then ok = true end end
  if not ok then
    bad = bad + 1
    print(("%s:%s: %s%s is not documented%s"):format(path, defs[1] or "?", label, name,
      #defs == 0 and " (definition not found)" or ""))
  end
end

for _, path in ipairs(files) do
  local lines = read_lines(path)
  local text = table.concat(lines, "\n")
  local modname = text:match("@module%s+([%w_.]+)")
  if modname then
    local ok, m = pcall(require, modname)
    if not ok then
      total, bad = total + 1, bad + 1
      print(("%s: module %s does not load: %s"):format(path, modname, tostring(m):gsub("\n.*", "")))
    elseif type(m) == "table" then
      local names = {}
      for k, v in pairs(m) do
        if type(k) == "string" and not k:match("^_") then names[#names + 1] = k end
        if type(k) == "string" and k:match("^%u") and type(v) == "table" then
          local methods = {}
          for mk, mv in pairs(v) do
            if type(mk) == "string" and type(mv) == "function" and not mk:match("^_") then methods[#methods + 1] = mk end
          end
          table.sort(methods)
          for _, mk in ipairs(methods) do check(path, lines, k, modname .. "." .. k .. ":", mk) end
        end
      end
      table.sort(names)
      for _, k in ipairs(names) do
        if type(m[k]) == "function" then check(path, lines, "M", modname .. ".", k) end
      end
    end
  end
end
print(("%d public functions, %d undocumented"):format(total, bad))
os.exit(bad == 0 and 0 or 1)
