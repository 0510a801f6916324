// --reward, as crinn-bench and crinn-tune take it: how the QPS-recall curve
// is reduced to one number over the recall window.
#pragma once

#include "Bench/Metrics.h"

#include "llvm/Support/CommandLine.h"

namespace crinn::tools {

inline auto reward_shapes() {
  return llvm::cl::values(
      clEnumValN(bench::RewardShape::Area, "area",
                 "the area under QPS over the window (CRINN's reward; the bottom of the window weighs most)"),
      clEnumValN(bench::RewardShape::GeometricMean, "geomean",
                 "the geometric mean of QPS over the window (a factor gained anywhere counts the same; 0 if the "
                 "curve does not reach the window's top)"));
}

}  // namespace crinn::tools
