# Usage: syntax-only.py compile_commands.json include_dir source...
# Checks that the sources compile as a rewrite does: with the flags the build
# gives lib/Rewrite/Catalogue.cpp, `include_dir` searched first (a scratch
# lib/ with files the real one has not), -fsyntax-only so nothing is written.
import json
import shlex
import subprocess
import sys

database, include_dir, sources = sys.argv[1], sys.argv[2], sys.argv[3:]
entry = next(e for e in json.load(open(database)) if e["file"].endswith("/lib/Rewrite/Catalogue.cpp"))
words = shlex.split(entry["command"])
flags = []
skip = False
for word in words[1:]:
    if skip:
        skip = False
    elif word in ("-o", "-c"):
        skip = True
    else:
        flags.append(word)
for source in sources:
    command = [words[0], "-I" + include_dir] + flags + ["-fsyntax-only", source]
    if subprocess.run(command, cwd=entry["directory"]).returncode != 0:
        sys.exit(f"{source} does not compile")
