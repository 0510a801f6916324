#!/usr/bin/env bash
# Set up, build and run the whole test suite (GoogleTest unit tests and the
# lit tests of the tools) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
ctest --test-dir build -j2 --output-on-failure
