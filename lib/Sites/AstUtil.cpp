#include "Sites/AstUtil.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "llvm/Support/FileSystem.h"

namespace crinn::sites {

using namespace clang;

void visit_stmts(const Stmt* s, const std::function<void(const Stmt*)>& visit) {
  if (!s) return;
  visit(s);
  for (const Stmt* child : s->children()) visit_stmts(child, visit);
  if (const auto* range_for = dyn_cast<CXXForRangeStmt>(s))
    if (const VarDecl* var = range_for->getLoopVariable(); var && var->getInit()) visit_stmts(var->getInit(), visit);
}

void visit_exprs(const Stmt* s, const std::function<void(const Expr*)>& visit) {
  visit_stmts(s, [&](const Stmt* node) {
    if (const auto* e = dyn_cast<Expr>(node)) visit(e);
  });
}

const VarDecl* referenced_var(const Expr* e) {
  if (!e) return nullptr;
  const auto* ref = dyn_cast<DeclRefExpr>(e->IgnoreParenImpCasts());
  return ref ? dyn_cast<VarDecl>(ref->getDecl()) : nullptr;
}

bool references(const Stmt* s, const VarDecl* var) {
  bool found = false;
  visit_exprs(s, [&](const Expr* e) {
    if (const auto* ref = dyn_cast<DeclRefExpr>(e); ref && ref->getDecl() == var) found = true;
  });
  return found;
}

bool references_only(const Expr* e, const VarDecl* var) {
  bool other = false, found = false;
  visit_exprs(e, [&](const Expr* node) {
    if (const auto* ref = dyn_cast<DeclRefExpr>(node); ref && isa<VarDecl>(ref->getDecl()))
      (ref->getDecl() == var ? found : other) = true;
  });
  return found && !other;
}

bool references_any_local_except(const Expr* e, const Stmt* scope, const VarDecl* except) {
  bool found = false;
  visit_exprs(e, [&](const Expr* node) {
    if (const auto* ref = dyn_cast<DeclRefExpr>(node))
      if (const auto* var = dyn_cast<VarDecl>(ref->getDecl()); var && var != except && contains(scope, var))
        found = true;
  });
  return found;
}

bool contains(const Stmt* s, const Decl* decl) {
  bool found = false;
  visit_stmts(s, [&](const Stmt* node) {
    if (const auto* decls = dyn_cast<DeclStmt>(node))
      for (const Decl* d : decls->decls()) found |= d == decl;
    if (const auto* range_for = dyn_cast<CXXForRangeStmt>(node)) found |= range_for->getLoopVariable() == decl;
  });
  return found;
}

bool contains(const Stmt* s, const Stmt* inner) {
  bool found = false;
  visit_stmts(s, [&](const Stmt* node) { found |= node == inner; });
  return found;
}

bool is_pointer_like(const Expr* e) {
  QualType type = e->IgnoreImpCasts()->getType();
  return type->isPointerType() || type->isArrayType() || type->isDependentType();
}

bool is_floating_or_dependent(QualType type) {
  return type->isRealFloatingType() || type->isDependentType() ||
         (type->isReferenceType() && type->getPointeeType()->isRealFloatingType());
}

std::vector<const Stmt*> body_statements(const Stmt* body) {
  std::vector<const Stmt*> statements;
  if (const auto* compound = dyn_cast_or_null<CompoundStmt>(body))
    statements.assign(compound->body_begin(), compound->body_end());
  else if (body)
    statements.push_back(body);
  return statements;
}

LoopShape loop_shape(const ForStmt* loop) {
  LoopShape shape;
  const Expr* start = nullptr;
  if (const auto* decl = dyn_cast_or_null<DeclStmt>(loop->getInit()); decl && decl->isSingleDecl()) {
    if (const auto* var = dyn_cast<VarDecl>(decl->getSingleDecl())) {
      shape.induction = var;
      start = var->getInit();
    }
  } else if (const auto* assign = dyn_cast_or_null<BinaryOperator>(loop->getInit());
             assign && assign->getOpcode() == BO_Assign) {
    shape.induction = referenced_var(assign->getLHS());
    start = assign->getRHS();
  }
  if (!shape.induction || !shape.induction->getType()->isIntegralOrEnumerationType()) return LoopShape();

  const auto* condition = dyn_cast_or_null<BinaryOperator>(loop->getCond() ? loop->getCond()->IgnoreParenImpCasts() : nullptr);
  if (!condition || referenced_var(condition->getLHS()) != shape.induction) return LoopShape();
  if (condition->getOpcode() != BO_LT && condition->getOpcode() != BO_LE && condition->getOpcode() != BO_NE)
    return LoopShape();
  shape.bound = condition->getRHS()->IgnoreParenImpCasts();
  shape.inclusive = condition->getOpcode() == BO_LE;

  const Expr* step = loop->getInc() ? loop->getInc()->IgnoreParenImpCasts() : nullptr;
  bool unit_step = false;
  if (const auto* inc = dyn_cast_or_null<UnaryOperator>(step))
    unit_step = inc->isIncrementOp() && referenced_var(inc->getSubExpr()) == shape.induction;
  if (!unit_step) return LoopShape();
  shape.start = start;
  if (const auto* literal = dyn_cast_or_null<IntegerLiteral>(start ? start->IgnoreParenImpCasts() : nullptr))
    shape.starts_at_zero = literal->getValue() == 0;
  return shape;
}

const Stmt* parent_stmt(const Stmt* s, ASTContext& context) {
  auto parents = context.getParents(*s);
  return parents.empty() ? nullptr : parents[0].get<Stmt>();
}

const FunctionDecl* enclosing_function(const Stmt* s, ASTContext& context) {
  DynTypedNodeList parents = context.getParents(*s);
  while (!parents.empty()) {
    const DynTypedNode& node = parents[0];
    if (const auto* f = node.get<FunctionDecl>()) return f;
    if (const auto* lambda = node.get<LambdaExpr>()) return lambda->getCallOperator();
    parents = context.getParents(node);
  }
  return nullptr;
}

bool stored_as_distance(const CallExpr* call, ASTContext& context) {
  DynTypedNodeList parents = context.getParents(*call);
  while (!parents.empty()) {
    const DynTypedNode& node = parents[0];
    if (const auto* var = node.get<VarDecl>()) return is_floating_or_dependent(var->getType());
    if (const auto* assign = node.get<BinaryOperator>()) return assign->isAssignmentOp();
    const auto* e = node.get<Expr>();
    if (!e || !(isa<ImplicitCastExpr, ParenExpr, ExprWithCleanups, MaterializeTemporaryExpr, CXXBindTemporaryExpr>(e)))
      return false;
    parents = context.getParents(node);
  }
  return false;
}

std::string qualified(const FunctionDecl* f) {
  if (const auto* method = dyn_cast<CXXMethodDecl>(f); method && method->getParent()->isLambda()) {
    const DeclContext* outer = method->getParent()->getDeclContext();
    while (outer && !isa<FunctionDecl>(outer)) outer = outer->getParent();
    return (outer ? qualified(cast<FunctionDecl>(outer)) : std::string("(global)")) + "::(lambda)";
  }
  // A class template's constructor prints as `GraphIndex<Dist>`: named as its class is.
  if (const auto* constructor = dyn_cast<CXXConstructorDecl>(f))
    return constructor->getParent()->getQualifiedNameAsString() + "::" + constructor->getParent()->getNameAsString();
  return f->getQualifiedNameAsString();
}

std::string source_text(SourceRange range, const ASTContext& context) {
  const SourceManager& sources = context.getSourceManager();
  CharSourceRange chars = Lexer::makeFileCharRange(CharSourceRange::getTokenRange(range), sources, context.getLangOpts());
  if (chars.isInvalid()) return "";
  return Lexer::getSourceText(chars, sources, context.getLangOpts()).str();
}

std::string source_text(const Stmt* s, const ASTContext& context) { return source_text(s->getSourceRange(), context); }

std::string excerpt(SourceRange range, const ASTContext& context) {
  std::string text = source_text(range, context);
  std::string out;
  int lines = 0;
  for (size_t pos = 0; pos < text.size() && lines < 6; ++lines) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    size_t first = line.find_first_not_of(" \t");
    if (!out.empty()) out += "\n";
    out += first == std::string::npos ? "" : line.substr(first);
    pos = end + 1;
  }
  return out;
}

std::string file_path(SourceLocation location, const SourceManager& sources) {
  // The file manager knows the real path even of a file named relative to a
  // compilation database entry's directory.
  FileID file = sources.getFileID(sources.getExpansionLoc(location));
  if (OptionalFileEntryRef entry = sources.getFileEntryRefForID(file))
    if (llvm::StringRef real = entry->getFileEntry().tryGetRealPathName(); !real.empty()) return real.str();
  llvm::StringRef name = sources.getFilename(sources.getExpansionLoc(location));
  if (name.empty()) return "";
  llvm::SmallString<256> real;
  if (llvm::sys::fs::real_path(name, real)) return name.str();
  return std::string(real);
}

bool is_class_invariant(const clang::Expr* e) {
  e = e->IgnoreParenImpCasts();
  if (llvm::isa<clang::IntegerLiteral>(e)) return true;
  const auto* member = llvm::dyn_cast<clang::MemberExpr>(e);
  return member && llvm::isa<clang::FieldDecl>(member->getMemberDecl()) &&
         llvm::isa<clang::CXXThisExpr>(member->getBase()->IgnoreParenImpCasts());
}

}  // namespace crinn::sites
