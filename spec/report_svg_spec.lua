-- calcinosis.report.svg: every chart kind is well-formed XML (lua-expat),
-- an accessible image (role="img", a title and a description it names),
-- with all text escaped; the box plot's quartiles (type 7) by hand.
local support = require "support"
local svg = require "calcinosis.report.svg"

local NASTY = [[<b>&"it's"</b> ]] .. "\1"

local CHARTS = {
  { kind = "bar", title = NASTY, categories = { "a<b", "c&d" }, series = { { name = NASTY, values = { 3, 0 } } } },
  { kind = "bar", title = "grouped", categories = { "x", "y" },
    series = { { name = "A", values = { 1, 2 } }, { name = "B", values = { 12, 0 } } } },
  { kind = "range_band", title = NASTY, label = NASTY, value = 10.92, low = 8.6, high = 10, unit = "mg/dL", flag = "high" },
  { kind = "range_band", title = "open band", value = 7, low = 60, unit = "mL/min/{1.73_m2}", flag = "low" },
  { kind = "range_band", title = "no band", value = 0 },
  { kind = "box", title = NASTY, unit = NASTY, band = { low = 8.6, high = 10 },
    groups = { { name = NASTY, values = { 9, 10, 11, 12 } }, { name = "empty", values = {} } } },
  { kind = "heatmap", title = NASTY, rows = { "a", NASTY }, cols = { "a", NASTY }, values = { { 1, 2 }, { 0, 5 } },
    row_title = NASTY, col_title = NASTY },
  { kind = "line", title = NASTY, x = { 50, 55, 60 }, series = { { name = NASTY, values = { 1, 2, 3 } } },
    x_title = NASTY, y_title = NASTY },
  { kind = "line", title = "one point", x = { 5 }, series = { { name = "s", values = { 0 } } } },
  { kind = "forest", title = NASTY, rows = { { label = NASTY, value = 0.5, low = 0.2, high = 0.8 }, { label = "n/a" } } },
}

describe("report.svg", function()
  for i, chart in ipairs(CHARTS) do
    it(("%s chart %d: well-formed XML, accessible, text escaped"):format(chart.kind, i), function()
      chart.id = "c" .. i
      local s = svg.render(chart)
      local ok, msg = support.xml_ok(s)
      assert.is_true(ok, msg)
      assert.truthy(s:find('^<svg xmlns="http://www.w3.org/2000/svg"'))
      assert.truthy(s:find('role="img"', 1, true))
      assert.truthy(s:find(('aria-labelledby="c%d-title c%d-desc"'):format(i, i), 1, true))
      assert.truthy(s:find(('<title id="c%d-title">'):format(i), 1, true))
      assert.falsy(s:find("<b>", 1, true))
      assert.falsy(s:find("\1", 1, true))
      if chart.title == NASTY then
        assert.truthy(s:find("&lt;b&gt;&amp;&quot;it&#39;s&quot;&lt;/b&gt;", 1, true))
      end
    end)
  end

  it("draws the value of a range band inside the band when normal, and names the flag", function()
    local s = svg.range_band { id = "x", title = "calcium", label = "calcium", value = 9, low = 8.6, high = 10, unit = "mg/dL",
      flag = "normal" }
    assert.truthy(s:find('class="band"', 1, true))
    assert.truthy(s:find("calcium 9 mg/dL (normal)", 1, true))
  end)

  it("box plot quartiles are type 7 (by hand: 9, 10, 11, 12 -> 9.75, 10.5, 11.25)", function()
    local q = svg.quantile
    assert.equal(9.75, q({ 9, 10, 11, 12 }, 0.25))
    assert.equal(10.5, q({ 9, 10, 11, 12 }, 0.5))
    assert.equal(11.25, q({ 9, 10, 11, 12 }, 0.75))
    local s = svg.box { id = "b", title = "t", groups = { { name = "g", values = { 12, 9, 11, 10 } } } }
    assert.truthy(s:find("g: n 4, median 10.5, quartiles 9.75-11.25, range 9-12", 1, true))
  end)

  it("a strip plot draws at most max_points dots per group (every k-th), the box from all values", function()
    local values = {}
    for i = 1, 1000 do values[i] = i end
    local s = svg.box { id = "b", title = "t", max_points = 100, groups = { { name = "g", values = values } } }
    local _, dots = s:gsub('class="point"', "")
    assert.equal(100, dots) -- 1, 11, 21, ..., 991: every 10th
    assert.truthy(s:find("g: n 1000, median 500.5,", 1, true))
  end)

  it("a bar's axis reaches above the largest value", function()
    local s = svg.bar { id = "b", title = "t", categories = { "a" }, series = { { name = "n", values = { 12 } } } }
    local y = tonumber(s:match('class="bar" x="[%d.]+" y="([%d.%-]+)"'))
    assert.is_true(y >= 30, "the bar starts below the plot's top")
  end)

  it("refuses an unknown chart kind", function()
    assert.has_error(function() svg.render { kind = "pie" } end)
  end)
end)
