#include "Offline/Race.h"

#include "Policy/BuiltinPolicy.h"
#include "Policy/SearchPolicies.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <sstream>
#include <stdexcept>

namespace crinn::offline {

namespace {

// The mean of `values` and its 95 % percentile bootstrap interval.
void summarise(RaceScores& scores, uint64_t seed) {
  const std::vector<double>& v = scores.best;
  double sum = 0.0;
  for (double x : v) sum += x;
  scores.mean = sum / double(v.size());
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> draw(0, v.size() - 1);
  std::vector<double> means;
  for (int b = 0; b < 2000; ++b) {
    double s = 0.0;
    for (size_t i = 0; i < v.size(); ++i) s += v[draw(rng)];
    means.push_back(s / double(v.size()));
  }
  std::sort(means.begin(), means.end());
  scores.low = means[size_t(0.025 * double(means.size()))];
  scores.high = means[size_t(0.975 * double(means.size())) - 1];
}

}  // namespace

void simulate(policy::Policy& policy, const Surrogate& surrogate, int evaluations, int group, double noise_sd,
              uint64_t seed, const std::function<void(int, double)>& after_each) {
  // The measurement's noise and failures: the same stream for every policy
  // at one seed, so they differ by what they propose only.
  std::mt19937_64 world(0x9e3779b97f4a7c15ull * seed);
  std::vector<policy::Evaluated> history;
  double best_measured = -INFINITY, best_true = 1.0;  // the unmodified source until a plan passes
  while (int(history.size()) < evaluations) {
    const int size = std::min(group, evaluations - int(history.size()));
    std::vector<policy::Evaluated> round;
    for (const policy::Proposal& proposal : policy.propose(history, size)) {
      policy::Evaluated e;
      e.plan = proposal.plan;
      e.parent = proposal.parent;
      e.failed = proposal.plan.empty() ? false
                                       : std::bernoulli_distribution(std::clamp(surrogate.failure_probability(e.plan), 0.0, 1.0))(world);
      const double truth = surrogate.log_reward(e.plan);
      const double measured = truth + std::normal_distribution<double>(0.0, noise_sd)(world);
      if (e.failed) {
        e.reward = 0.0;
        e.failure_reason = "surrogate: drawn at the predicted failure rate";
      } else {
        e.reward = std::exp(measured);
        if (measured > best_measured) {
          best_measured = measured;
          best_true = std::exp(truth);
        }
      }
      round.push_back(e);
      history.push_back(e);
      if (after_each) after_each(int(history.size()), best_true);
    }
    if (round.empty()) return;
    policy.update(round, history);
  }
}

nlohmann::json train_builtin(const Surrogate& surrogate, const std::vector<schema::Offer>& offers, int evaluations,
                             int group, double noise_sd, uint64_t seed, const std::optional<nlohmann::json>& init) {
  std::unique_ptr<policy::Policy> builtin = policy::make_search_policy("builtin", offers, seed);
  if (init) builtin->restore(*init);
  simulate(*builtin, surrogate, evaluations, group, noise_sd, seed, {});
  return builtin->state();
}

std::vector<RaceScores> race(const Surrogate& surrogate, const std::vector<schema::Offer>& offers,
                             const RaceConfig& config) {
  if (config.budgets.empty() || config.seeds < 1 || config.group < 1) throw std::invalid_argument("an empty race");
  std::vector<int> budgets = config.budgets;
  std::sort(budgets.begin(), budgets.end());
  const int longest = budgets.back();
  // Each row's name and how it makes its policy for a seed.
  using Factory = std::function<std::unique_ptr<policy::Policy>(uint64_t)>;
  std::vector<std::pair<std::string, Factory>> rows;
  for (const std::string& kind : config.policies) {
    rows.emplace_back(kind, [&offers, kind](uint64_t seed) { return policy::make_search_policy(kind, offers, seed); });
    if (kind != "builtin") continue;
    for (const std::string& parts : config.ablations) {
      const policy::BuiltinConfig ablated = policy::ablated(policy::BuiltinConfig(), parts);
      std::string label = "builtin";
      std::istringstream split(parts);
      for (std::string part; std::getline(split, part, '+');) label += " -" + part;
      rows.emplace_back(label, [&offers, ablated](uint64_t seed) -> std::unique_ptr<policy::Policy> {
        policy::BuiltinConfig seeded = ablated;
        seeded.seed = seed;
        return std::make_unique<policy::BuiltinPolicy>(offers, seeded);
      });
    }
  }
  std::vector<RaceScores> all;
  for (const auto& [kind, make] : rows) {
    std::vector<RaceScores> by_budget;
    for (int budget : config.budgets) by_budget.push_back({kind, budget, {}});
    for (int seed = 1; seed <= config.seeds; ++seed) {
      std::unique_ptr<policy::Policy> policy = make(uint64_t(seed));
      if (!policy) throw std::invalid_argument("no policy named '" + kind + "'");
      if (kind.rfind("builtin", 0) == 0 && config.builtin_init) policy->restore(*config.builtin_init);
      size_t next_budget = 0;
      simulate(*policy, surrogate, longest, config.group, config.noise_sd, uint64_t(seed), [&](int evaluated, double best) {
        for (; next_budget < budgets.size() && evaluated == budgets[next_budget]; ++next_budget)
          for (RaceScores& s : by_budget)
            if (s.budget == budgets[next_budget]) s.best.push_back(best);
      });
    }
    for (RaceScores& s : by_budget) {
      if (s.best.size() != size_t(config.seeds)) throw std::runtime_error(kind + " proposed fewer plans than the budget");
      summarise(s, uint64_t(s.budget));
      all.push_back(std::move(s));
    }
  }
  return all;
}

}  // namespace crinn::offline
