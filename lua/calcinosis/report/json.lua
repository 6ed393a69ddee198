--- JSON of a report document (`calcinosis.report.document`): the document
-- as it is, which docs/schema/report.schema.json describes (and
-- docs/schema/report-<kind>.schema.json, one for each kind).
--
-- Dependencies: calcinosis.json.
-- @module calcinosis.report.json

local json = require "calcinosis.json"

local M = {}

--- The JSON Schema version of the document (`schema` in the output).
M.SCHEMA = "calcinosis-report/1"

--- Renders a document as JSON.
-- @tparam table doc
-- @treturn string JSON text ending with a newline
function M.render(doc)
  local copy = {}
  for k, v in pairs(doc) do copy[k] = v end
  copy.schema = M.SCHEMA
  return json.encode(copy, { indent = "  " }) .. "\n"
end

return M
