#include "Bench/Metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace crinn::bench {
namespace {

TEST(RecallAtK, CountsItemsWithinTheKthDistancePlusEpsilon) {
  const float truth[] = {1.0f, 2.0f, 3.0f};
  EXPECT_DOUBLE_EQ(recall_at_k(truth, 3, {1.0, 2.0, 3.0}), 1.0);
  EXPECT_DOUBLE_EQ(recall_at_k(truth, 3, {1.0, 2.0, 3.5}), 2.0 / 3.0);
  // Within epsilon of the k-th distance counts; beyond it does not.
  EXPECT_DOUBLE_EQ(recall_at_k(truth, 3, {1.0, 2.0, 3.0009}), 1.0);
  EXPECT_DOUBLE_EQ(recall_at_k(truth, 3, {1.0, 2.0, 3.0011}), 2.0 / 3.0);
}

TEST(RecallAtK, TiesAtTheKthDistanceAllCount) {
  // Four points tie at distance 2; any two of them complete the top 3.
  const float truth[] = {1.0f, 2.0f, 2.0f, 2.0f, 2.0f};
  EXPECT_DOUBLE_EQ(recall_at_k(truth, 3, {2.0, 2.0, 1.0}), 1.0);
  EXPECT_DOUBLE_EQ(recall_at_k(truth, 3, {2.0, 2.0, 2.0}), 1.0);
}

TEST(RecallAtK, MissingItemsCountAsMisses) {
  const float truth[] = {1.0f, 2.0f, 3.0f, 4.0f};
  EXPECT_DOUBLE_EQ(recall_at_k(truth, 4, {1.0, 2.0}), 0.5);
  EXPECT_DOUBLE_EQ(recall_at_k(truth, 4, {}), 0.0);
}

TEST(RecallAtK, OnlyTheFirstKReturnedItemsCount) {
  const float truth[] = {1.0f, 2.0f};
  EXPECT_DOUBLE_EQ(recall_at_k(truth, 2, {9.0, 1.0, 2.0}), 0.5);
}

TEST(ParetoFrontier, DropsDominatedPointsAndSortsByRecall) {
  std::vector<CurvePoint> frontier =
      pareto_frontier({{0.95, 500}, {0.90, 1000}, {0.92, 400}, {0.99, 200}, {0.99, 100}});
  ASSERT_EQ(frontier.size(), 3u);
  EXPECT_DOUBLE_EQ(frontier[0].recall, 0.90);
  EXPECT_DOUBLE_EQ(frontier[1].recall, 0.95);
  EXPECT_DOUBLE_EQ(frontier[2].recall, 0.99);
  EXPECT_DOUBLE_EQ(frontier[2].qps, 200);
}

TEST(QpsAtRecall, InterpolatesLinearlyBetweenFrontierPoints) {
  std::vector<CurvePoint> curve = {{0.80, 1000}, {0.90, 600}, {0.99, 150}};
  EXPECT_DOUBLE_EQ(*qps_at_recall(curve, 0.85), 800);
  EXPECT_DOUBLE_EQ(*qps_at_recall(curve, 0.90), 600);
  EXPECT_NEAR(*qps_at_recall(curve, 0.95), 600 - 450 * (0.05 / 0.09), 1e-9);
  // Below the lowest recall the lowest point already delivers more.
  EXPECT_DOUBLE_EQ(*qps_at_recall(curve, 0.50), 1000);
  EXPECT_FALSE(qps_at_recall(curve, 0.995).has_value());
}

// The curve (0.80, 1000) (0.90, 600) (0.99, 150) in the window [0.85, 0.95]:
// q(0.85) = 800, q(0.90) = 600, q(0.95) = 600 - 450 * 5/9 = 350;
// area = 0.05 * (800 + 600) / 2 + 0.05 * (600 + 350) / 2 = 35 + 23.75.
TEST(AucReward, MatchesTheHandComputedTrapezoids) {
  std::vector<CurvePoint> curve = {{0.80, 1000}, {0.90, 600}, {0.99, 150}};
  EXPECT_NEAR(auc_reward(curve, 0.85, 0.95), 58.75, 1e-9);
}

TEST(AucReward, EarnsNothingPastTheHighestRecallReached) {
  std::vector<CurvePoint> curve = {{0.80, 1000}, {0.90, 600}};
  // Only [0.85, 0.90] counts: 0.05 * (800 + 600) / 2.
  EXPECT_NEAR(auc_reward(curve, 0.85, 0.95), 35.0, 1e-9);
  EXPECT_DOUBLE_EQ(auc_reward(curve, 0.95, 0.999), 0.0);
  EXPECT_DOUBLE_EQ(auc_reward({}, 0.85, 0.95), 0.0);
}

TEST(AucReward, AFlatCurveGivesQpsTimesWindowWidth) {
  EXPECT_NEAR(auc_reward({{0.99, 100}}, 0.85, 0.95), 10.0, 1e-9);
}

TEST(AucReward, DominatedPointsDoNotChangeTheArea) {
  std::vector<CurvePoint> curve = {{0.80, 1000}, {0.90, 600}, {0.99, 150}};
  double clean = auc_reward(curve, 0.85, 0.95);
  curve.push_back({0.93, 100});
  EXPECT_DOUBLE_EQ(auc_reward(curve, 0.85, 0.95), clean);
}

// The top of the window weighs by its nines: a curve that is twice as fast
// only past recall 0.998 (what a better graph gives) gains 7 % by the area
// and 20 % by the geometric mean over nines (2^0.3 = 1.23, less the ramp).
TEST(GeometricMeanReward, WeighsTheTopOfTheWindowByItsNines) {
  std::vector<CurvePoint> slow = {{0.99, 20000}, {0.998, 8000}, {0.999, 4000}};
  std::vector<CurvePoint> fast_top = {{0.99, 20000}, {0.998, 8000}, {0.9985, 8000}, {0.999, 8000}};
  EXPECT_LT(auc_reward(fast_top, 0.99, 0.999) / auc_reward(slow, 0.99, 0.999), 1.08);
  const double gain = geometric_mean_reward(fast_top, 0.99, 0.999) / geometric_mean_reward(slow, 0.99, 0.999);
  EXPECT_GT(gain, 1.15);
  EXPECT_LT(gain, 1.23);
  // A flat curve's reward is its QPS; a curve below the top earns nothing.
  EXPECT_NEAR(geometric_mean_reward({{0.999, 300}}, 0.9, 0.99), 300.0, 1e-9);
  EXPECT_DOUBLE_EQ(geometric_mean_reward({{0.98, 300}}, 0.9, 0.99), 0.0);
  // QPS falling by 10x a nine, q = 10^(4 - t) over t = 2..3 nines: the mean
  // of log10 q is 1.5, so the reward is 10^1.5 (interpolation between many
  // points of that curve).
  std::vector<CurvePoint> tenfold;
  for (int i = 0; i <= 400; ++i) {
    const double t = 2.0 + i / 400.0;
    tenfold.push_back({1.0 - std::pow(10.0, -t), std::pow(10.0, 4.0 - t)});
  }
  EXPECT_NEAR(geometric_mean_reward(tenfold, 0.99, 0.999) / std::pow(10.0, 1.5), 1.0, 1e-3);
  EXPECT_DOUBLE_EQ(window_reward(slow, 0.99, 0.999, RewardShape::Area), auc_reward(slow, 0.99, 0.999));
}

TEST(RewardShape, NamesRoundTrip) {
  for (RewardShape shape : {RewardShape::Area, RewardShape::GeometricMean})
    EXPECT_EQ(parse_reward_shape(reward_shape_name(shape)), shape);
  EXPECT_FALSE(parse_reward_shape("auc").has_value());
}

}  // namespace
}  // namespace crinn::bench
