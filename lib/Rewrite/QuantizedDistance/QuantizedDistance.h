#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// quantized-distance: Makes the search loop compute its distances on an SQ8
// or SQ4 copy of the vectors (per-dimension offset, one shared step, SIMD
// integer kernels from crinn/runtime/quantized.h), kept beside the float
// storage as a new member and built after the graph: a scope at the top of
// the query path trains and updates it, so the build still runs on floats and
// builds the same index. After the beam, the best `rerank` candidates get
// their exact distances back. The vectors are a std::vector<float> member or
// rows of a byte buffer that hold more than the vector (hnswlib's level-0
// block, whose row count and vector size come from the method that adds a
// row). Result-changing. Planned with loop-fission on the same loop, the
// codes are prefetched by the gather loop, one per unvisited neighbour.
class QuantizedDistance : public Rewrite {
 public:
  const char* name() const override { return "quantized-distance"; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                       clang::ASTContext& context) const override;
};

}  // namespace crinn::rewrite
