# calcinosis - build and test.
#   make            build the C module for Lua 5.4 into build/5.4/
#   make lua53 | lua51 | luajit   the same for Lua 5.3, 5.1, LuaJIT 2.1 (build/5.3, build/5.1, build/luajit)
#   make demo       install missing packages, build, run the main job on bundled data
#   make check      install missing packages, run the whole test suite
#   make check-all  make check, then valgrind over the busted suite, cppcheck and
#                   clang-tidy on src/ (make static) and make fuzz (README, Development)
#   make fuzz       every libFuzzer target spec/c/fuzz_*.c, FUZZ_SECONDS each (default 60)
#   make images     the README's report images (examples/images)
#   make docs       the API reference (LDoc) into docs/api; make man: build/man/calcinosis.1
#   make luarocks-config   build/luarocks/config.lua: Debian's packages as provided rocks
#   make rock-tree TREE=DIR [LUA_VERSION=5.3]   luarocks make into DIR with that config
#   (make rock, make rock-install: what `luarocks make` runs; see the rockspec)
LUA_VERSION ?= 5.4
LUA_INC     ?= /usr/include/lua$(LUA_VERSION)
BUILD       ?= build/$(LUA_VERSION)
CC          ?= cc
CFLAGS      ?= -O2 -g
WARN        := -std=c99 -Wall -Wextra -Wpedantic -Werror
SRC         := $(sort $(wildcard src/*.c))
HDR         := $(sort $(wildcard src/*.h))
SO          := $(BUILD)/calcinosis/core.so

# The default build also compiles the Lua modules for bin/calcinosis's
# start-up (tools/bytecode.lua, calcinosis.loader; used only while each
# module's source is unchanged). Other builds run the sources.
LUA_SRC     := $(shell find lua -name '*.lua' | LC_ALL=C sort)
BYTECODE    := $(if $(filter build/5.4,$(BUILD)),$(BUILD)/calcinosis/modules.luac)

all: $(SO) $(BYTECODE)

$(BUILD)/calcinosis/modules.luac: $(LUA_SRC) tools/bytecode.lua $(SO)
	LUA_CPATH='$(BUILD)/?.so' $(LUA) tools/bytecode.lua "$(CURDIR)" $@

$(SO): $(SRC) $(HDR) $(BUILD)/gen/revision.h
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -fPIC -shared -I$(LUA_INC) -I$(BUILD)/gen -DCAL_HAVE_REVISION -o $@ $(SRC) -lm

# The build's revision (core.REVISION, `calcinosis --version`): `git describe
# --always --dirty` when this folder is a git checkout, else empty (the
# version alone); rewritten only when it changes.
%/gen/revision.h: FORCE
	@mkdir -p $(dir $@)
	@rev=$$(test -e .git && git describe --always --dirty 2>/dev/null | tr -cd 'A-Za-z0-9._+-'); \
	  printf '#define CAL_REVISION "%s"\n' "$$rev" > $@.tmp; \
	  if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
FORCE:

asan:
	$(MAKE) BUILD=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

lua53:
	$(MAKE) LUA_VERSION=5.3

# Lua 5.1 and LuaJIT 2.1 (src/compat.h; the Lua side: calcinosis.compat):
# the whole module (see README, "Lua hosts").
lua51:
	$(MAKE) LUA_VERSION=5.1 BUILD=build/5.1

luajit:
	$(MAKE) LUA_VERSION=5.1 LUA_INC=/usr/include/luajit-2.1 BUILD=build/luajit

hosts: all lua53 lua51 luajit

# LuaRocks: the rockspec's build type is "make"; `luarocks make` runs
# `make rock` and `make rock-install` with its own CC, CFLAGS, LIBFLAG,
# LUA_INCDIR, LUA (the interpreter) and INST_* folders.
LUA        ?= lua$(LUA_VERSION)
LUA_INCDIR ?= $(LUA_INC)
LIBFLAG    ?= -shared
ROCK_LUAV   = $(shell $(LUA) -e 'io.write((_VERSION:gsub("^Lua ", "")))')
ROCK_BUILD  = build/rock-$(ROCK_LUAV)
LUAROCKS_CONFIG_FILE := build/luarocks/config.lua

rock: $(ROCK_BUILD)/gen/revision.h
	@mkdir -p $(ROCK_BUILD)/calcinosis
	$(CC) -std=c99 $(CFLAGS) -fPIC -I$(LUA_INCDIR) -I$(ROCK_BUILD)/gen -DCAL_HAVE_REVISION -o $(ROCK_BUILD)/calcinosis/core.so $(SRC) $(LIBFLAG) -lm
	$(LUA) tools/gen-man.lua > $(ROCK_BUILD)/calcinosis.1

rock-install:
	LUA='$(LUA)' ROCK_BUILD='$(ROCK_BUILD)' INST_PREFIX='$(INST_PREFIX)' INST_BINDIR='$(INST_BINDIR)' \
	  INST_LIBDIR='$(INST_LIBDIR)' INST_LUADIR='$(INST_LUADIR)' INST_DOCDIR='$(INST_DOCDIR)' sh tools/rock-install.sh

luarocks-config:
	sh tools/luarocks-config.sh build/luarocks

rock-tree: luarocks-config
	@test -n "$(TREE)" || { echo "usage: make rock-tree TREE=DIR [LUA_VERSION=5.3]" >&2; exit 2; }
	LUAROCKS_CONFIG=$(CURDIR)/$(LUAROCKS_CONFIG_FILE) luarocks --lua-version=$(LUA_VERSION) make --tree='$(TREE)' calcinosis-scm-1.rockspec

# Documentation: the API reference (LDoc) into docs/api, the man page
# calcinosis(1) from the usage texts of lua/calcinosis/cli.lua.
docs: man
	rm -rf build/ldoc-src docs/api
	lua5.4 tools/ldoc-src.lua build/ldoc-src
	cd docs && ldoc -c config.ld . >../build/ldoc.log 2>&1 || { cat ../build/ldoc.log; exit 1; }
	@test -f docs/api/index.html || { cat build/ldoc.log; exit 1; }
	@echo "API reference: docs/api/index.html; man page: build/man/calcinosis.1"

man: build/man/calcinosis.1

build/man/calcinosis.1: lua/calcinosis/cli.lua docs/calcinosis.1.in tools/gen-man.lua
	@mkdir -p build/man
	lua5.4 tools/gen-man.lua > $@.tmp && mv $@.tmp $@

demo:
	sh tools/deps.sh build
	$(MAKE) -s all
	@mkdir -p build
	./bin/calcinosis classify --summary --columns id,type,score,confidence,alternatives,alerts,problems \
	  -o build/demo-results.csv examples/cohort.csv || [ $$? -eq 1 ]
	@echo "(one row per patient: build/demo-results.csv)"
	./bin/calcinosis report --cohort examples/cohort.csv --format html -o build/demo-report.html || [ $$? -eq 1 ]
	@echo "(the cohort report, one HTML file: build/demo-report.html)"
	@echo
	./bin/calcinosis classify examples/patients/heel_stick_infant.json || [ $$? -eq 1 ]

check:
	sh spec/check.sh

# The README's report images: a patient report (chromium screenshot) and the
# cohort's subtype chart (the SVG itself), committed under examples/images.
images: all
	@mkdir -p build/images examples/images
	./bin/calcinosis report examples/lab-patient.json --format html -o build/images/patient.html
	chromium --headless --no-sandbox --disable-gpu --disable-background-networking --hide-scrollbars \
	  --window-size=1000,1300 --screenshot=examples/images/patient-report.png "file://$(CURDIR)/build/images/patient.html"
	./bin/calcinosis report --cohort examples/cohort.csv --format md -o build/images/cohort.md
	cp build/images/cohort-subtype-counts.svg examples/images/cohort-subtype-counts.svg
	cp build/images/cohort-dist-phosphate.svg examples/images/cohort-phosphate.svg

# Hardening checks, longer than make check (README, "Development").
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh spec/c/fuzz.sh

valgrind-suite: all
	sh spec/valgrind-suite.sh

static:
	sh tools/static-check.sh

check-all: check valgrind-suite static fuzz

clean:
	rm -rf build

.PHONY: all asan lua53 lua51 luajit hosts docs man demo check check-all fuzz valgrind-suite static images clean rock rock-install luarocks-config rock-tree FORCE
