#!/usr/bin/env bash
# README's test command: set up, then build and run the whole suite twice,
# plain and under AddressSanitizer + UndefinedBehaviorSanitizer, and check
# formatting.  Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh build
scripts/setup.sh build-asan -DEMU_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
ln -sf build/compile_commands.json compile_commands.json

status=0
run_suite() {
    local dir=$1 label=$2
    echo "=== $label suite ==="
    # Full verbose output goes to a log; the terminal gets each program's
    # Criterion verdict and ctest's summary, or everything on failure.
    if ctest --test-dir "$dir" -V -j2 >"$dir/ctest.log" 2>&1; then
        grep -hE 'Synthesis:|Test +#' "$dir/ctest.log" | sed 's/^[0-9]*: //' || true
    else
        cat "$dir/ctest.log"
        status=1
    fi
    grep -hE 'tests passed|tests failed out of' "$dir/ctest.log" | sed "s/^/$label: /"
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite build plain
run_suite build-asan sanitizer

echo "=== clang-format ==="
files=$(git ls-files '*.c' '*.h')
if [ -n "$files" ] && ! clang-format --dry-run --Werror $files; then
    echo "clang-format: files above need formatting (run clang-format -i)"
    status=1
fi

# Totals over every Criterion program in both builds.
read -r passed failed < <(cat build/ctest.log build-asan/ctest.log |
    grep -hoE 'Passing: [0-9]+ \| Failing: [0-9]+ \| Crashing: [0-9]+' |
    awk '{p += $2; f += $5 + $8} END {print p + 0, f + 0}')
if [ $status != 0 ] && [ "$failed" = 0 ]; then
    failed=1 # a build, ctest or format failure without a Criterion verdict
fi
echo "tests: $passed passed, $failed failed"
exit $status
