-- The man page calcinosis(1), made from the same text as `--help`: the usage
-- texts of lua/calcinosis/cli.lua (M.usage.main and one per command), laid
-- out in the frame of docs/calcinosis.1.in (@VERSION@, @SYNOPSIS@,
-- @DESCRIPTION@, @COMMANDS@, @DISCLAIMER@).
--   LUA tools/gen-man.lua > calcinosis.1          (make man, make rock)
--   LUA tools/gen-man.lua --check RENDERED.txt    every line of every usage
--       text is in RENDERED.txt (`man -l calcinosis.1` as text), spaces aside
-- Run from the top of the checkout.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
local cli = require "calcinosis.cli"

-- The commands in the order of the main usage text, then any other.
local function command_names()
  local names, seen = {}, {}
  local list = cli.usage.main:match("\nCommands:\n(.-)\n\n") or ""
  for name in list:gmatch("\n?  ([%w_-]+)  ") do
    if cli.usage[name] and not seen[name] then names[#names + 1] = name; seen[name] = true end
  end
  local rest = {}
  for name in pairs(cli.usage) do
    if name ~= "main" and not seen[name] then rest[#rest + 1] = name end
  end
  table.sort(rest)
  for _, n in ipairs(rest) do names[#names + 1] = n end
  return names
end

local function lines_of(text)
  local t = {}
  for l in (text .. "\n"):gmatch("(.-)\n") do t[#t + 1] = l end
  return t
end

if arg[1] == "--check" then
  local f = assert(io.open(arg[2], "rb"))
  local rendered = f:read("*a"):gsub("\226\128[\144-\149]", "-"):gsub("%s+", " ")
  f:close()
  local texts = { cli.usage.main }
  for _, n in ipairs(command_names()) do texts[#texts + 1] = cli.usage[n] end
  local missing = 0
  for _, text in ipairs(texts) do
    for _, l in ipairs(lines_of(text)) do
      local want = l:gsub("^Usage:", ""):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
      if want ~= "" and not rendered:find(want, 1, true) then
        missing = missing + 1
        print("not in the man page: " .. l)
      end
    end
  end
  print(("man page: %d usage line(s) missing"):format(missing))
  os.exit(missing == 0 and 0 or 1)
end

-- roff text: backslashes, hyphens (as \-, so that options copy right),
-- a leading dot or quote.
local function esc(s)
  s = s:gsub("\\", "\\e"):gsub("%-", "\\-")
  if s:match("^[.']") then s = "\\&" .. s end
  return s
end

-- Blocks of a usage text: paragraphs split at blank lines.
local function blocks(text)
  local out, cur = {}, {}
  for _, l in ipairs(lines_of(text)) do
    if l:match("^%s*$") then
      if #cur > 0 then out[#out + 1] = cur; cur = {} end
    else
      cur[#cur + 1] = l
    end
  end
  if #cur > 0 then out[#out + 1] = cur end
  return out
end

-- An item list ("Options:", "Commands:"): "  TERM  text" lines, text
-- continued on lines indented to the text column.
local function render_list(b, first)
  local r = {}
  for i = first, #b do
    local l = b[i]
    local term, text = l:match("^  (%S.-)%s%s+(%S.*)$")
    if term and not l:match("^   ") then
      r[#r + 1] = ".TP"
      r[#r + 1] = "\\fB" .. esc(term) .. "\\fR"
      r[#r + 1] = esc(text)
    elseif l:match("^   ") then
      r[#r + 1] = esc((l:gsub("^%s+", "")))
    else
      r[#r + 1] = ".TP"
      r[#r + 1] = "\\fB" .. esc((l:gsub("^%s+", ""))) .. "\\fR"
    end
  end
  return r
end

-- A paragraph; lines indented by two spaces are shown as they are (examples).
local function render_paragraph(b)
  local r = { ".PP" }
  local pre = false
  for _, l in ipairs(b) do
    local ex = l:match("^  (%S.*)$")
    if ex and not pre then r[#r + 1] = ".RS 4"; r[#r + 1] = ".nf"; pre = true
    elseif not ex and pre then r[#r + 1] = ".fi"; r[#r + 1] = ".RE"; pre = false end
    r[#r + 1] = esc(ex or l)
  end
  if pre then r[#r + 1] = ".fi"; r[#r + 1] = ".RE" end
  return r
end

-- The body of a usage text without its synopsis.
local function render_body(text, skip)
  local r = {}
  for _, b in ipairs(blocks(text)) do
    if b[1]:match("^Usage:") then -- luacheck: ignore 542 (the synopsis goes to SYNOPSIS)
    elseif b[1]:match("^%S.*:$") and b[2] and b[2]:match("^  %S") then
      if not (skip and skip[b[1]]) then
        r[#r + 1] = ".PP"
        r[#r + 1] = esc(b[1])
        for _, x in ipairs(render_list(b, 2)) do r[#r + 1] = x end
      end
    else
      for _, x in ipairs(render_paragraph(b)) do r[#r + 1] = x end
    end
  end
  return r
end

local function synopsis(text)
  local r = {}
  for _, l in ipairs(lines_of(text)) do
    local s = l:match("^Usage:%s+(.*)$") or (#r > 0 and l:match("^%s+(calcinosis .*)$"))
    if s then r[#r + 1] = esc(s) elseif #r > 0 then break end
  end
  return r
end

local names = command_names()
local syn = synopsis(cli.usage.main)
for _, n in ipairs(names) do
  for _, s in ipairs(synopsis(cli.usage[n])) do syn[#syn + 1] = s end
end

local cmds = {}
for _, n in ipairs(names) do
  cmds[#cmds + 1] = ".SS calcinosis " .. esc(n)
  cmds[#cmds + 1] = ".nf"
  for _, s in ipairs(synopsis(cli.usage[n])) do cmds[#cmds + 1] = ".B " .. s end
  cmds[#cmds + 1] = ".fi"
  for _, x in ipairs(render_body(cli.usage[n])) do cmds[#cmds + 1] = x end
end

local version
do
  local f = assert(io.open("lua/calcinosis/init.lua", "rb"))
  version = f:read("*a"):match('_VERSION%s*=%s*"calcinosis ([^"]+)"') or "?"
  f:close()
end

-- the main text without its last line, the disclaimer (in NOTES)
local main_body = cli.usage.main
local d = main_body:find(cli.DISCLAIMER, 1, true)
if d then main_body = main_body:sub(1, d - 1) end
local subst = {
  VERSION = version,
  SYNOPSIS = ".nf\n" .. table.concat(syn, "\n") .. "\n.fi",
  DESCRIPTION = table.concat(render_body(main_body), "\n"),
  COMMANDS = table.concat(cmds, "\n"),
  DISCLAIMER = esc(cli.DISCLAIMER),
}
local f = assert(io.open("docs/calcinosis.1.in", "rb"))
local frame = f:read("*a")
f:close()
io.write((frame:gsub("@(%u+)@", function(k) return assert(subst[k], k) end)))
