#!/bin/sh
# make static (part of make check-all): cppcheck and clang-tidy on src/.
#   cppcheck: the warning, portability and performance checks (style is left
#     to the compilers' -Wall -Wextra -Wpedantic), C99, errors fail;
#     inline suppressions (// cppcheck-suppress) name why where used.
#   clang-tidy: the checks chosen in .clang-tidy (clang static analyzer,
#     bugprone, CERT C; each left-out check is named there with why), every
#     warning an error. The few false positives left are suppressed where
#     they are, each with its reason (NOLINTNEXTLINE(check), or
#     NOLINTBEGIN/NOLINTEND(checks) around the VM's two interpreters).
# Installs the analysers first (tools/deps.sh static). Prints one line per
# tool and exits 1 on any finding of either (2 when they are not installed
# and cannot be: not root).
set -u
cd "$(dirname "$0")/.." || exit 2
sh tools/deps.sh static || exit 2
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
if clang-tidy --quiet src/*.c -- -std=c99 -Isrc -I"$LUA_INC" >build/clang-tidy.log 2>&1; then
  echo "ok - clang-tidy clean on src/ (.clang-tidy)"
else
  echo "not ok - clang-tidy on src/: $(grep -cE 'warning:|error:' build/clang-tidy.log) findings (build/clang-tidy.log)"
  grep -E 'warning:|error:' build/clang-tidy.log | head -n 60 | sed 's/^/    /'
  status=1
fi
exit $status
