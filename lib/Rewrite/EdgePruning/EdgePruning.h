#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// edge-pruning: Relaxes (alpha > 1) or tightens (alpha < 1) the pruning test of heuristic neighbour selection, Vamana style, and can raise the bound on the neighbours kept. Changes the graph.
class EdgePruning : public Rewrite {
 public:
  const char* name() const override { return "edge-pruning"; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
};

}  // namespace crinn::rewrite
