// Uniform random search over the same rewrite space as the built-in policy:
// each (site, rewrite) option is in a plan with probability 1/2 (of two that
// replace one site's code, one is kept), each of its parameters takes one of
// its values with equal probability, and a plan already evaluated is drawn
// again. It learns nothing; bench/learning.sh runs
// it beside the built-in policy at the same budget to show what learning adds.
#pragma once

#include "Policy/Policy.h"

#include <random>

namespace crinn::policy {

class RandomPolicy : public Policy {
 public:
  RandomPolicy(std::vector<Offer> options, uint64_t seed);

  std::vector<Proposal> propose(const std::vector<Evaluated>& history, int group_size) override;
  void update(const std::vector<Evaluated>&, const std::vector<Evaluated>&) override {}
  nlohmann::json state() const override;
  void restore(const nlohmann::json& state) override;

 private:
  Plan draw();

  std::vector<Offer> options_;
  std::mt19937_64 rng_;
};

}  // namespace crinn::policy
