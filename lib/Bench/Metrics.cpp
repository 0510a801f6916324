#include "Bench/Metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace crinn::bench {

int hits_at_k(const float* true_distances, int k, const std::vector<double>& returned_distances, double epsilon) {
  if (k <= 0) return 0;
  double threshold = double(true_distances[k - 1]) + epsilon;
  int hits = 0;
  for (size_t i = 0; i < returned_distances.size() && i < size_t(k); ++i)
    if (returned_distances[i] <= threshold) ++hits;
  return hits;
}

double recall_at_k(const float* true_distances, int k, const std::vector<double>& returned_distances,
                   double epsilon) {
  return k > 0 ? double(hits_at_k(true_distances, k, returned_distances, epsilon)) / k : 0.0;
}

std::vector<CurvePoint> pareto_frontier(std::vector<CurvePoint> points) {
  // By falling recall; keep a point only if it is faster than every point of
  // higher recall.
  std::sort(points.begin(), points.end(), [](const CurvePoint& a, const CurvePoint& b) {
    return a.recall != b.recall ? a.recall > b.recall : a.qps > b.qps;
  });
  std::vector<CurvePoint> frontier;
  for (const CurvePoint& p : points)
    if (frontier.empty() || p.qps > frontier.back().qps) frontier.push_back(p);
  std::reverse(frontier.begin(), frontier.end());
  return frontier;
}

std::optional<double> qps_at_recall(const std::vector<CurvePoint>& points, double recall) {
  std::vector<CurvePoint> frontier = pareto_frontier(points);
  if (frontier.empty() || recall > frontier.back().recall) return std::nullopt;
  if (recall <= frontier.front().recall) return frontier.front().qps;
  for (size_t i = 1; i < frontier.size(); ++i) {
    const CurvePoint& a = frontier[i - 1];
    const CurvePoint& b = frontier[i];
    if (recall <= b.recall) return a.qps + (b.qps - a.qps) * (recall - a.recall) / (b.recall - a.recall);
  }
  return frontier.back().qps;
}

double auc_reward(const std::vector<CurvePoint>& points, double low, double high) {
  std::vector<CurvePoint> frontier = pareto_frontier(points);
  if (frontier.empty() || high <= low) return 0.0;
  double top = std::min(high, frontier.back().recall);
  if (top <= low) return 0.0;

  // The curve's breakpoints inside [low, top], plus the two ends.
  std::vector<double> xs = {low, top};
  for (const CurvePoint& p : frontier)
    if (p.recall > low && p.recall < top) xs.push_back(p.recall);
  std::sort(xs.begin(), xs.end());

  double area = 0.0;
  for (size_t i = 1; i < xs.size(); ++i)
    area += (xs[i] - xs[i - 1]) * (*qps_at_recall(frontier, xs[i - 1]) + *qps_at_recall(frontier, xs[i])) / 2.0;
  return area;
}

double geometric_mean_reward(const std::vector<CurvePoint>& points, double low, double high) {
  std::vector<CurvePoint> frontier = pareto_frontier(points);
  if (frontier.empty() || high <= low || frontier.back().recall < high) return 0.0;
  // The nines of recall, -log10(1 - recall); recall 1 counts as six nines.
  auto nines = [](double recall) { return -std::log10(std::max(1.0 - recall, 1e-6)); };
  const double from = nines(low), to = nines(high);
  // The midpoint rule in nines: log q is smooth between the frontier's
  // points, so this many steps leave an error far below any measurement's.
  // Recall rises with the steps, so the frontier piece is found by walking.
  constexpr int kSteps = 1024;
  double mean_log = 0.0;
  size_t piece = 1;
  for (int step = 0; step < kSteps; ++step) {
    const double recall = 1.0 - std::pow(10.0, -(from + (to - from) * (step + 0.5) / kSteps));
    while (piece < frontier.size() && frontier[piece].recall < recall) ++piece;
    double qps = frontier.front().qps;  // below the lowest point, its QPS
    if (recall > frontier.front().recall && piece < frontier.size()) {
      const CurvePoint& a = frontier[piece - 1];
      const CurvePoint& b = frontier[piece];
      qps = a.qps + (b.qps - a.qps) * (recall - a.recall) / (b.recall - a.recall);
    }
    if (qps <= 0.0) return 0.0;
    mean_log += std::log(qps) / kSteps;
  }
  return std::exp(mean_log);
}

double window_reward(const std::vector<CurvePoint>& points, double low, double high, RewardShape shape) {
  return shape == RewardShape::GeometricMean ? geometric_mean_reward(points, low, high) : auc_reward(points, low, high);
}

const char* reward_shape_name(RewardShape shape) { return shape == RewardShape::GeometricMean ? "geomean" : "area"; }

std::optional<RewardShape> parse_reward_shape(const std::string& name) {
  if (name == "area") return RewardShape::Area;
  if (name == "geomean") return RewardShape::GeometricMean;
  return std::nullopt;
}

std::string describe_reward(RewardShape shape, double low, double high) {
  char window[64];
  std::snprintf(window, sizeof window, "[%g, %g]", low, high);
  return shape == RewardShape::GeometricMean
             ? "the geometric mean of QPS over recall " + std::string(window) + ", each nine of recall weighing the same"
             : "the area under QPS-recall over recall " + std::string(window);
}

}  // namespace crinn::bench
