// Policies raced against a surrogate: each policy proposes groups of plans,
// and each plan "measures" as the surrogate predicts, with the measurement
// noise of the live runs and failures drawn at the predicted rate. After a
// budget of evaluations, a run's score is the surrogate's (noise-free) reward
// of the plan it measured best, as a live run's closing comparison would
// re-measure it. Many seeds give each policy a distribution of scores.
#pragma once

#include "Offline/Surrogate.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace crinn::offline {

struct RaceConfig {
  std::vector<std::string> policies = {"builtin", "random", "evolution", "bandit"};
  std::vector<int> budgets = {20, 50, 100};  // evaluations; each a multiple of nothing, the last group is cut
  int seeds = 100;
  int group = 4;
  double noise_sd = 0.05;  // of one measured log reward
  std::optional<nlohmann::json> builtin_init;  // a saved built-in policy to start from (transfer)
};

struct RaceScores {
  std::string policy;
  int budget = 0;
  std::vector<double> best;  // per seed, the reward of the best measured plan
  double mean = 0.0, low = 0.0, high = 0.0;  // mean and its 95 % bootstrap interval
};

// One RaceScores per policy and budget, policies in the config's order.
std::vector<RaceScores> race(const Surrogate& surrogate, const std::vector<schema::Offer>& offers,
                             const RaceConfig& config);

}  // namespace crinn::offline
