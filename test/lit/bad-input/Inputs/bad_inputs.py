#!/usr/bin/env python3
"""Runs crinn-bench, crinn-tune and crinn-opt on every bad input that
docs/crinn-{bench,tune,opt}.md document and issue 16 lists, one table row a
case, and checks what each gets: an exit status of 1 (bad data) or 2 (a bad
command line), never a signal; stderr ending in exactly one line
"<tool>: error: ..." that names the culprit (a file, a line, an option),
with only progress lines ("[  0.1s] ...") before it; and no file of the
work directory written, changed or removed.

usage: bad_inputs.py <crinn-bench> <crinn-tune> <crinn-opt> <make-testdata> <crinn source dir> <work dir>
"""
import hashlib
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time

TOOLS = dict(zip(("crinn-bench", "crinn-tune", "crinn-opt", "make-testdata"), sys.argv[1:5]))
SOURCE, WORK = (os.path.abspath(arg) for arg in sys.argv[5:7])
DATA = os.path.join(WORK, "data")
OPT = os.path.join(WORK, "opt")
TUNE = os.path.join(WORK, "tune")
CACHE = os.path.join(WORK, "cache")  # ground truth caches: the one thing the tools may write
KERNEL_PLAN = '{"plan": [{"site": "distance-kernel:l2", "rewrite": "loop-unroll", "params": {"accumulators": 2}}]}'
PROGRESS = re.compile(r"^\[\s*\d+\.\d+s\] ")
ENV = dict(os.environ, XDG_CACHE_HOME=CACHE)
# Set by lit.cfg.py in a -DCRINN_SANITIZE=ON build.
SANITIZED = os.environ.get("CRINN_SANITIZE") == "1"
# What a crinn-tune run in TUNE/run was started with; a resume must repeat it.
TUNE_RUN = ["--source", os.path.join(TUNE, "tree"), "--dataset", "synthetic:n=200,queries=10,dim=8",
            "--iterations", "1", "--group", "1", "--ef", "10,20", "--runs", "1"]


def write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as out:
        out.write(text)


def candidate(index, **changes):
    record = {"index": index, "round": 0, "parent": -1, "plan": {"plan": []}, "failure": "none", "reason": "",
              "reward": 1.25}
    record.update(changes)
    return json.dumps(record)


def run_dir(name, *history, run_json=None):
    """A copy of the crinn-tune run in TUNE/run whose history.jsonl holds the lines `history`."""
    out = os.path.join(TUNE, name)
    shutil.copytree(os.path.join(TUNE, "run"), out)
    write(os.path.join(out, "history.jsonl"), "".join(line + "\n" for line in history))
    if run_json is not None:
        write(os.path.join(out, "run.json"), run_json)
    return out


def make_inputs():
    os.makedirs(DATA)
    subprocess.run([TOOLS["make-testdata"], DATA], check=True)
    write(os.path.join(DATA, "notes.txt"), "not a dataset\n")
    write(os.path.join(DATA, "huge-dim.fvecs"), struct.pack("<i", 1 << 24), "wb")  # a header and no values

    os.makedirs(OPT)
    shutil.copy(os.path.join(SOURCE, "test/lit/crinn-opt/Inputs/kernel.cpp"), os.path.join(OPT, "kernel.cpp"))
    shutil.copy(os.path.join(SOURCE, "test/lit/crinn-opt/Inputs/broken.cpp"), os.path.join(OPT, "broken.cpp"))
    write(os.path.join(OPT, "plan.json"), KERNEL_PLAN)
    write(os.path.join(OPT, "unknown-site.json"), KERNEL_PLAN.replace("distance-kernel:l2", "distance-kernel:l3"))
    write(os.path.join(OPT, "inapplicable.json"), '[{"site": "distance-kernel:l2", "rewrite": "visited-set"}]')
    write(os.path.join(OPT, "range.json"), KERNEL_PLAN.replace('"accumulators": 2', '"accumulators": 9'))
    write(os.path.join(OPT, "param.json"), KERNEL_PLAN.replace("accumulators", "lanes"))
    write(os.path.join(OPT, "syntax.json"), '{"plan": [')
    write(os.path.join(OPT, "overflow.json"), KERNEL_PLAN.replace('"accumulators": 2', '"accumulators": 1e400'))
    os.makedirs(os.path.join(OPT, "readonly"))
    shutil.copy(os.path.join(OPT, "kernel.cpp"), os.path.join(OPT, "readonly", "kernel.cpp"))
    os.chmod(os.path.join(OPT, "readonly", "kernel.cpp"), 0o444)
    write(os.path.join(WORK, "mine", "file"), "precious\n")
    # A rewritten copy, for the plan to be applied to again: outside OPT, as -o writes only outside the tree.
    os.makedirs(os.path.join(WORK, "original"))
    shutil.copy(os.path.join(OPT, "kernel.cpp"), os.path.join(WORK, "original", "kernel.cpp"))
    subprocess.run([TOOLS["crinn-opt"], "--plan", os.path.join(OPT, "plan.json"), "-o", os.path.join(WORK, "once"),
                    os.path.join(WORK, "original", "kernel.cpp"), "--", "-std=c++17"], check=True)

    # A tree that parses and never builds: a run that stops at the reference's
    # build has written run.json, what --resume compares its options with.
    write(os.path.join(TUNE, "tree", "CMakeLists.txt"), 'message(FATAL_ERROR "this tree is only parsed")\n')
    write(os.path.join(TUNE, "tree", "index.cpp"), "int answer() { return 42; }\n")
    started = subprocess.run([TOOLS["crinn-tune"], *TUNE_RUN, "--out", os.path.join(TUNE, "run")], env=ENV,
                             capture_output=True, text=True)
    assert "the unmodified source does not build" in started.stderr, started.stderr
    shutil.rmtree(os.path.join(TUNE, "run", "work"))
    write(os.path.join(TUNE, "not-builtin.json"), '{"kind": "llm"}')
    write(os.path.join(TUNE, "vendoring", "CMakeLists.txt"), "project(vendoring)\n")
    write(os.path.join(TUNE, "vendoring", "index.cpp"), "int answer() { return 42; }\n")
    write(os.path.join(TUNE, "vendoring", "crinn-vendor.txt"), "hnswlib/ /usr/include/hnswlib extra\n")


def data(name):
    return os.path.join(DATA, name)


def opt(name):
    return os.path.join(OPT, name)


# (tool, arguments, exit status, what the error line must say after "<tool>: error: " (a regex), the
# issue 16 case or the doc the input comes from). A callable argument list is made when the case runs,
# given a scratch directory outside the build tree (where no compile_commands.json is found above it).
BENCH_SYNTHETIC = ["--dataset", "synthetic:n=100,queries=10,dim=8", "--index", "bruteforce", "--runs", "1"]
CASES = [
    # docs/crinn-bench.md, "Datasets" and "Failure behaviour"
    ("crinn-bench", ["--dataset", data("missing.hdf5")], 1, r".*missing\.hdf5: cannot open file$", "docs"),
    ("crinn-bench", ["--dataset", data("not-hdf5.hdf5")], 1, r".*not-hdf5\.hdf5: not an HDF5 file", "docs"),
    ("crinn-bench", ["--dataset", data("no-train.hdf5")], 1, r".*no-train\.hdf5: no dataset 'train'", "docs"),
    ("crinn-bench", ["--dataset", data("dim-mismatch.hdf5")], 1,
     r".*dim-mismatch\.hdf5: dimension mismatch: train has 8 columns, test has 9$", "docs"),
    ("crinn-bench", ["--dataset", data("nan.hdf5")], 1, r".*nan\.hdf5: train row 3 holds a NaN or infinite value$",
     "docs"),
    ("crinn-bench", ["--dataset", f"texmex:base={data('truncated.fvecs')},query={data('query.fvecs')}"], 1,
     r".*truncated\.fvecs: truncated vector 499", "docs"),
    ("crinn-bench", ["--dataset", f"texmex:base={data('base.fvecs')},query={data('query-dim9.fvecs')}"], 1,
     r".*query-dim9\.fvecs: dimension mismatch", "docs"),
    ("crinn-bench", ["--dataset", f"texmex:base={data('base-nan.fvecs')},query={data('query.fvecs')}"], 1,
     r".*base-nan\.fvecs: train row 3 holds a NaN or infinite value$", "case 19"),
    ("crinn-bench", ["--dataset", f"texmex:base={data('base.fvecs')},query={data('query.fvecs')},size=3"], 1,
     r"texmex:.*: unknown key 'size'", "docs"),
    ("crinn-bench", ["--dataset", f"texmex:base={data('base.fvecs')},query={data('query.fvecs')},metric=manhattan"],
     1, r"texmex:.*: unknown metric 'manhattan'", "docs"),
    ("crinn-bench", ["--dataset", f"texmex:base={data('huge-dim.fvecs')},query={data('query.fvecs')}"], 1,
     r".*huge-dim\.fvecs: truncated vector 0: its dimension 16777216 needs 67108864 bytes, 0 follow$", "case 12"),
    ("crinn-bench", ["--dataset", data("unwritten-train.hdf5")], 1,
     r".*unwritten-train\.hdf5: dataset 'train' declares 100000 x 8 values \(3200000 bytes\) but the file stores 0 "
     r"bytes of it$", "case 12"),
    ("crinn-bench", ["--dataset", data("notes.txt")], 1, r".*notes\.txt: not a dataset", "docs"),
    ("crinn-bench", ["--dataset", "synthetic:n=0"], 1, r"synthetic:n=0: 'n' needs a positive integer, got '0'$",
     "docs"),
    ("crinn-bench", ["--dataset", "synthetic:n=100,clusters=4294967296"], 1,
     r"synthetic:.*: 'clusters' = 4294967296 is past its limit 16777216$", "case 11"),
    ("crinn-bench", ["--dataset", data("good.hdf5"), "--index", "bruteforce", "--k", "200"], 1,
     r".*good\.hdf5: ground truth has 100 neighbours per query, fewer than k=200$", "docs"),
    ("crinn-bench", ["--dataset", data("good.hdf5"), "--index", data("nowhere.so")], 2,
     r".*nowhere\.so: cannot open file \(see --help\)$", "docs"),
    ("crinn-bench", ["--dataset", data("good.hdf5"), "--recall-window", "0.9"], 2,
     r"--recall-window needs <low>,<high>", "docs"),
    ("crinn-bench", ["--dataset", data("good.hdf5"), "--recall-window", "0.9,0.5"], 2,
     r"--recall-window needs 0 < low < high <= 1", "docs"),
    ("crinn-bench", BENCH_SYNTHETIC + ["--runs", "4294967296"], 2,
     r"--runs needs an integer in \[1, 1000\], got '4294967296' \(see --help\)$", "case 9"),
    ("crinn-bench", BENCH_SYNTHETIC + ["--runs", "1x"], 2,
     r"--runs needs an integer in \[1, 1000\], got '1x' \(see --help\)$", "case 9"),
    ("crinn-bench", BENCH_SYNTHETIC + ["--ef", "10,4294967297"], 2,
     r"--ef needs an integer in \[1, 1048576\], got '4294967297' \(see --help\)$", "case 9"),
    ("crinn-bench", BENCH_SYNTHETIC + ["--k", "2147483648"], 2,
     r"-k needs an integer in \[1, 1048576\], got '2147483648' \(see --help\)$", "case 9"),
    ("crinn-bench", BENCH_SYNTHETIC + ["--memory-limit", "1"], 2, r"--memory-limit needs an integer in \[64, ",
     "docs"),
    # Under AddressSanitizer there is no address-space limit to check (bench::kMemoryLimitEnforced).
    *([] if SANITIZED else [
        ("crinn-bench", BENCH_SYNTHETIC + ["--memory-limit", "64"], 2,
         r"--memory-limit 64: each index's process starts with the \d+ MiB crinn-bench maps", "case 19")]),
    ("crinn-bench", BENCH_SYNTHETIC + ["--json", data("no-such-dir/out.json")], 2,
     r"--json: .*no-such-dir/out\.json: cannot write: No such file or directory", "case 19"),
    ("crinn-bench", BENCH_SYNTHETIC + ["--plot", DATA], 2, r"--plot: .*data: cannot write: Is a directory",
     "case 19"),
    ("crinn-tune", TUNE_RUN + ["--out", os.path.join(TUNE, "cost"), "--max-build-ratio", "0"], 2,
     r"--max-build-ratio needs a number in \[0\.001, 1e\+06\], got '0' \(see --help\)$", "docs"),
    ("crinn-bench", ["--index", "bruteforce"], 2, r"--dataset is required", "docs"),
    ("crinn-bench", BENCH_SYNTHETIC + ["--frobnicate", "1"], 2, r"unknown command line argument '--frobnicate'",
     "docs"),
    ("crinn-bench", ["--index", "bruteforce", "--dataset"], 2, r"--dataset requires a value \(see --help\)$",
     "case 9"),

    # docs/crinn-tune.md, "Options" and "Failure behaviour"
    ("crinn-tune", lambda s: TUNE_RUN + ["--out", os.path.join(TUNE, "tree", "report")], 1,
     r".*tree/report: --out is inside --source .*tree; choose a report dir outside the tree$", "case 2"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--out", os.path.join(TUNE, "fresh"), "--iterations", "x"], 2,
     r"--iterations needs an integer in \[1, 1048576\], got 'x'", "case 9"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--out", os.path.join(TUNE, "fresh"), "--runs", "4294967296"], 2,
     r"--runs needs an integer in \[1, 1000\], got '4294967296'", "case 9"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--out", os.path.join(TUNE, "fresh"), "--max-repetitions", "0"], 2,
     r"--max-repetitions needs an integer in \[1, 1048576\], got '0'", "docs"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--out", os.path.join(TUNE, "fresh"), "--time-budget", "10x"], 2,
     r"--time-budget needs a duration like 600s, 30m or 1h, got '10x'", "docs"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--out", os.path.join(TUNE, "fresh"), "--policy", "oracle"], 2,
     r"--policy is builtin, llm, random, evolution or bandit", "docs"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--out", os.path.join(TUNE, "fresh"), "--policy", "llm"], 2,
     r"--policy llm needs --llm-url and --llm-model", "docs"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--out", os.path.join(TUNE, "fresh"), "--policy", "llm", "--policy-init",
                                       os.path.join(TUNE, "not-builtin.json")], 2,
     r"--policy-init is for the policies that save a state, not llm", "docs"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--out", os.path.join(TUNE, "fresh"), "--peer", data("nowhere.so")], 2,
     r"--peer: .*nowhere\.so: cannot open file", "docs"),
    ("crinn-tune", lambda s: TUNE_RUN, 2, r"--source, --dataset and --out are required", "docs"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--out", os.path.join(TUNE, "fresh"), "--seed", "-1"], 2,
     r"--seed needs an integer in \[0, 9223372036854775807\], got '-1' \(see --help\)$", "case 9"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--out", os.path.join(TUNE, "fresh"), "--iteratoins", "2"], 2,
     r"unknown command line argument '--iteratoins'; did you mean '--iterations'\? \(see --help\)$", "case 9"),
    ("crinn-tune", lambda s: ["--source", data("missing-tree"), "--dataset", "synthetic:n=100", "--out",
                            os.path.join(TUNE, "fresh")], 1, r".*missing-tree: not a directory$", "docs"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--out", os.path.join(TUNE, "fresh"), "-p", s], 1,
     r".*crinn-bad-input-\w+: no compile_commands\.json here or in a parent directory$", "docs"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--out", os.path.join(TUNE, "fresh"), "--policy-init",
                                       os.path.join(TUNE, "not-builtin.json")], 1,
     r".*not-builtin\.json: not a saved built-in policy", "docs"),
    ("crinn-tune", lambda s: ["--source", os.path.join(TUNE, "vendoring"), *TUNE_RUN[2:], "--out",
                            os.path.join(TUNE, "fresh")], 1,
     r".*crinn-vendor\.txt:1: expected '<path in the tree> <where from>'$", "docs"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--out", run_dir("taken", candidate(0))], 1,
     r".*taken: holds a run already; pass --resume to continue it or choose another --out$", "docs"),
    ("crinn-tune", lambda s: [*TUNE_RUN[:3], "synthetic:n=300,queries=10,dim=8", *TUNE_RUN[4:], "--resume", "--out",
                            run_dir("other-dataset", candidate(0))], 2,
     r"--dataset: 'synthetic:n=300,queries=10,dim=8' differs from 'synthetic:n=200,queries=10,dim=8', what the "
     r"run in .* measured with", "case 8"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--resume", "--out", run_dir("old-run", candidate(0), run_json="{}")], 2,
     r".*old-run/run\.json: records no options to compare --resume with \(an older crinn-tune wrote it\); start a "
     r"new --out$", "docs"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--resume", "--out", run_dir("garbage", candidate(0), "xyz", candidate(1))], 1,
     r".*garbage/history\.jsonl:2: not a JSON record: syntax error", "case 18"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--resume", "--out", run_dir("empty-object", candidate(0), "{}")],
     1, r".*empty-object/history\.jsonl:2: 'index' is null, not an integer$", "case 18"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--resume", "--out", run_dir("number", "42")], 1,
     r".*number/history\.jsonl:1: expected a candidate record \(an object\), got 42$", "case 18"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--resume", "--out", run_dir("text-reward", candidate(0),
                                                                     candidate(1, reward="1.25"))], 1,
     r".*text-reward/history\.jsonl:2: 'reward' is \"1\.25\", not a number >= 0$", "case 18"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--resume", "--out", run_dir("gap", candidate(0), candidate(2))],
     1, r".*gap/history\.jsonl:2: 'index' is 2 where candidate 1 comes", "case 18"),
    ("crinn-tune", lambda s: TUNE_RUN + ["--resume", "--out", run_dir("overflow", candidate(0),
                                                                     candidate(1).replace("1.25", "1e400"))], 1,
     r".*overflow/history\.jsonl:2: not a JSON record: number overflow parsing '1e400'$", "case 18"),

    # docs/crinn-opt.md, "Failure behaviour" and the bad plans it names
    ("crinn-opt", ["--plan", opt("unknown-site.json"), "--diff", opt("kernel.cpp"), "--", "-std=c++17"], 1,
     r".*unknown-site\.json: entry 1: unknown site 'distance-kernel:l3'$", "docs"),
    ("crinn-opt", ["--plan", opt("inapplicable.json"), "--diff", opt("kernel.cpp"), "--", "-std=c++17"], 1,
     r".*inapplicable\.json: entry 1: rewrite 'visited-set' does not apply at site 'distance-kernel:l2'", "docs"),
    ("crinn-opt", ["--plan", opt("range.json"), "--diff", opt("kernel.cpp"), "--", "-std=c++17"], 1,
     r".*range\.json: entry 1: parameter 'accumulators' = 9 is outside \[1, 8\]$", "docs"),
    ("crinn-opt", ["--plan", opt("param.json"), "--diff", opt("kernel.cpp"), "--", "-std=c++17"], 1,
     r".*param\.json: entry 1: unknown parameter 'lanes' for loop-unroll", "docs"),
    ("crinn-opt", ["--plan", opt("syntax.json"), "--diff", opt("kernel.cpp"), "--", "-std=c++17"], 1,
     r".*syntax\.json: not valid JSON: ", "docs"),
    ("crinn-opt", ["--plan", opt("overflow.json"), "--diff", opt("kernel.cpp"), "--", "-std=c++17"], 1,
     r".*overflow\.json: not valid JSON: number overflow parsing '1e400'$", "case 19"),
    ("crinn-opt", ["--plan", opt("missing.json"), "--diff", opt("kernel.cpp"), "--", "-std=c++17"], 1,
     r".*missing\.json: cannot open file$", "docs"),
    ("crinn-opt", ["--plan", opt("plan.json"), opt("kernel.cpp"), "--", "-std=c++17"], 2,
     r"--plan needs an output: -o <dir>, -i, --diff or --export-fixes <file>$", "docs"),
    ("crinn-opt", [opt("kernel.cpp"), "--", "-std=c++17"], 2, r"nothing to do: give --list-sites or --plan <file>$",
     "docs"),
    ("crinn-opt", ["--lsit-sites", opt("kernel.cpp"), "--", "-std=c++17"], 2,
     r"unknown command line argument '--lsit-sites'; did you mean '--list-sites'\? \(see --help\)$", "case 9"),
    ("crinn-opt", [opt("kernel.cpp"), "--plan"], 2, r"--plan requires a value \(see --help\)$", "case 9"),
    ("crinn-opt", lambda s: ["--list-sites", "-p", s], 1,
     r".*crinn-bad-input-\w+: no compile_commands\.json here or in a parent directory$", "docs"),
    ("crinn-opt", ["--plan", opt("plan.json"), "-o", OPT, opt("kernel.cpp"), "--", "-std=c++17"], 1,
     r".*opt: is the source tree .*opt or holds it; -o writes outside the tree$", "case 1"),
    ("crinn-opt", ["--plan", opt("plan.json"), "-o", os.path.join(WORK, "mine"), "--force", opt("kernel.cpp"), "--",
                   "-std=c++17"], 1, r".*mine: exists, holds files and was not written by crinn-opt", "case 1"),
    ("crinn-opt", ["--plan", opt("plan.json"), "-i", opt("readonly/kernel.cpp"), "--", "-std=c++17"], 1,
     r".*readonly/kernel\.cpp: is read-only; nothing was written$", "case 3"),
    ("crinn-opt", ["--plan", opt("plan.json"), "-i", os.path.join(WORK, "once", "kernel.cpp"), "--", "-std=c++17"], 1,
     r".*plan\.json: entry 1: .*once/kernel\.cpp:\d+ records that crinn-opt rewrote this code already", "case 4"),
    ("crinn-opt", ["--plan", opt("plan.json"), "--export-fixes", opt("no-such-dir/fixes.yaml"), opt("kernel.cpp"),
                   "--", "-std=c++17"], 1, r".*no-such-dir/fixes\.yaml: cannot write: No such file or directory$",
     "case 19"),
    ("crinn-opt", ["--plan", opt("plan.json"), "-i", opt("broken.cpp"), "--", "-std=c++17"], 1,
     r".*broken\.cpp does not parse \(clang's diagnostics above\); nothing was written$", "docs"),
    ("crinn-opt", lambda s: ["--list-sites", shutil.copy(opt("kernel.cpp"), s)], 2,
     r".*kernel\.cpp: no compile_commands\.json in its directory or a parent, and no compiler arguments: give -p "
     r"<build dir>, or end the command with -- and the arguments", "case 19"),
]

# Clang's diagnostics come before crinn-opt's line on a source that does not parse.
DIAGNOSTICS_FIRST = {"broken.cpp"}


def snapshot():
    """Every file under WORK but the caches, with a hash of its contents and its mode."""
    files = {}
    for directory, subdirs, names in os.walk(WORK):
        subdirs[:] = [d for d in subdirs if os.path.join(directory, d) != CACHE]
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as f:
                files[path] = (hashlib.sha256(f.read()).hexdigest(), stat.S_IMODE(os.lstat(path).st_mode))
    return files


def check(tool, args, status, culprit):
    """What is wrong with how `tool` treats the bad input, or ''."""
    scratch = tempfile.mkdtemp(prefix="crinn-bad-input-")
    try:
        command = [TOOLS[tool], *(args(scratch) if callable(args) else args)]
        before = snapshot()
        try:
            done = subprocess.run(command, env=ENV, capture_output=True, text=True, errors="replace", timeout=120)
        except subprocess.TimeoutExpired:
            return "no answer in 120 s"
        lines = done.stderr.splitlines()
        shown = f"\n    $ {' '.join(command)}\n    exit {done.returncode}, stderr:\n" + "".join(
            f"    | {line[:300]}\n" for line in lines[-8:])
        if done.returncode < 0:
            return f"killed by signal {-done.returncode}" + shown
        if done.returncode != status:
            return f"exit status {done.returncode}, expected {status}" + shown
        errors = [line for line in lines if line.startswith(f"{tool}: error: ")]
        if len(errors) != 1 or lines[-1] != errors[0]:
            return "stderr does not end in exactly one error line" + shown
        allowed_before = any(name in " ".join(command) for name in DIAGNOSTICS_FIRST)
        if not allowed_before and any(not PROGRESS.match(line) for line in lines[:-1]):
            return "stderr holds more than progress lines before the error" + shown
        if not re.search(culprit, errors[0][len(f"{tool}: error: "):]):
            return f"the error line does not match /{culprit}/" + shown
        after = snapshot()
        changed = sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path))
        if changed:
            return "wrote, changed or removed " + ", ".join(os.path.relpath(p, WORK) for p in changed) + shown
        return ""
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(CACHE)
    make_inputs()
    start = time.monotonic()
    failures = 0
    for tool, args, status, culprit, source in CASES:
        problem = check(tool, args, status, culprit)
        label = f"{tool} [{source}] /{culprit[:70]}/"
        print(("FAIL " if problem else "ok   ") + label + (": " + problem if problem else ""))
        failures += bool(problem)
    print(f"{len(CASES) - failures} of {len(CASES)} bad inputs handled ({time.monotonic() - start:.1f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
