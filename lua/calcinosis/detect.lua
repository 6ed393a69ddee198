--- Content detection: what an input file holds, from its first bytes and
-- lines, not only its extension. The one place that decides the format of
-- an input (`calcinosis.read` and every command that reads a cohort use
-- it), and that refuses a file that is not a cohort with a message saying
-- what it looks like.
--
-- Formats: `csv` (one patient per row), `long` (one observation per row),
-- `ndjson` (one patient record per line), `json` (one patient record),
-- `arff` (Weka/UCI: `@attribute` header, `@data` rows), `fhir` (a FHIR
-- JSON resource or bundle), `hl7` (HL7 v2 messages, `MSH|...`), `text` (a
-- lab report as text; only when asked for: nothing is read as text by
-- guess).
--
-- Dependencies: calcinosis.core, calcinosis.util.
-- @module calcinosis.detect

local core = require "calcinosis.core"
local util = require "calcinosis.util"

local M = {}

--- The formats `--input-format` and `calcinosis.read{format=}` take.
M.FORMATS = { "csv", "long", "ndjson", "json", "arff", "fhir", "hl7", "text" }

--- How many bytes of a file detection looks at.
M.HEAD_BYTES = 64 * 1024

--- The delimiters a CSV header is tried with, and how messages name them.
M.DELIMITERS = { ",", ";", "\t", "|" }
local DELIM_NAME = { [","] = "','", [";"] = "';'", ["\t"] = "tab", ["|"] = "'|'" }

--- How a message names a delimiter (`','`, `tab`).
-- @tparam string d
-- @treturn string
function M.delimiter_name(d)
  return DELIM_NAME[d] or ("'" .. d .. "'")
end

local LONG_ANALYTE = { analyte = true, test = true, code = true, loinc = true, observation = true, name = true }

-- the first line of text (without its line end), the rest
local function first_line(s)
  local line, rest = s:match("^([^\n]*)\n?(.*)$")
  return (line:gsub("\r$", "")), rest
end

-- fields of a CSV line split by d (quotes respected, not unescaped)
local function split(line, d)
  local out, cur, q = {}, {}, false
  for i = 1, #line do
    local c = line:sub(i, i)
    if c == '"' then q = not q; cur[#cur + 1] = c
    elseif c == d and not q then out[#out + 1] = table.concat(cur); cur = {}
    else cur[#cur + 1] = c end
  end
  out[#out + 1] = table.concat(cur)
  for i, f in ipairs(out) do out[i] = f:match('^%s*"?(.-)"?%s*$') end
  return out
end
--- Splits a CSV header line by a delimiter (quotes respected and taken off).
-- @function split_header
M.split_header = split

-- the first non-blank line
local function header_line(s)
  for line in (s .. "\n"):gmatch("([^\n]*)\n") do
    line = line:gsub("\r$", "")
    if line:find("%S") then return line end
  end
  return ""
end

--- Looks at the first bytes of an input and says what it is.
-- @tparam string head the first bytes (`HEAD_BYTES` of them, or all)
-- @tparam[opt] table opts `path` (for the extension), `delimiter` (given by
--   the user; nil: detected)
-- @treturn table `{ format =, what = (a description for messages),
--   delimiter = (csv, long), header = (csv, long: the fields),
--   delimiter_guess = (a delimiter that splits the header better) }`
function M.sniff(head, opts)
  opts = opts or {}
  local s = head:gsub("^\239\187\191", "")
  local ext = opts.path and opts.path:lower():match("%.([%w]+)$")
  local lead = s:match("^%s*(.?)")
  if s:match("^%s*$") then
    -- (an empty .json file is not a patient record; an empty cohort file has no records)
    if ext == "json" then return { format = "json", what = "an empty file", empty = true } end
    return { format = "csv", what = "an empty file", empty = true }
  end
  if s:match("^%s*MSH|") or s:match("^%s*FHS|") or s:match("^%s*BHS|") then
    return { format = "hl7", what = "HL7 v2 messages (MSH segment)" }
  end
  if lead == "{" or lead == "[" then
    if s:find('"resourceType"%s*:') then
      local rt = s:match('"resourceType"%s*:%s*"([^"]*)"')
      return { format = "fhir", what = ("a FHIR JSON %s"):format(rt and ("resource (" .. rt .. ")") or "resource") }
    end
    if lead == "[" and ext ~= "ndjson" and ext ~= "jsonl" then return { format = "json", what = "a JSON array" } end
    local line, rest = first_line(s:match("^%s*(.*)$"))
    local second = rest:match("^%s*(.)")
    if ext == "ndjson" or ext == "jsonl" or (line:match("}%s*$") and second == "{") then
      return { format = "ndjson", what = "NDJSON records" }
    end
    return { format = "json", what = "a JSON patient record" }
  end
  -- ARFF: '%' comments, then @relation / @attribute
  do
    for line in (s .. "\n"):gmatch("([^\n]*)\n") do
      local t = line:gsub("\r$", ""):match("^%s*(.-)%s*$")
      if t ~= "" and t:sub(1, 1) ~= "%" then
        local kw = t:lower():match("^@(%a+)")
        if kw == "relation" or kw == "attribute" then return { format = "arff", what = "an ARFF file (@relation, @attribute, @data)" } end
        break
      end
    end
  end
  -- CSV
  local line = header_line(s)
  local counts = {}
  for _, d in ipairs(M.DELIMITERS) do counts[d] = #split(line, d) end
  local best, bestn = nil, 1
  for _, d in ipairs(M.DELIMITERS) do
    if counts[d] > bestn then best, bestn = d, counts[d] end
  end
  local d = opts.delimiter
  local info = { format = "csv", what = "CSV" }
  if d then
    info.delimiter = d
    if (counts[d] or #split(line, d)) == 1 and best and best ~= d then info.delimiter_guess = best end
  else
    info.delimiter = (counts[","] > 1 or not best) and "," or best
  end
  info.header = split(line, info.delimiter)
  local has, id = {}, false
  for _, h in ipairs(info.header) do has[core.term_key((h:gsub("[%[%(].*$", "")))] = true end
  for _, h in ipairs(info.header) do if core.column_role(h) == "id" then id = true end end
  local analyte = false
  for k in pairs(LONG_ANALYTE) do if has[k] then analyte = true end end
  if id and analyte and has.value then info.format, info.what = "long", "long-format CSV" end
  return info
end

--- Reads the first `HEAD_BYTES` of a file (nil or "-": nothing, standard
-- input is not looked at).
-- @tparam string|nil path
-- @treturn string|nil the bytes
-- @treturn[2] string message
function M.head(path)
  if not path or path == "-" then return nil end
  local f, e = io.open(path, "rb")
  if not f then return nil, ("%s: cannot open (%s)"):format(path, e or "?") end
  local s = f:read(M.HEAD_BYTES)
  f:close()
  return s or ""
end

--- What a CSV header gives the reader: the columns it reads (with their
-- role) and the ones it ignores, each with the closest name it knows.
-- @tparam {string,...} header
-- @tparam[opt] table map `{ from = {...}, to = {...} }` (`calcinosis.engine.parse_map`)
-- @treturn table `{ known = { {name, role, analyte}... }, unknown = { {name, suggestion}... }, usable = bool }`
--   (usable: a lab, unit, findings or sites column is read, or every column
--   is one the reader knows: a file of ids and ages is a cohort, a data set
--   whose measurements all have names of their own is not)
function M.columns(header, map)
  local target = {}
  if map then for i, f in ipairs(map.from) do target[core.term_key(f)] = map.to[i] end end
  local names = core.column_names()
  local out = { known = {}, unknown = {}, usable = false }
  for _, h in ipairs(header) do
    local key = core.term_key((h:gsub("%s*[%[%(].*$", "")))
    local role, analyte = core.column_role(target[key] or h)
    if role then
      out.known[#out.known + 1] = { name = h, role = role, analyte = analyte }
      if role == "lab" or role == "unit" or role == "findings" or role == "sites" then out.usable = true end
    elseif h ~= "" then
      out.unknown[#out.unknown + 1] = { name = h, suggestion = util.suggest(key, names) }
    end
  end
  if #out.unknown == 0 and #out.known > 0 then out.usable = true end
  return out
end

-- "a, b (did you mean 'c'?), ..." of the unknown columns (at most 8)
local function unknown_list(unknown)
  local t = {}
  for i, u in ipairs(unknown) do
    if i > 8 then t[#t + 1] = ("... %d more"):format(#unknown - 8) break end
    t[#t + 1] = u.suggestion and ("'%s' (did you mean '%s'?)"):format(u.name, u.suggestion) or ("'%s'"):format(u.name)
  end
  return table.concat(t, ", ")
end

-- Whether lines of the head read as pasted lab results (at least two lines,
-- with analytes the library knows): a hint only, never a guess of the format.
local function looks_like_lab_text(head)
  local ok, labtext = pcall(require, "calcinosis.labtext")
  if not ok then return false end
  local n = 0
  for line in (head .. "\n"):gmatch("([^\r\n]*)[\r\n]") do
    local got = line:find("%S") and labtext.parse_line(line)
    if got and got[1] and got[1].analyte then n = n + 1 end
    if n >= 2 then return true end
  end
  return false
end

--- The format to read an input with, or why it cannot be read as a cohort.
-- @tparam string|nil path nil or "-": standard input (CSV unless `format`)
-- @tparam[opt] table opts `format` (given: overrides detection, "auto" or
--   nil: detect), `delimiter` (given by the user), `map` (parsed),
--   `available` (function(format) -> true | nil, why: whether this build
--   reads fhir, hl7, text), `head` (the first bytes, instead of reading path)
-- @treturn table|nil `{ format =, delimiter =, what =, columns = }`
-- @treturn[2] string message (the command exits 2 with it)
function M.input(path, opts)
  opts = opts or {}
  local forced = opts.format ~= "auto" and opts.format or nil
  local head = opts.head
  if not head then
    if not path or path == "-" then
      return { format = forced or "csv", delimiter = opts.delimiter or ",", what = "standard input" }
    end
    -- a FIFO or a device can be read once only: by the run, not here
    local kind = core.file_kind(path)
    if kind == "fifo" or kind == "char" then
      return { format = forced or "csv", delimiter = opts.delimiter or ",", what = "a stream (" .. kind .. ")" }
    end
    local e
    head, e = M.head(path)
    if not head then return nil, e end
  end
  local name = path or "input"
  if not forced and (head:sub(1, 2) == "\255\254" or head:sub(1, 2) == "\254\255") then
    return nil, ("%s: it looks like UTF-16 text (a byte-order mark %s); save it as UTF-8 (or give --input-format)")
      :format(name, head:sub(1, 1) == "\255" and "FF FE" or "FE FF")
  end
  local info = M.sniff(head, { path = path, delimiter = opts.delimiter })
  local format = forced or info.format
  if forced == "csv" and info.format == "long" then format = "long" end
  if format == "fhir" or format == "hl7" or format == "text" then
    local ok, why = true, nil
    if opts.available then ok, why = opts.available(format) end
    if not ok then
      return nil, ("%s: %s; %s"):format(name, forced and ("read as " .. format) or ("it looks like " .. info.what), why)
    end
    return { format = format, what = info.what }
  end
  if format == "json" or format == "ndjson" then
    return { format = format, what = info.what }
  end
  if not forced and info.format ~= "csv" and info.format ~= "long" and info.format ~= "arff" then
    return nil, ("%s: it looks like %s, not a cohort"):format(name, info.what)
  end
  if format == "arff" then
    -- the attribute names are the header
    local header = {}
    for line in (head .. "\n"):gmatch("([^\n]*)\n") do
      local t = line:gsub("\r$", ""):match("^%s*(.-)%s*$")
      local kw, rest = t:match("^@(%a+)%s*(.*)$")
      kw = kw and kw:lower()
      if kw == "attribute" then
        header[#header + 1] = rest:match("^'([^']*)'") or rest:match('^"([^"]*)"') or rest:match("^(%S+)")
      elseif kw == "data" then break end
    end
    if #header == 0 then return nil, ("%s: read as ARFF, but it has no @attribute line"):format(name) end
    info.header = header
  elseif info.empty then
    return { format = format, delimiter = opts.delimiter or ",", what = info.what }
  elseif info.format == "arff" then
    -- forced to csv or long: the ARFF header is not a CSV header
    return nil, ("%s: it looks like %s, not CSV (without --input-format, or with --input-format arff, it is read as ARFF)"):format(name, info.what)
  end
  if info.delimiter_guess then
    return nil, ("%s: with the delimiter %s the header has one column; the file seems to use %s (give --delimiter %s)")
      :format(name, M.delimiter_name(opts.delimiter), M.delimiter_name(info.delimiter_guess),
        info.delimiter_guess == "\t" and "tab" or ("'" .. info.delimiter_guess .. "'"))
  end
  if format == "csv" or format == "arff" then
    local cols = M.columns(info.header, opts.map)
    if not cols.usable then
      local read = {}
      for _, k in ipairs(cols.known) do read[#read + 1] = k.name end
      local msg
      if #info.header == 1 and format == "csv" then
        msg = ("%s: the header has one column and no delimiter (%s) the tool knows; it does not look like a cohort CSV")
          :format(name, "',', ';', tab or '|'")
        if #cols.unknown == 1 and not info.header[1]:find("%s") then
          msg = ("%s: no column the tool recognises: %s"):format(name, unknown_list(cols.unknown))
        end
      else
        msg = ("%s: no column the tool recognises as a lab value, findings or sites%s; unknown: %s. " ..
          "Name the columns as the README's Input formats section says, or map a data set's names with " ..
          "--map NAME=ANALYTE (e.g. --map sc=creatinine)")
          :format(name, #read > 0 and (" (read: " .. table.concat(read, ", ") .. ")") or "", unknown_list(cols.unknown))
      end
      if format == "csv" and looks_like_lab_text(head) then
        msg = msg .. ". It looks like a pasted lab report: give --input-format text to read it as one"
      end
      return nil, msg
    end
    info.columns = cols
  end
  return { format = format, delimiter = info.delimiter or opts.delimiter or ",", what = info.what,
    columns = info.columns }
end

return M
