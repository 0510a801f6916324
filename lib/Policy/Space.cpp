#include "Policy/Space.h"

#include <algorithm>
#include <map>
#include <set>

namespace crinn::policy {

void drop_exclusive_conflicts(Plan& plan, const std::vector<Offer>& offers, std::mt19937_64& rng) {
  // The group of an entry: "" (none), the whole site, or a named group.
  auto group = [&](const PlanEntry& entry) -> std::string {
    for (const Offer& o : offers)
      if (o.site == entry.site && o.rewrite == entry.rewrite)
        return o.replaces_site ? std::string("(site)") : o.exclusive_group;
    return "";
  };
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> by_group;
  for (size_t i = 0; i < plan.size(); ++i)
    if (std::string g = group(plan[i]); !g.empty()) by_group[{plan[i].site, g}].push_back(i);
  std::set<size_t> dropped;
  for (const auto& [key, entries] : by_group) {
    size_t keep = std::uniform_int_distribution<size_t>(0, entries.size() - 1)(rng);
    for (size_t j = 0; j < entries.size(); ++j)
      if (j != keep) dropped.insert(entries[j]);
  }
  Plan kept;
  for (size_t i = 0; i < plan.size(); ++i)
    if (!dropped.count(i)) kept.push_back(plan[i]);
  plan = std::move(kept);
}

}  // namespace crinn::policy
