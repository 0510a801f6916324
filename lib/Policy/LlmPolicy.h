// The LLM policy: any OpenAI-compatible chat endpoint proposes plans from a
// contrastive prompt — the sites with their code, the variants measured so
// far with their rewards, the best and the worst side by side with what
// differs between them — and is asked to explain why the faster ones are
// faster before answering with a new plan as JSON. A reply that is not valid
// JSON or not a valid plan gets one retry with the error quoted back, then
// is a failed proposal (a Proposal with its failure); so is an endpoint that
// fails after the client's retries, which ends the round's proposals. It
// learns in context only.
#pragma once

#include "Policy/LlmClient.h"
#include "Policy/Policy.h"

#include <functional>

namespace crinn::policy {

// Returns why a plan cannot be applied, or "" if it can (the tuner passes
// crinn-opt's plan validation).
using PlanValidator = std::function<std::string(const Plan&)>;

class LlmPolicy : public Policy {
 public:
  // `sites` is crinn-opt's site JSON ({"sites": [...]}), excerpts included.
  LlmPolicy(nlohmann::json sites, LlmEndpoint endpoint, PlanValidator validator, int exemplars = 3);

  std::vector<Proposal> propose(const std::vector<Evaluated>& history, int group_size) override;
  void update(const std::vector<Evaluated>&, const std::vector<Evaluated>&) override {}
  nlohmann::json state() const override;
  void restore(const nlohmann::json& state) override;

  // The prompt for the next proposal, for reports and tests.
  std::string prompt(const std::vector<Evaluated>& history) const;
  long failed_proposals() const { return failed_proposals_; }
  const LlmUsage& usage() const { return client_.usage(); }

 private:
  nlohmann::json sites_;
  LlmClient client_;
  PlanValidator validator_;
  int exemplars_;
  long failed_proposals_ = 0;
  std::string last_failure_;  // why the last failed proposal failed, for the report
};

// The plan in an LLM's answer: the ```json block, else the outermost {...};
// an error message if there is none or it does not parse.
std::pair<Plan, std::string> plan_from_reply(const std::string& reply);

}  // namespace crinn::policy
