// The surrogate of a landscape: one forest predicts a plan's log reward
// (fitted on the plans that passed), another its chance of failing (fitted on
// all, 0 or 1). Policies then run against it in milliseconds instead of
// minutes (the way NAS-Bench and YAHPO Gym benchmark optimisers).
#pragma once

#include "Offline/Landscape.h"
#include "Policy/Forest.h"
#include "Policy/PlanFeatures.h"

namespace crinn::offline {

using policy::Forest;
using policy::ForestConfig;
using policy::PlanFeatures;

class Surrogate {
 public:
  Surrogate(const Landscape& landscape, const ForestConfig& config);
  Surrogate(const std::vector<schema::Offer>& offers, const std::vector<Measured>& plans, const ForestConfig& config);

  double log_reward(const schema::Plan& plan) const;
  double failure_probability(const schema::Plan& plan) const;

 private:
  PlanFeatures features_;
  Forest reward_, failure_;
};

// How well the surrogate predicts plans it was not fitted on: the plans are
// split into `folds`, each predicted by a surrogate fitted on the others.
struct HeldOut {
  double rank_correlation = 0.0;   // Spearman's, predicted against measured log reward, of the passed plans
  // The failure model, judged as the race uses it, a probability to draw
  // failures at: how well it ranks a failed plan above a passed one (area
  // under the ROC curve, 0.5 for guessing), and its Brier score (mean squared
  // error of the probability) beside that of predicting each fold's base rate.
  double failure_auc = 0.0;
  double failure_brier = 0.0;
  double base_rate_brier = 0.0;
  int passed = 0, failed = 0;
};
HeldOut cross_validate(const Landscape& landscape, int folds, const ForestConfig& config);

}  // namespace crinn::offline
