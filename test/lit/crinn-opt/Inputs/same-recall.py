"""Fails unless index B's recall is within `tolerance` of index A's at every ef
both measured: same-recall.py <bench.json> <label A> <label B> <tolerance>."""
import json
import sys

path, a, b, tolerance = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
indexes = {index["label"]: index for index in json.load(open(path))["indexes"]}
recall_a = {p["ef"]: p["recall"] for p in indexes[a]["points"]}
recall_b = {p["ef"]: p["recall"] for p in indexes[b]["points"]}
common = sorted(set(recall_a) & set(recall_b))
if not common:
    sys.exit(f"{path}: {a} and {b} share no ef")
for ef in common:
    print(f"ef={ef}: {a} {recall_a[ef]:.4f}, {b} {recall_b[ef]:.4f}")
    if recall_b[ef] < recall_a[ef] - tolerance:
        sys.exit(f"{b} loses recall at ef={ef}")
