"""Issue 16, case 4: every rewrite the baseline offers, applied with -i to
code that the same single-entry plan already rewrote, is refused (exit 1, one
line naming the record, the files untouched) or leaves the code unchanged.

usage: reapply.py <crinn-opt> <baseline dir> <include dir> <work dir>
"""
import json
import os
import shutil
import subprocess
import sys

crinn_opt, baseline, include, work = sys.argv[1:5]
flags = ["--", "-std=c++17", "-I" + include]


def run(args, tree):
    sources = [os.path.join(tree, name) for name in ("hnsw.cpp", "crinn_index.cpp")]
    return subprocess.run([crinn_opt] + args + sources + flags, capture_output=True, text=True)


def snapshot(tree):
    return {name: open(os.path.join(tree, name)).read() for name in sorted(os.listdir(tree))}


listed = run(["--list-sites"], baseline)
assert listed.returncode == 0, listed.stderr
rewrites = {}
for site in json.loads(listed.stdout)["sites"]:
    for option in site["rewrites"]:
        rewrites.setdefault(option["rewrite"], site["id"])

failures = []
for rewrite, site in sorted(rewrites.items()):
    tree = os.path.join(work, rewrite)
    shutil.rmtree(tree, ignore_errors=True)
    shutil.copytree(baseline, tree)
    plan = os.path.join(work, rewrite + ".json")
    with open(plan, "w") as out:
        json.dump({"plan": [{"site": site, "rewrite": rewrite}]}, out)
    first = run(["--plan", plan, "-i"], tree)
    if first.returncode != 0:
        failures.append(f"{rewrite} at {site}: the first application failed: {first.stderr.strip()[-300:]}")
        continue
    before = snapshot(tree)
    second = run(["--plan", plan, "-i"], tree)
    after = snapshot(tree)
    # Refused where the record names the rewrite, or where the site it consumed is gone and a record says why.
    refused = second.returncode == 1 and ("records that this code is the output of " + rewrite in second.stderr or
                                          "records that crinn-opt rewrote this code already" in second.stderr)
    if after != before:
        failures.append(f"{rewrite} at {site}: applied twice (exit {second.returncode})")
    elif not refused and second.returncode != 0:
        failures.append(f"{rewrite} at {site}: neither refused nor a no-op: {second.stderr.strip()[-300:]}")
    else:
        print(f"{rewrite}: {'refused' if refused else 'no-op'}")

for failure in failures:
    print("FAIL:", failure)
print(f"{len(rewrites) - len(failures)} of {len(rewrites)} rewrites refused or a no-op on their own output")
sys.exit(1 if failures else 0)
