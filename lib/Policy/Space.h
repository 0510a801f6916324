// The space a policy searches: the offers of a tree's sites and plans over
// them, as lib/Schema defines them, and the rule that keeps two entries of a
// plan from editing the same code. The policy layer knows this schema only,
// nothing of Clang.
#pragma once

#include "Schema/Schema.h"

#include <random>
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

}  // namespace crinn::policy
