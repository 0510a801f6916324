#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// early-termination: Stops the best-first search after a number of consecutive expansions that added fewer than min_inserts new results (by default: none), once a minimum number of nodes was expanded. May change results.
class EarlyTermination : public Rewrite {
 public:
  const char* name() const override { return "early-termination"; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
};

}  // namespace crinn::rewrite
