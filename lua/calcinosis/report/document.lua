--- The report document model: a plain table that every renderer
-- (`calcinosis.report.text`, `.markdown`, `.html`, `.json`, `.latex`) reads.
--
--     { kind = "patient" | "cohort" | "comparison" | "sweep" | "validation",
--       title = "...", subtitle = "...", disclaimer = "...",
--       ruleset = { name, version, hash } | rulesets = { ... },
--       blocks = { block, ... } }
--
-- Blocks (`type`):
--
-- * `section`: `title`, `id`, `blocks` (sections nest; the depth is the heading level);
-- * `paragraph`: `text`, optional `style` ("alert", "problem", "note", "statement", "lead");
-- * `list`: `items` (strings);
-- * `table`: `caption`, `columns` (header texts), `rows` (lists of cell
--   texts; the first cell of a row heads it), optional `align` ("l"/"r" per column);
-- * `figure`: `id`, `caption`, `chart` (a chart table for `calcinosis.report.svg`);
-- * `citations`: `items` (`{ key, text }`, the full reference).
--
-- Every value is a string or a number; nothing is a function, so a document
-- is JSON as it is (docs/schema/report.schema.json). The constructors below
-- mark lists as JSON arrays, so that an empty list is `[]`.
--
-- Dependencies: calcinosis.json.
-- @module calcinosis.report.document

local json = require "calcinosis.json"

local M = {}

local function arr(t) return setmetatable(t or {}, json.array) end
--- Marks a list as a JSON array (an empty list is `[]`).
-- @function array
M.array = arr

local function slug(s)
  s = tostring(s):lower():gsub("[^%w]+", "-"):gsub("^%-+", ""):gsub("%-+$", "")
  return s ~= "" and s or "section"
end
--- A section id made from a title (lower case, dashes).
-- @function slug
M.slug = slug

--- A document.
-- @tparam string kind
-- @tparam string title
-- @tparam table blocks
-- @tparam[opt] table fields more fields (subtitle, disclaimer, ruleset, ...)
-- @treturn table
function M.document(kind, title, blocks, fields)
  local d = { kind = kind, title = title, blocks = arr(blocks) }
  for k, v in pairs(fields or {}) do d[k] = v end
  return d
end

--- A section.
-- @tparam string title
-- @tparam table blocks
-- @tparam[opt] string id (default: from the title)
-- @treturn table
function M.section(title, blocks, id)
  return { type = "section", title = title, id = id or slug(title), blocks = arr(blocks) }
end

--- A paragraph.
-- @tparam string text
-- @tparam[opt] string style
-- @treturn table
function M.para(text, style)
  return { type = "paragraph", text = tostring(text), style = style }
end

--- A bulleted list.
-- @tparam {string,...} items
-- @treturn table
function M.list(items)
  local t = arr {}
  for i, s in ipairs(items) do t[i] = tostring(s) end
  return { type = "list", items = t }
end

--- A table. Cells are converted to strings.
-- @tparam string caption
-- @tparam {string,...} columns
-- @tparam {{string,...},...} rows
-- @tparam[opt] {string,...} align "l" or "r" per column
-- @treturn table
function M.table(caption, columns, rows, align)
  local r = arr {}
  for i, row in ipairs(rows) do
    local cells = arr {}
    for j = 1, #columns do cells[j] = row[j] == nil and "" or tostring(row[j]) end
    r[i] = cells
  end
  return { type = "table", caption = caption, columns = arr(columns), rows = r, align = align and arr(align) or nil }
end

--- A figure.
-- @tparam string id
-- @tparam string caption
-- @tparam table chart (see `calcinosis.report.svg`)
-- @treturn table
function M.figure(id, caption, chart)
  chart.id = chart.id or id
  return { type = "figure", id = id, caption = caption, chart = chart }
end

--- A list of full references.
-- @tparam {table,...} items `{ key, text }`
-- @treturn table
function M.citations(items)
  return { type = "citations", items = arr(items) }
end

--- Calls `f(block, depth)` for every block, depth first (a section's
-- blocks have its depth + 1; the top level is 1).
-- @tparam table doc
-- @tparam function f
function M.walk(doc, f)
  local function go(blocks, depth)
    for _, b in ipairs(blocks) do
      f(b, depth)
      if b.type == "section" then go(b.blocks, depth + 1) end
    end
  end
  go(doc.blocks, 1)
end

--- The section titles of a document, in order.
-- @tparam table doc
-- @treturn {string,...}
function M.headings(doc)
  local t = {}
  M.walk(doc, function(b) if b.type == "section" then t[#t + 1] = b.title end end)
  return t
end

--- The figures of a document, in order.
-- @tparam table doc
-- @treturn {table,...}
function M.figures(doc)
  local t = {}
  M.walk(doc, function(b) if b.type == "figure" then t[#t + 1] = b end end)
  return t
end

--- The research-tool statement to print at the end of a rendering: the
-- document's `disclaimer`, unless a paragraph of style "statement" already
-- says it.
-- @tparam table doc
-- @treturn string|nil
function M.footer(doc)
  local found = false
  M.walk(doc, function(b) if b.type == "paragraph" and b.style == "statement" then found = true end end)
  if found then return nil end
  return doc.disclaimer
end

--- A number for a report (up to 4 significant digits; integers as such).
-- @tparam number|nil v
-- @treturn string
function M.num(v)
  if v == nil then return "" end
  if type(v) ~= "number" then return tostring(v) end
  if v == math.floor(v) and math.abs(v) < 1e15 then return ("%d"):format(v) end
  return (("%.4g"):format(v))
end

return M
