#include "Policy/RandomPolicy.h"

#include <set>
#include <sstream>
#include <stdexcept>

namespace crinn::policy {

RandomPolicy::RandomPolicy(std::vector<Offer> options, uint64_t seed)
    : options_(std::move(options)), rng_(seed) {}

Plan RandomPolicy::draw() {
  Plan plan;
  for (const Offer& option : options_) {
    if (std::bernoulli_distribution(0.5)(rng_)) continue;
    PlanEntry entry{option.site, option.rewrite, {}};
    for (const ParamRange& param : option.params) {
      std::vector<double> values = param.values();
      entry.params[param.name] = values[std::uniform_int_distribution<size_t>(0, values.size() - 1)(rng_)];
    }
    plan.push_back(entry);
  }
  drop_exclusive_conflicts(plan, options_, rng_);
  return plan;
}

std::vector<Proposal> RandomPolicy::propose(const std::vector<Evaluated>& history, int group_size) {
  std::set<std::string> seen;
  for (const Evaluated& e : history) seen.insert(schema::plan_key(e.plan));
  std::vector<Proposal> group;
  for (int i = 0; i < group_size; ++i) {
    Plan plan = draw();
    // A small space can run out of new plans: then a repeat is allowed.
    for (int attempt = 0; attempt < 100 && seen.count(schema::plan_key(plan)); ++attempt) plan = draw();
    seen.insert(schema::plan_key(plan));
    group.push_back({plan, -1});
  }
  return group;
}

nlohmann::json RandomPolicy::state() const {
  std::ostringstream rng;
  rng << rng_;
  return {{"kind", "random"}, {"rng", rng.str()}};
}

void RandomPolicy::restore(const nlohmann::json& state) {
  if (state.value("kind", "") != "random") throw std::invalid_argument("not a random policy's state");
  std::istringstream rng(state.at("rng").get<std::string>());
  rng >> rng_;
  if (!rng) throw std::invalid_argument("a random policy's state with a malformed generator");
}

}  // namespace crinn::policy
