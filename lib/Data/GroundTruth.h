#pragma once

#include "Data/Dataset.h"

namespace crinn::data {

// Exact top-k neighbours of every test row by a blocked brute force: a BLAS
// matrix product ranks candidates in float, then the best k + margin of each
// query are re-ranked with exact double-precision distances, so ties and
// rounding near the k-th neighbour cannot misorder the answer.
GroundTruth compute_ground_truth(const Dataset& dataset, int k);

}  // namespace crinn::data
