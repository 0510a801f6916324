#include "Policy/BuiltinPolicy.h"

#include "Policy/Forest.h"
#include "Policy/PlanFeatures.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>

namespace crinn::policy {

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::vector<double> softmax(const std::vector<double>& logits, size_t n) {
  std::vector<double> p(logits.begin(), logits.begin() + long(n));
  double top = *std::max_element(p.begin(), p.end());
  double sum = 0.0;
  for (double& v : p) sum += (v = std::exp(v - top));
  for (double& v : p) v /= sum;
  return p;
}

size_t index_of(const std::vector<double>& values, double value) {
  size_t best = 0;
  for (size_t i = 1; i < values.size(); ++i)
    if (std::fabs(values[i] - value) < std::fabs(values[best] - value)) best = i;
  return best;
}

const PlanEntry* find_entry(const Plan& plan, const Offer& option) {
  for (const PlanEntry& entry : plan)
    if (entry.site == option.site && entry.rewrite == option.rewrite) return &entry;
  return nullptr;
}

// A failed plan blames the values it chose, not whether it held its
// rewrites: a rewrite fails for some of its parameter values (4-bit codes,
// a shallow re-rank), and learning to leave it out loses its good values too.
void drop_inclusions(std::map<std::string, std::vector<double>>& gradient) {
  for (auto it = gradient.begin(); it != gradient.end();)
    it = it->first.rfind("include", 0) == 0 ? gradient.erase(it) : std::next(it);
}

}  // namespace

BuiltinConfig ablated(BuiltinConfig config, const std::string& parts) {
  size_t start = 0;
  while (start <= parts.size()) {
    const size_t end = std::min(parts.find('+', start), parts.size());
    const std::string part = parts.substr(start, end - start);
    if (part == "prior") config.cost_prior = false;
    else if (part == "learning") config.learning_rate = 0.0;
    else if (part == "screening") config.screened = 1;
    else throw std::invalid_argument("'" + part + "' is none of prior, learning, screening");
    start = end + 1;
  }
  return config;
}

BuiltinPolicy::BuiltinPolicy(std::vector<Offer> options, BuiltinConfig config)
    : options_(std::move(options)), config_(config), rng_(config.seed) {}

// An option's inclusion logit is the sum of a weight of its feature (site
// kind + rewrite: what carries over to other sources) and a weight of the
// option itself (this site: which of two kernels the data uses, say).
std::vector<std::string> BuiltinPolicy::include_keys(const Offer& option) {
  return {"include:" + option.feature(), "include@" + option.site + "/" + option.rewrite};
}

// The prior weighs what a candidate costs and risks, which is known before
// anything is measured: a result-preserving rewrite cannot fail the recall
// gate and never needs an index of its own, so it starts at e:1 (0.73); one
// that rebuilds the index costs a build per candidate, so its logit is minus
// that cost in evaluations, capped at -1 (0.27): on Fashion-MNIST a build
// takes minutes and a search-only candidate seconds, on a 10k-vector set a
// build is a fraction of the compile; the rest start at even chances.
double BuiltinPolicy::prior_logit(const Offer& option) const {
  if (!config_.cost_prior) return 0.0;
  if (option.preserves_results) return 1.0;
  return option.rebuilds_index ? -std::min(rebuild_cost_, 1.0) : 0.0;
}

// Likewise half the draws of a build switch keep the reference's build.
double BuiltinPolicy::prior_logit(const Offer& option, const ParamRange& param, double value) const {
  if (!config_.cost_prior || param.name != option.build_switch || value != 0.0) return 0.0;
  return std::log(std::max<double>(double(param.values().size()) - 1.0, 1.0));
}

double BuiltinPolicy::include_logit(const Offer& option) const {
  double logit = prior_logit(option);
  for (const std::string& key : include_keys(option)) {
    auto it = weights_.find(key);
    if (it != weights_.end() && !it->second.empty()) logit += it->second[0];
  }
  return logit;
}

std::vector<double>& BuiltinPolicy::param_weights(const Offer& option, const ParamRange& param) {
  std::vector<double>& w = weights_["param:" + option.feature() + "." + param.name];
  size_t n = param.values().size();
  if (w.size() < n) w.resize(n, 0.0);
  return w;
}

std::vector<double> BuiltinPolicy::param_probabilities(const Offer& option, const ParamRange& param) {
  std::vector<double> values = param.values();
  std::vector<double> logits = param_weights(option, param);
  for (size_t j = 0; j < values.size(); ++j) logits[j] += prior_logit(option, param, values[j]);
  return softmax(logits, values.size());
}

double BuiltinPolicy::inclusion_probability(const Offer& option) const {
  return sigmoid(include_logit(option));
}

// log pi(plan), and its gradient with respect to the weights if asked.
double BuiltinPolicy::log_probability(const Plan& plan, Gradient* gradient) {
  double log_p = 0.0;
  for (const Offer& option : options_) {
    const PlanEntry* entry = find_entry(plan, option);
    double p = sigmoid(include_logit(option));
    log_p += std::log(entry ? p : 1.0 - p);
    if (gradient)
      for (const std::string& key : include_keys(option)) {
        std::vector<double>& g = (*gradient)[key];
        g.resize(1, 0.0);
        g[0] += (entry ? 1.0 : 0.0) - p;
      }
    if (!entry) continue;
    for (const ParamRange& param : option.params) {
      std::vector<double> values = param.values();
      auto value = entry->params.find(param.name);
      size_t chosen = index_of(values, value == entry->params.end() ? param.default_value : value->second);
      std::vector<double> probabilities = param_probabilities(option, param);
      log_p += std::log(probabilities[chosen]);
      if (gradient) {
        std::vector<double>& g = (*gradient)["param:" + option.feature() + "." + param.name];
        g.resize(std::max(g.size(), values.size()), 0.0);
        for (size_t j = 0; j < values.size(); ++j) g[j] += (j == chosen ? 1.0 : 0.0) - probabilities[j];
      }
    }
  }
  return log_p;
}

void BuiltinPolicy::add_entropy_gradient(Gradient& gradient) {
  for (const Offer& option : options_) {
    double p = sigmoid(include_logit(option));
    for (const std::string& key : include_keys(option)) {
      std::vector<double>& g = gradient[key];
      g.resize(1, 0.0);
      g[0] += config_.entropy_weight * p * (1.0 - p) * std::log((1.0 - p) / p);
    }
    for (const ParamRange& param : option.params) {
      size_t n = param.values().size();
      std::vector<double> q = param_probabilities(option, param);
      double entropy = 0.0;
      for (double v : q) entropy -= v * std::log(v);
      std::vector<double>& gp = gradient["param:" + option.feature() + "." + param.name];
      gp.resize(std::max(gp.size(), n), 0.0);
      for (size_t j = 0; j < n; ++j) gp[j] += config_.entropy_weight * -q[j] * (std::log(q[j]) + entropy);
    }
  }
}

void BuiltinPolicy::apply(const Gradient& gradient, double scale) {
  for (const auto& [key, g] : gradient) {
    std::vector<double>& w = weights_[key];
    if (w.size() < g.size()) w.resize(g.size(), 0.0);
    for (size_t j = 0; j < g.size(); ++j) w[j] = std::clamp(w[j] + scale * g[j], -8.0, 8.0);
  }
}

// The unmodified source (reward 1 by definition, index -1: a plan drawn from
// the policy alone) is an exemplar too, so that while every plan found is
// slower than it the search keeps drawing afresh instead of editing the
// least bad of them.
int BuiltinPolicy::pick_exemplar(const std::vector<Evaluated>& history) {
  std::vector<int> candidates = {-1};
  for (int i = 0; i < int(history.size()); ++i)
    if (!history[size_t(i)].failed) candidates.push_back(i);
  auto reward = [&](int i) { return i < 0 ? 1.0 : history[size_t(i)].reward; };
  double top = 0.0;
  for (int i : candidates) top = std::max(top, reward(i));
  std::vector<double> weights;
  for (int i : candidates) weights.push_back(std::exp((reward(i) - top) / config_.temperature));
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  return candidates[pick(rng_)];
}

// Every decision of a child (an option's inclusion, or one parameter's
// value) is its own, so that a parameter the parent has at a good but not
// the best value can change alone, the rest of its option kept. Half of
// those changes step to a neighbouring value, so that a search near the best
// climbs an ordered range; the other half are drawn from the policy, which
// can jump to a value steps would reach late.
Plan BuiltinPolicy::sample_around(const Plan* parent, const std::vector<bool>* untried) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  double mutation = parent ? std::min(1.0, config_.mutations / double(std::max<size_t>(options_.size(), 1))) : 1.0;
  auto redraw = [&] { return uniform(rng_) < mutation; };
  Plan child;
  for (size_t i = 0; i < options_.size(); ++i) {
    const Offer& option = options_[i];
    const PlanEntry* inherited = parent ? find_entry(*parent, option) : nullptr;
    double p = sigmoid(include_logit(option));
    if (untried && (*untried)[i]) p = std::max(p, config_.untried_floor);
    bool include = redraw() ? uniform(rng_) < p : inherited != nullptr;
    if (!include) continue;
    PlanEntry entry{option.site, option.rewrite, {}};
    for (const ParamRange& param : option.params) {
      bool has_value = inherited && inherited->params.count(param.name);
      if (has_value && !redraw()) {
        entry.params[param.name] = inherited->params.at(param.name);
        continue;
      }
      std::vector<double> values = param.values();
      if (has_value && values.size() > 1 && uniform(rng_) < 0.5) {
        size_t at = index_of(values, inherited->params.at(param.name));
        bool up = at == 0 || (at + 1 < values.size() && uniform(rng_) < 0.5);
        entry.params[param.name] = values[up ? at + 1 : at - 1];
        continue;
      }
      std::vector<double> probabilities = param_probabilities(option, param);
      std::discrete_distribution<size_t> pick(probabilities.begin(), probabilities.end());
      entry.params[param.name] = values[pick(rng_)];
    }
    child.push_back(std::move(entry));
  }
  drop_exclusive_conflicts(child, options_, rng_);
  return child;
}

// The model that screens children: forests of log reward (the passed plans)
// and of failure (all), fitted to the history once per group.
class BuiltinPolicy::Screen {
 public:
  Screen(const std::vector<Offer>& options, const std::vector<Evaluated>& history, uint64_t seed)
      : features_(options) {
    std::vector<std::vector<double>> passed_x, all_x;
    std::vector<double> log_rewards, failures;
    for (const Evaluated& e : history) {
      all_x.push_back(features_.of(e.plan));
      failures.push_back(e.failed ? 1.0 : 0.0);
      if (e.failed) continue;
      passed_x.push_back(all_x.back());
      log_rewards.push_back(std::log(std::max(e.reward, 1e-6)));
      best_ = std::max(best_, log_rewards.back());
    }
    ForestConfig config;
    config.trees = 32;
    config.min_leaf = 2;
    config.seed = seed;
    reward_.fit(passed_x, log_rewards, config);
    const double failed = std::accumulate(failures.begin(), failures.end(), 0.0);
    failure_rate_ = failed / double(failures.size());
    if (failed > 0 && failed < double(failures.size())) {
      failure_.fit(all_x, failures, config);
      model_failures_ = true;
    }
  }

  // Expected improvement of the log reward over the best so far (the
  // forest's trees as the spread of its belief), times the chance of passing.
  double score(const Plan& plan) const {
    const std::vector<double> x = features_.of(plan);
    const Forest::Spread belief = reward_.predict_spread(x);
    double improvement = std::max(belief.mean - best_, 0.0);
    if (belief.sd > 1e-9) {
      const double z = (belief.mean - best_) / belief.sd;
      const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
      const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI);
      improvement = (belief.mean - best_) * cdf + belief.sd * pdf;
    }
    const double fails = model_failures_ ? failure_.predict(x) : failure_rate_;
    return improvement * (1.0 - fails);
  }

 private:
  PlanFeatures features_;
  Forest reward_, failure_;
  bool model_failures_ = false;
  double failure_rate_ = 0.0;
  double best_ = -1e300;
};

std::vector<Proposal> BuiltinPolicy::propose(const std::vector<Evaluated>& history, int group_size) {
  std::set<std::string> seen;
  for (const Evaluated& e : history) seen.insert(schema::plan_key(e.plan));
  const long passed = std::count_if(history.begin(), history.end(), [](const Evaluated& e) { return !e.failed; });
  std::optional<Screen> screen;
  if (config_.screened > 1 && passed >= std::max(config_.model_after, 2)) screen.emplace(options_, history, rng_());
  // An option no plan of this run has had is drawn at least at the floor
  // chance in each group's first plan, so that weights learned elsewhere
  // (--policy-init) and the rebuild prior cannot rule it out unmeasured:
  // learning from it starts once it was measured here.
  std::vector<bool> untried(options_.size(), true);
  for (const Evaluated& e : history)
    for (size_t i = 0; i < options_.size(); ++i)
      if (untried[i] && find_entry(e.plan, options_[i])) untried[i] = false;
  std::vector<Proposal> group;
  for (int attempt = 0; int(group.size()) < group_size && attempt < 50 * group_size; ++attempt) {
    // The first of each group, and a share of the rest, are drawn from the
    // policy alone, the others are edits of exemplars: learning where to
    // look, and looking near the best. A broad draw screened by the model
    // finds more than an edit of a best measured with noise, which on a
    // noisy machine is often a lucky plan rather than a good one.
    const bool first = group.empty();
    const bool fresh = first || std::bernoulli_distribution(config_.fresh_share)(rng_);
    const int draws = screen ? config_.screened : 1;
    std::optional<Proposal> chosen;
    double chosen_score = 0.0;
    for (int draw = 0; draw < draws; ++draw) {
      int parent = fresh ? -1 : pick_exemplar(history);
      Plan plan = sample_around(parent < 0 ? nullptr : &history[size_t(parent)].plan, first ? &untried : nullptr);
      if (plan.empty() || seen.count(schema::plan_key(plan))) continue;
      const double score = draws > 1 ? screen->score(plan) : 0.0;
      if (!chosen || score > chosen_score) {
        chosen = Proposal{std::move(plan), parent};
        chosen_score = score;
      }
    }
    if (!chosen) continue;
    seen.insert(schema::plan_key(chosen->plan));
    group.push_back(std::move(*chosen));
  }
  return group;
}

void BuiltinPolicy::update(const std::vector<Evaluated>& group, const std::vector<Evaluated>& history) {
  if (group.empty()) return;
  Gradient gradient;
  // GRPO: advantage = (reward - group mean) / group std.
  double mean = 0.0, variance = 0.0;
  for (const Evaluated& e : group) mean += e.reward;
  mean /= double(group.size());
  for (const Evaluated& e : group) variance += (e.reward - mean) * (e.reward - mean);
  double deviation = std::sqrt(variance / double(group.size()));
  if (deviation > 1e-9) {
    for (const Evaluated& e : group) {
      Gradient g;
      log_probability(e.plan, &g);
      if (e.failed) drop_inclusions(g);
      double advantage = (e.reward - mean) / deviation / double(group.size());
      for (auto& [key, values] : g) {
        std::vector<double>& total = gradient[key];
        total.resize(std::max(total.size(), values.size()), 0.0);
        for (size_t j = 0; j < values.size(); ++j) total[j] += advantage * values[j];
      }
    }
  }
  // Contrastive pairs: a better and a worse child of the same parent, anywhere
  // in the history; Bradley-Terry on their log-probabilities.
  for (const Evaluated& newer : group)
    for (const Evaluated& other : history) {
      if (&newer == &other || other.parent != newer.parent || other.reward == newer.reward) continue;
      const Evaluated& better = newer.reward > other.reward ? newer : other;
      const Evaluated& worse = newer.reward > other.reward ? other : newer;
      Gradient g_better, g_worse;
      double margin = log_probability(better.plan, &g_better) - log_probability(worse.plan, &g_worse);
      if (worse.failed) {
        drop_inclusions(g_better);
        drop_inclusions(g_worse);
      }
      double weight = config_.contrastive_weight * config_.beta * (1.0 - sigmoid(config_.beta * margin)) /
                      double(history.size());
      for (auto* g : {&g_better, &g_worse})
        for (auto& [key, values] : *g) {
          std::vector<double>& total = gradient[key];
          total.resize(std::max(total.size(), values.size()), 0.0);
          for (size_t j = 0; j < values.size(); ++j) total[j] += (g == &g_better ? weight : -weight) * values[j];
        }
    }
  add_entropy_gradient(gradient);
  apply(gradient, config_.learning_rate);
}

nlohmann::json BuiltinPolicy::state() const {
  return {{"kind", "builtin"},
          {"config",
           {{"temperature", config_.temperature},
            {"mutations", config_.mutations},
            {"fresh_share", config_.fresh_share},
            {"learning_rate", config_.learning_rate},
            {"contrastive_weight", config_.contrastive_weight},
            {"beta", config_.beta},
            {"entropy_weight", config_.entropy_weight},
            {"screened", config_.screened},
            {"model_after", config_.model_after},
            {"cost_prior", config_.cost_prior}}},
          {"rebuild_cost", rebuild_cost_},
          {"weights", weights_}};
}

void BuiltinPolicy::restore(const nlohmann::json& state) {
  if (state.value("kind", "") != "builtin") throw std::invalid_argument("not a builtin policy's state");
  weights_ = state.at("weights").get<std::map<std::string, std::vector<double>>>();
  rebuild_cost_ = state.value("rebuild_cost", rebuild_cost_);
}

}  // namespace crinn::policy
