--- JSON for calcinosis: a deterministic encoder (sorted keys, empty tables
-- as `[]` when marked or when they are known lists) and a decoder that uses
-- lua-cjson when present and dkjson otherwise.
-- @module calcinosis.json

local M = {}

--- A marker: `setmetatable(t, json.array)` makes an empty table encode as [].
M.array = require("calcinosis.util").array
local math_type = require("calcinosis.compat").math_type

local escapes = {
  ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t',
}

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

local function is_list(t)
  local n = #t
  if n == 0 then
    local mt = getmetatable(t)
    return mt and mt.__jsontype == "array"
  end
  local count = 0
  for k in pairs(t) do
    if math_type(k) ~= "integer" or k < 1 or k > n then return false end
    count = count + 1
  end
  return count == n
end

local function encode(v, out, indent, depth, seen)
  local tv = type(v)
  if tv == "nil" then out[#out + 1] = "null"
  elseif tv == "boolean" then out[#out + 1] = tostring(v)
  elseif tv == "number" then
    if v ~= v or v == math.huge or v == -math.huge then out[#out + 1] = "null"
    elseif math_type(v) == "integer" then out[#out + 1] = tostring(v)
    else
      local s = ("%.14g"):format(v)
      if not s:find("[%.eEn]") then s = s .. ".0" end
      out[#out + 1] = s
    end
  elseif tv == "string" then out[#out + 1] = quote(v)
  elseif tv == "table" then
    if seen[v] then error("json.encode: cycle in table", 0) end
    seen[v] = true
    local nl = indent and ("\n" .. indent:rep(depth + 1)) or ""
    local close = indent and ("\n" .. indent:rep(depth)) or ""
    local sep = indent and ": " or ":"
    if is_list(v) then
      if #v == 0 then out[#out + 1] = "[]"
      else
        out[#out + 1] = "["
        for i = 1, #v do
          if i > 1 then out[#out + 1] = "," end
          out[#out + 1] = nl
          encode(v[i], out, indent, depth + 1, seen)
        end
        out[#out + 1] = close .. "]"
      end
    else
      local keys = {}
      for k in pairs(v) do
        if type(k) == "string" or type(k) == "number" then keys[#keys + 1] = k end
      end
      table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
      if #keys == 0 then out[#out + 1] = "{}"
      else
        out[#out + 1] = "{"
        for i, k in ipairs(keys) do
          if i > 1 then out[#out + 1] = "," end
          out[#out + 1] = nl .. quote(tostring(k)) .. sep
          encode(v[k], out, indent, depth + 1, seen)
        end
        out[#out + 1] = close .. "}"
      end
    end
    seen[v] = nil
  else
    error("json.encode: cannot encode a " .. tv, 0)
  end
end

--- Encodes a value as JSON text.
-- @param v value (tables, strings, numbers, booleans, nil)
-- @tparam[opt] table opts `{ indent = "  " }` for readable output
-- @treturn string
function M.encode(v, opts)
  local out = {}
  encode(v, out, opts and opts.indent, 0, {})
  return table.concat(out)
end

local ok_cjson, cjson = pcall(require, "cjson.safe")
local dkjson
if not ok_cjson then dkjson = require "dkjson" end

--- Decodes JSON text. JSON null becomes nil.
-- @tparam string s
-- @return value, or nil and a message
function M.decode(s)
  if type(s) ~= "string" then
    error(("json.decode: bad argument #1 (string expected, got %s)"):format(type(s)), 2)
  end
  if ok_cjson then
    local v, err = cjson.decode(s)
    if v == nil and err then return nil, err end
    local function strip(t)
      if type(t) ~= "table" then return t end
      for k, x in pairs(t) do
        if x == cjson.null then t[k] = nil else strip(x) end
      end
      return t
    end
    return strip(v)
  end
  local v, _, err = dkjson.decode(s, 1, nil)
  if err then return nil, err end
  return v
end

return M
