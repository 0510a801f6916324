// A bandit over rewrite kinds, after OpenTuner's AUC bandit meta-technique:
// each arm is a rewrite (quantized-distance, prefetch-insertion, ...), and a
// proposal edits the best passed plan at one offer of the chosen arm's
// rewrite (adds it with drawn parameters, draws its parameters again, or
// drops it). An arm's credit is the area under the curve of its last
// `window` outcomes (1 when its plan beat the best so far), weighting recent
// ones more, plus an exploration bonus sqrt(2 ln(uses) / arm's uses); an
// unused arm goes first. Until a plan passes, it edits the empty plan.
#pragma once

#include "Policy/Policy.h"

#include <deque>
#include <map>
#include <random>

namespace crinn::policy {

struct BanditConfig {
  int window = 50;             // OpenTuner's default
  double exploration = 0.05;   // OpenTuner's C: the weight of the exploration bonus
  uint64_t seed = 1;
};

class BanditPolicy : public Policy {
 public:
  BanditPolicy(std::vector<Offer> options, BanditConfig config);

  std::vector<Proposal> propose(const std::vector<Evaluated>& history, int group_size) override;
  void update(const std::vector<Evaluated>& group, const std::vector<Evaluated>& history) override;
  nlohmann::json state() const override;
  void restore(const nlohmann::json& state) override;

  // The arm's score now: its AUC credit plus the exploration bonus (for tests).
  double score(const std::string& arm) const;

 private:
  std::string choose_arm();
  Plan edit(const Plan& parent, const std::string& arm);

  std::vector<Offer> options_;
  BanditConfig config_;
  std::vector<std::string> arms_;
  std::map<std::string, std::deque<int>> outcomes_;  // the last `window` outcomes of each arm
  std::map<std::string, int> uses_;
  std::map<std::string, std::string> pending_;  // plan key -> arm, for proposals not yet updated
  std::mt19937_64 rng_;
};

}  // namespace crinn::policy
