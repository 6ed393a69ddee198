--- Terminal text of a report document (`calcinosis.report.document`):
-- headings underlined, tables as aligned columns (or one "column: value"
-- block per row when too wide), lists, figures by their caption. Colour
-- (ANSI) only when asked for (`color = true`; the command asks when
-- standard output is a terminal and NO_COLOR is not set).
--
-- Dependencies: calcinosis.report.document.
-- @module calcinosis.report.text

local document = require "calcinosis.report.document"
local compat = require "calcinosis.compat"

local M = {}

local WIDTH = 80

--- Wraps `text` at `width` columns; the first line starts with `first`,
-- the others with `rest` (indents).
-- @tparam string text
-- @tparam string first
-- @tparam string rest
-- @tparam[opt] number width default 80
-- @treturn string lines joined by "\n" (no trailing newline)
function M.wrap(text, first, rest, width)
  width = width or WIDTH
  local lines, line = {}, first
  local empty = true
  for word in tostring(text):gmatch("%S+") do
    if not empty and #line + 1 + #word > width then
      lines[#lines + 1] = line
      line, empty = rest .. word, false
    else
      line = line .. (empty and "" or " ") .. word
      empty = false
    end
  end
  lines[#lines + 1] = line
  return table.concat(lines, "\n")
end

local function len(s) return compat.utf8.len(s) or #s end

local STYLE = { alert = "1;31", problem = "33", statement = "3", lead = "1" }

--- Renders a document as text.
-- @tparam table doc
-- @tparam[opt] table opts `color` (boolean), `width` (default 80)
-- @treturn string text ending with a newline
function M.render(doc, opts)
  opts = opts or {}
  local width = opts.width or WIDTH
  local function paint(code, s)
    if not opts.color or not code then return s end
    return "\27[" .. code .. "m" .. s .. "\27[0m"
  end
  local out = {}
  local function add(s) out[#out + 1] = s end
  add(paint("1", doc.title))
  add(("="):rep(math.min(width, len(doc.title))))
  if doc.subtitle then add(M.wrap(doc.subtitle, "", "")) end
  local function table_text(b, indent)
    local widths = {}
    for j, c in ipairs(b.columns) do widths[j] = len(c) end
    for _, r in ipairs(b.rows) do
      for j, c in ipairs(r) do widths[j] = math.max(widths[j] or 0, len(c)) end
    end
    local total = #indent
    for _, w in ipairs(widths) do total = total + w + 2 end
    if b.caption then add(indent .. paint("1", b.caption)) end
    if total <= width then
      local function row(cells, head)
        local parts = {}
        for j, c in ipairs(cells) do
          local pad = (" "):rep(widths[j] - len(c))
          parts[j] = (b.align and b.align[j] == "r") and (pad .. c) or (c .. pad)
        end
        local s = indent .. table.concat(parts, "  "):gsub("%s+$", "")
        add(head and paint("4", s) or s)
      end
      row(b.columns, true)
      for _, r in ipairs(b.rows) do row(r) end
    else
      for _, r in ipairs(b.rows) do
        add(M.wrap(("- %s"):format(r[1]), indent, indent .. "    ", width))
        for j = 2, #b.columns do
          if r[j] ~= "" then add(M.wrap(("%s: %s"):format(b.columns[j], r[j]), indent .. "    ", indent .. "      ", width)) end
        end
      end
    end
    if #b.rows == 0 then add(indent .. "(none)") end
  end
  local function blocks(list, depth)
    local indent = ("  "):rep(math.max(0, depth - 2))
    for _, b in ipairs(list) do
      if b.type == "section" then
        add("")
        local t = depth == 1 and b.title:upper() or b.title
        add(indent .. paint("1;36", t))
        if depth == 1 then add(indent .. ("-"):rep(math.min(width, len(t)))) end
        blocks(b.blocks, depth + 1)
      elseif b.type == "paragraph" then
        local prefix = b.style == "alert" and "! " or b.style == "problem" and "* " or ""
        add(paint(STYLE[b.style], M.wrap(prefix .. b.text, indent, indent .. (" "):rep(#prefix), width)))
      elseif b.type == "list" then
        for _, it in ipairs(b.items) do add(M.wrap("- " .. it, indent, indent .. "  ", width)) end
      elseif b.type == "table" then
        table_text(b, indent)
      elseif b.type == "figure" then
        add(M.wrap("[figure] " .. (b.caption or ""), indent, indent .. "  ", width))
      elseif b.type == "citations" then
        for _, c in ipairs(b.items) do add(M.wrap(("[%s] %s"):format(c.key, c.text), indent, indent .. "    ", width)) end
      end
    end
  end
  blocks(doc.blocks, 1)
  local footer = document.footer(doc)
  if footer then
    add("")
    add(paint("3", M.wrap(footer, "", "", width)))
  end
  return table.concat(out, "\n") .. "\n"
end

--- A number as a report prints it (`calcinosis.report.document.num`).
-- @function num
M.num = document.num

return M
