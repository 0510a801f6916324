// The numbers ANN people compare indexes by: recall@k as ann-benchmarks
// defines it, and the QPS-recall curve reduced to points and areas.
#pragma once

#include <optional>
#include <string>
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

// The same count, as a whole number of hits: a set's recall is its hits over
// queries x k, divided once, so that a recall of 0.999 by count compares
// equal to a window's 0.999 (a sum of per-query fractions drifts below it).
int hits_at_k(const float* true_distances, int k, const std::vector<double>& returned_distances,
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

// The geometric mean of QPS over recall in [low, high], taken over the nines
// of recall (-log10(1 - recall)), as ANN plots scale their recall axis:
// 0.99 to 0.999 weighs what 0.9 to 0.99 does, and within [0.99, 0.999] the
// stretch from 0.998 up weighs 30 % (by recall it is 11 %). A factor gained
// anywhere counts by its log, so a faster top is worth what a faster bottom
// is, where the area lets the bottom's high QPS outweigh it. 0 when the
// curve does not reach `high`.
double geometric_mean_reward(const std::vector<CurvePoint>& points, double low, double high);

// How a curve is reduced to its reward over the recall window.
enum class RewardShape { Area, GeometricMean };
double window_reward(const std::vector<CurvePoint>& points, double low, double high, RewardShape shape);
// "area" or "geomean", as --reward takes it; parse_reward_shape returns
// nothing for another name.
const char* reward_shape_name(RewardShape shape);
std::optional<RewardShape> parse_reward_shape(const std::string& name);
// What the reward is, in words, for tables and reports.
std::string describe_reward(RewardShape shape, double low, double high);

}  // namespace crinn::bench
