# calcinosis - build and test.
#   make            build the C module for Lua 5.4 into build/5.4/
#   make demo       install missing packages, build, run the main job on bundled data
#   make check      install missing packages, run the whole test suite
LUA_VERSION ?= 5.4
LUA_INC     ?= /usr/include/lua$(LUA_VERSION)
BUILD       ?= build/$(LUA_VERSION)
CC          ?= cc
CFLAGS      ?= -O2 -g
WARN        := -std=c99 -Wall -Wextra -Wpedantic -Werror
SRC         := $(sort $(wildcard src/*.c))
HDR         := $(sort $(wildcard src/*.h))
SO          := $(BUILD)/calcinosis/core.so

all: $(SO)

$(SO): $(SRC) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -fPIC -shared -I$(LUA_INC) -o $@ $(SRC) -lm

asan:
	$(MAKE) BUILD=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

lua53:
	$(MAKE) LUA_VERSION=5.3

demo:
	sh tools/deps.sh build
	$(MAKE) -s all
	@mkdir -p build
	./bin/calcinosis classify --summary --columns id,type,score,confidence,alternatives,alerts,problems \
	  -o build/demo-results.csv examples/cohort.csv || [ $$? -eq 1 ]
	@echo "(one row per patient: build/demo-results.csv)"
	@echo
	./bin/calcinosis classify examples/patients/heel_stick_infant.json || [ $$? -eq 1 ]

check:
	sh spec/check.sh

clean:
	rm -rf build

.PHONY: all asan lua53 demo check clean
