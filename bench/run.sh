#!/bin/sh
# Benchmarks, side by side in one run (bench/README.md says what each measures):
#
# 1. bench-v1 (../shared/bench/README.md): generates cohorts with
#    ../shared/bench/gen_cohort.lua, runs `bench/bench-v1` (calcinosis classify
#    with bench/bench-v1.lua) and the plain-Lua implementation bench/plain-v1.lua
#    on each, checks that the outputs agree row by row with agree.lua, and
#    prints wall time, rows per second and peak memory of both, one core each.
# 2. DuckDB on the same bench-v1 input (../shared/bench/duckdb/run.mjs, one
#    thread, one core): time, ratio to calcinosis (target: calcinosis >= 10x
#    faster) and a byte comparison (cmp) with calcinosis' output. Needs npm and
#    node; installs @duckdb/node-api into a temporary folder.
# 3. Full result: the default ruleset on bench/gen-default.lua cohorts, the
#    minimal columns (id,type,score) and the full ones (fired, confidence,
#    alternatives, alerts, missing, problems) one after the other on one core:
#    records/s (target >= 500,000) and the ratio full/minimal (target <= 3);
#    then the full run with --jobs 2 (both cores) and cmp with the one-job output.
#
# Usage: sh bench/run.sh [N ...]              bench-v1 and DuckDB sizes (default: 100000 1000000 10000000)
#        SEEDS="1 2" sh bench/run.sh 1000000  several seeds (bench-v1)
#        PLAIN=0 sh bench/run.sh 10000000     skip the plain-Lua run
#        JOBS=0                               skip bench-v1 with --jobs 2 (both cores, to a file; cmp
#                                             with the one-job output, ratio to it, the load average)
#        DUCKDB=0 | DUCKDB=1                  skip DuckDB | require it (default: run it when npm and
#                                             node are there and the npm install works, else say why not)
#        FULL=0                               skip the full-result case
#        FULL_SIZES="20000 100000"            its sizes (default: 1000000); FULL_SEED (default 20261201)
#        FULL_COLUMNS=LIST                    its full column list
#        V1=0                                 skip bench-v1 and DuckDB (only the full-result case)
#        REPEAT=3                             runs of each timed command but plain Lua (default 3); the figures are the
#                                             fastest run of each (wall time; peak memory: the largest), as
#                                             other load and a cold cache only ever make a run slower;
#                                             bench-v1's calcinosis, --jobs 2 and DuckDB runs take turns
#                                             (REPEAT rounds of the three), so that drift falls on all alike
#        BENCH_DIR=DIR                        keep inputs, outputs and the npm install there (reused)
#        SHARED=DIR                           where the shared bench folder is (default: ../shared/bench)
# shellcheck disable=SC2046  # set -- $(...) splits "seconds kb" on purpose
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED:-"$here/../../shared/bench"}
[ -d "$shared" ] || shared="$here/../shared/bench"
if [ -n "${BENCH_DIR:-}" ]; then mkdir -p "$BENCH_DIR"; work=$(cd "$BENCH_DIR" && pwd)
else work=$(mktemp -d "${TMPDIR:-/tmp}/calcinosis-bench.XXXXXX"); fi
sizes=${*:-"100000 1000000 10000000"}
seeds=${SEEDS:-20261121}
plain=${PLAIN:-1}
jobs=${JOBS:-1}
v1_cols='id,type,score,fired,ca_corr:%.2f,ca_x_p:%.1f,egfr:%.0f' # as bench/bench-v1 writes them
v1=${V1:-1}
duckdb=${DUCKDB:-auto}
full=${FULL:-1}
full_sizes=${FULL_SIZES:-1000000}
full_seed=${FULL_SEED:-20261201}
repeat=${REPEAT:-3}
min_cols=id,type,score
full_cols=${FULL_COLUMNS:-id,type,score,fired,confidence,alternatives,alerts,missing,problems}
if command -v calcinosis >/dev/null 2>&1; then
  calc=$(command -v calcinosis)
  echo "# calcinosis: $calc"
else
  (cd "$here/.." && make -s)
  calc="$here/../bin/calcinosis"
  echo "# calcinosis: $calc (not installed; the checkout's build)"
fi
# The file a timed run writes is removed before each run: on ext4, closing a
# file that was truncated to zero starts the writeback of all of it in the
# writer's process (the replace-by-truncate heuristic, auto_da_alloc), which
# cost bench-v1 30 to 40 ms at 1,000,000 rows (0.42 s against 0.45 s, five
# pairs alternately) whenever a run wrote over its previous output.
best() { # best OUT FILE CMD...: runs CMD $repeat times, its stdout to OUT each time (- : as given to best),
  : > "$work/times"  # FILE (what the run writes) removed before each; "seconds maxrss_kb" into $work/time:
  out=$1; file=$2; shift 2 # the fastest run and the largest peak memory; returns the status of the last run
  i=0; st=0
  while [ "$i" -lt "$repeat" ]; do
    st=0
    rm -f "$file"
    if [ "$out" = - ]; then /usr/bin/time -f "%e %M" -o "$work/time" "$@" || st=$?
    else /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$out" || st=$?; fi
    tail -n 1 "$work/time" >> "$work/times"
    i=$((i + 1))
  done
  fastest "$work/times" > "$work/time"
  return "$st"
}
fastest() { # fastest FILE -> "seconds maxrss_kb": the fastest of the "seconds kb" lines, the largest peak
  awk 'NR == 1 || $1 < s { s = $1 } $2 > kb { kb = $2 } END { print s, kb }' "$1"
}
measure() { # measure OUT CMD... -> "seconds maxrss_kb" (the best of $repeat runs on core 0)
  out=$1; shift
  best "$out" "$out" taskset -c 0 "$@"
  cat "$work/time"
}
row() { # N seed impl seconds kb note
  awk -v n="$1" -v seed="$2" -v impl="$3" -v s="$4" -v kb="$5" -v note="$6" \
    'BEGIN { printf "%-10s %-10s %-12s %10.2f %12.0f %10.1f   %s\n", n, seed, impl, s, n / (s > 0 ? s : 0.001), kb / 1024, note }'
}
mark() { # mark VALUE OP LIMIT -> PASS or MISS (OP: ge or le)
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { ok = (op == "ge") ? (v >= l) : (v <= l); print ok ? "PASS" : "MISS" }'
}

# --- DuckDB: install @duckdb/node-api once (kept in BENCH_DIR when given)
duck_dir="$work/duckdb-npm"
duck_ok=0
if [ "$v1" = 1 ] && [ "$duckdb" != 0 ]; then
  why=""
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then why="node or npm not found"
  elif [ ! -f "$shared/duckdb/run.mjs" ]; then why="$shared/duckdb/run.mjs not found"
  elif [ -d "$duck_dir/node_modules/@duckdb/node-api" ]; then duck_ok=1
  elif npm install --prefix "$duck_dir" --no-audit --no-fund --loglevel=error @duckdb/node-api \
         > "$work/npm.log" 2>&1; then duck_ok=1
  else why="npm install @duckdb/node-api failed: $(tail -n 3 "$work/npm.log" | tr '\n' ' ')"; fi
  if [ "$duck_ok" = 1 ]; then
    echo "# duckdb: @duckdb/node-api $(node -p "require('$duck_dir/node_modules/@duckdb/node-api/package.json').version" 2>/dev/null || echo '?') in $duck_dir, node $(node --version), 1 thread"
  else
    echo "# duckdb: skipped ($why)"
    [ "$duckdb" = 1 ] && { echo "DUCKDB=1 but DuckDB cannot run" >&2; exit 1; }
  fi
fi

# --- bench-v1: calcinosis, plain Lua, DuckDB
if [ "$v1" = 1 ]; then
  echo "# bench-v1 (${shared}/README.md), one core each (taskset -c 0)"
  printf '%-10s %-10s %-12s %10s %12s %10s   %s\n' N seed impl seconds rows/s peak_MiB check
  for n in $sizes; do
    for seed in $seeds; do
      in="$work/cohort-$n-$seed.csv"
      [ -s "$in" ] || lua5.4 "$shared/gen_cohort.lua" "$n" "$seed" > "$in"
      # REPEAT rounds, each running calcinosis (one job), calcinosis --jobs 2
      # and DuckDB one after the other, so that the machine's drift (its speed
      # was seen to change by half within minutes) falls on all of them alike;
      # each figure is the fastest of its rounds (peak memory: the largest)
      : > "$work/t-c"; : > "$work/t-j2"; : > "$work/t-duck"
      rounds=$repeat; repeat=1; round=0; j2_st=0; duck_failed=0
      while [ "$round" -lt "$rounds" ]; do
        best "$work/out-c.csv" "$work/out-c.csv" taskset -c 0 "$here/bench-v1" "$in" || :
        cat "$work/time" >> "$work/t-c"
        if [ "$jobs" = 1 ] && [ "$j2_st" -le 1 ]; then # --jobs 2 (both cores, no taskset), into a file
          best - "$work/out-c-j2.csv" "$calc" classify --quiet --rules "$here/bench-v1.lua" \
            --columns "$v1_cols" --jobs 2 -o "$work/out-c-j2.csv" "$in" 2> "$work/err" || j2_st=$?
          cat "$work/time" >> "$work/t-j2"
        fi
        if [ "$duck_ok" = 1 ] && [ "$duck_failed" = 0 ]; then
          if (cd "$duck_dir" && best - "$work/out-duck.csv" taskset -c 0 node "$shared/duckdb/run.mjs" "$in" "$work/out-duck.csv" 1) \
                2> "$work/duck.err"; then cat "$work/time" >> "$work/t-duck"; else duck_failed=1; fi
        fi
        round=$((round + 1))
      done
      repeat=$rounds
      set -- $(fastest "$work/t-c")
      c_s=$1; c_kb=$2
      if [ "$plain" = 1 ]; then
        r=$repeat; repeat=1 # (slow: once)
        set -- $(measure "$work/out-lua.csv" lua5.4 "$here/plain-v1.lua" "$in")
        repeat=$r
        l_s=$1; l_kb=$2
        check=$(lua5.4 "$shared/agree.lua" "$work/out-lua.csv" "$work/out-c.csv" | tail -n 1)
        row "$n" "$seed" calcinosis "$c_s" "$c_kb" "$check"
        row "$n" "$seed" plain-lua "$l_s" "$l_kb" "$(awk -v a="$l_s" -v b="$c_s" 'BEGIN { printf "speedup %.1fx", a / b }')"
      else
        row "$n" "$seed" calcinosis "$c_s" "$c_kb" "(plain-Lua skipped)"
      fi
      if [ "$jobs" = 1 ]; then
        if [ "$j2_st" -le 1 ]; then
          set -- $(fastest "$work/t-j2")
          if cmp -s "$work/out-c-j2.csv" "$work/out-c.csv"; then same="same bytes"; else same="DIFFERENT"; fi
          ratio=$(awk -v a="$c_s" -v b="$1" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 0.001) }')
          row "$n" "$seed" calc-jobs2 "$1" "$2" \
            "cmp with one job: $same; ${ratio}x one job (target >= 1.7: $(mark "$ratio" ge 1.7); load $(cut -d' ' -f1 /proc/loadavg))"
        else
          echo "$n $seed calc-jobs2: exit $j2_st: $(head -n 3 "$work/err" | tr '\n' ' ')"
        fi
      fi
      if [ "$duck_ok" = 1 ]; then
        if [ "$duck_failed" = 0 ]; then
          set -- $(fastest "$work/t-duck")
          d_s=$1; d_kb=$2
          if cmp -s "$work/out-duck.csv" "$work/out-c.csv"; then same="same bytes"; else same="DIFFERENT"; fi
          ratio=$(awk -v a="$d_s" -v b="$c_s" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 0.001) }')
          row "$n" "$seed" duckdb-1t "$d_s" "$d_kb" \
            "cmp: $same; calcinosis ${ratio}x faster (target >= 10x: $(mark "$ratio" ge 10))"
        else
          echo "$n $seed duckdb-1t: failed: $(tail -n 3 "$work/duck.err" | tr '\n' ' ')"
        fi
      fi
    done
  done
fi

# --- full result: default ruleset, minimal and full columns
classify_timed() { # classify_timed OUT COLUMNS IN [OPTION...]; $pin: "taskset -c 0" or empty
  o=$1; c=$2; i=$3; shift 3           # sets t_s t_kb, and t_err (empty when all went well)
  t_err=""; st=0
  # shellcheck disable=SC2086
  best - "$o" $pin "$calc" classify --quiet "$@" --columns "$c" -o "$o" "$i" 2> "$work/err" || st=$?
  # 0: all records read cleanly; 1: some records had problems (in the problems column): both fine
  if [ "$st" -le 1 ]; then
    set -- $(tail -n 1 "$work/time"); t_s=$1; t_kb=$2
  else
    t_err="exit $st: $(grep -v '^Command exited' "$work/err" | head -n 3 | tr '\n' ' ')"
  fi
}
frow() { # N run seconds kb note
  awk -v n="$1" -v r="$2" -v s="$3" -v kb="$4" -v note="$5" \
    'BEGIN { printf "%-10s %-32s %10.2f %12.0f %10.1f   %s\n", n, r, s, n / (s > 0 ? s : 0.001), kb / 1024, note }'
}
if [ "$full" = 1 ]; then
  echo "# full result: default ruleset, bench/gen-default.lua cohorts (seed $full_seed); one core (taskset -c 0) unless --jobs 2"
  echo "#   minimal: --columns $min_cols"
  echo "#   full:    --columns $full_cols"
  printf '%-10s %-32s %10s %12s %10s   %s\n' N run seconds records/s peak_MiB check
  for n in $full_sizes; do
    in="$work/default-$n-$full_seed.csv"
    [ -s "$in" ] || lua5.4 "$here/gen-default.lua" "$n" "$full_seed" > "$in"
    pin="taskset -c 0"
    classify_timed "$work/out-min.csv" "$min_cols" "$in"
    if [ -n "$t_err" ]; then echo "$n minimal: error ($t_err)"; m_s=""
    else
      m_s=$t_s
      frow "$n" minimal "$t_s" "$t_kb" "target >= 500000 records/s: $(mark "$(awk -v n="$n" -v s="$t_s" 'BEGIN { print n / (s > 0 ? s : 0.001) }')" ge 500000)"
    fi
    # the full run; a column the command does not know (yet) is reported, dropped, and the run repeated
    cols=$full_cols; label=full; dropped=""
    while :; do
      classify_timed "$work/out-full.csv" "$cols" "$in"
      [ -n "$t_err" ] || break
      echo "$n $label: error ($t_err)"
      bad=$(sed -n "s/.*unknown column '\([^']*\)'.*/\1/p" "$work/err" | head -n 1)
      case ",$cols," in *",$bad,"*) ;; *) bad="" ;; esac
      [ -n "$bad" ] || break
      cols=$(echo ",$cols," | sed "s/,$bad,/,/; s/^,//; s/,\$//")
      dropped="$dropped $bad"; label="full (without$dropped)"
      echo "#   repeating without '$bad': --columns $cols"
    done
    if [ -z "$t_err" ]; then
      f_s=$t_s
      rps=$(awk -v n="$n" -v s="$t_s" 'BEGIN { print n / (s > 0 ? s : 0.001) }')
      note="target >= 500000 records/s: $(mark "$rps" ge 500000)"
      if [ -n "$m_s" ]; then
        ratio=$(awk -v a="$t_s" -v b="$m_s" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 0.001) }')
        note="$note; full/minimal ${ratio}x (target <= 3: $(mark "$ratio" le 3))"
      fi
      frow "$n" "$label" "$t_s" "$t_kb" "$note"
      pin=""
      classify_timed "$work/out-full-j2.csv" "$cols" "$in" --jobs 2
      if [ -n "$t_err" ]; then echo "$n $label --jobs 2: error ($t_err)"
      else
        if cmp -s "$work/out-full.csv" "$work/out-full-j2.csv"; then same="same bytes"; else same="DIFFERENT"; fi
        frow "$n" "$label --jobs 2" "$t_s" "$t_kb" \
          "cmp with one job: $same; $(awk -v a="$f_s" -v b="$t_s" 'BEGIN { printf "%.2fx the one-job speed", a / (b > 0 ? b : 0.001) }')"
      fi
    fi
  done
fi
[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
