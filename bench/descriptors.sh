#!/usr/bin/env bash
# A second real dataset: SIFT descriptors (128-d) of the photographs in
# Debian's wallpaper packages, with exact ground truth, as an ann-benchmarks
# HDF5 file that crinn-bench and crinn-tune read with --dataset. Options go to
# bench/descriptors.py (--help); the default output is
# build/datasets/debian-sift-128-euclidean.hdf5.
#
#   bash bench/descriptors.sh [--max-train N] [--queries N] [--max-side PX] [--force] ...
set -euo pipefail
cd "$(dirname "$0")/.."
# The wallpaper packages are those of PHOTOGRAPHS in bench/descriptors.py.
CRINN_EXTRA_PACKAGES="python3-opencv python3-h5py python3-numpy plasma-workspace-wallpapers \
lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 mate-backgrounds" bash tools/setup.sh > /dev/null
# One thread, like every measurement here: the ground truth is BLAS-heavy.
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OPENCV_FOR_THREADS_NUM=1 exec /usr/bin/python3 bench/descriptors.py "$@"
