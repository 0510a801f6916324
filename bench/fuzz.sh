#!/usr/bin/env bash
# Fuzzes every parser of untrusted input (the libFuzzer targets of test/fuzz/)
# for SECONDS each (default 60), one after another, under ASan and UBSan.
# Builds them in build-fuzz/ with clang-19 (cmake -DCRINN_FUZZ=ON), fuzzes a
# copy of each seed corpus (test/fuzz/ is never written) and prints one row
# per target: executions, executions per second and the result, with the
# input that failed. Exits 1 if any target found a crash, a leak, UB, a
# timeout or an out-of-memory. CMAKE_BUILD_PARALLEL_LEVEL limits the build's jobs.
# Usage: bench/fuzz.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/fuzz.sh [seconds], a whole number > 0" >&2; exit 2; }
for package in clang-19 libclang-rt-19-dev libomp-19-dev; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" ||
    { echo "bench/fuzz.sh needs $package: bash tools/setup.sh installs it" >&2; exit 1; }
done

mkdir -p build-fuzz
{ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRINN_FUZZ=ON \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 &&
  cmake --build build-fuzz --target fuzz-targets; } > build-fuzz/build.log 2>&1 ||
  { cat build-fuzz/build.log >&2; echo "bench/fuzz.sh: the fuzz build failed (build-fuzz/build.log)" >&2; exit 1; }

# Only the memory errors and leaks inside libhdf5 that the files explain. A
# malloc too big returns NULL, as it does outside ASan (libhdf5 then reports
# an error; operator new still aborts).
export ASAN_OPTIONS="suppressions=$PWD/test/fuzz/asan.supp:allocator_may_return_null=1"
export LSAN_OPTIONS="suppressions=$PWD/test/fuzz/lsan.supp"
runs=build-fuzz/fuzz-runs
rm -rf "$runs"
failed=0
printf '%-16s %8s %12s %10s  %s\n' target seconds executions exec/s result
for source in test/fuzz/*.cpp; do
  target=$(basename "$source" .cpp)
  work="$runs/$target"
  mkdir -p "$work/artifacts"
  cp -r "test/fuzz/corpus/$target" "$work/corpus"
  # -timeout: no input may take 10 s; -rss_limit_mb: nor 2 GB, whatever size it declares.
  status=0
  "build-fuzz/test/fuzz/fuzz_$target" "$work/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" > "$work/log" 2>&1 || status=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
  per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
  artifact=$(find "$work/artifacts" -type f | head -n 1)
  if [ "$status" -eq 0 ] && [ -z "$artifact" ]; then
    result=ok
  else
    result="FAILED (exit $status): ${artifact:-no input saved}, log $work/log"
    failed=1
  fi
  printf '%-16s %8s %12s %10s  %s\n' "$target" "$seconds" "${executions:-?}" "${per_second:-?}" "$result"
done
exit "$failed"
