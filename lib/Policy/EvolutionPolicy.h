// A (1+lambda) evolutionary baseline over the same rewrite space as the
// built-in policy: each group is lambda children of the best plan that has
// passed the gates so far, each made by the standard mutation (every
// decision changes with probability one over their number, at least one
// does; policy::mutate). Until a plan passes, it draws plans as the random
// policy does. It learns nothing beyond which plan is best, so it is the
// bar a learning policy must clear (issue 19's offline comparison).
#pragma once

#include "Policy/Policy.h"

#include <random>

namespace crinn::policy {

class EvolutionPolicy : public Policy {
 public:
  EvolutionPolicy(std::vector<Offer> options, uint64_t seed);

  std::vector<Proposal> propose(const std::vector<Evaluated>& history, int group_size) override;
  void update(const std::vector<Evaluated>&, const std::vector<Evaluated>&) override {}
  nlohmann::json state() const override;
  void restore(const nlohmann::json& state) override;

 private:
  std::vector<Offer> options_;
  std::mt19937_64 rng_;
};

}  // namespace crinn::policy
