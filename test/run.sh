#!/usr/bin/env bash
# Set up, build and run the whole test suite (GoogleTest unit tests and the
# lit tests of the tools) through ctest. With --sanitize the same suite runs in
# build-sanitize/, everything the project compiles built with AddressSanitizer
# and UndefinedBehaviorSanitizer (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  "") build_dir=build ;;
  --sanitize)
    build_dir=build-sanitize
    # abort_on_error: a report ends the process with SIGABRT, which no test
    # takes for the failure it expects of a bad input (`not`, exit status 1 or 2).
    # handle_segv, handle_sigbus, handle_sigfpe off: the fixtures crash on
    # purpose and the harness reports the signal that ended the index's
    # process; ASan's handler would replace it with a report and exit status 1.
    # allocator_may_return_null: a malloc too big fails as it does without
    # ASan (libhdf5 asks for 36 GB on a corrupt file and reports the failure).
    export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:allocator_may_return_null=1
    export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
    ;;
  *)
    echo "usage: test/run.sh [--sanitize]" >&2
    exit 2
    ;;
esac
bash tools/setup.sh "$@"
ctest --test-dir "$build_dir" -j2 --output-on-failure
# Site discovery per corpus program (issue 17), for the log; the lit test
# corpus/site-discovery.test holds it to its floor.
python3 test/corpus/score.py "$build_dir/bin/crinn-opt" include
