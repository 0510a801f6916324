#!/usr/bin/env bash
# Installs the Debian packages CRINN needs (only those missing, so running it
# again is cheap) and builds everything into build/, or with --sanitize into
# build-sanitize/ with AddressSanitizer and UndefinedBehaviorSanitizer
# (-DCRINN_SANITIZE=ON). Called by the README's commands; a fresh Debian 12
# machine needs nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  "") build_dir=build sanitize=OFF ;;
  --sanitize) build_dir=build-sanitize sanitize=ON ;;
  *)
    echo "usage: tools/setup.sh [--sanitize]" >&2
    exit 2
    ;;
esac

packages=(
  build-essential cmake ninja-build python3
  llvm-19-dev libclang-19-dev clang-19 llvm-19-tools   # Clang tooling, lit, FileCheck
  clang-tools-19 patch                                 # clang-apply-replacements, patch: checks of crinn-opt output
  libomp-19-dev                                        # OpenMP for clang-19: the fuzz build (bench/fuzz.sh)
  libhdf5-dev zlib1g-dev libopenblas-dev               # datasets, ground truth
  nlohmann-json3-dev libcurl4-openssl-dev libgtest-dev
  libhnswlib-dev libfaiss-dev                          # peers
  dataset-fashion-mnist                                # real data
  chromium                                             # renders report.html in the tests
  slurm-wlm munge                                      # crinn-tune --executor slurm: its test starts a one-node cluster
)
# Bench scripts add what only they need (bench/peers-python.sh: python3-pynndescent).
read -r -a extra <<< "${CRINN_EXTRA_PACKAGES:-}"
packages+=("${extra[@]}")

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRINN_SANITIZE=$sanitize
cmake --build "$build_dir"
