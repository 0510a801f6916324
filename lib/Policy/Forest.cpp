#include "Policy/Forest.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace crinn::policy {

namespace {

struct Builder {
  const std::vector<std::vector<double>>& x;
  const std::vector<double>& y;
  const ForestConfig& config;
  std::mt19937_64& rng;
  size_t columns;

  double mean(const std::vector<size_t>& rows) const {
    double sum = 0.0;
    for (size_t r : rows) sum += y[r];
    return sum / double(rows.size());
  }

  // The split of `rows` on one of a random subset of columns that most
  // reduces the squared error, or column -1 when none does.
  struct Split {
    int column = -1;
    double threshold = 0.0, gain = 0.0;
  };
  Split best_split(const std::vector<size_t>& rows) {
    std::vector<size_t> order(columns);
    std::iota(order.begin(), order.end(), size_t(0));
    std::shuffle(order.begin(), order.end(), rng);
    const size_t tried = std::max<size_t>(1, size_t(std::ceil(config.columns_per_split * double(columns))));
    double total = 0.0, total_sq = 0.0;
    for (size_t r : rows) {
      total += y[r];
      total_sq += y[r] * y[r];
    }
    const double n = double(rows.size());
    const double error = total_sq - total * total / n;
    Split best;
    std::vector<std::pair<double, double>> keyed(rows.size());
    for (size_t c = 0; c < tried && c < order.size(); ++c) {
      const size_t column = order[c];
      for (size_t i = 0; i < rows.size(); ++i) keyed[i] = {x[rows[i]][column], y[rows[i]]};
      std::sort(keyed.begin(), keyed.end());
      double left = 0.0, left_sq = 0.0;
      for (size_t i = 0; i + 1 < keyed.size(); ++i) {
        left += keyed[i].second;
        left_sq += keyed[i].second * keyed[i].second;
        const double nl = double(i + 1), nr = n - nl;
        if (keyed[i].first == keyed[i + 1].first || nl < config.min_leaf || nr < config.min_leaf) continue;
        const double right = total - left, right_sq = total_sq - left_sq;
        const double split_error = (left_sq - left * left / nl) + (right_sq - right * right / nr);
        if (error - split_error > best.gain + 1e-12) {
          best.column = int(column);
          best.threshold = (keyed[i].first + keyed[i + 1].first) / 2.0;
          best.gain = error - split_error;
        }
      }
    }
    return best;
  }
};

}  // namespace

void Forest::fit(const std::vector<std::vector<double>>& x, const std::vector<double>& y, const ForestConfig& config) {
  if (x.empty() || x.size() != y.size()) throw std::invalid_argument("a forest needs one target per row, and rows");
  for (const auto& row : x)
    if (row.size() != x.front().size()) throw std::invalid_argument("a forest's rows must be equally long");
  std::mt19937_64 rng(config.seed);
  trees_.clear();
  for (int t = 0; t < config.trees; ++t) {
    std::vector<size_t> sample(x.size());
    std::uniform_int_distribution<size_t> draw(0, x.size() - 1);
    for (size_t& r : sample) r = draw(rng);
    Tree tree;
    // Grown breadth-first over a work list: node index and its rows.
    std::vector<std::pair<int, std::vector<size_t>>> work;
    std::vector<int> depth_of;
    tree.push_back({});
    depth_of.push_back(0);
    work.push_back({0, sample});
    Builder builder{x, y, config, rng, x.front().size()};
    while (!work.empty()) {
      auto [index, rows] = std::move(work.back());
      work.pop_back();
      tree[size_t(index)].value = builder.mean(rows);
      if (depth_of[size_t(index)] >= config.max_depth || int(rows.size()) < 2 * config.min_leaf) continue;
      Builder::Split split = builder.best_split(rows);
      if (split.column < 0) continue;
      std::vector<size_t> left, right;
      for (size_t r : rows) (x[r][size_t(split.column)] <= split.threshold ? left : right).push_back(r);
      const int left_index = int(tree.size()), right_index = left_index + 1;
      tree[size_t(index)].column = split.column;
      tree[size_t(index)].threshold = split.threshold;
      tree[size_t(index)].left = left_index;
      tree[size_t(index)].right = right_index;
      tree.push_back({});
      tree.push_back({});
      depth_of.push_back(depth_of[size_t(index)] + 1);
      depth_of.push_back(depth_of[size_t(index)] + 1);
      work.push_back({left_index, std::move(left)});
      work.push_back({right_index, std::move(right)});
    }
    trees_.push_back(std::move(tree));
  }
}

double Forest::predict(const Tree& tree, const std::vector<double>& row) {
  int node = 0;
  while (tree[size_t(node)].column >= 0)
    node = row[size_t(tree[size_t(node)].column)] <= tree[size_t(node)].threshold ? tree[size_t(node)].left
                                                                                  : tree[size_t(node)].right;
  return tree[size_t(node)].value;
}

double Forest::predict(const std::vector<double>& row) const {
  if (trees_.empty()) return 0.0;
  double sum = 0.0;
  for (const Tree& tree : trees_) sum += predict(tree, row);
  return sum / double(trees_.size());
}

Forest::Spread Forest::predict_spread(const std::vector<double>& row) const {
  Spread spread;
  if (trees_.empty()) return spread;
  double sum = 0.0, sum_sq = 0.0;
  for (const Tree& tree : trees_) {
    const double value = predict(tree, row);
    sum += value;
    sum_sq += value * value;
  }
  const double n = double(trees_.size());
  spread.mean = sum / n;
  spread.sd = std::sqrt(std::max(0.0, sum_sq / n - spread.mean * spread.mean));
  return spread;
}

}  // namespace crinn::policy
