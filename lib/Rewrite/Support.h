// Source ranges and source text for building rewrite edits.
#pragma once

#include "Rewrite/Rewrite.h"

#include "clang/AST/ASTContext.h"
#include "clang/Basic/SourceLocation.h"
#include "clang/Tooling/Transformer/RangeSelector.h"
#include "clang/Tooling/Transformer/Stencil.h"

#include <map>
#include <vector>
#include <string>

namespace crinn::rewrite {

// A selector that always yields `range` (the site analysis already found it).
clang::transformer::RangeSelector fixed(clang::CharSourceRange range);

// A rule anchored on one node: matches exactly it, then makes `edits`.
clang::transformer::RewriteRule rule_at(const clang::Stmt* anchor, llvm::SmallVector<clang::transformer::ASTEdit, 1> edits);
clang::transformer::RewriteRule rule_at(const clang::Decl* anchor, llvm::SmallVector<clang::transformer::ASTEdit, 1> edits);

// File ranges of nodes; a statement's range includes its trailing ';'.
clang::CharSourceRange node_range(clang::SourceRange range, const clang::ASTContext& context);
clang::CharSourceRange statement_range(const clang::Stmt* s, clang::ASTContext& context);
// The range extended back over its indentation and the line break before
// it, so that deleting it leaves no blank line.
clang::CharSourceRange whole_lines(clang::CharSourceRange range, const clang::ASTContext& context);
// "T name" of a declaration, without its initialiser.
std::string declaration_text(const clang::VarDecl* var, const clang::ASTContext& context);
// An empty range just after the statement's end (after its ';').
clang::CharSourceRange after_statement(const clang::Stmt* s, clang::ASTContext& context);
// An empty range just inside a compound statement's '{'.
clang::CharSourceRange after_open_brace(const clang::Stmt* compound, const clang::ASTContext& context);
clang::CharSourceRange before(clang::SourceLocation location, const clang::ASTContext& context);

// The end of the line that declares `field` (after its ';' and any trailing
// comment), where a new member goes; invalid if the ';' is not found.
clang::CharSourceRange after_member_line(const clang::FieldDecl* field, const clang::ASTContext& context);

// The definition of the method named `entry` (a site's query_entry or
// build_entry) in this translation unit; it must belong to the class of
// `method` (whose members the inserted code uses).
llvm::Expected<const clang::FunctionDecl*> entry_method(const std::string& entry, const clang::CXXMethodDecl* method,
                                                         clang::ASTContext& context);
inline llvm::Expected<const clang::FunctionDecl*> query_entry_of(const sites::Site& site,
                                                                  const clang::CXXMethodDecl* method,
                                                                  clang::ASTContext& context) {
  return entry_method(site.query_entry, method, context);
}

// The body of a while or for loop (the beam loop of a search), else null.
const clang::Stmt* beam_body(const clang::Stmt* beam);

// Whether the neighbour loop's distance call is given the neighbour's vector
// (an address to prefetch), not its id (distance(q, id) reads the vector itself).
bool reads_vector_address(const sites::NeighborLoop& loop);

// Whether the neighbour loop's body reads only what is declared outside the
// beam loop or inside the body: a copy of it runs before the beam loop.
bool body_movable(const sites::NeighborLoop& loop);

// The statement that holds `s` directly inside a compound statement.
const clang::Stmt* statement_of(const clang::Stmt* s, clang::ASTContext& context);

// Source text of `s` with every reference to a variable in `replacements`
// replaced by its text (parenthesised). Fails on code inside macros.
llvm::Expected<std::string> substitute(const clang::Stmt* s, const clang::ASTContext& context,
                                       const std::map<const clang::VarDecl*, std::string>& replacements);

// Source text of `s` with each of the given expressions inside it (none
// inside another) replaced by its text, as written. Fails on code inside macros.
llvm::Expected<std::string> replace_within(const clang::Stmt* s, const clang::ASTContext& context,
                                           const std::vector<std::pair<const clang::Expr*, std::string>>& replacements);

// Whitespace before the statement on its first line.
std::string indentation(const clang::Stmt* s, const clang::ASTContext& context);

std::string format_number(double value, bool integer);
schema::ParamRange int_param(const char* name, long min, long max, long default_value, const char* doc);
// An integer range of 64-byte cache lines of one vector (ParamRange::vector_lines).
schema::ParamRange vector_lines_param(const char* name, long min, long max, long default_value, const char* doc);
// `huge_pages` 0 or 1: whether the runtime keeps `what` in 2 MiB pages.
schema::ParamRange huge_pages_param(const char* what);
schema::ParamRange real_param(const char* name, double min, double max, double default_value, const char* doc);

}  // namespace crinn::rewrite
