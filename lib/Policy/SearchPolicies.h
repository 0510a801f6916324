// The policies that need nothing but the rewrite space (no endpoint): the
// built-in one, and the yardsticks it is compared with (random search, a
// (1+lambda) evolutionary search, a bandit over rewrite kinds). crinn-tune
// and the offline comparison make them by name.
#pragma once

#include "Policy/Policy.h"

#include <memory>
#include <string>

namespace crinn::policy {

// "builtin", "random", "evolution", "bandit".
inline constexpr const char* kSearchPolicies[] = {"builtin", "random", "evolution", "bandit"};

// Whether `kind` names one of them.
bool is_search_policy(const std::string& kind);

// The policy named `kind` over `offers`, seeded; null for another name.
std::unique_ptr<Policy> make_search_policy(const std::string& kind, std::vector<Offer> offers, uint64_t seed);

}  // namespace crinn::policy
