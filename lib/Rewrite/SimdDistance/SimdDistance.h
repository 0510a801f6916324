#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// simd-distance: Replaces the reduction loop of a distance kernel by a call to an AVX-512 / AVX2 kernel of crinn/runtime/distance.h, chosen at compile time with a scalar fallback. Reassociates float additions.
class SimdDistance : public Rewrite {
 public:
  const char* name() const override { return "simd-distance"; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
};

}  // namespace crinn::rewrite
