// Finds the rewrite sites of graph-based ANNS code in one translation unit:
// AST matchers pick the candidate loops and declarations, then a light
// dataflow analysis (through local variables, over loop induction variables)
// checks that each has the shape the rewrites need.
#pragma once

#include "Sites/Site.h"

#include <functional>

namespace clang {
class ASTContext;
class Expr;
class Preprocessor;
class SourceLocation;
class Stmt;
}  // namespace clang

namespace crinn::sites {

// Decides which files' sites are reported (the project's, not the system's).
using FileFilter = std::function<bool(const std::string& path)>;

// Limits the AST traversals (matchers, parent lookups) of `context` to the
// top-level declarations in project files: most of a translation unit is the
// standard library, which no site is in.
void restrict_to_project(clang::ASTContext& context, const FileFilter& in_project);

// Sites in source order; ids are unique within the result. Rewrite options are
// left empty: the rewrite catalogue fills them in.
// The sites in the project's files; `preprocessor` (when the parse's is
// still there) adds the numeric macros the algorithm reads as settings.
std::vector<Site> find_sites(clang::ASTContext& context, const FileFilter& in_project,
                             const clang::Preprocessor* preprocessor = nullptr);

// The node whose vector `address` points at, read as the loop's distance call
// reads a neighbour's (through the same accessor, or the same row of the same
// storage), else null; locals of `scope` stand for their initialisers. So a
// rewrite that changes what the search reads finds the code's own prefetches.
const clang::Expr* node_of_vector_address(const clang::Expr* address, const NeighborLoop& loop,
                                          const clang::Stmt* scope);

}  // namespace crinn::sites
