// A random forest of regression trees (Breiman's: bootstrap samples, a random
// subset of the columns tried at each split, variance reduction, leaves of a
// few samples), small enough to read: the built-in policy's model of reward
// and failure over plans, and the surrogate of a recorded landscape. A 0/1
// target makes its prediction a probability.
#pragma once

#include <cstdint>
#include <vector>

namespace crinn::policy {

struct ForestConfig {
  int trees = 100;
  int min_leaf = 3;
  int max_depth = 16;
  double columns_per_split = 1.0 / 3.0;  // of all columns, at least one
  uint64_t seed = 1;
};

class Forest {
 public:
  // Rows of `x` (each as long as the first), one target per row; throws
  // std::invalid_argument on no rows or mismatched lengths.
  void fit(const std::vector<std::vector<double>>& x, const std::vector<double>& y, const ForestConfig& config);
  double predict(const std::vector<double>& row) const;  // the trees' mean
  // The trees' mean and standard deviation: how sure the forest is there.
  struct Spread {
    double mean = 0.0, sd = 0.0;
  };
  Spread predict_spread(const std::vector<double>& row) const;

 private:
  struct Node {
    int column = -1;  // -1: a leaf holding `value`
    double threshold = 0.0, value = 0.0;
    int left = -1, right = -1;  // rows with x[column] <= threshold go left
  };
  using Tree = std::vector<Node>;
  static double predict(const Tree& tree, const std::vector<double>& row);

  std::vector<Tree> trees_;
};

}  // namespace crinn::policy
