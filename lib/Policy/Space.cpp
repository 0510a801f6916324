#include "Policy/Space.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

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

Plan draw_unseen(const std::function<Plan()>& draw, std::set<std::string>& seen) {
  Plan plan = draw();
  for (int attempt = 0; attempt < 100 && seen.count(schema::plan_key(plan)); ++attempt) plan = draw();
  seen.insert(schema::plan_key(plan));
  return plan;
}

nlohmann::json generator_state(const std::string& kind, const std::mt19937_64& rng) {
  std::ostringstream text;
  text << rng;
  return {{"kind", kind}, {"rng", text.str()}};
}

void restore_generator(const nlohmann::json& state, const std::string& kind, std::mt19937_64& rng) {
  if (state.value("kind", "") != kind) throw std::invalid_argument("not the state of a " + kind + " policy");
  std::istringstream text(state.at("rng").get<std::string>());
  text >> rng;
  if (!text) throw std::invalid_argument("the state of a " + kind + " policy with a malformed generator");
}

double random_value(const ParamRange& param, std::mt19937_64& rng) {
  std::vector<double> values = param.values();
  return values[std::uniform_int_distribution<size_t>(0, values.size() - 1)(rng)];
}

PlanEntry random_entry(const Offer& offer, std::mt19937_64& rng) {
  PlanEntry entry{offer.site, offer.rewrite, {}};
  for (const ParamRange& param : offer.params) entry.params[param.name] = random_value(param, rng);
  return entry;
}

Plan random_plan(const std::vector<Offer>& offers, std::mt19937_64& rng) {
  Plan plan;
  for (const Offer& offer : offers)
    if (!std::bernoulli_distribution(0.5)(rng)) plan.push_back(random_entry(offer, rng));
  drop_exclusive_conflicts(plan, offers, rng);
  return plan;
}

Plan mutate(const Plan& parent, const std::vector<Offer>& offers, std::mt19937_64& rng) {
  auto find = [&](const Offer& offer) {
    return std::find_if(parent.begin(), parent.end(),
                        [&](const PlanEntry& e) { return e.site == offer.site && e.rewrite == offer.rewrite; });
  };
  // The decisions: one inclusion per option, one value per parameter of an included option.
  size_t decisions = offers.size();
  for (const Offer& offer : offers)
    if (find(offer) != parent.end()) decisions += offer.params.size();
  if (decisions == 0) return parent;
  const double rate = 1.0 / double(decisions);
  auto draw_child = [&] {
    // The one decision that changes for sure.
    const size_t forced = std::uniform_int_distribution<size_t>(0, decisions - 1)(rng);
    size_t decision = 0;
    auto changes = [&]() { return decision++ == forced || std::bernoulli_distribution(rate)(rng); };
    Plan child;
    for (const Offer& offer : offers) {
      auto held = find(offer);
      const bool included = held != parent.end();
      const bool flips = changes();
      if (included && !flips) {
        PlanEntry entry = *held;
        for (const ParamRange& param : offer.params)
          if (changes()) entry.params[param.name] = random_value(param, rng);
        child.push_back(entry);
      } else if (included) {
        decision += offer.params.size();  // dropped: its parameters are not drawn
      } else if (flips) {
        child.push_back(random_entry(offer, rng));
      }
    }
    drop_exclusive_conflicts(child, offers, rng);
    return child;
  };
  // A value drawn again may be the same one: a child is never its parent.
  Plan child = draw_child();
  for (int attempt = 0; attempt < 100 && schema::plan_key(child) == schema::plan_key(parent); ++attempt)
    child = draw_child();
  return child;
}

}  // namespace crinn::policy
