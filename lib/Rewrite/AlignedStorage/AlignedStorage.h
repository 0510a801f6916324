#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// aligned-storage: Allocates the std::vector<float> that holds the vectors with an aligned, padded allocator, and adapts the uses that need the default allocator. Result-preserving.
class AlignedStorage : public Rewrite {
 public:
  const char* name() const override { return "aligned-storage"; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
};

}  // namespace crinn::rewrite
