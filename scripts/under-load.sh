#!/usr/bin/env bash
# Runs every workspace package's test suite RUNS times (default 5) beside BUSY busy loops (default
# 2, one per core here), to find waits that are too tight and orders that are assumed: a suite must
# pass on a machine that is doing something else. One line per package run in
# .reports/under-load/summary.txt, each run's full output beside it.
#   pnpm test:under-load            five runs beside two busy loops
#   RUNS=3 BUSY=4 pnpm test:under-load
#   PACKAGES="basics tcp-udp" pnpm test:under-load    only these packages (default: every one)
set -u
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
busy=${BUSY:-2}
only=${PACKAGES:-}
out=.reports/under-load
mkdir -p "$out"
: >"$out/summary.txt"
pids=()
for _ in $(seq 1 "$busy"); do
  node -e 'for (;;) {}' &
  pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
failed=0
for run in $(seq 1 "$runs"); do
  for dir in packages/*/; do
    name=$(basename "$dir")
    grep -q '"test":' "$dir/package.json" || continue
    if [ -n "$only" ] && [[ " $only " != *" $name "* ]]; then continue; fi
    started=$(date +%s)
    (cd "$dir" && timeout 1800 pnpm exec vitest run >"../../$out/run$run-$name.log" 2>&1)
    rc=$?
    ((rc == 0)) || failed=$((failed + 1))
    line="run $run $name exit=$rc $(($(date +%s) - started))s"
    echo "$line" | tee -a "$out/summary.txt"
  done
done
echo "$failed failing package runs" | tee -a "$out/summary.txt"
((failed == 0))
