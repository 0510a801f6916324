"""The rewrite engine's differential test: on every corpus program, every
single-rewrite plan that `crinn-opt --list-sites` offers (default parameters)
is applied, compiled and measured beside the original in one crinn-bench run.
A plan must compile and run; a result-preserving one must answer as the
original: the same recall@10 and the same distance evaluations per query at
every ef (what identical answers to identical queries give). Each failure
names the program, the site and the plan.

usage: differential.py <crinn-opt> <crinn-bench> <include dir> <work dir> [program dir ...]
"""
import json
import os
import shutil
import subprocess
import sys

crinn_opt, crinn_bench, include, work = sys.argv[1:5]
here = os.path.dirname(os.path.abspath(__file__))
programs = sys.argv[5:] or sorted(
    os.path.join(here, name) for name in os.listdir(here) if os.path.isfile(os.path.join(here, name, "expected-sites.json")))
DATASET = "synthetic:n=3000,queries=100,dim=24,clusters=10,seed=3"
COMPILE = ["c++", "-std=c++17", "-O2", "-march=native", "-shared", "-fPIC"]


def run(command, what):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{what}: {(done.stderr or done.stdout).strip()[-400:]}")
    return done.stdout


def tree_of(program, spec, dest):
    """The program's tree as crinn-opt sees it: the program dir, or a scratch
    tree of the library's own headers ("vendor")."""
    if not spec.get("vendor"):
        return program
    os.makedirs(dest, exist_ok=True)
    for name, origin in spec["vendor"]:
        if not os.path.exists(os.path.join(dest, name)):
            shutil.copytree(origin, os.path.join(dest, name))
    return dest


def compile_library(spec, program, tree, library):
    sources = []
    for source in spec["sources"]:
        path = os.path.normpath(os.path.join(program, source))
        inside = os.path.relpath(path, program)
        # A source inside the program dir is compiled from the (rewritten) tree.
        sources.append(path if inside.startswith("..") or spec.get("vendor") else os.path.join(tree, inside))
    run(COMPILE + ["-I" + tree, "-I" + include] + sources + ["-o", library], "compile")


def measure(original, variant):
    out = os.path.join(work, "bench.json")
    run([crinn_bench, "--dataset", DATASET, "--runs", "1", "--ef", "16,64", "--index", "original@" + original,
         "--index", "variant@" + variant, "--json", out], "crinn-bench")
    with open(out) as f:
        return json.load(f)["indexes"]


failures, checked = [], 0
for program in programs:
    name = os.path.basename(program.rstrip("/"))
    with open(os.path.join(program, "expected-sites.json")) as f:
        spec = json.load(f)
    base = os.path.join(work, name)
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    tree = tree_of(program, spec, os.path.join(base, "tree"))
    sources = [os.path.normpath(os.path.join(program, s)) for s in spec["sources"]]
    flags = ["--", "-std=c++17", "-I" + tree, "-I" + include]
    sites = json.loads(run([crinn_opt, "--root", tree, "--list-sites"] + sources + flags, f"{name}: --list-sites"))["sites"]
    original = os.path.join(base, "original.so")
    compile_library(spec, program, tree, original)
    for site in sites:
        # The harness compiles sources with its own command, not the tree's
        # build: compile-flags is tested in test/lit/rewrite/compile-flags.
        if site["kind"] == "build":
            continue
        for option in site["rewrites"]:
            label = f"{name}: {option['rewrite']} at {site['id']}"
            checked += 1
            plan = os.path.join(base, "plan.json")
            with open(plan, "w") as f:
                json.dump({"plan": [{"site": site["id"], "rewrite": option["rewrite"]}]}, f)
            out = os.path.join(base, "variant")
            shutil.rmtree(out, ignore_errors=True)
            try:
                run([crinn_opt, "--root", tree, "--plan", plan, "-o", out] + sources + flags, "crinn-opt")
                variant = os.path.join(base, "variant.so")
                compile_library(spec, program, out, variant)
                measured = measure(original, variant)
                if measured[1]["failure"]:
                    raise RuntimeError("the variant fails: " + measured[1]["failure"][:300])
                if option["preserves_results"]:
                    for a, b in zip(measured[0]["points"], measured[1]["points"]):
                        if (a["recall"], a["distances_per_query"]) != (b["recall"], b["distances_per_query"]):
                            raise RuntimeError(f"answers differ at ef {a['ef']}: recall {a['recall']:.4f} -> {b['recall']:.4f}, "
                                               f"distances per query {a['distances_per_query']} -> {b['distances_per_query']}")
                print(f"ok   {label}")
            except RuntimeError as error:
                failures.append(f"{label}: {error}")
                print(f"FAIL {label}: {error}")

print(f"{checked - len(failures)} of {checked} single-rewrite plans compile, run and (where they preserve results) answer as the original")
sys.exit(1 if failures else 0)
