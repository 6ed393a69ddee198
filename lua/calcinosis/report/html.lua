--- One self-contained HTML file of a report document
-- (`calcinosis.report.document`): inline CSS and SVG, no JavaScript, a
-- print style (`@media print`), headings in order, tables with
-- `<caption>` and `<th scope>`, charts as `role="img"` with a title.
--
-- Dependencies: calcinosis.report.document, calcinosis.report.svg.
-- @module calcinosis.report.html

local svg = require "calcinosis.report.svg"

local M = {}

local esc = svg.escape

--- The style sheet every page carries (copy and change it with `opts.css`).
M.css = [[
body { font-family: Helvetica, Arial, sans-serif; line-height: 1.45; color: #111; max-width: 62rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.7rem; border-bottom: 2px solid #0072B2; padding-bottom: .3rem; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.1rem; }
table { border-collapse: collapse; margin: .8rem 0 1.2rem; font-size: .92rem; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
th, td { border: 1px solid #bbb; padding: .25rem .5rem; vertical-align: top; text-align: left; }
thead th { background: #e8f1f8; }
tbody th { background: #f7f7f7; font-weight: normal; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.alert { border-left: 5px solid #D55E00; background: #fff1e8; padding: .4rem .7rem; font-weight: bold; }
.problem { border-left: 5px solid #E69F00; background: #fff9e6; padding: .3rem .7rem; }
.statement { border: 1px solid #999; padding: .5rem .7rem; font-style: italic; background: #f5f5f5; }
.lead { font-size: 1.15rem; font-weight: bold; }
figure { margin: .8rem 0; }
figcaption { font-size: .9rem; color: #333; }
nav ol { columns: 2; font-size: .9rem; }
svg { max-width: 100%; height: auto; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-after: avoid; }
  table, figure { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
]]

--- Renders a document as one HTML page.
-- @tparam table doc
-- @tparam[opt] table opts `css` (replaces `M.css`), `fragment` (true: the
--   body's content only, no page around it)
-- @treturn string HTML
function M.render(doc, opts)
  opts = opts or {}
  local out = {}
  local function add(s) out[#out + 1] = s end
  local function blocks(list, depth)
    for _, b in ipairs(list) do
      if b.type == "section" then
        local h = math.min(6, depth + 1)
        add(('<section id="%s" aria-labelledby="%s-h">'):format(esc(b.id), esc(b.id)))
        add(('<h%d id="%s-h">%s</h%d>'):format(h, esc(b.id), esc(b.title), h))
        blocks(b.blocks, depth + 1)
        add("</section>")
      elseif b.type == "paragraph" then
        local role = b.style == "alert" and ' role="alert"' or ""
        add(('<p%s%s>%s</p>'):format(b.style and (' class="' .. esc(b.style) .. '"') or "", role, esc(b.text)))
      elseif b.type == "list" then
        add("<ul>")
        for _, it in ipairs(b.items) do add("<li>" .. esc(it) .. "</li>") end
        add("</ul>")
      elseif b.type == "table" then
        add("<table>")
        if b.caption then add("<caption>" .. esc(b.caption) .. "</caption>") end
        add("<thead><tr>")
        for _, c in ipairs(b.columns) do add('<th scope="col">' .. esc(c) .. "</th>") end
        add("</tr></thead><tbody>")
        for _, r in ipairs(b.rows) do
          local cells = {}
          for j, c in ipairs(r) do
            if j == 1 then cells[j] = '<th scope="row">' .. esc(c) .. "</th>"
            else
              local cls = (b.align and b.align[j] == "r") and ' class="num"' or ""
              cells[j] = "<td" .. cls .. ">" .. esc(c) .. "</td>"
            end
          end
          add("<tr>" .. table.concat(cells) .. "</tr>")
        end
        if #b.rows == 0 then add(('<tr><td colspan="%d">(none)</td></tr>'):format(#b.columns)) end
        add("</tbody></table>")
      elseif b.type == "figure" then
        add(('<figure id="%s">'):format(esc(b.id)))
        add(svg.render(b.chart))
        add("<figcaption>" .. esc(b.caption or "") .. "</figcaption>")
        add("</figure>")
      elseif b.type == "citations" then
        add('<ol class="references">')
        for _, c in ipairs(b.items) do
          add(('<li id="ref-%s"><strong>[%s]</strong> %s</li>'):format(esc((tostring(c.key):gsub("[^%w_-]", "-"))),
            esc(c.key), esc(c.text)))
        end
        add("</ol>")
      end
    end
  end
  add("<header>")
  add("<h1>" .. esc(doc.title) .. "</h1>")
  if doc.subtitle then add('<p class="subtitle">' .. esc(doc.subtitle) .. "</p>") end
  add("</header>")
  local top = {}
  for _, b in ipairs(doc.blocks) do if b.type == "section" then top[#top + 1] = b end end
  if #top > 2 then
    add('<nav aria-label="Contents"><ol>')
    for _, b in ipairs(top) do add(('<li><a href="#%s">%s</a></li>'):format(esc(b.id), esc(b.title))) end
    add("</ol></nav>")
  end
  add("<main>")
  blocks(doc.blocks, 1)
  add("</main>")
  local footer = require("calcinosis.report.document").footer(doc)
  if footer then add('<footer><p class="statement">' .. esc(footer) .. "</p></footer>") end
  local body = table.concat(out, "\n")
  if opts.fragment then return body .. "\n" end
  return table.concat({
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>" .. esc(doc.title) .. "</title>",
    "<style>", opts.css or M.css, "</style>",
    "</head>",
    "<body>",
    body,
    "</body>",
    "</html>",
  }, "\n") .. "\n"
end

return M
