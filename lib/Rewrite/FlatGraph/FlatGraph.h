#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// flat-graph: Makes the search loop read layer 0's adjacency lists from one
// dense, aligned N x R array of ids (crinn/runtime/flat_graph.h), a new
// member copied from the index's nested lists after the graph is built: a
// scope at the top of the query path makes the copy when the index has grown.
// The neighbour loop's range becomes the row of the expanded node when the
// list it reads is layer 0's. Result-preserving.
class FlatGraph : public Rewrite {
 public:
  const char* name() const override { return "flat-graph"; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
};

}  // namespace crinn::rewrite
