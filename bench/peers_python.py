"""PyNNDescent (Debian's python3-pynndescent) on Fashion-MNIST, measured as
crinn-bench measures: one thread, one query at a time, recall@10 by the
ann-benchmarks definition (a hit is within the 10th true distance + 1e-3),
QPS best of N runs, after a warm-up that JIT-compiles the search. Then the
ratios of a CRINN variant's QPS at fixed recalls against every index of a
crinn-bench JSON from the same session and against PyNNDescent.

Usage: peers_python.py --crinn-json bench.json --variant best [--queries 1000] [--runs 3]
Run with /usr/bin/python3 (Debian's numpy and numba).
"""
import argparse
import gzip
import json
import os
import sys
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # one thread, as the other indexes

import numpy as np  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"
RECALLS = (0.95, 0.99, 0.999)


def read_idx_images(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        header = np.frombuffer(f.read(16), dtype=">u4")
        count, rows, cols = int(header[1]), int(header[2]), int(header[3])
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(count, rows * cols).astype(np.float32)


def true_kth_distances(train, queries, k):
    norms = (train * train).sum(axis=1)
    kth = np.empty(len(queries), dtype=np.float64)
    for start in range(0, len(queries), 100):
        block = queries[start:start + 100]
        squared = norms[None, :] - 2.0 * block @ train.T + (block * block).sum(axis=1)[:, None]
        kth[start:start + len(block)] = np.sqrt(np.maximum(np.partition(squared, k - 1, axis=1)[:, k - 1], 0.0))
    return kth


def recall_of(train, queries, ids, kth, k):
    hits = 0
    for q, row, limit in zip(queries, ids, kth):
        d = np.sqrt(((train[row[:k]] - q) ** 2).sum(axis=1))
        hits += int((d <= limit + 1e-3).sum())
    return hits / (k * len(queries))


def pareto(points):
    frontier = []
    for recall, qps in sorted(points, key=lambda p: (-p[0], -p[1])):
        if not frontier or qps > frontier[-1][1]:
            frontier.append((recall, qps))
    return frontier[::-1]


def qps_at(points, recall):
    """QPS at `recall`, interpolated on the Pareto frontier (crinn-bench's rule)."""
    frontier = pareto(points)
    if not frontier or recall > frontier[-1][0]:
        return None
    if recall <= frontier[0][0]:
        return frontier[0][1]
    for (r0, q0), (r1, q1) in zip(frontier, frontier[1:]):
        if recall <= r1:
            return q0 + (q1 - q0) * (recall - r0) / (r1 - r0)
    return frontier[-1][1]


def measure_pynndescent(train, queries, kth, runs, k=10):
    from pynndescent import NNDescent

    start = time.perf_counter()
    index = NNDescent(train, metric="euclidean", n_neighbors=40, diversify_prob=1.0,
                      pruning_degree_multiplier=1.5, random_state=42, n_jobs=1)
    index.prepare()
    build = time.perf_counter() - start
    for q in queries[:50]:  # JIT warm-up of the query path
        index.query(q[None, :], k=k, epsilon=0.1)
    points = []
    for epsilon in (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.16, 0.2, 0.24, 0.3, 0.36, 0.45, 0.6, 0.8, 1.0):
        best = 0.0
        ids = None
        for _ in range(runs):
            found = []
            start = time.perf_counter()
            for q in queries:
                found.append(index.query(q[None, :], k=k, epsilon=epsilon)[0][0])
            best = max(best, len(queries) / (time.perf_counter() - start))
            ids = found
        recall = recall_of(train, queries, ids, kth, k)
        points.append((recall, best))
        print(f"pynndescent  epsilon {epsilon:5.2f}  recall {recall:.4f}  QPS {best:8.0f}", flush=True)
    return build, points


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--crinn-json", required=True, help="crinn-bench --json output of the same session")
    parser.add_argument("--variant", required=True, help="the label of the CRINN variant in that JSON")
    parser.add_argument("--original", default="original", help="the label of the source it was tuned from")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    try:
        with open(args.crinn_json) as f:
            crinn = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"{args.crinn_json}: {e}")
    curves = {i["label"]: [(p["recall"], p["qps_best"]) for p in i["points"]] for i in crinn["indexes"]}
    if args.variant not in curves:
        sys.exit(f"{args.crinn_json}: no index labelled '{args.variant}'")

    train = read_idx_images("train-images-idx3-ubyte.gz")
    queries = read_idx_images("t10k-images-idx3-ubyte.gz")[: args.queries]
    kth = true_kth_distances(train, queries, 10)
    build, points = measure_pynndescent(train, queries, kth, args.runs)
    curves["pynndescent"] = points
    print(f"\npynndescent build (one thread, n_neighbors=40): {build:.1f} s\n")

    print(f"{'index':<14}" + "".join(f"{'QPS@' + str(r):>12}" for r in RECALLS) +
          "".join(f"{args.variant + '/it@' + str(r):>18}" for r in RECALLS[1:]))
    mine = {r: qps_at(curves[args.variant], r) for r in RECALLS}
    for label, curve in curves.items():
        row = {r: qps_at(curve, r) for r in RECALLS}
        cells = "".join(f"{row[r]:>12.0f}" if row[r] else f"{'-':>12}" for r in RECALLS)
        ratios = "".join(f"{mine[r] / row[r]:>17.2f}x" if mine[r] and row[r] else f"{'-':>18}" for r in RECALLS[1:])
        print(f"{label:<14}{cells}{ratios}")

    # What the speed costs: the variant's build time and the memory its index
    # holds after the queries (codes made at the first query included),
    # against the source it was tuned from.
    indexes = {i["label"]: i for i in crinn["indexes"]}
    if args.original in indexes:
        mine, theirs = indexes[args.variant], indexes[args.original]
        print()
        for key, what, unit, limit in (("build_seconds", "build", "s", 2.0), ("index_memory_mb", "index memory", "MiB", 1.5)):
            if mine.get(key) and theirs.get(key):
                ratio = mine[key] / theirs[key]
                verdict = "within" if ratio <= limit else "OVER"
                print(f"{what:<13} {args.variant} {mine[key]:8.1f} {unit}  {args.original} {theirs[key]:8.1f} {unit}"
                      f"  {ratio:5.2f}x ({verdict} {limit}x)")


if __name__ == "__main__":
    main()
