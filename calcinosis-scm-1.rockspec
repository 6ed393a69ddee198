rockspec_format = "3.0"
package = "calcinosis"
version = "scm-1"
source = {
  url = "git+https://example.invalid/calcinosis.git",
}
description = {
  summary = "Calcinosis cutis classification and lab-value logic: a C core with a Lua face",
  detailed = [[
calcinosis classifies calcinosis cutis (dystrophic, metastatic, idiopathic,
iatrogenic, calciphylaxis, indeterminate) from labs, findings and sites, with
units, reference ranges, derived values (albumin-corrected calcium, Ca x P,
eGFR, KDIGO stage) and a rule language compiled into programs the C core
verifies and runs. A research tool, not a diagnosis.
]],
  license = "MIT",
  labels = { "medicine", "clinical", "rules", "units" },
}
-- Every dependency is listed. On Debian, whose lua-lpeg, lua-dkjson and
-- lua-busted packages LuaRocks cannot see as rocks, `make luarocks-config`
-- writes build/luarocks/config.lua declaring them as provided; use it with
-- LUAROCKS_CONFIG=build/luarocks/config.lua (make rock-tree does), or
-- pass --deps-mode=none.
dependencies = {
  "lua >= 5.1, < 5.5",
  "lpeg >= 1.0",    -- the rule language (calcinosis.rules.parser)
  "dkjson >= 2.5",  -- JSON decoding (calcinosis.json; lua-cjson is used instead when present)
}
test_dependencies = {
  "busted",
  "luaexpat",   -- the report specs check that every SVG is well-formed XML (lxp)
}
-- `luarocks make` runs `make rock` (the C module, the man page) and
-- `make rock-install` (tools/rock-install.sh: modules, calcinosis.1, and the
-- command as calcinosis-<Lua version> plus calcinosis, the latter only when
-- the tree has no calcinosis command of another Lua version), so that
-- installing the Lua 5.3 build into a tree that has the Lua 5.4 one adds
-- calcinosis-5.3 and leaves calcinosis on Lua 5.4. The Makefile builds every
-- src/*.c and installs every lua/**/*.lua: there is no list to keep.
build = {
  type = "make",
  build_target = "rock",
  install_target = "rock-install",
  build_variables = {
    CC = "$(CC)",
    CFLAGS = "$(CFLAGS)",
    LIBFLAG = "$(LIBFLAG)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    LUA = "$(LUA)",
  },
  install_variables = {
    LUA = "$(LUA)",
    INST_PREFIX = "$(PREFIX)",
    INST_BINDIR = "$(BINDIR)",
    INST_LIBDIR = "$(LIBDIR)",
    INST_LUADIR = "$(LUADIR)",
    INST_DOCDIR = "$(DOCDIR)",
  },
}
-- `luarocks test`: the busted suite of spec/ (.busted); the helper builds
-- the C module for the checkout first (make -s).
test = {
  type = "busted",
  flags = { "--helper=tools/busted-helper.lua" },
}
