#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// adaptive-ef: On the query path, ends the beam search once the best `k`
// results have not changed for a window of expansions proportional to the
// result set's size (ef when full): easy queries stop early, hard ones use
// the whole beam. The build runs the search as before. Result-changing.
class AdaptiveEf : public Rewrite {
 public:
  const char* name() const override { return "adaptive-ef"; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
};

}  // namespace crinn::rewrite
