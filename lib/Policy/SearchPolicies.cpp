#include "Policy/SearchPolicies.h"

#include "Policy/BanditPolicy.h"
#include "Policy/BuiltinPolicy.h"
#include "Policy/EvolutionPolicy.h"
#include "Policy/RandomPolicy.h"

namespace crinn::policy {

bool is_search_policy(const std::string& kind) {
  for (const char* name : kSearchPolicies)
    if (kind == name) return true;
  return false;
}

std::unique_ptr<Policy> make_search_policy(const std::string& kind, std::vector<Offer> offers, uint64_t seed) {
  if (kind == "builtin") {
    BuiltinConfig config;
    config.seed = seed;
    return std::make_unique<BuiltinPolicy>(std::move(offers), config);
  }
  if (kind == "random") return std::make_unique<RandomPolicy>(std::move(offers), seed);
  if (kind == "evolution") return std::make_unique<EvolutionPolicy>(std::move(offers), seed);
  if (kind == "bandit") {
    BanditConfig config;
    config.seed = seed;
    return std::make_unique<BanditPolicy>(std::move(offers), config);
  }
  return nullptr;
}

}  // namespace crinn::policy
