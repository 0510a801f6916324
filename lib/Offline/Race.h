// Policies raced against a surrogate: each policy proposes groups of plans,
// and each plan "measures" as the surrogate predicts, with the measurement
// noise of the live runs and failures drawn at the predicted rate. After a
// budget of evaluations, a run's score is the surrogate's (noise-free) reward
// of the plan it measured best, as a live run's closing comparison would
// re-measure it. Many seeds give each policy a distribution of scores.
#pragma once

#include "Offline/Surrogate.h"
#include "Policy/Policy.h"

#include <nlohmann/json.hpp>

#include <functional>
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
  // Parts taken out of the built-in policy, each raced as its own row after
  // the built-in one ("builtin -learning"): '+'-joined lists for
  // policy::ablated, such as "learning" or "learning+screening".
  std::vector<std::string> ablations;
};

struct RaceScores {
  std::string policy;
  int budget = 0;
  std::vector<double> best;  // per seed, the reward of the best measured plan
  double mean = 0.0, low = 0.0, high = 0.0;  // mean and its 95 % bootstrap interval
};

// One run of `policy` against the surrogate for `evaluations` plans in
// groups of `group`: each measures as the surrogate predicts, with log-normal
// noise of `noise_sd` and failures drawn at the predicted rate (the same
// draws for every policy at one seed); `after_each` gets the plans evaluated
// so far and the surrogate's reward of the best measured one.
void simulate(policy::Policy& policy, const Surrogate& surrogate, int evaluations, int group, double noise_sd,
              uint64_t seed, const std::function<void(int, double)>& after_each);

// The built-in policy learned offline: its state (a policy.json, for
// --policy-init) after one simulated run of `evaluations` plans, started
// from `init` if given.
nlohmann::json train_builtin(const Surrogate& surrogate, const std::vector<schema::Offer>& offers, int evaluations,
                             int group, double noise_sd, uint64_t seed, const std::optional<nlohmann::json>& init);

// One RaceScores per policy and budget, policies in the config's order.
std::vector<RaceScores> race(const Surrogate& surrogate, const std::vector<schema::Offer>& offers,
                             const RaceConfig& config);

}  // namespace crinn::offline
