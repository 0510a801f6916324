// The numbers ANN people compare indexes by: recall@k as ann-benchmarks
// defines it, and the QPS-recall curve reduced to points and areas.
#pragma once

#include <optional>
#include <vector>

namespace crinn::bench {

constexpr double kRecallEpsilon = 1e-3;

// ann-benchmarks' recall@k for one query: the fraction of the k returned
// items whose true distance is within the k-th true neighbour's distance plus
// epsilon (so ties at the k-th distance all count). `true_distances` holds at
// least k sorted distances; `returned_distances` the distances of the items
// the index returned (missing items are simply absent).
double recall_at_k(const float* true_distances, int k, const std::vector<double>& returned_distances,
                   double epsilon = kRecallEpsilon);

struct CurvePoint {
  double recall = 0.0;
  double qps = 0.0;
};

// The points no other point beats in both recall and QPS, by rising recall.
std::vector<CurvePoint> pareto_frontier(std::vector<CurvePoint> points);

// QPS reachable at `recall` on the frontier: interpolated linearly between
// frontier points, the lowest point's QPS below its recall (that point already
// delivers more), and nothing above the highest recall reached.
std::optional<double> qps_at_recall(const std::vector<CurvePoint>& points, double recall);

// CRINN's reward: the area under the interpolated QPS-recall curve between
// recall `low` and `high`, by the trapezoid rule over the frontier's points
// (exact for the piecewise-linear curve). A curve that stops short of `high`
// earns nothing past its last point.
double auc_reward(const std::vector<CurvePoint>& points, double low, double high);

}  // namespace crinn::bench
