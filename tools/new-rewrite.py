#!/usr/bin/env python3
"""Adds a rewrite to the catalogue, like clang-tidy's add_new_check.py.

Usage: tools/new-rewrite.py <kebab-name> <site-kind>

Writes, in the tree this script is in:
  lib/Rewrite/<Kind>/<Kind>.{h,cpp}          the class and its make_<Kind>() factory
  test/lit/rewrite/<kebab-name>/basic.test   a lit test that passes as written
  docs/rewrites.md                           a section for the rewrite, appended
  lib/Rewrite/Registry.def                   its CRINN_REWRITE(<Kind>) line, appended
The rewrite is offered nowhere until its option_for() is written; the places
to fill in are marked TODO(new-rewrite). CMake finds the folder by itself.

Refuses, with one line on stderr, exit 2 and nothing written: a name that is
not kebab-case, a name already taken, an unknown site kind.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = "TODO(new-rewrite)"

# Each site kind: the detail struct in Sites/Site.h and how the skeleton's
# rule() reaches the node it anchors on (a statement or a declaration). The
# lit input test/lit/rewrite/Inputs/search.cpp holds a site of each.
SITE_KINDS = {
    "distance-kernel": ("DistanceKernel", "const Stmt* anchor = detail.loop;"),
    "neighbor-loop": ("NeighborLoop", "const Stmt* anchor = detail.loop;"),
    "pruning": ("PruningRoutine", "const Stmt* anchor = detail.outer_loop;"),
    "visited-set": ("VisitedSet",
                    "const Decl* anchor = detail.variable ? static_cast<const Decl*>(detail.variable) : detail.field;"),
    "vector-storage": ("VectorStorage", "const Decl* anchor = detail.field;"),
    "candidate-pool": ("CandidatePool",
                       "const Decl* anchor = detail.variable ? static_cast<const Decl*>(detail.variable) : detail.field;"),
    "constant": ("TunableConstant", "const Stmt* anchor = detail.literal;"),
}


def refuse(message):
    print(f"new-rewrite.py: error: {message}", file=sys.stderr)
    sys.exit(2)


def header(name, kind, site_kind):
    return f"""#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {{

// {name} ({site_kind} sites): {MARK}: what it rewrites
// and whether it preserves results.
class {kind} : public Rewrite {{
 public:
  const char* name() const override {{ return "{name}"; }}
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
}};

}}  // namespace crinn::rewrite
"""


def source(name, kind, site_kind):
    detail, anchor = SITE_KINDS[site_kind]
    return f"""#include "Rewrite/{kind}/{kind}.h"

#include "Rewrite/Support.h"

namespace crinn::rewrite {{

using namespace clang;
using namespace clang::transformer;

std::optional<schema::RewriteOption> {kind}::option_for(const sites::Site&, ASTContext&) const {{
  // {MARK}: offer the rewrite, with its parameters, where the site has
  // the shape rule() needs:
  //   const auto* detail = std::get_if<sites::{detail}>(&site.detail);
  //   if (!detail || ...) return std::nullopt;
  //   return schema::RewriteOption{{name(), {{int_param("factor", 1, 16, 4, "what it sets")}}, true, ""}};
  // Until then no site offers it and no plan can name it.
  return std::nullopt;
}}

llvm::Expected<RewriteRule> {kind}::rule(const sites::Site& site, const Params&, ASTContext& context) const {{
  const auto& detail = std::get<sites::{detail}>(site.detail);
  {anchor}
  // {MARK}: the edits, from the site's parts and the params
  // (Rewrite/Support.h has the ranges); this one only marks the site.
  return rule_at(anchor, {{insertBefore(fixed(before(anchor->getBeginLoc(), context)), cat("/* {name} */ "))}});
}}

std::unique_ptr<Rewrite> make_{kind}() {{ return std::make_unique<{kind}>(); }}

}}  // namespace crinn::rewrite
"""


def lit_test(name, site_kind):
    return f"""# {name}: a skeleton from tools/new-rewrite.py. {MARK}: it
# checks only that the rewrite is offered nowhere yet; once option_for() is
# written, check where it is offered and where not, the rewritten code
# (crinn-opt --plan) and that it compiles and runs, as the other directories
# here do.
RUN: %crinn-opt --list-sites %S/../Inputs/search.cpp -- -std=c++17 2>/dev/null \\
RUN:   | FileCheck --implicit-check-not='"rewrite": "{name}"' %s

CHECK: "kind": "{site_kind}"
"""


def docs_section(name, site_kind):
    return f"""
## {name} ({site_kind}; {MARK}: preserves results?)

{MARK}: what it rewrites, its parameters and a before/after
excerpt of crinn-opt's output.
"""


def main(argv):
    if len(argv) != 3:
        refuse("usage: new-rewrite.py <kebab-name> <site-kind>")
    name, site_kind = argv[1], argv[2]
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", name):
        refuse(f"'{name}' is not a kebab-case name (lower-case words joined by '-', as 'prefetch-insertion')")
    if site_kind not in SITE_KINDS:
        refuse(f"unknown site kind '{site_kind}' (one of {', '.join(SITE_KINDS)})")
    kind = "".join(word.capitalize() for word in name.split("-"))

    rewrite_dir = ROOT / "lib" / "Rewrite"
    registry = rewrite_dir / "Registry.def"
    docs = ROOT / "docs" / "rewrites.md"
    test_dir = ROOT / "test" / "lit" / "rewrite" / name
    for needed in (registry, docs, test_dir.parent):
        if not needed.exists():
            refuse(f"{needed} is missing: run this script from a CRINN tree")
    registered = registry.read_text()
    documented = docs.read_text()
    # The shared files of lib/Rewrite/ (Plan.h, Rewrite.h, ...) name classes
    # a rewrite class must not clash with.
    taken = [path for path in (rewrite_dir / kind, rewrite_dir / f"{kind}.h", rewrite_dir / f"{kind}.cpp", test_dir)
             if path.exists()]
    if f"CRINN_REWRITE({kind})" in registered:
        taken.append(registry)
    if f"\n## {name} (" in documented:
        taken.append(docs)
    if taken:
        refuse(f"'{name}' is taken: {taken[0].relative_to(ROOT)} exists or names it")

    (rewrite_dir / kind).mkdir()
    (rewrite_dir / kind / f"{kind}.h").write_text(header(name, kind, site_kind))
    (rewrite_dir / kind / f"{kind}.cpp").write_text(source(name, kind, site_kind))
    test_dir.mkdir()
    (test_dir / "basic.test").write_text(lit_test(name, site_kind))
    docs.write_text(documented.rstrip("\n") + "\n" + docs_section(name, site_kind))
    registry.write_text(registered.rstrip("\n") + f"\nCRINN_REWRITE({kind})\n")
    for written in (rewrite_dir / kind / f"{kind}.h", rewrite_dir / kind / f"{kind}.cpp", test_dir / "basic.test",
                    docs, registry):
        print(f"wrote {written.relative_to(ROOT)}")
    print(f"next: fill in the {MARK} marks, build (CMake finds lib/Rewrite/{kind}/) and run the lit test")


if __name__ == "__main__":
    main(sys.argv)
