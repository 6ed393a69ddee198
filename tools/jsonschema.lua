--- A small JSON Schema validator for the subset docs/schema/*.schema.json
-- use (no network, no Debian package for it): `type` (a name or a list;
-- "integer" is a number without a fraction), `enum`, `const`,
-- `properties`, `required`, `additionalProperties` (true, false or a
-- schema), `items` (one schema), `minItems`, `minimum`, `oneOf`, `anyOf`,
-- `$ref` to "#/$defs/NAME" (or "#/definitions/NAME") of the same document.
-- Annotations ($schema, $id, $comment, title, description, examples,
-- default) are ignored; any other keyword is an error, so that a schema never
-- relies on something this validator does not check.
--
--   local jsonschema = dofile "tools/jsonschema.lua"
--   local ok, errors = jsonschema.validate(schema, value, { null = dkjson.null })
--
-- Values are decoded JSON: with dkjson, `dkjson.decode(text, 1, dkjson.null)`
-- keeps null as a sentinel and marks tables as arrays or objects
-- (metatable field __jsontype), so an empty array and an empty object differ.
local M = {}

local ANNOTATIONS = { ["$schema"] = true, ["$id"] = true, ["$comment"] = true, title = true,
  description = true, examples = true, default = true, ["$defs"] = true, definitions = true }
local KEYWORDS = { type = true, enum = true, const = true, properties = true, required = true,
  additionalProperties = true, items = true, minItems = true, minimum = true, oneOf = true,
  anyOf = true, ["$ref"] = true }

--- The JSON type of a decoded value: "null", "boolean", "number", "string",
-- "array", "object" (an unmarked empty table is "empty").
function M.type_of(v, null)
  if v == nil or (null ~= nil and v == null) then return "null" end
  local t = type(v)
  if t == "table" then
    local mt = getmetatable(v)
    if mt and (mt.__jsontype == "array" or mt.__jsontype == "object") then return mt.__jsontype end
    if next(v) == nil then return "empty" end
    return #v > 0 and "array" or "object"
  end
  return t
end

local function is_type(v, name, null)
  local t = M.type_of(v, null)
  if name == "integer" then return t == "number" and v == math.floor(v) end
  if t == "empty" then return name == "array" or name == "object" end
  return t == name
end

local function equal(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if not equal(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

local function resolve(root, ref)
  local name = ref:match("^#/%$defs/(.+)$") or ref:match("^#/definitions/(.+)$")
  local defs = root["$defs"] or root.definitions or {}
  local s = name and defs[name]
  if not s then error("jsonschema: cannot resolve $ref '" .. ref .. "'", 0) end
  return s
end

local check

local function check_all(root, schema, v, path, errs, opts)
  for k in pairs(schema) do
    if not KEYWORDS[k] and not ANNOTATIONS[k] then
      error(("jsonschema: unsupported keyword '%s' at schema for %s"):format(k, path), 0)
    end
  end
  local null = opts.null
  if schema["$ref"] then check(root, resolve(root, schema["$ref"]), v, path, errs, opts) end
  if schema.type then
    local names = type(schema.type) == "table" and schema.type or { schema.type }
    local ok = false
    for _, n in ipairs(names) do if is_type(v, n, null) then ok = true break end end
    if not ok then
      errs[#errs + 1] = ("%s: expected %s, got %s"):format(path, table.concat(names, " or "), M.type_of(v, null))
      return
    end
  end
  if schema.enum then
    local ok = false
    for _, e in ipairs(schema.enum) do if equal(e, v) then ok = true break end end
    if not ok then errs[#errs + 1] = ("%s: %s is not one of the enum"):format(path, tostring(v)) end
  end
  if schema.const ~= nil and not equal(schema.const, v) then
    errs[#errs + 1] = ("%s: %s is not %s"):format(path, tostring(v), tostring(schema.const))
  end
  if schema.minimum and type(v) == "number" and v < schema.minimum then
    errs[#errs + 1] = ("%s: %s is below the minimum %s"):format(path, tostring(v), tostring(schema.minimum))
  end
  local t = M.type_of(v, null)
  if (t == "object" or t == "empty") and type(v) == "table" then
    for _, name in ipairs(schema.required or {}) do
      if v[name] == nil then errs[#errs + 1] = ("%s: required property '%s' is missing"):format(path, name) end
    end
    local props = schema.properties or {}
    for k, x in pairs(v) do
      local sub = props[k]
      local p = path .. "." .. tostring(k)
      if sub then
        check(root, sub, x, p, errs, opts)
      elseif schema.additionalProperties == false then
        errs[#errs + 1] = ("%s: property '%s' is not in the schema"):format(path, tostring(k))
      elseif type(schema.additionalProperties) == "table" then
        check(root, schema.additionalProperties, x, p, errs, opts)
      end
    end
  end
  if (t == "array" or t == "empty") and type(v) == "table" then
    if schema.minItems and #v < schema.minItems then
      errs[#errs + 1] = ("%s: fewer than %d items"):format(path, schema.minItems)
    end
    if schema.items then
      for i = 1, #v do check(root, schema.items, v[i], ("%s[%d]"):format(path, i), errs, opts) end
    end
  end
  local function count(list)
    local n, first = 0, nil
    for _, sub in ipairs(list) do
      local e = {}
      check(root, sub, v, path, e, opts)
      if #e == 0 then n = n + 1 elseif not first then first = e end
    end
    return n, first
  end
  if schema.anyOf then
    local n, first = count(schema.anyOf)
    if n == 0 then errs[#errs + 1] = ("%s: matches none of anyOf (first: %s)"):format(path, first and first[1] or "?") end
  end
  if schema.oneOf then
    local n, first = count(schema.oneOf)
    if n ~= 1 then
      errs[#errs + 1] = ("%s: matches %d of oneOf, not exactly 1%s"):format(path, n,
        n == 0 and first and (" (first: " .. first[1] .. ")") or "")
    end
  end
end

check = function(root, schema, v, path, errs, opts)
  if schema == true then return end
  if schema == false then errs[#errs + 1] = path .. ": no value is allowed here" return end
  check_all(root, schema, v, path, errs, opts)
end

--- Validates a decoded value against a decoded schema.
-- @tparam table schema
-- @param value
-- @tparam[opt] table opts `null`: the decoder's null sentinel
-- @treturn boolean
-- @treturn {string,...} the errors, each naming the place ("$.fired[2].id: ...")
function M.validate(schema, value, opts)
  local errs = {}
  check(schema, schema, value, "$", errs, opts or {})
  return #errs == 0, errs
end

return M
