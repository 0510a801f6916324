#include "Rewrite/EdgePruning/EdgePruning.h"

#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

std::optional<schema::RewriteOption> EdgePruning::option_for(const sites::Site& site, ASTContext&) const {
  const auto* pruning = std::get_if<sites::PruningRoutine>(&site.detail);
  if (!pruning) return std::nullopt;
  schema::RewriteOption option{name(),
                              {real_param("alpha", 0.7, 1.6, 1.0,
                                          "a candidate is pruned when alpha * d(candidate, kept) < d(candidate, node); "
                                          "alpha > 1 keeps more, longer edges")},
                              false,
                              "changes the graph"};
  if (pruning->degree_test)
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
