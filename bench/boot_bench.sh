#!/usr/bin/env bash
# Boot benchmark: wall time from start to the DHCP lease and to the shell
# prompt for the default VM (Debian's kernel + tulip.ko, Shared
# networking), with the guest instruction count and MIPS from -stats.
# The same run also measures the interpreter on cpu_bench, so a figure taken
# on a busy machine can be read as a ratio.
#   bench/boot_bench.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-3}
vm=$build/frontends/tulipvm
[ -x "$vm" ] || { echo "boot_bench: build first ($vm missing)" >&2; exit 1; }

now() { date +%s.%N; }

for i in $(seq "$runs"); do
    log=$(mktemp) err=$(mktemp)
    start=$(now)
    "$vm" -nographic -stats -serial stdio </dev/null >"$log" 2>"$err" &
    pid=$!
    lease="" shell=""
    while kill -0 $pid 2>/dev/null; do
        if [ -z "$lease" ] && grep -q "lease of" "$log"; then lease=$(now); fi
        if grep -q "tulipvm:/# " "$log"; then shell=$(now); break; fi
        sleep 0.05
    done
    pkill -TERM -f "^$vm -nographic -stats" || true
    wait $pid 2>/dev/null || true
    stats=$(grep -o '[0-9]* guest instructions in [0-9.]* s: [0-9.]* MIPS' "$err" || true)
    printf 'boot %d: lease %.2f s, shell %.2f s (%s)\n' "$i" \
        "$(echo "$lease - $start" | bc)" "$(echo "$shell - $start" | bc)" "$stats"
    rm -f "$log" "$err"
done
"$build/bench/cpu_bench" 200 | grep -E 'MIPS|baseline'
