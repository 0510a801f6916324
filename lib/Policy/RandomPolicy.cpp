#include "Policy/RandomPolicy.h"

#include <set>

namespace crinn::policy {

RandomPolicy::RandomPolicy(std::vector<Offer> options, uint64_t seed)
    : options_(std::move(options)), rng_(seed) {}

Plan RandomPolicy::draw() { return random_plan(options_, rng_); }

std::vector<Proposal> RandomPolicy::propose(const std::vector<Evaluated>& history, int group_size) {
  std::set<std::string> seen;
  for (const Evaluated& e : history) seen.insert(schema::plan_key(e.plan));
  std::vector<Proposal> group;
  for (int i = 0; i < group_size; ++i) {
    group.push_back({draw_unseen([&] { return draw(); }, seen), -1});
  }
  return group;
}

nlohmann::json RandomPolicy::state() const { return generator_state("random", rng_); }

void RandomPolicy::restore(const nlohmann::json& state) { restore_generator(state, "random", rng_); }

}  // namespace crinn::policy
