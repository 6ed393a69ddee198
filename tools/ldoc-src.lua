-- Copies lua/**/*.lua to OUT/ for LDoc (make docs), with every indented
-- comment line blanked (line numbers kept): LDoc 1.4.6 reads the plain
-- comments inside a documented table constructor (the reference ranges, the
-- vocabulary) as field docs and stops at a list entry ("had no return?").
-- The doc comments LDoc reads (--- at the start of a line, the -- @tag lines
-- after them) are at the start of a line and stay.
--   lua5.4 tools/ldoc-src.lua OUT
local out = assert(arg[1], "usage: tools/ldoc-src.lua OUT")
local p = assert(io.popen("find lua -name '*.lua' | sort"))
for path in p:lines() do
  local dest = out .. "/" .. path
  assert(os.execute("mkdir -p '" .. dest:match("^(.*)/") .. "'"))
  local lines = {}
  for line in io.lines(path) do
    lines[#lines + 1] = line:match("^%s+%-%-") and "" or line
  end
  local f = assert(io.open(dest, "w"))
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
end
p:close()
