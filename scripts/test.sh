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
    if ! ctest --test-dir "$dir" --output-on-failure -j2 \
            --output-log "$dir/ctest.log"; then
        status=1
    fi
    # Criterion's own verdict for each test program.
    grep -h 'Synthesis:' "$dir/ctest.log" | sed "s/^/$label: /" || true
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

if [ $status = 0 ]; then
    echo "tulipvm: all suites passed"
else
    echo "tulipvm: FAILURES (see above)"
fi
exit $status
