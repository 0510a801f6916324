// The space a policy searches: the offers of a tree's sites and plans over
// them, as lib/Schema defines them, and the rule that keeps two entries of a
// plan from editing the same code. The policy layer knows this schema only,
// nothing of Clang.
#pragma once

#include "Schema/Schema.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace crinn::policy {

using schema::Offer;
using schema::ParamRange;
using schema::Plan;
using schema::PlanEntry;

// Keeps, at each site, one of the plan's entries whose rewrite replaces the
// site's code (drawn uniformly): two of them cannot both apply. The other
// entries keep their order.
void drop_exclusive_conflicts(Plan& plan, const std::vector<Offer>& offers, std::mt19937_64& rng);

// A plan from `draw` whose key is not in `seen`, tried up to 100 times (a
// small space can run out of new plans: then a repeat is allowed); its key
// joins `seen`.
Plan draw_unseen(const std::function<Plan()>& draw, std::set<std::string>& seen);

// The saved state of a policy whose only memory is its generator (random
// search, the evolutionary search): {"kind": kind, "rng": ...}.
nlohmann::json generator_state(const std::string& kind, const std::mt19937_64& rng);
// Restores `rng` from such a state; std::invalid_argument when the state is
// another kind's or its generator is malformed.
void restore_generator(const nlohmann::json& state, const std::string& kind, std::mt19937_64& rng);

// One of the parameter's values, drawn uniformly.
double random_value(const ParamRange& param, std::mt19937_64& rng);

// An entry of `offer` whose parameters take one of their values each, drawn uniformly.
PlanEntry random_entry(const Offer& offer, std::mt19937_64& rng);

// A plan of uniform random search: each option in with probability 1/2, its
// parameters drawn uniformly, exclusive conflicts dropped.
Plan random_plan(const std::vector<Offer>& offers, std::mt19937_64& rng);

// A child of `parent` by the standard mutation of evolutionary search: each
// option's inclusion flips, and each parameter of an included option is
// drawn again, with probability 1 / (the number of such decisions); at
// least one decision changes, and the child differs from its parent where
// the space allows. Exclusive conflicts are dropped.
Plan mutate(const Plan& parent, const std::vector<Offer>& offers, std::mt19937_64& rng);

}  // namespace crinn::policy
