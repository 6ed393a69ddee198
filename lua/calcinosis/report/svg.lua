--- SVG charts for reports: bar chart, range band (a value against its
-- reference band), box/strip plot, heat map, line chart and forest plot.
--
-- Each function takes a chart table (the `chart` of a figure block, see
-- `calcinosis.report.document`) and returns one standalone SVG element as a
-- string: `role="img"`, a `<title>` and a `<desc>` named by
-- `aria-labelledby`, every text escaped, well-formed XML. Nothing here
-- decides anything clinical: values, bands and flags come from the result.
-- The quartiles of a box plot are descriptive statistics of the values
-- drawn (type 7, linear interpolation).
--
-- Dependencies: none.
-- @module calcinosis.report.svg

local M = {}

--- Colours (Okabe-Ito, distinguishable with colour-vision deficiencies).
M.palette = { "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000" }

local FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="12"'

--- XML-escapes text (and drops the control characters XML 1.0 forbids).
-- @param s any value (tostring'd)
-- @treturn string
function M.escape(s)
  s = tostring(s == nil and "" or s)
  s = s:gsub("[%z\1-\8\11\12\14-\31]", "")
  return (s:gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }))
end
local esc = M.escape

--- A number as a chart prints it (up to 4 significant digits).
-- @tparam number|nil v
-- @treturn string
function M.num(v)
  if v == nil then return "" end
  if v == math.floor(v) and math.abs(v) < 1e9 then return ("%d"):format(v) end
  return (("%.4g"):format(v))
end
local num = M.num

local function f2(v) return ("%.2f"):format(v) end

local function open(chart, w, h)
  local id = tostring(chart.id or "chart"):gsub("[^%w_-]", "-")
  local title = chart.title or chart.kind or "chart"
  local desc = chart.description or title
  return {
    ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" ' ..
      'aria-labelledby="%s-title %s-desc" class="chart chart-%s" %s>'):format(w, h, w, h, id, id,
      esc(chart.kind or "chart"), FONT),
    ('<title id="%s-title">%s</title>'):format(id, esc(title)),
    ('<desc id="%s-desc">%s</desc>'):format(id, esc(desc)),
    ('<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>'):format(w, h),
    ('<text x="%d" y="16" font-weight="bold">%s</text>'):format(8, esc(title)),
  }
end

local function close(out) out[#out + 1] = "</svg>" return table.concat(out, "\n") end

local function text(out, x, y, s, attrs)
  out[#out + 1] = ('<text x="%s" y="%s"%s>%s</text>'):format(f2(x), f2(y), attrs and (" " .. attrs) or "", esc(s))
end

-- an axis title written upwards at the left edge
local function vertical(out, y, s)
  text(out, 12, y, s, ('transform="rotate(-90 12 %s)" text-anchor="middle"'):format(f2(y)))
end

-- "nice" axis ticks over [lo, hi]
local function ticks(lo, hi, n)
  if hi <= lo then hi = lo + 1 end
  local raw = (hi - lo) / (n or 5)
  local mag = 10 ^ math.floor(math.log(raw, 10))
  local step = mag
  for _, m in ipairs { 1, 2, 2.5, 5, 10 } do
    if m * mag >= raw then step = m * mag break end
  end
  local t, v = {}, math.floor(lo / step) * step
  local last = math.ceil(hi / step - 1e-9) * step
  while v <= last + step * 1e-9 do
    if v >= lo - step * 1e-9 then t[#t + 1] = v end
    v = v + step
  end
  return t, step
end

local function legend(out, names, x, y)
  for i, name in ipairs(names) do
    local yy = y + (i - 1) * 16
    out[#out + 1] = ('<rect x="%s" y="%s" width="10" height="10" fill="%s"/>'):format(f2(x), f2(yy - 9),
      M.palette[(i - 1) % #M.palette + 1])
    text(out, x + 14, yy, name)
  end
end

--- Bar chart: `categories` (labels) and `series` (`{ { name, values } }`,
-- one or more; grouped bars), optional `y_title`.
-- @tparam table chart
-- @treturn string SVG
function M.bar(chart)
  local cats, series = chart.categories or {}, chart.series or {}
  local w = math.max(360, 90 + #cats * math.max(40, 22 * #series) + (#series > 1 and 140 or 0))
  local h = 300
  local out = open(chart, w, h)
  local left, top, bottom = 56, 30, 70
  local right = #series > 1 and 150 or 16
  local pw, ph = w - left - right, h - top - bottom
  local maxv = 0
  for _, s in ipairs(series) do for _, v in ipairs(s.values) do if v > maxv then maxv = v end end end
  local t = ticks(0, maxv > 0 and maxv or 1, 5)
  local top_v = t[#t] > 0 and t[#t] or 1
  for _, v in ipairs(t) do
    local y = top + ph - ph * v / top_v
    out[#out + 1] = ('<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#dddddd"/>'):format(left, f2(y), left + pw, f2(y))
    text(out, left - 6, y + 4, num(v), 'text-anchor="end"')
  end
  local gw = pw / math.max(1, #cats)
  local bw = gw * 0.8 / math.max(1, #series)
  for ci, c in ipairs(cats) do
    local gx = left + (ci - 1) * gw + gw * 0.1
    for si, s in ipairs(series) do
      local v = s.values[ci] or 0
      local bh = ph * v / top_v
      local x, y = gx + (si - 1) * bw, top + ph - bh
      out[#out + 1] = ('<rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>'):format(
        f2(x), f2(y), f2(bw * 0.95), f2(bh), M.palette[(si - 1) % #M.palette + 1],
        esc(("%s%s: %s"):format(c, #series > 1 and (" (" .. s.name .. ")") or "", num(v))))
      if #series == 1 then text(out, x + bw * 0.475, y - 3, num(v), 'text-anchor="middle"') end
    end
    text(out, gx + gw * 0.4, top + ph + 14, c, ('text-anchor="end" transform="rotate(-30 %s %s)"'):format(
      f2(gx + gw * 0.4), f2(top + ph + 14)))
  end
  out[#out + 1] = ('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333333"/>'):format(left, top + ph, left + pw, top + ph)
  if chart.y_title then vertical(out, top + ph / 2, chart.y_title) end
  if #series > 1 then
    local names = {}
    for i, s in ipairs(series) do names[i] = s.name end
    legend(out, names, w - right + 12, top + 12)
  end
  return close(out)
end

--- Range band: a value against its reference band. `value`, `low`,
-- `high` (either may be nil: an open band), `unit`, `flag`, `label`.
-- @tparam table chart
-- @treturn string SVG
function M.range_band(chart)
  local w, h = 420, 64
  local out = open(chart, w, h)
  local left, right = 10, 10
  local v, lo, hi = chart.value, chart.low, chart.high
  local vals = {}
  for _, x in ipairs { v, lo, hi } do if x then vals[#vals + 1] = x end end
  local mn, mx = math.huge, -math.huge
  for _, x in ipairs(vals) do mn = math.min(mn, x); mx = math.max(mx, x) end
  if mn == math.huge then mn, mx = 0, 1 end
  local span = mx - mn
  if span == 0 then span = math.abs(mx) > 0 and math.abs(mx) or 1 end
  local a, b = mn - span * 0.25, mx + span * 0.25
  if a < 0 and mn >= 0 then a = 0 end
  local pw = w - left - right
  local function X(x) return left + pw * (x - a) / (b - a) end
  local y0 = 30
  out[#out + 1] = ('<rect x="%d" y="%d" width="%d" height="14" fill="#f2f2f2" stroke="#bbbbbb"/>'):format(left, y0, pw)
  if lo or hi then
    local x1, x2 = X(lo or a), X(hi or b)
    out[#out + 1] = ('<rect class="band" x="%s" y="%d" width="%s" height="14" fill="#b7dfc6"><title>%s</title></rect>'):format(
      f2(x1), y0, f2(math.max(1, x2 - x1)), esc(("reference %s-%s %s"):format(num(lo), num(hi), chart.unit or "")))
    if lo then text(out, x1, y0 + 28, num(lo), 'text-anchor="middle" font-size="10"') end
    if hi then text(out, x2, y0 + 28, num(hi), 'text-anchor="middle" font-size="10"') end
  end
  if v then
    local flag = chart.flag or ""
    local colour = (flag == "normal" or flag == "") and "#0072B2" or "#D55E00"
    out[#out + 1] = ('<circle class="value" cx="%s" cy="%d" r="6" fill="%s" stroke="#000000"><title>%s</title></circle>'):format(
      f2(X(v)), y0 + 7, colour, esc(("%s %s %s%s"):format(chart.label or "", num(v), chart.unit or "",
        flag ~= "" and (" (" .. flag .. ")") or "")))
  end
  return close(out)
end

-- quantile (type 7) of a sorted list
local function quantile(s, p)
  local n = #s
  if n == 0 then return nil end
  local hpos = (n - 1) * p + 1
  local lo = math.floor(hpos)
  local hi = math.min(lo + 1, n)
  return s[lo] + (hpos - lo) * (s[hi] - s[lo])
end
--- The quantile `p` of a sorted list (type 7, linear interpolation).
-- @function quantile
M.quantile = quantile

--- Box and strip plot of distributions: `groups` (`{ { name, values } }`),
-- optional reference `band` (`{ low, high }`), `unit`, `max_points`
-- (default 400). Each group: the quartile box, whiskers to the minimum and
-- maximum, every value a dot (every k-th beyond `max_points` per group).
-- @tparam table chart
-- @treturn string SVG
function M.box(chart)
  local groups = chart.groups or {}
  local w = math.max(360, 90 + 90 * #groups)
  local h = 300
  local out = open(chart, w, h)
  local left, top, bottom, right = 64, 30, 60, 16
  local pw, ph = w - left - right, h - top - bottom
  local mn, mx = math.huge, -math.huge
  for _, g in ipairs(groups) do for _, v in ipairs(g.values) do mn = math.min(mn, v); mx = math.max(mx, v) end end
  local band = chart.band
  if band then
    if band.low then mn = math.min(mn, band.low); mx = math.max(mx, band.low) end
    if band.high then mn = math.min(mn, band.high); mx = math.max(mx, band.high) end
  end
  if mn == math.huge then mn, mx = 0, 1 end
  local t = ticks(mn, mx, 5)
  local a, b = math.min(mn, t[1]), math.max(mx, t[#t])
  if b <= a then b = a + 1 end
  local function Y(v) return top + ph - ph * (v - a) / (b - a) end
  if band and (band.low or band.high) then
    local y1, y2 = Y(band.high or b), Y(band.low or a)
    out[#out + 1] = ('<rect class="band" x="%d" y="%s" width="%d" height="%s" fill="#b7dfc6" opacity="0.6"><title>%s</title></rect>'):format(
      left, f2(y1), pw, f2(math.max(1, y2 - y1)), esc(("reference %s-%s %s"):format(num(band.low), num(band.high), chart.unit or "")))
  end
  for _, v in ipairs(t) do
    out[#out + 1] = ('<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#dddddd"/>'):format(left, f2(Y(v)), left + pw, f2(Y(v)))
    text(out, left - 6, Y(v) + 4, num(v), 'text-anchor="end"')
  end
  local gw = pw / math.max(1, #groups)
  for gi, g in ipairs(groups) do
    local s = {}
    for i, v in ipairs(g.values) do s[i] = v end
    table.sort(s)
    local cx = left + (gi - 0.5) * gw
    local colour = M.palette[(gi - 1) % #M.palette + 1]
    if #s > 0 then
      local q1, q2, q3 = quantile(s, 0.25), quantile(s, 0.5), quantile(s, 0.75)
      out[#out + 1] = ('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333"/>'):format(f2(cx), f2(Y(s[1])), f2(cx), f2(Y(s[#s])))
      out[#out + 1] = ('<rect class="box" x="%s" y="%s" width="%s" height="%s" fill="none" stroke="%s" ' ..
        'stroke-width="2"><title>%s</title></rect>'):format(
        f2(cx - gw * 0.25), f2(Y(q3)), f2(gw * 0.5), f2(math.max(1, Y(q1) - Y(q3))), colour,
        esc(("%s: n %d, median %s, quartiles %s-%s, range %s-%s"):format(g.name, #s, num(q2), num(q1), num(q3),
          num(s[1]), num(s[#s]))))
      out[#out + 1] = ('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"/>'):format(
        f2(cx - gw * 0.25), f2(Y(q2)), f2(cx + gw * 0.25), f2(Y(q2)), colour)
      -- the dots: every value, or every k-th of them beyond max_points (the box is of all)
      local every = math.max(1, math.ceil(#g.values / (chart.max_points or 400)))
      for i = 1, #g.values, every do
        local v = g.values[i]
        local jitter = ((i * 7919) % 17 - 8) / 8 * gw * 0.15
        out[#out + 1] = ('<circle class="point" cx="%s" cy="%s" r="2.5" fill="%s" opacity="0.7"/>'):format(
          f2(cx + jitter), f2(Y(v)), colour)
      end
    end
    text(out, cx, top + ph + 16, g.name, 'text-anchor="middle"')
    text(out, cx, top + ph + 30, ("n %d"):format(#s), 'text-anchor="middle" font-size="10"')
  end
  if chart.unit then vertical(out, top + ph / 2, chart.unit) end
  return close(out)
end

--- Heat map (e.g. a confusion matrix): `rows`, `cols` (labels),
-- `values[r][c]` (numbers, by index), `row_title`, `col_title`.
-- @tparam table chart
-- @treturn string SVG
function M.heatmap(chart)
  local rows, cols = chart.rows or {}, chart.cols or {}
  local cell = 48
  local left, top = 120, 104
  local w, h = left + cell * #cols + 80, top + cell * #rows + 30
  w = math.max(w, 300)
  local out = open(chart, w, h)
  local maxv = 0
  for r = 1, #rows do for c = 1, #cols do maxv = math.max(maxv, (chart.values[r] or {})[c] or 0) end end
  if chart.col_title then text(out, left + cell * #cols / 2, 34, chart.col_title, 'text-anchor="middle" font-style="italic"') end
  for c, name in ipairs(cols) do
    text(out, left + (c - 0.5) * cell, top - 6, name, ('text-anchor="start" font-size="10" transform="rotate(-35 %s %d)"'):format(
      f2(left + (c - 0.5) * cell), top - 6))
  end
  for r, rname in ipairs(rows) do
    local y = top + (r - 1) * cell
    text(out, left - 6, y + cell / 2 + 4, rname, 'text-anchor="end"')
    for c, cname in ipairs(cols) do
      local v = (chart.values[r] or {})[c] or 0
      local frac = maxv > 0 and v / maxv or 0
      local shade = math.floor(255 - frac * 200)
      local fill = ("#%02x%02x%02x"):format(shade, math.floor(255 - frac * 140), 255)
      out[#out + 1] = ('<rect class="cell" x="%s" y="%s" width="%d" height="%d" fill="%s" stroke="#ffffff"><title>%s</title></rect>'):format(
        f2(left + (c - 1) * cell), f2(y), cell, cell, fill, esc(("%s / %s: %s"):format(rname, cname, num(v))))
      text(out, left + (c - 0.5) * cell, y + cell / 2 + 4, num(v),
        ('text-anchor="middle" fill="%s"'):format(frac > 0.6 and "#ffffff" or "#000000"))
    end
  end
  if chart.row_title then text(out, 8, top + cell * #rows + 20, chart.row_title, 'font-style="italic"') end
  return close(out)
end

--- Line chart: `x` (numbers), `series` (`{ { name, values } }`),
-- `x_title`, `y_title`.
-- @tparam table chart
-- @treturn string SVG
function M.line(chart)
  local xs, series = chart.x or {}, chart.series or {}
  local w, h = 560, 320
  local out = open(chart, w, h)
  local left, top, bottom, right = 56, 30, 50, 150
  local pw, ph = w - left - right, h - top - bottom
  local xmin, xmax = math.huge, -math.huge
  for _, x in ipairs(xs) do xmin = math.min(xmin, x); xmax = math.max(xmax, x) end
  if xmin == math.huge then xmin, xmax = 0, 1 end
  if xmax == xmin then xmax = xmin + 1 end
  local ymax = 0
  for _, s in ipairs(series) do for _, v in ipairs(s.values) do ymax = math.max(ymax, v) end end
  local ty = ticks(0, ymax > 0 and ymax or 1, 5)
  local ytop = ty[#ty] > 0 and ty[#ty] or 1
  local function X(x) return left + pw * (x - xmin) / (xmax - xmin) end
  local function Y(v) return top + ph - ph * v / ytop end
  for _, v in ipairs(ty) do
    out[#out + 1] = ('<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#dddddd"/>'):format(left, f2(Y(v)), left + pw, f2(Y(v)))
    text(out, left - 6, Y(v) + 4, num(v), 'text-anchor="end"')
  end
  for _, x in ipairs(ticks(xmin, xmax, 6)) do
    text(out, X(x), top + ph + 16, num(x), 'text-anchor="middle"')
  end
  out[#out + 1] = ('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333333"/>'):format(left, top + ph, left + pw, top + ph)
  local names = {}
  for si, s in ipairs(series) do
    names[si] = s.name
    local pts = {}
    for i, x in ipairs(xs) do
      if s.values[i] then pts[#pts + 1] = f2(X(x)) .. "," .. f2(Y(s.values[i])) end
    end
    local colour = M.palette[(si - 1) % #M.palette + 1]
    out[#out + 1] = ('<polyline class="series" fill="none" stroke="%s" stroke-width="2" points="%s"><title>%s</title></polyline>'):format(
      colour, table.concat(pts, " "), esc(s.name))
    for i, x in ipairs(xs) do
      if s.values[i] then
        out[#out + 1] = ('<circle cx="%s" cy="%s" r="3" fill="%s"><title>%s</title></circle>'):format(f2(X(x)),
          f2(Y(s.values[i])), colour, esc(("%s at %s: %s"):format(s.name, num(x), num(s.values[i]))))
      end
    end
  end
  legend(out, names, w - right + 12, top + 12)
  if chart.x_title then text(out, left + pw / 2, h - 8, chart.x_title, 'text-anchor="middle"') end
  if chart.y_title then vertical(out, top + ph / 2, chart.y_title) end
  return close(out)
end

--- Forest plot: `rows` (`{ { label, value, low, high } }`; a row without
-- a value is drawn as "n/a"), the axis from `min` to `max` (default 0 to 1).
-- @tparam table chart
-- @treturn string SVG
function M.forest(chart)
  local rows = chart.rows or {}
  local w = 600
  local left, right, top = 230, 130, 34
  local h = top + 22 * #rows + 40
  local out = open(chart, w, h)
  local a, b = chart.min or 0, chart.max or 1
  local pw = w - left - right
  local function X(x) return left + pw * (math.max(a, math.min(b, x)) - a) / (b - a) end
  for _, t in ipairs(ticks(a, b, 5)) do
    out[#out + 1] = ('<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#dddddd"/>'):format(f2(X(t)), top - 4, f2(X(t)), h - 30)
    text(out, X(t), h - 16, num(t), 'text-anchor="middle"')
  end
  for i, r in ipairs(rows) do
    local y = top + (i - 0.5) * 22
    text(out, left - 8, y + 4, r.label, 'text-anchor="end"')
    if r.value then
      out[#out + 1] = ('<line class="interval" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333333" stroke-width="2"/>'):format(
        f2(X(r.low or r.value)), f2(y), f2(X(r.high or r.value)), f2(y))
      out[#out + 1] = ('<rect class="estimate" x="%s" y="%s" width="8" height="8" fill="#0072B2"><title>%s</title></rect>'):format(
        f2(X(r.value) - 4), f2(y - 4), esc(("%s: %s [%s, %s]"):format(r.label, ("%.3f"):format(r.value),
          r.low and ("%.3f"):format(r.low) or "", r.high and ("%.3f"):format(r.high) or "")))
      text(out, left + pw + 8, y + 4, ("%.3f [%s, %s]"):format(r.value, r.low and ("%.3f"):format(r.low) or "",
        r.high and ("%.3f"):format(r.high) or ""), 'font-size="11"')
    else
      text(out, left + pw + 8, y + 4, "n/a", 'font-size="11"')
    end
  end
  if chart.x_title then text(out, left + pw / 2, h - 2, chart.x_title, 'text-anchor="middle"') end
  return close(out)
end

local KINDS = { bar = M.bar, range_band = M.range_band, box = M.box, heatmap = M.heatmap, line = M.line,
  forest = M.forest }

--- The chart kinds this module draws.
M.kinds = { "bar", "range_band", "box", "heatmap", "line", "forest" }

--- Draws a chart by its `kind`.
-- @tparam table chart
-- @treturn string SVG
function M.render(chart)
  local f = KINDS[chart.kind]
  if not f then error(("unknown chart kind '%s'"):format(tostring(chart.kind)), 2) end
  return f(chart)
end

return M
