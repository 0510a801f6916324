// The interface every policy implements: propose a group of plans from what
// was evaluated so far, learn from the group's rewards, and save its state.
#pragma once

#include "Policy/Space.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace crinn::policy {

struct Evaluated {
  Plan plan;
  double reward = 0.0;  // reward ratio to the unmodified source; a penalty when failed
  bool failed = false;
  int parent = -1;      // index in the history of the plan it was derived from; -1: none
  // Why it failed, "<gate>: <reason>" ("recall: ..."), so that a policy that
  // explains (the LLM's) can tell a crash from a slow variant; "" when it passed.
  std::string failure_reason;
  // The code it changed, a unified diff against the unmodified source, cut
  // to a few KB by the tuner; "" when its plan did not apply.
  std::string diff;
};

struct Proposal {
  Plan plan;
  int parent = -1;
  // Why the policy has no plan here (an endpoint that failed, an answer that
  // held no valid plan): a failed proposal, whose plan is empty. The tuner
  // reports it and evaluates nothing.
  std::string failure;
  // Why the policy chose this plan, in its own words (an LLM's reasoning);
  // the tuner journals it with the plan.
  std::string explanation;
};

// The index in `history` of the passed plan with the highest reward (the
// first of equals), or -1 when none has passed.
inline int best_passed(const std::vector<Evaluated>& history) {
  int best = -1;
  for (size_t i = 0; i < history.size(); ++i)
    if (!history[i].failed && (best < 0 || history[i].reward > history[size_t(best)].reward)) best = int(i);
  return best;
}

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::vector<Proposal> propose(const std::vector<Evaluated>& history, int group_size) = 0;
  // `group` is the last proposals' evaluations, already appended to `history`.
  virtual void update(const std::vector<Evaluated>& group, const std::vector<Evaluated>& history) = 0;
  // What a candidate that builds its own index costs beyond one that reuses
  // the reference's, in evaluations of the latter, measured by the tuner
  // before the first round. Policies that weigh cost use it.
  virtual void observe_rebuild_cost(double evaluations) { (void)evaluations; }
  virtual nlohmann::json state() const = 0;
  virtual void restore(const nlohmann::json& state) = 0;
};

}  // namespace crinn::policy
