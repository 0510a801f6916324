#include "Policy/EvolutionPolicy.h"

#include <set>

namespace crinn::policy {

EvolutionPolicy::EvolutionPolicy(std::vector<Offer> options, uint64_t seed)
    : options_(std::move(options)), rng_(seed) {}

std::vector<Proposal> EvolutionPolicy::propose(const std::vector<Evaluated>& history, int group_size) {
  std::set<std::string> seen;
  for (const Evaluated& e : history) seen.insert(schema::plan_key(e.plan));
  const int parent = best_passed(history);
  auto child = [&] {
    return parent >= 0 ? mutate(history[size_t(parent)].plan, options_, rng_) : random_plan(options_, rng_);
  };
  std::vector<Proposal> group;
  for (int i = 0; i < group_size; ++i) group.push_back({draw_unseen(child, seen), parent});
  return group;
}

nlohmann::json EvolutionPolicy::state() const { return generator_state("evolution", rng_); }

void EvolutionPolicy::restore(const nlohmann::json& state) { restore_generator(state, "evolution", rng_); }

}  // namespace crinn::policy
