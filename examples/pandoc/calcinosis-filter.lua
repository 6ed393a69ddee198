--- A pandoc Lua filter: each code block of class `calcinosis` holding a
-- patient record (the JSON shape of `calcinosis.classify`) becomes the
-- classification: type, score and confidence, the rules that fired with
-- their reasons, alerts, and the disclaimer.
--
--     pandoc --lua-filter examples/pandoc/calcinosis-filter.lua report.md -o report.html
--
-- pandoc embeds Lua 5.3: install the module for it
-- (`luarocks --lua-version=5.3 install calcinosis`) or point LUA_PATH and
-- LUA_CPATH at a checkout (see examples/pandoc/README.md).
-- luacheck: globals pandoc
local calcinosis = require "calcinosis"
local json = require "calcinosis.json"

local function para(...)
  return pandoc.Para({ ... })
end

local function result_blocks(result)
  local conf = result.confidence or {}
  local blocks = {
    para(pandoc.Strong({ pandoc.Str("Type:") }), pandoc.Space(), pandoc.Str(result.type),
      pandoc.Space(), pandoc.Str(("(score %g, confidence %s)"):format(result.score or 0, conf.level or "n/a"))),
  }
  local fired = {}
  for _, f in ipairs(result.fired or {}) do
    fired[#fired + 1] = { pandoc.Plain({ pandoc.Code(f.id), pandoc.Space(),
      pandoc.Str(("(%+g): %s"):format(f.weight, f.because or "")) }) }
  end
  if #fired > 0 then blocks[#blocks + 1] = pandoc.BulletList(fired) end
  for _, msg in ipairs(result.problems or {}) do
    blocks[#blocks + 1] = para(pandoc.Strong({ pandoc.Str("Problem:") }), pandoc.Space(), pandoc.Str(msg))
  end
  for _, a in ipairs(result.alerts or {}) do
    blocks[#blocks + 1] = para(pandoc.Strong({ pandoc.Str("Alert:") }), pandoc.Space(), pandoc.Str(a.text))
  end
  blocks[#blocks + 1] = para(pandoc.Emph({ pandoc.Str(result.disclaimer) }))
  return blocks
end

local function problem_blocks(message)
  return { para(pandoc.Strong({ pandoc.Str("calcinosis:") }), pandoc.Space(), pandoc.Str(message)) }
end

return {
  {
    CodeBlock = function(block)
      if not block.classes:includes("calcinosis") then return nil end
      local patient, err = json.decode(block.text)
      if type(patient) ~= "table" then
        return pandoc.Div(problem_blocks("not a JSON patient record: " .. tostring(err)), { class = "calcinosis" })
      end
      local result, cerr = calcinosis.classify(patient)
      if not result then return pandoc.Div(problem_blocks(tostring(cerr)), { class = "calcinosis" }) end
      return pandoc.Div(result_blocks(result), { class = "calcinosis" })
    end,
  },
}
