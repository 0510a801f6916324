#include "Policy/BanditPolicy.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace crinn::policy {

BanditPolicy::BanditPolicy(std::vector<Offer> options, BanditConfig config)
    : options_(std::move(options)), config_(config), rng_(config.seed) {
  for (const Offer& offer : options_)
    if (std::find(arms_.begin(), arms_.end(), offer.rewrite) == arms_.end()) arms_.push_back(offer.rewrite);
}

double BanditPolicy::score(const std::string& arm) const {
  auto used = uses_.find(arm);
  if (used == uses_.end() || used->second == 0) return INFINITY;
  int total = 0;
  for (const auto& [name, uses] : uses_) total += uses;
  // AUC of the window: the i-th oldest outcome weighs i + 1.
  const std::deque<int>& window = outcomes_.at(arm);
  double area = 0.0, full = 0.0;
  for (size_t i = 0; i < window.size(); ++i) {
    area += double(window[i]) * double(i + 1);
    full += double(i + 1);
  }
  const double credit = full > 0 ? area / full : 0.0;
  return credit + config_.exploration * std::sqrt(2.0 * std::log(double(total)) / double(used->second));
}

std::string BanditPolicy::choose_arm() {
  std::vector<std::string> best;
  double top = -INFINITY;
  for (const std::string& arm : arms_) {
    double s = score(arm);
    if (s > top) {
      top = s;
      best.clear();
    }
    if (s == top) best.push_back(arm);
  }
  return best[std::uniform_int_distribution<size_t>(0, best.size() - 1)(rng_)];
}

Plan BanditPolicy::edit(const Plan& parent, const std::string& arm) {
  std::vector<const Offer*> offers;
  for (const Offer& offer : options_)
    if (offer.rewrite == arm) offers.push_back(&offer);
  const Offer& offer = *offers[std::uniform_int_distribution<size_t>(0, offers.size() - 1)(rng_)];
  Plan child = parent;
  auto held = std::find_if(child.begin(), child.end(),
                           [&](const PlanEntry& e) { return e.site == offer.site && e.rewrite == offer.rewrite; });
  if (held == child.end())
    child.push_back(random_entry(offer, rng_));
  else if (offer.params.empty() || std::bernoulli_distribution(0.5)(rng_))
    child.erase(held);
  else
    *held = random_entry(offer, rng_);
  drop_exclusive_conflicts(child, options_, rng_);
  return child;
}

std::vector<Proposal> BanditPolicy::propose(const std::vector<Evaluated>& history, int group_size) {
  std::set<std::string> seen;
  for (const Evaluated& e : history) seen.insert(schema::plan_key(e.plan));
  const int parent = best_passed(history);
  const Plan base = parent >= 0 ? history[size_t(parent)].plan : Plan{};
  std::vector<Proposal> group;
  for (int i = 0; i < group_size && !arms_.empty(); ++i) {
    std::string arm = choose_arm();
    Plan plan = draw_unseen([&] { return edit(base, arm); }, seen);
    pending_[schema::plan_key(plan)] = arm;
    // Counted as used at once, so that a group spreads over the arms its scores tie.
    ++uses_[arm];
    outcomes_[arm];
    group.push_back({plan, parent});
  }
  return group;
}

void BanditPolicy::update(const std::vector<Evaluated>& group, const std::vector<Evaluated>& history) {
  // The best before this group, which a plan of it had to beat: at first the
  // unmodified source (rewards are ratios to it).
  double best = 1.0;
  for (size_t i = 0; i + group.size() < history.size(); ++i)
    if (!history[i].failed) best = std::max(best, history[i].reward);
  for (const Evaluated& e : group) {
    auto arm = pending_.find(schema::plan_key(e.plan));
    if (arm == pending_.end()) continue;
    std::deque<int>& window = outcomes_[arm->second];
    window.push_back(!e.failed && e.reward > best ? 1 : 0);
    if (int(window.size()) > config_.window) window.pop_front();
    pending_.erase(arm);
  }
}

nlohmann::json BanditPolicy::state() const {
  nlohmann::json arms = nlohmann::json::object();
  for (const std::string& arm : arms_)
    arms[arm] = {{"uses", uses_.count(arm) ? uses_.at(arm) : 0},
                 {"outcomes", outcomes_.count(arm) ? std::vector<int>(outcomes_.at(arm).begin(), outcomes_.at(arm).end())
                                                   : std::vector<int>{}}};
  nlohmann::json state = generator_state("bandit", rng_);
  state["arms"] = arms;
  return state;
}

void BanditPolicy::restore(const nlohmann::json& state) {
  restore_generator(state, "bandit", rng_);
  uses_.clear();
  outcomes_.clear();
  for (const auto& [arm, record] : state.at("arms").items()) {
    uses_[arm] = record.at("uses").get<int>();
    std::vector<int> outcomes = record.at("outcomes").get<std::vector<int>>();
    outcomes_[arm] = std::deque<int>(outcomes.begin(), outcomes.end());
  }
}

}  // namespace crinn::policy
