"""Site discovery on the corpus: for each program with an expected-sites.json,
runs `crinn-opt --list-sites` on its sources and prints recall and precision
of the found site ids against the expected ones, per program and in total.

usage: score.py <crinn-opt> <include dir> [--min-recall R] [--min-precision P] [program dir ...]

With no program dirs, every dir beside this script that holds an
expected-sites.json. Ids are compared without their `#n` suffix, counting
repeats. Exits 1 when the total falls below --min-recall or --min-precision
(both 0 by default), so CI fails on a regression of the finder.
"""
import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

parser = argparse.ArgumentParser()
parser.add_argument("crinn_opt")
parser.add_argument("include")
parser.add_argument("programs", nargs="*")
parser.add_argument("--min-recall", type=float, default=0.0)
parser.add_argument("--min-precision", type=float, default=0.0)
parser.add_argument("--verbose", action="store_true", help="list each missed and extra site")
args = parser.parse_args()

here = os.path.dirname(os.path.abspath(__file__))
programs = args.programs or sorted(
    os.path.join(here, name) for name in os.listdir(here) if os.path.isfile(os.path.join(here, name, "expected-sites.json")))


def base_id(site_id):
    return re.sub(r"#\d+$", "", site_id)


def found_sites(program, spec):
    """The ids crinn-opt lists; a program with "vendor" ([dir, from] pairs: a
    library's own headers) is parsed with those copied into a scratch tree,
    which is its root, as crinn-tune does with crinn-vendor.txt."""
    sources = [os.path.normpath(os.path.join(program, source)) for source in spec["sources"]]
    with tempfile.TemporaryDirectory() as scratch:
        root, includes = program, ["-I" + args.include]
        if spec.get("vendor"):
            root = scratch
            for name, origin in spec["vendor"]:
                shutil.copytree(origin, os.path.join(scratch, name))
            includes.insert(0, "-I" + scratch)
        command = [args.crinn_opt, "--root", root, "--list-sites"] + sources + ["--", "-std=c++17"] + includes
        listed = subprocess.run(command, capture_output=True, text=True)
    if listed.returncode != 0:
        sys.exit(f"{program}: crinn-opt --list-sites failed: {listed.stderr.strip()[-500:]}")
    return [site["id"] for site in json.loads(listed.stdout)["sites"]]


total_expected = total_found = total_matched = 0
print(f"{'program':<14} {'expected':>8} {'found':>6} {'matched':>7} {'recall':>7} {'precision':>9}")
for program in programs:
    with open(os.path.join(program, "expected-sites.json")) as f:
        spec = json.load(f)
    expected = collections.Counter(base_id(site["id"]) for site in spec["sites"])
    found = collections.Counter(base_id(site_id) for site_id in found_sites(program, spec))
    matched = sum((expected & found).values())
    n_expected, n_found = sum(expected.values()), sum(found.values())
    recall = matched / n_expected if n_expected else 1.0
    precision = matched / n_found if n_found else 1.0
    print(f"{os.path.basename(program):<14} {n_expected:>8} {n_found:>6} {matched:>7} {recall:>7.2f} {precision:>9.2f}")
    if args.verbose:
        for site_id in sorted((expected - found).elements()):
            print(f"  missed: {site_id}")
        for site_id in sorted((found - expected).elements()):
            print(f"  extra:  {site_id}")
    total_expected += n_expected
    total_found += n_found
    total_matched += matched

recall = total_matched / total_expected if total_expected else 1.0
precision = total_matched / total_found if total_found else 1.0
print(f"{'total':<14} {total_expected:>8} {total_found:>6} {total_matched:>7} {recall:>7.2f} {precision:>9.2f}")
if recall < args.min_recall or precision < args.min_precision:
    sys.exit(f"site discovery below its floor: recall {recall:.2f} (floor {args.min_recall}), "
             f"precision {precision:.2f} (floor {args.min_precision})")
