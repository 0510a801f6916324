#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// adjacency-reorder: Sorts every layer-0 adjacency list nearest-first, once
// the index stops growing (on the first query after the build), so that the
// search meets a node's closest neighbours first and the beam fills with good
// candidates sooner. Renumbering nodes is not offered. Result-changing only
// through the order neighbours enter the beam; the build is unchanged.
class AdjacencyReorder : public Rewrite {
 public:
  const char* name() const override { return "adjacency-reorder"; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
};

}  // namespace crinn::rewrite
