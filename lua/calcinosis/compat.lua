--- The few library functions that differ between the Lua hosts the module
-- runs on (5.4, 5.3, 5.1 and LuaJIT 2.1): each is the host's own function
-- when it has one, else a replacement with the 5.4 behaviour for the uses
-- in this module. The syntax the module uses is the part all four parse
-- (no `//`, no bit operators, no `goto`, no `<const>`, decimal escapes).
--
-- On 5.1 and LuaJIT every number is a double: `math_type` calls a number
-- with an integral value (up to 2^53) an integer, so the JSON encoder
-- writes such a value without ".0" there (see README, "Lua hosts").
--
-- Depends on nothing (loaded first by the modules that need it).
-- @module calcinosis.compat

local M = {}

local floor, huge = math.floor, math.huge
local schar, sbyte, sformat = string.char, string.byte, string.format
local frexp, ldexp = rawget(math, "frexp"), rawget(math, "ldexp") -- 5.1, LuaJIT (pack_double)

--- The host: "Lua 5.4", "Lua 5.3", "Lua 5.1" or LuaJIT's version string
-- ("LuaJIT 2.1.0-beta3").
M.host = rawget(_G, "jit") and _G.jit.version or _VERSION

--- `table.unpack` (5.1: `unpack`).
M.unpack = table.unpack or rawget(_G, "unpack")

--- `table.pack`.
-- @param ... values
-- @treturn table the values with the field `n`, their count
M.tpack = table.pack or function(...)
  return { n = select("#", ...), ... }
end

--- `table.move(a1, f, e, t [, a2])` (5.3 semantics: copies a1[f..e] into
-- a2[t..], in an order that works for overlapping ranges).
-- @treturn table a2
M.move = table.move or function(a1, f, e, t, a2)
  a2 = a2 or a1
  if e >= f then
    if t > e or t <= f or a1 ~= a2 then
      for i = 0, e - f do a2[t + i] = a1[f + i] end
    else
      for i = e - f, 0, -1 do a2[t + i] = a1[f + i] end
    end
  end
  return a2
end

local MAXEXACT = 9007199254740992 -- 2^53

--- `math.type`: "integer", "float" or nil (5.1, LuaJIT: a number with an
-- integral value within 2^53 is "integer").
-- @param x any value
-- @treturn string|nil
M.math_type = math.type or function(x)
  if type(x) ~= "number" then return nil end
  if x == floor(x) and x >= -MAXEXACT and x <= MAXEXACT then return "integer" end
  return "float"
end

--- `math.tointeger`: the number as an integer, or nil when it has no
-- integer representation (5.1, LuaJIT: an integral value within 2^63).
-- @param x a number
-- @treturn number|nil
M.tointeger = math.tointeger or function(x)
  if type(x) == "number" and x == floor(x) and x >= -2 ^ 63 and x < 2 ^ 63 then return x end
  return nil
end

--- `string.rep(s, n [, sep])` (5.1 has no separator).
-- @treturn string
M.rep = string.rep
if string.rep("a", 2, ",") ~= "a,a" then
  local srep = string.rep
  M.rep = function(s, n, sep)
    if sep == nil or sep == "" or n <= 1 then return srep(s, n) end
    return srep(s .. sep, n - 1) .. s
  end
end

--- `package.searchpath(name, path [, sep [, rep]])`.
-- @treturn string|nil the file name
-- @treturn[2] string the files tried
M.searchpath = package.searchpath or function(name, path, sep, rep)
  sep, rep = sep or ".", rep or "/"
  if sep ~= "" then name = name:gsub("%" .. sep, rep) end
  local tried = {}
  for template in path:gmatch("[^;]+") do
    local file = template:gsub("%?", name)
    local f = io.open(file, "r")
    if f then f:close() return file end
    tried[#tried + 1] = "\n\tno file '" .. file .. "'"
  end
  return nil, table.concat(tried)
end

local setfenv = rawget(_G, "setfenv")

--- `load(chunk, chunkname, mode, env)` for a string chunk. On 5.1 (whose
-- `load` takes only functions) it is `loadstring` and `setfenv`; on 5.1 and
-- LuaJIT mode "t" refuses a binary chunk with 5.4's message.
-- @tparam string src the chunk
-- @tparam string chunkname
-- @tparam string mode "t", "b" or "bt"
-- @tparam[opt] table env the chunk's environment
-- @treturn function|nil the chunk
-- @treturn[2] string message
M.load = load
if not math.type then
  local native = pcall(load, "return 1") and load
  local loadstring = rawget(_G, "loadstring")
  M.load = function(src, chunkname, mode, env)
    local binary = sbyte(src, 1) == 27
    if binary and not (mode or "bt"):find("b", 1, true) then
      return nil, sformat("attempt to load a binary chunk (mode is '%s')", mode)
    elseif not binary and not (mode or "bt"):find("t", 1, true) then
      return nil, sformat("attempt to load a text chunk (mode is '%s')", mode)
    end
    if native then return native(src, chunkname, mode, env) end -- LuaJIT
    local chunk, err = loadstring(src, chunkname)
    if chunk and env ~= nil then setfenv(chunk, env) end
    return chunk, err
  end
end

--- `xpcall(f, handler, ...)` (5.1 passes no arguments to f).
-- @treturn boolean ok and the results of f or of the handler
M.xpcall = xpcall
if not select(2, xpcall(function(a) return a end, tostring, true)) then
  local xp, pk, up = xpcall, M.tpack, M.unpack
  M.xpcall = function(f, handler, ...)
    local args = pk(...)
    return xp(function() return f(up(args, 1, args.n)) end, handler)
  end
end

--- How many values one call can take or return: 5.1 and LuaJIT stop at
-- their C stack limit (LUAI_MAXCSTACK, 8000 slots: 7997 values measured
-- with `unpack`); 5.3 and 5.4 allow far more (math.huge here).
M.max_values = math.type and huge or 7997

--- Whether `pairs` uses a `__pairs` metamethod (5.3, 5.4; not 5.1, not
-- LuaJIT built without its 5.2 extensions, as Debian's is).
M.pairs_metamethod = false
for _ in pairs(setmetatable({}, { __pairs = function()
  M.pairs_metamethod = true
  return next, {}, nil
end })) do end

---------------------------------------------------------------------------
-- string.pack, for the formats the rule compiler writes

-- an IEEE 754 binary64, little-endian (exact: every step is a power of two)
local function pack_double(x)
  local sign = 0
  if x < 0 or (x == 0 and 1 / x < 0) then sign, x = 128, -x end
  local mant, expo
  if x ~= x then mant, expo, sign = 2 ^ 51, 2047, 128 -- the x86 default NaN
  elseif x == huge then mant, expo = 0, 2047
  elseif x == 0 then mant, expo = 0, 0
  else
    local m, e = frexp(x) -- x = m * 2^e, 0.5 <= m < 1
    expo = e + 1022
    if expo <= 0 then mant, expo = ldexp(x, 1074), 0 -- subnormal
    else mant = ldexp(m, 53) - 2 ^ 52 end
  end
  local b = {}
  for i = 1, 6 do
    b[i] = mant % 256
    mant = (mant - b[i]) / 256
  end
  b[7] = mant + (expo % 16) * 16
  b[8] = (expo - expo % 16) / 16 + sign
  return schar(b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8])
end

local function pack_int(n, size, signed, i)
  if type(n) ~= "number" or n ~= floor(n) then
    error(sformat("bad argument #%d to 'pack' (number has no integer representation)", i), 3)
  end
  local limit = 2 ^ (8 * size)
  if signed then
    if n < -limit / 2 or n >= limit / 2 then error(sformat("bad argument #%d to 'pack' (integer overflow)", i), 3) end
    if n < 0 then n = n + limit end
  elseif n < 0 or n >= limit then
    error(sformat("bad argument #%d to 'pack' (unsigned overflow)", i), 3)
  end
  local b = {}
  for k = 1, size do
    b[k] = n % 256
    n = (n - b[k]) / 256
  end
  return schar(M.unpack(b))
end

--- `string.pack(fmt, ...)`; the replacement (5.1, LuaJIT) takes the
-- little-endian formats `<`, `cN`, `IN`, `iN` (N = 1..6: the values a
-- double holds exactly) and `d`.
-- @tparam string fmt
-- @treturn string the bytes
M.pack = string.pack or function(fmt, ...)
  local out, argi, pos = {}, 0, 1
  while pos <= #fmt do
    local c = fmt:sub(pos, pos)
    local digits = fmt:match("^%d*", pos + 1)
    pos = pos + 1 + #digits
    local n = tonumber(digits)
    if c == "d" then
      argi = argi + 1
      out[#out + 1] = pack_double(select(argi, ...))
    elseif c == "c" and n then
      argi = argi + 1
      local s = select(argi, ...)
      if #s > n then error("bad argument #" .. argi + 1 .. " to 'pack' (string longer than given size)", 2) end
      out[#out + 1] = s .. ("\0"):rep(n - #s)
    elseif (c == "I" or c == "i") and n and n >= 1 and n <= 6 then
      argi = argi + 1
      out[#out + 1] = pack_int(select(argi, ...), n, c == "i", argi + 1)
    elseif c ~= "<" then -- "<": little-endian, the only order written
      error(sformat("calcinosis.compat.pack: format '%s' is not supported on %s", c .. digits, M.host), 2)
    end
  end
  return table.concat(out)
end

---------------------------------------------------------------------------
-- utf8 (5.3), for 5.1 and LuaJIT

local function utf8_replacement()
  local U = {}
  U.charpattern = "[%z\1-\127\194-\253][\128-\191]*" -- 5.4's, with 5.1's %z for the zero byte

  -- a code point as UTF-8: n continuation bytes, a lead of n + 1 ones,
  -- a zero and the bits left
  local function encode(c)
    if type(c) ~= "number" or c ~= floor(c) or c < 0 or c > 0x7FFFFFFF then
      error("bad argument to 'char' (value out of range)", 3)
    end
    if c < 0x80 then return schar(c) end
    local cont = {}
    local maxlead = 0x3F -- what the lead byte can still hold
    repeat
      table.insert(cont, 1, 0x80 + c % 64)
      c = floor(c / 64)
      maxlead = floor(maxlead / 2)
    until c <= maxlead
    local lead = 0xFF - (maxlead * 2 + 1) + c -- n ones, a zero, then c
    return schar(lead, M.unpack(cont))
  end

  function U.char(...)
    local out = {}
    for i = 1, select("#", ...) do out[i] = encode((select(i, ...))) end
    return table.concat(out)
  end

  -- decodes the sequence at byte i: code point and next position, or nil
  local function decode(s, i, strict)
    local c = sbyte(s, i)
    if not c then return nil end
    if c < 0x80 then return c, i + 1 end
    if c < 0xC0 then return nil end
    local n, res, limit
    if c < 0xE0 then n, res, limit = 1, c - 0xC0, 0x80
    elseif c < 0xF0 then n, res, limit = 2, c - 0xE0, 0x800
    elseif c < 0xF8 then n, res, limit = 3, c - 0xF0, 0x10000
    elseif c < 0xFC then n, res, limit = 4, c - 0xF8, 0x200000
    elseif c < 0xFE then n, res, limit = 5, c - 0xFC, 0x4000000
    else return nil end
    for k = 1, n do
      local cc = sbyte(s, i + k)
      if not cc or cc < 0x80 or cc >= 0xC0 then return nil end
      res = res * 64 + (cc - 0x80)
    end
    if res < limit then return nil end -- overlong
    if strict and (res > 0x10FFFF or (res >= 0xD800 and res <= 0xDFFF)) then return nil end
    return res, i + n + 1
  end

  local function rel(pos, len)
    if pos >= 0 then return pos elseif -pos > len then return 0 end
    return len + pos + 1
  end

  function U.codepoint(s, i, j, lax)
    i = rel(i or 1, #s)
    j = rel(j or i, #s)
    if i < 1 then error("bad argument #2 to 'codepoint' (out of bounds)", 2) end
    if j > #s then error("bad argument #3 to 'codepoint' (out of bounds)", 2) end
    local out, pos = {}, i
    while pos <= j do
      local c, nxt = decode(s, pos, not lax)
      if not c then error("invalid UTF-8 code", 2) end
      out[#out + 1] = c
      pos = nxt
    end
    return M.unpack(out)
  end

  function U.len(s, i, j, lax)
    local len = #s
    i = rel(i or 1, len)
    j = rel(j or -1, len)
    if i < 1 or i > len + 1 then error("bad argument #2 to 'len' (initial position out of bounds)", 2) end
    if j > len then error("bad argument #3 to 'len' (final position out of bounds)", 2) end
    local n, pos = 0, i
    while pos <= j do
      local c, nxt = decode(s, pos, not lax)
      if not c then return nil, pos end
      n, pos = n + 1, nxt
    end
    return n
  end

  local function iscont(s, p)
    local c = sbyte(s, p)
    return c and c >= 0x80 and c < 0xC0
  end

  function U.offset(s, n, i)
    local len = #s
    i = rel(i or (n >= 0 and 1 or len + 1), len)
    if i < 1 or i > len + 1 then error("bad argument #3 to 'offset' (position out of bounds)", 2) end
    local p = i
    if n == 0 then
      while p > 1 and iscont(s, p) do p = p - 1 end
      return p
    end
    if iscont(s, p) then error("initial position is a continuation byte", 2) end
    if n < 0 then
      while n < 0 and p > 1 do
        repeat p = p - 1 until p <= 1 or not iscont(s, p)
        n = n + 1
      end
    else
      n = n - 1
      while n > 0 and p <= len do
        repeat p = p + 1 until not iscont(s, p)
        n = n - 1
      end
    end
    if n == 0 then return p end
    return nil
  end

  function U.codes(s, lax)
    return function(str, pos)
      if pos > 0 then
        pos = pos + 1
        while iscont(str, pos) do pos = pos + 1 end
      else
        pos = 1
      end
      if pos > #str then return nil end
      local c = decode(str, pos, not lax)
      if not c then error("invalid UTF-8 code", 2) end
      return pos, c
    end, s, 0
  end
  return U
end

--- The `utf8` library (5.1, LuaJIT: a replacement in Lua with `char`,
-- `charpattern`, `codepoint`, `len`, `offset`, `codes`, 5.4 semantics).
M.utf8 = rawget(_G, "utf8") or utf8_replacement()

---------------------------------------------------------------------------
-- LuaJIT: the instruction-count hook of the sandbox

local jit = rawget(_G, "jit")

--- LuaJIT: turns the compiler off and flushes its traces, so that a count
-- hook sees every instruction (LuaJIT calls no hook inside compiled code);
-- elsewhere does nothing. Allocates nothing after the flush.
-- @treturn boolean whether the compiler was on (for `jit_restore`)
function M.jit_suspend()
  if not jit or not jit.status() then return false end
  jit.flush()
  jit.off()
  return true
end

--- Puts LuaJIT's compiler back on when `jit_suspend` turned it off.
-- @tparam boolean was_on what `jit_suspend` returned
function M.jit_restore(was_on)
  if was_on then jit.on() end
end

return M
