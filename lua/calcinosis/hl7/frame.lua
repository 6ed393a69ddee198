--- HL7 v2, phase 1: a file's bytes into messages of segments (an LPeg
-- grammar). Segments end with `\r`, `\n` or `\r\n`; MLLP framing bytes
-- (0x0B before a message, 0x1C 0x0D after it) separate like segment ends
-- and a UTF-8 byte-order mark at the start is skipped;
-- a message begins at each `MSH` segment. Batch envelope segments (FHS, BHS,
-- BTS, FTS) are skipped and end the message they follow; any other segment
-- outside a message (before the first MSH, or after an envelope segment) is
-- returned as a stray segment for the caller to report.
--
-- Dependencies: lpeg.
-- @module calcinosis.hl7.frame

local lpeg = require "lpeg"

local P, S, C, Ct, Cp, Cc, Cg = lpeg.P, lpeg.S, lpeg.C, lpeg.Ct, lpeg.Cp, lpeg.Cc, lpeg.Cg

local M = {}

local END = S "\r\n\011\028"          -- segment ends and the MLLP bytes
local blank = S " \t\f\v"^1 * #(END + -1) -- a segment of spaces only is no segment
local text = (1 - END)^1
local seg = Ct(Cg(Cp(), "pos") * Cg(C(text), "text"))
local msh = P "MSH"
local envelope = (P "FHS" + P "BHS" + P "BTS" + P "FTS") * (text^-1)
local gap = (END + blank)^1
-- a message: its MSH, then every following segment that is not an MSH
local message = Ct(Cg(Cc "message", "kind") * Cg(Ct(#msh * seg * (gap * -msh * -envelope * seg)^0), "segments"))
local stray = Ct(Cg(Cc "stray", "kind") * Cg(Cp(), "pos") * Cg(C(text), "text"))
local bom = P "\239\187\191" -- a UTF-8 byte-order mark before the first segment
local file = bom^-1 * Ct((gap + envelope + message + stray)^0) * -1

--- Cuts a file's text into messages and stray segments.
-- @tparam string s the file's bytes
-- @treturn table a list, in file order, of `{ kind = "message", segments =
--   { { pos =, text = }, ... } }` and `{ kind = "stray", pos =, text = }`
--   (`pos`: byte offset of the segment in `s`)
function M.split(s)
  return file:match(s) or {} -- the grammar matches every string; {} is never reached
end

--- The line number (1-based) of byte offset `pos` in `s`, counting `\r\n`,
-- `\r` and `\n` each as one line end.
-- @tparam string s
-- @tparam number pos
-- @treturn number
function M.line_of(s, pos)
  local head = s:sub(1, pos - 1)
  local _, crlf = head:gsub("\r\n", "")
  local _, cr = head:gsub("\r", "")
  local _, lf = head:gsub("\n", "")
  return 1 + cr + lf - crlf
end

return M
