#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// visited-set: Replaces a per-query hash set of visited nodes with an epoch-tagged array (or bitset) reused across queries: O(1) clearing and no hashing. Result-preserving.
class VisitedSet : public Rewrite {
 public:
  const char* name() const override { return "visited-set"; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
};

}  // namespace crinn::rewrite
