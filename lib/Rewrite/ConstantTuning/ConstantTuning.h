#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// constant-tuning: Sets a tunable constant (M, ef_construction, a degree bound...) to a value within a declared range. Changes the index.
class ConstantTuning : public Rewrite {
 public:
  const char* name() const override { return "constant-tuning"; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
};

}  // namespace crinn::rewrite
