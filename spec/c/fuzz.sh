#!/bin/sh
# make fuzz: builds every libFuzzer target spec/c/fuzz_*.c with clang
# (-fsanitize=fuzzer,address,undefined) and runs each for FUZZ_SECONDS
# (default 60) on its seed corpus spec/c/corpus/<name>/ (new inputs go to
# build/fuzz/corpus/<name>/, never into the repository). A target names the
# C files it needs in a "TEST-SOURCES:" line; without one it is linked with
# every pure C file of src/ (not the Lua binding src/lcal*.c), so targets
# added later are picked up as they are. Prints executions and findings per
# target; a finding (crash, sanitizer report, failed check, timeout, leak)
# leaves its input in build/fuzz/<name>-crash-* and makes the exit status 1.
set -u
cd "$(dirname "$0")/../.." || exit 2
sh tools/deps.sh test || exit 2 # clang
SECONDS_EACH=${FUZZ_SECONDS:-60}
CC_FUZZ=${FUZZ_CC:-clang}
OUT=build/fuzz
mkdir -p "$OUT"
PURE=$(ls src/*.c | grep -v '^src/lcal')
total_fail=0
summary=""
for t in spec/c/fuzz_*.c; do
  [ -f "$t" ] || continue
  name=$(basename "$t" .c)
  deps=$(sed -n 's/^.*TEST-SOURCES:\(.*\)$/\1/p' "$t" | head -n 1)
  [ -n "$deps" ] || deps=$PURE
  # shellcheck disable=SC2086
  if ! $CC_FUZZ -std=c99 -g -O1 -Wall -Wextra -Wpedantic -Werror -fsanitize=fuzzer,address,undefined \
      -fno-sanitize-recover=all -Isrc -o "$OUT/$name" "$t" $deps -lm >"$OUT/$name.build.log" 2>&1; then
    echo "$name: does not build"; sed 's/^/    /' "$OUT/$name.build.log" | tail -n 20
    total_fail=$((total_fail + 1)); summary="$summary
$name: does not build"
    continue
  fi
  seeds=spec/c/corpus/$name
  work=$OUT/corpus/$name
  mkdir -p "$work"
  [ -d "$seeds" ] || seeds=""
  # the longest seed sets the longest input (at least 4096 bytes)
  maxlen=4096
  if [ -n "$seeds" ]; then
    for f in "$seeds"/*; do
      [ -f "$f" ] || continue
      sz=$(wc -c <"$f")
      [ "$sz" -gt "$maxlen" ] && maxlen=$sz
    done
  fi
  rm -f "$OUT/$name"-crash-* "$OUT/$name"-timeout-* "$OUT/$name"-leak-* "$OUT/$name"-oom-*
  # shellcheck disable=SC2086
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
    "$OUT/$name" -max_total_time="$SECONDS_EACH" -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$OUT/$name-" "$work" $seeds >"$OUT/$name.log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$name.log" | tail -n 1)
  found=$(ls "$OUT/$name"-crash-* "$OUT/$name"-timeout-* "$OUT/$name"-leak-* "$OUT/$name"-oom-* 2>/dev/null | wc -l)
  units=$(ls "$work" | wc -l)
  if [ "$rc" -ne 0 ] && [ "$found" -eq 0 ]; then found=1; fi
  line="$name: ${execs:-?} executions in ${SECONDS_EACH} s, $found findings (corpus: $( [ -n "$seeds" ] && ls "$seeds" | wc -l || echo 0) seeds, $units new inputs)"
  echo "$line"
  summary="$summary
$line"
  if [ "$found" -gt 0 ]; then
    total_fail=$((total_fail + 1))
    grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==|^row |deadly signal' "$OUT/$name.log" | head -n 15 | sed 's/^/    /'
    ls "$OUT/$name"-crash-* "$OUT/$name"-timeout-* "$OUT/$name"-leak-* "$OUT/$name"-oom-* 2>/dev/null | sed 's/^/    input: /'
  fi
done
echo "# fuzz summary$summary"
[ "$total_fail" -eq 0 ]
