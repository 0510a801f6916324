#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// loop-unroll: Adds unroll hints to the reduction loop of a distance kernel and, with accumulators > 1, splits the reduction over independent accumulators so consecutive additions do not wait on each other. Reassociates float additions when accumulators > 1.
class LoopUnroll : public Rewrite {
 public:
  const char* name() const override { return "loop-unroll"; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
};

}  // namespace crinn::rewrite
