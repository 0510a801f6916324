#!/usr/bin/env bash
# Set up, build and run the whole test suite (GoogleTest unit tests and the
# lit tests of the tools) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
ctest --test-dir build -j2 --output-on-failure
# Site discovery per corpus program (issue 17), for the log; the lit test
# corpus/site-discovery.test holds it to its floor.
python3 test/corpus/score.py build/bin/crinn-opt include
