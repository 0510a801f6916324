#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// multi-entry: On the query path, seeds the layer-0 beam with `count` extra
// entry points chosen after the build (spread out by farthest-point sampling,
// or the highest-degree nodes), each put through the neighbour loop's own
// body (visited check, distance, pushes), so a query starts near more of the
// data. Result-changing; the build is unchanged.
class MultiEntry : public Rewrite {
 public:
  const char* name() const override { return "multi-entry"; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
};

}  // namespace crinn::rewrite
