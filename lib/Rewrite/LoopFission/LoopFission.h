#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// loop-fission: Splits the neighbour loop into a gather loop (visited checks, unvisited ids into a batch, their vectors prefetched) and a compute loop over the batch, the batch form of GLASS's search. Result-preserving. Planned with quantized-distance on the same loop, a query on codes prefetches each gathered neighbour's code (quantized-distance's `prefetch` lines) instead of its vector.
class LoopFission : public Rewrite {
 public:
  const char* name() const override { return "loop-fission"; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
};

}  // namespace crinn::rewrite
