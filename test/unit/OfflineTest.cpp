#include "Offline/Race.h"
#include "Offline/Surrogate.h"
#include "Policy/Space.h"
#include "Tune/Referee.h"

#include "SiteListing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

namespace crinn::offline {
namespace {

nlohmann::json param(const char* type, double min, double max, double default_value) {
  return {{"type", type}, {"min", min}, {"max", max}, {"default", default_value}, {"doc", ""}};
}

nlohmann::json catalogue() {
  auto rewrite = [](const char* name, nlohmann::json params) {
    return nlohmann::json{{"rewrite", name}, {"preserves_results", false}, {"params", params}};
  };
  nlohmann::json sites = nlohmann::json::array();
  sites.push_back({{"id", "neighbor-loop:search"}, {"kind", "neighbor-loop"},
                   {"rewrites", {rewrite("prefetch-insertion", {{"distance", param("int", 1, 16, 2)}}),
                                 rewrite("early-termination", {{"patience", param("int", 1, 256, 16)}})}}});
  sites.push_back({{"id", "visited-set:search::visited"}, {"kind", "visited-set"},
                   {"rewrites", {rewrite("visited-set", {{"layout", param("int", 0, 1, 0)}})}}});
  sites.push_back({{"id", "constant:Params::M"}, {"kind", "constant"},
                   {"rewrites", {rewrite("constant-tuning", {{"value", param("int", 4, 64, 16)}})}}});
  return {{"sites", sites}};
}

const schema::PlanEntry* find(const schema::Plan& plan, const std::string& rewrite) {
  for (const schema::PlanEntry& e : plan)
    if (e.rewrite == rewrite) return &e;
  return nullptr;
}

// A made-up landscape: prefetching 2-4 ahead and the visited set help, early
// termination hurts, M far from 16 hurts, and early termination with
// patience below 8 fails.
Measured measure(const schema::Plan& plan, std::mt19937_64& noise) {
  Measured m{plan, 1.0, false, "", "random"};
  double log_reward = 0.0;
  if (const auto* p = find(plan, "prefetch-insertion")) log_reward += p->params.at("distance") <= 4 ? 0.4 : 0.1;
  if (find(plan, "visited-set")) log_reward += 0.3;
  if (const auto* e = find(plan, "early-termination")) {
    if (e->params.at("patience") < 8) {
      m.failed = true;
      m.reason = "recall: below the floor";
      m.reward = 0.0;
      return m;
    }
    log_reward -= 0.3;
  }
  if (const auto* c = find(plan, "constant-tuning")) log_reward -= std::abs(std::log2(c->params.at("value") / 16.0)) * 0.2;
  m.reward = std::exp(log_reward + std::normal_distribution<double>(0.0, 0.03)(noise));
  return m;
}

Landscape synthetic_landscape(int plans) {
  Landscape landscape;
  landscape.setting = "synthetic";
  landscape.offers = test::offers_of(catalogue());
  landscape.noise_sd = 0.03;
  std::mt19937_64 rng(11);
  for (int i = 0; i < plans; ++i) landscape.plans.push_back(measure(policy::random_plan(landscape.offers, rng), rng));
  return landscape;
}

TEST(Forest, LearnsAStepAndAnInteraction) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  for (int i = 0; i < 400; ++i) {
    std::vector<double> row = {uniform(rng), uniform(rng), uniform(rng)};
    y.push_back((row[0] > 0.5 ? 1.0 : 0.0) + (row[1] > 0.5 && row[2] > 0.5 ? 2.0 : 0.0));
    x.push_back(row);
  }
  Forest forest;
  forest.fit(x, y, ForestConfig());
  EXPECT_NEAR(forest.predict({0.9, 0.1, 0.1}), 1.0, 0.25);
  EXPECT_NEAR(forest.predict({0.1, 0.9, 0.9}), 2.0, 0.35);
  EXPECT_NEAR(forest.predict({0.9, 0.9, 0.9}), 3.0, 0.35);
  EXPECT_NEAR(forest.predict({0.1, 0.1, 0.9}), 0.0, 0.25);
  EXPECT_THROW(forest.fit({}, {}, ForestConfig()), std::invalid_argument);
}

// The trees agree where the target is a function of the row, and disagree
// where it is noise: the spread the built-in policy's screening reads.
TEST(Forest, SpreadIsWideWhereTheTargetIsNoise) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  for (int i = 0; i < 300; ++i) {
    std::vector<double> row = {uniform(rng), uniform(rng)};
    y.push_back(row[0] > 0.5 ? 1.0 : 4.0 * uniform(rng));
    x.push_back(row);
  }
  Forest forest;
  forest.fit(x, y, ForestConfig());
  const Forest::Spread certain = forest.predict_spread({0.9, 0.5});
  const Forest::Spread noisy = forest.predict_spread({0.1, 0.5});
  EXPECT_NEAR(certain.mean, 1.0, 0.1);
  EXPECT_GT(noisy.sd, 0.3);
  EXPECT_LT(certain.sd, noisy.sd / 2);
  EXPECT_NEAR(noisy.mean, forest.predict({0.1, 0.5}), 1e-9);
}

TEST(Surrogate, PredictsPlansItWasNotFittedOn) {
  const Landscape landscape = synthetic_landscape(300);
  const HeldOut held_out = cross_validate(landscape, 5, ForestConfig());
  EXPECT_EQ(held_out.passed + held_out.failed, 300);
  EXPECT_GT(held_out.failed, 0);
  EXPECT_GT(held_out.rank_correlation, 0.8);
  EXPECT_GT(held_out.failure_auc, 0.8);
  EXPECT_LT(held_out.failure_brier, held_out.base_rate_brier);
  const Surrogate surrogate(landscape, ForestConfig());
  const schema::Plan good = {{"neighbor-loop:search", "prefetch-insertion", {{"distance", 2}}},
                             {"visited-set:search::visited", "visited-set", {{"layout", 1}}}};
  const schema::Plan bad = {{"neighbor-loop:search", "early-termination", {{"patience", 2}}}};
  EXPECT_NEAR(surrogate.log_reward(good), 0.7, 0.15);
  EXPECT_GT(surrogate.failure_probability(bad), 0.5);
  EXPECT_LT(surrogate.failure_probability(good), 0.5);
}

TEST(Race, ScoresEveryPolicyAtEveryBudgetAndSearchBeatsNothing) {
  const Landscape landscape = synthetic_landscape(300);
  const Surrogate surrogate(landscape, ForestConfig());
  RaceConfig config;
  config.budgets = {8, 20};
  config.seeds = 20;
  config.noise_sd = landscape.noise_sd;
  const std::vector<RaceScores> scores = race(surrogate, landscape.offers, config);
  ASSERT_EQ(scores.size(), 8u);
  for (const RaceScores& s : scores) {
    EXPECT_EQ(s.best.size(), 20u) << s.policy;
    EXPECT_LE(s.low, s.mean);
    EXPECT_GE(s.high, s.mean);
    // The best plan found is better than the unmodified source (e^0.7 is the top).
    EXPECT_GT(s.mean, 1.2) << s.policy << " " << s.budget;
    EXPECT_LT(s.mean, std::exp(0.85)) << s.policy << " " << s.budget;
  }
  // More evaluations find better plans on average (not in every run: a
  // plan that measured higher by noise can be worse than the one it replaced).
  for (size_t i = 0; i < scores.size(); i += 2) EXPECT_GE(scores[i + 1].mean, scores[i].mean - 0.02) << scores[i].policy;
}

TEST(Landscape, ReadsRecordsAndNamesTheLineOfABadOne) {
  const std::string dir = ::testing::TempDir();
  {
    std::ofstream(dir + "/sites.json") << catalogue().dump();
    std::ofstream records(dir + "/records.jsonl");
    records << R"({"setting": "s", "plan": [{"site": "visited-set:search::visited", "rewrite": "visited-set", "params": {"layout": 1}}], "failure": "none", "reward": 1.3, "noise_sd": 0.02})" << "\n";
    records << R"({"setting": "s", "plan": [], "failure": "build", "reward": null, "reason": "x", "noise_sd": 0.04})" << "\n";
    records << R"({"setting": "s", "plan": [], "failure": "none", "reward": 1.0, "noise_sd": 0.03})" << "\n";
  }
  const Landscape landscape = read_landscape(dir + "/records.jsonl", dir + "/sites.json");
  EXPECT_EQ(landscape.setting, "s");
  ASSERT_EQ(landscape.plans.size(), 3u);
  EXPECT_TRUE(landscape.plans[1].failed);
  EXPECT_EQ(landscape.plans[1].reason, "build: x");
  EXPECT_DOUBLE_EQ(landscape.noise_sd, 0.03);
  std::ofstream(dir + "/records.jsonl", std::ios::app) << "{\"plan\": [], \"failure\": false}\n";
  try {
    read_landscape(dir + "/records.jsonl", dir + "/sites.json");
    FAIL() << "a record whose failure is not a gate's name was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("records.jsonl:4:"), std::string::npos) << e.what();
  }
}

TEST(PlanFeatures, HaveOneColumnPerDecision) {
  PlanFeatures features(test::offers_of(catalogue()));
  EXPECT_EQ(features.size(), 8u);  // four options, one parameter each
  const std::vector<double> x = features.of({{"constant:Params::M", "constant-tuning", {{"value", 24}}}});
  EXPECT_EQ(x, (std::vector<double>{0, 0, 0, 0, 0, -1, 1, 24}));
}

}  // namespace
}  // namespace crinn::offline
