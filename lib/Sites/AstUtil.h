// Small AST queries shared by site discovery and the rewrites.
#pragma once

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/Stmt.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace crinn::sites {

// Visits s and everything below it (statements and expressions).
void visit_stmts(const clang::Stmt* s, const std::function<void(const clang::Stmt*)>& visit);
void visit_exprs(const clang::Stmt* s, const std::function<void(const clang::Expr*)>& visit);

// The variable e names, through parentheses and implicit casts.
const clang::VarDecl* referenced_var(const clang::Expr* e);
bool references(const clang::Stmt* s, const clang::VarDecl* var);
// True if every variable e references is `var` (and it references it).
bool references_only(const clang::Expr* e, const clang::VarDecl* var);
// True if e references a variable declared inside `scope` other than `except`.
bool references_any_local_except(const clang::Expr* e, const clang::Stmt* scope, const clang::VarDecl* except);

// Is `decl` declared inside s, or `inner` a part of s?
bool contains(const clang::Stmt* s, const clang::Decl* decl);
bool contains(const clang::Stmt* s, const clang::Stmt* inner);

// A member of *this, or a literal: text that means the same in every method of the class.
bool is_class_invariant(const clang::Expr* e);

bool is_pointer_like(const clang::Expr* e);
bool is_floating_or_dependent(clang::QualType type);

// The statements of a loop body, whether a compound statement or one statement.
std::vector<const clang::Stmt*> body_statements(const clang::Stmt* body);

// for (init; induction < bound; ++induction)
struct LoopShape {
  const clang::VarDecl* induction = nullptr;
  const clang::Expr* bound = nullptr;
  const clang::Expr* start = nullptr;  // the induction's first value
  bool starts_at_zero = false;
  bool inclusive = false;  // induction <= bound
};
LoopShape loop_shape(const clang::ForStmt* loop);

const clang::Stmt* parent_stmt(const clang::Stmt* s, clang::ASTContext& context);
const clang::FunctionDecl* enclosing_function(const clang::Stmt* s, clang::ASTContext& context);
// Is the call's value stored in a variable (initialised or assigned)?
bool stored_as_distance(const clang::CallExpr* call, clang::ASTContext& context);

// "ns::Class::method", lambdas as "<enclosing>::(lambda)".
std::string qualified(const clang::FunctionDecl* f);

std::string source_text(const clang::Stmt* s, const clang::ASTContext& context);
std::string source_text(clang::SourceRange range, const clang::ASTContext& context);
// The first lines of a range, for reports.
std::string excerpt(clang::SourceRange range, const clang::ASTContext& context);
std::string file_path(clang::SourceLocation location, const clang::SourceManager& sources);

}  // namespace crinn::sites
