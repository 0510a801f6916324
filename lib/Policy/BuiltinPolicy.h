// The built-in policy: a learned stochastic policy over the rewrite space,
// fully offline. A plan's probability is a product of independent choices —
// include each (site, rewrite) option or not, and a value for each parameter —
// whose logits are attached to features (site kind + rewrite), so what is
// learned on one source carries over to another, plus a weight of each
// option of this source, on top of a prior from what a choice costs and
// risks (result-preserving rewrites start likelier, index rebuilds less likely
// in proportion to what a build costs on this dataset).
//
// Proposals are drawn from the policy; once `model_after` plans have passed,
// each slot of a group is screened by a model, as SMAC does: `screened`
// plans are drawn, two random forests fitted to the history score them (log
// reward of the passed plans; failure of all), and the slot takes the plan
// of highest expected improvement over the best log reward, times its chance
// of passing. With `fresh_share` below 1, that share of a group's slots
// after the first are local edits of exemplar parents instead, drawn by a
// temperature softmax over rewards (as CRINN picks its contrastive
// exemplars): each decision (an option's inclusion, or one parameter's
// value) copied from the parent or, with probability `mutations` / options,
// changed: an inclusion drawn from the policy, a value stepped to a
// neighbouring one or drawn from the policy. They are off by default: on
// the recorded landscapes (docs/crinn-landscape.md) edits of the best
// measured plan, often a lucky one on a noisy machine, found less than
// screened draws. Updates combine the group-relative advantage of GRPO
// (reward minus the group mean, over the group's standard deviation, times
// the gradient of the plan's log-probability; a failed plan's gradient
// leaves out its inclusions, blaming the values it chose), a pairwise
// Bradley-Terry loss on contrastive pairs (a better and a worse plan of the
// same parent), and an entropy bonus that keeps it exploring.
#pragma once

#include "Policy/Policy.h"

#include <map>
#include <random>

namespace crinn::policy {

struct BuiltinConfig {
  double temperature = 0.25;      // exemplar softmax over rewards
  double mutations = 2.0;         // over the option count: a decision's chance of a change
  double fresh_share = 1.0;       // of a group's slots after the first: drawn from the policy, not an exemplar's edit
  double learning_rate = 0.5;
  double contrastive_weight = 1.0;
  double beta = 2.0;              // Bradley-Terry sharpness
  double entropy_weight = 0.02;
  int screened = 24;              // children scored by the model per slot (1: no screening)
  int model_after = 8;            // passed plans before the model screens
  double untried_floor = 0.25;    // inclusion chance, in a group's first plan, of an option no plan has had
  bool cost_prior = true;         // start from what a choice costs and risks (false: even chances)
  uint64_t seed = 1;
};

// The built-in policy with `parts` of its method taken out, for an ablation:
// a '+'-joined list of "prior" (cost_prior off), "learning" (learning rate 0)
// and "screening" (no model screens proposals). Throws std::invalid_argument
// naming an unknown part.
BuiltinConfig ablated(BuiltinConfig config, const std::string& parts);

class BuiltinPolicy : public Policy {
 public:
  BuiltinPolicy(std::vector<Offer> options, BuiltinConfig config);

  std::vector<Proposal> propose(const std::vector<Evaluated>& history, int group_size) override;
  void update(const std::vector<Evaluated>& group, const std::vector<Evaluated>& history) override;
  void observe_rebuild_cost(double evaluations) override { rebuild_cost_ = evaluations; }
  nlohmann::json state() const override;
  void restore(const nlohmann::json& state) override;

  // The policy's probability of including `option`, for reports and tests.
  double inclusion_probability(const Offer& option) const;

 private:
  using Gradient = std::map<std::string, std::vector<double>>;

  static std::vector<std::string> include_keys(const Offer& option);
  double prior_logit(const Offer& option) const;
  double prior_logit(const Offer& option, const ParamRange& param, double value) const;
  double include_logit(const Offer& option) const;  // prior + learned
  std::vector<double>& param_weights(const Offer& option, const ParamRange& param);  // learned
  std::vector<double> param_probabilities(const Offer& option, const ParamRange& param);
  double log_probability(const Plan& plan, Gradient* gradient);
  void add_entropy_gradient(Gradient& gradient);
  void apply(const Gradient& gradient, double scale);
  // nullptr: no exemplar; `untried`: the options no measured plan has had
  Plan sample_around(const Plan* parent, const std::vector<bool>* untried = nullptr);
  int pick_exemplar(const std::vector<Evaluated>& history);
  class Screen;

  std::vector<Offer> options_;
  BuiltinConfig config_;
  std::map<std::string, std::vector<double>> weights_;  // feature key -> logits
  std::mt19937_64 rng_;
  double rebuild_cost_ = 1.0;  // until measured: as dear as an evaluation, the prior's strongest
};

}  // namespace crinn::policy
