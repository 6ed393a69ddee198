#!/bin/sh
# make valgrind-suite (part of make check-all): the busted suite under
# valgrind, one spec file at a time (so that a report names its file), with
# --leak-check=full and --error-exitcode: any invalid read or write, use of
# an uninitialised value or definite leak fails the file. Commands the specs
# run as processes (bin/calcinosis) are traced too (--trace-children), so
# the C core is checked through every entry point. System tools the specs
# call are not traced (tr, sort, grep and the like: tr leaks at exit): script(1) (gives one command a terminal in
# cohort_spec and report_cli_spec: it leaks a strdup of its own and valgrind
# warns of its ioctls; that command runs traced just before without the
# terminal), cp (fhir_spec copies shared files: it leaks at exit), and
# mktemp, git, tar and make (result_identity_spec builds the
# reference commit; they leak at exit). Suppressions
# (spec/valgrind.supp) cover Lua and libc internals only, each with why.
# VALGRIND_SPECS="spec/a_spec.lua spec/b_spec.lua" runs only those files.
# CALCINOSIS_SLOW=20 tells specs with time bounds that valgrind runs slower.
# Prints one line per file and "N passed, N failed" last.
set -u
cd "$(dirname "$0")/.." || exit 2
# the test packages (busted, valgrind, ...), as make check installs them
sh tools/deps.sh test || exit 2
make -s all || exit 2
OUT=build/valgrind
mkdir -p "$OUT"
SPECS=${VALGRIND_SPECS:-$(ls spec/*_spec.lua)}
pass=0
fail=0
for s in $SPECS; do
  name=$(basename "$s" .lua)
  log=$OUT/$name.log
  start=$(date +%s)
  CALCINOSIS_SLOW=20 valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite --trace-children=yes --trace-children-skip='*/cat,*/cp,*/mkfifo,*/rm,*/mkdir,*/ls,*/sleep,*/sort,*/tr,*/grep,*/sed,*/script,*/mktemp,*/git,*/tar,*/make' \
    --suppressions=spec/valgrind.supp --log-file="$log.%p" \
    lua5.4 /usr/bin/busted -o TAP "$s" >"$log.out" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  # reports of every process (the busted run and the commands it started)
  cat "$log".[0-9]* >"$log" 2>/dev/null
  rm -f "$log".[0-9]*
  if [ "$rc" -eq 0 ] && [ ! -s "$log" ]; then
    pass=$((pass + 1)); echo "ok - $name under valgrind (${took} s)"
  else
    fail=$((fail + 1)); echo "not ok - $name under valgrind (exit $rc, ${took} s; $log)"
    head -n 30 "$log" | sed 's/^/    /'
    grep '^not ok' "$log.out" | head -n 5 | sed 's/^/    /'
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
