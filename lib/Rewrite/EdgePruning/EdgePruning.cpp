#include "Rewrite/EdgePruning/EdgePruning.h"

#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

#include "clang/AST/ExprCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::ast_matchers;
using namespace clang::transformer;

namespace {

// Whether a caller hands the routine its degree bound and then refuses a
// longer result (`if (kept.size() > M_) throw ...;`, hnswlib's
// mutuallyConnectNewElement): its link storage holds no more, so a raised
// bound would only make every build fail.
bool caller_refuses_more(const sites::PruningRoutine& pruning, ASTContext& context) {
  const auto* bound = dyn_cast<DeclRefExpr>(pruning.degree_test->getRHS()->IgnoreParenImpCasts());
  const auto* parameter = bound ? dyn_cast<ParmVarDecl>(bound->getDecl()) : nullptr;
  const FunctionDecl* routine = sites::enclosing_function(pruning.outer_loop, context);
  if (!parameter || !routine) return false;
  const unsigned position = parameter->getFunctionScopeIndex();
  // Calls of the routine, or of its instantiations where it is a template's
  // (hnswlib's HierarchicalNSW<dist_t>): the template's own calls are unresolved.
  auto is_routine = [&](const FunctionDecl* f) {
    const FunctionDecl* pattern = f->getTemplateInstantiationPattern();
    return f->getCanonicalDecl() == routine->getCanonicalDecl() ||
           (pattern && pattern->getCanonicalDecl() == routine->getCanonicalDecl());
  };
  for (const BoundNodes& found :
       match(callExpr(callee(functionDecl(hasName(routine->getName())).bind("callee"))).bind("call"), context)) {
    const auto* call = found.getNodeAs<CallExpr>("call");
    if (!is_routine(found.getNodeAs<FunctionDecl>("callee"))) continue;
    const unsigned offset = isa<CXXOperatorCallExpr>(call) ? 1 : 0;
    const FunctionDecl* caller = sites::enclosing_function(call, context);
    if (call->getNumArgs() <= position + offset || !caller || !caller->getBody()) continue;
    const std::string passed = sites::source_text(call->getArg(position + offset), context);
    bool refuses = false;
    sites::visit_stmts(caller->getBody(), [&](const Stmt* s) {
      const auto* test = dyn_cast<IfStmt>(s);
      const auto* compare = test ? dyn_cast<BinaryOperator>(test->getCond()->IgnoreParenImpCasts()) : nullptr;
      if (refuses || !compare || compare->getOpcode() != BO_GT ||
          sites::source_text(compare->getRHS(), context) != passed)
        return;
      const auto* size = dyn_cast<CXXMemberCallExpr>(compare->getLHS()->IgnoreParenImpCasts());
      if (!size || !size->getMethodDecl() || size->getMethodDecl()->getName() != "size") return;
      sites::visit_stmts(test->getThen(), [&](const Stmt* inner) { refuses |= isa<CXXThrowExpr>(inner); });
    });
    if (refuses) return true;
  }
  return false;
}

}  // namespace

std::optional<schema::RewriteOption> EdgePruning::option_for(const sites::Site& site, ASTContext& context) const {
  const auto* pruning = std::get_if<sites::PruningRoutine>(&site.detail);
  if (!pruning) return std::nullopt;
  schema::RewriteOption option{name(),
                              {real_param("alpha", 0.7, 1.6, 1.0,
                                          "a candidate is pruned when alpha * d(candidate, kept) < d(candidate, node); "
                                          "alpha > 1 keeps more, longer edges")},
                              false,
                              "changes the graph"};
  if (pruning->degree_test && !caller_refuses_more(*pruning, context))
    option.params.push_back(int_param("extra_degree", 0, 32, 0, "neighbours kept beyond the original bound"));
  return option;
}

llvm::Expected<RewriteRule> EdgePruning::rule(const sites::Site& site, const Params& params, ASTContext& context) const {
  const auto& pruning = std::get<sites::PruningRoutine>(site.detail);
  llvm::SmallVector<ASTEdit, 1> edits;
  if (double alpha = params.get("alpha"); alpha != 1.0)
    edits.push_back(changeTo(fixed(node_range(pruning.kept_distance->getSourceRange(), context)),
                             cat("(" + format_number(alpha, false) + " * " +
                                 sites::source_text(pruning.kept_distance, context) + ")")));
  if (params.values().count("extra_degree") && params.get_int("extra_degree") > 0) {
    const Expr* bound = pruning.degree_test->getRHS();
    edits.push_back(changeTo(fixed(node_range(bound->getSourceRange(), context)),
                             cat("(" + sites::source_text(bound, context) + " + " +
                                 std::to_string(params.get_int("extra_degree")) + ")")));
  }
  return rule_at(pruning.outer_loop, std::move(edits));
}

std::unique_ptr<Rewrite> make_EdgePruning() { return std::make_unique<EdgePruning>(); }

}  // namespace crinn::rewrite
