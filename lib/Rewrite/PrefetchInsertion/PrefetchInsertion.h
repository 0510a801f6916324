#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// prefetch-insertion: Prefetches the vector of the neighbour d iterations ahead in the neighbour loop of a search or of an upper layer's greedy walk (and, optionally, the adjacency list of a node as it enters the candidate pool), so its cache lines arrive while earlier distances are computed. Result-preserving. Planned with quantized-distance on the same loop, a query on codes prefetches the code ahead instead.
class PrefetchInsertion : public Rewrite {
 public:
  const char* name() const override { return "prefetch-insertion"; }
  bool knows_greedy_walks() const override { return true; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
};

}  // namespace crinn::rewrite
