--- Markdown of a report document (`calcinosis.report.document`), for
-- pandoc: ATX headings, pipe tables with a `Table:` caption, figures as
-- `![caption](file.svg)` with the SVG files returned beside the text (the
-- caller writes them next to the Markdown file), text escaped so that
-- pandoc reads it back as written.
--
-- Dependencies: calcinosis.report.document, calcinosis.report.svg.
-- @module calcinosis.report.markdown

local svg = require "calcinosis.report.svg"

local M = {}

--- Escapes text for pandoc's Markdown (inline).
-- @tparam string s
-- @treturn string
function M.escape(s)
  s = tostring(s):gsub("[\r\n]+", " ")
  s = s:gsub("([\\`*_%[%]<>#|~%^%$@])", "\\%1")
  s = s:gsub("^([%-+])", "\\%1"):gsub("^(%d+)%.", "%1\\.")
  return s
end
local esc = M.escape

--- Renders a document as Markdown.
-- @tparam table doc
-- @tparam[opt] table opts `figures` (false: leave figures out), `figure_prefix`
--   (the start of the SVG file names, default "figure"), `level` (the
--   heading level of the title, default 1)
-- @treturn string Markdown
-- @treturn {table,...} files `{ name, content }`: the SVG of each figure
function M.render(doc, opts)
  opts = opts or {}
  local base = opts.level or 1
  local prefix = opts.figure_prefix or "figure"
  local out, files = {}, {}
  local function add(s) out[#out + 1] = s end
  add(("#"):rep(base) .. " " .. esc(doc.title))
  add("")
  if doc.subtitle then add(esc(doc.subtitle)) add("") end
  local function blocks(list, depth)
    for _, b in ipairs(list) do
      if b.type == "section" then
        add(("#"):rep(math.min(6, base + depth)) .. " " .. esc(b.title))
        add("")
        blocks(b.blocks, depth + 1)
      elseif b.type == "paragraph" then
        local t = esc(b.text)
        if b.style == "alert" or b.style == "lead" then t = "**" .. t .. "**"
        elseif b.style == "statement" then t = "*" .. t .. "*" end
        add(t)
        add("")
      elseif b.type == "list" then
        for _, it in ipairs(b.items) do add("- " .. esc(it)) end
        add("")
      elseif b.type == "table" then
        local function row(cells)
          local t = {}
          for j, c in ipairs(cells) do t[j] = c == "" and " " or esc(c) end
          return "| " .. table.concat(t, " | ") .. " |"
        end
        add(row(b.columns))
        local sep = {}
        for j = 1, #b.columns do sep[j] = (b.align and b.align[j] == "r") and "--:" or ":--" end
        add("|" .. table.concat(sep, "|") .. "|")
        for _, r in ipairs(b.rows) do add(row(r)) end
        if #b.rows == 0 then
          local empty = { "(none)" }
          for j = 2, #b.columns do empty[j] = "" end
          add(row(empty))
        end
        add("")
        if b.caption then add("Table: " .. esc(b.caption)) add("") end
      elseif b.type == "figure" then
        if opts.figures ~= false then
          local name = ("%s-%s.svg"):format(prefix, (tostring(b.id):gsub("[^%w_-]", "-")))
          files[#files + 1] = { name = name, content = svg.render(b.chart) .. "\n" }
          add(("![%s](%s)"):format(esc(b.caption or ""), name))
          add("")
        end
      elseif b.type == "citations" then
        for _, c in ipairs(b.items) do add(("- \\[%s\\] %s"):format(esc(c.key), esc(c.text))) end
        add("")
      end
    end
  end
  blocks(doc.blocks, 1)
  local footer = require("calcinosis.report.document").footer(doc)
  if footer then add("*" .. esc(footer) .. "*") add("") end
  return table.concat(out, "\n"), files
end

return M
