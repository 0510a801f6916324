#include "Offline/Surrogate.h"

#include "Tune/Referee.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace crinn::offline {

namespace {

// A reward of 0 (a plan that passed but earned nothing in the window) has no
// logarithm: it counts as a hundredth of the unmodified source.
double log_of(double reward) { return std::log(std::max(reward, 0.01)); }

}  // namespace

Surrogate::Surrogate(const Landscape& landscape, const ForestConfig& config)
    : Surrogate(landscape.offers, landscape.plans, config) {}

Surrogate::Surrogate(const std::vector<schema::Offer>& offers, const std::vector<Measured>& plans,
                     const ForestConfig& config)
    : features_(offers) {
  std::vector<std::vector<double>> all, passed;
  std::vector<double> fails, rewards;
  for (const Measured& m : plans) {
    all.push_back(features_.of(m.plan));
    fails.push_back(m.failed ? 1.0 : 0.0);
    if (m.failed) continue;
    passed.push_back(all.back());
    rewards.push_back(log_of(m.reward));
  }
  if (passed.empty()) throw std::invalid_argument("a surrogate needs plans that passed");
  reward_.fit(passed, rewards, config);
  failure_.fit(all, fails, config);
}

double Surrogate::log_reward(const schema::Plan& plan) const { return reward_.predict(features_.of(plan)); }

double Surrogate::failure_probability(const schema::Plan& plan) const {
  return failure_.predict(features_.of(plan));
}

HeldOut cross_validate(const Landscape& landscape, int folds, const ForestConfig& config) {
  const size_t n = landscape.plans.size();
  if (folds < 2 || n < size_t(folds)) throw std::invalid_argument("cross-validation needs at least as many plans as folds");
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  std::shuffle(order.begin(), order.end(), std::mt19937_64(config.seed));
  std::vector<double> predicted, measured, failed_scores, passed_scores;
  double brier = 0.0, base_brier = 0.0;
  HeldOut result;
  for (int fold = 0; fold < folds; ++fold) {
    std::vector<Measured> train, test;
    for (size_t i = 0; i < n; ++i) (int(i % size_t(folds)) == fold ? test : train).push_back(landscape.plans[order[i]]);
    Surrogate surrogate(landscape.offers, train, config);
    const double base_rate = double(std::count_if(train.begin(), train.end(), [](const Measured& m) { return m.failed; })) /
                             double(train.size());
    for (const Measured& m : test) {
      const double p = surrogate.failure_probability(m.plan), outcome = m.failed ? 1.0 : 0.0;
      brier += (p - outcome) * (p - outcome);
      base_brier += (base_rate - outcome) * (base_rate - outcome);
      (m.failed ? failed_scores : passed_scores).push_back(p);
      if (m.failed) {
        ++result.failed;
        continue;
      }
      ++result.passed;
      predicted.push_back(surrogate.log_reward(m.plan));
      measured.push_back(log_of(m.reward));
    }
  }
  result.rank_correlation = tune::rank_correlation(predicted, measured);
  result.failure_auc = tune::probability_greater(failed_scores, passed_scores);
  result.failure_brier = brier / double(n);
  result.base_rate_brier = base_brier / double(n);
  return result;
}

}  // namespace crinn::offline
