#include "Bench/Metrics.h"

#include <algorithm>

namespace crinn::bench {

double recall_at_k(const float* true_distances, int k, const std::vector<double>& returned_distances,
                   double epsilon) {
  if (k <= 0) return 0.0;
  double threshold = double(true_distances[k - 1]) + epsilon;
  int hits = 0;
  for (size_t i = 0; i < returned_distances.size() && i < size_t(k); ++i)
    if (returned_distances[i] <= threshold) ++hits;
  return double(hits) / k;
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

}  // namespace crinn::bench
