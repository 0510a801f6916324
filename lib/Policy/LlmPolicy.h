// The LLM policy: any OpenAI-compatible chat endpoint proposes plans from a
// contrastive prompt — the run's context (dataset, CPU), the sites with their
// code and documented parameters, the variants measured so far with their
// rewards or why they failed, the code the best and the worst variant
// changed, the failures with their reasons — and is asked to explain why the
// faster ones are faster before answering with a new plan as JSON. Its
// explanation goes with the plan into the journal. The members of a group get
// different prompts (other exemplars, another site kind to start from, a
// temperature spread over the group), and every prompt fits a token budget
// that grows with the site catalogue up to the model's context. A reply that
// is not valid JSON or not a valid plan gets one retry with the error quoted
// back, then is a failed proposal (a Proposal with its failure); so is an
// endpoint that fails after the client's retries, which ends the round's
// proposals. It learns in context only.
#pragma once

#include "Policy/LlmClient.h"
#include "Policy/Policy.h"
#include "Support/Cpu.h"

#include <functional>

namespace crinn::policy {

// Returns why a plan cannot be applied, or "" if it can (the tuner passes
// crinn-opt's plan validation).
using PlanValidator = std::function<std::string(const Plan&)>;

// What the model is told of the run, beside the code.
struct RunContext {
  std::string dataset;  // as --dataset named it
  long long base_vectors = 0;
  long long queries = 0;
  int dimension = 0;
  std::string metric;  // euclidean, angular, ip
  support::CpuInfo cpu;
  // What a variant's reward measures, in words.
  std::string reward = "the area under its QPS-recall curve";
};

struct LlmPolicyConfig {
  RunContext run;
  int exemplars = 3;  // best and worst variants shown, at most, of each
  // The model's context window in tokens. A prompt's budget is what the site
  // catalogue needs (kPromptBaseTokens + kPromptTokensPerSite a site), at most
  // this less kReplyReserveTokens; the excerpts, variants, diffs and failures
  // are cut to fit it.
  long context_tokens = 32768;
  double price_per_1k_tokens = 0.0;  // for the report's cost; 0: tokens only
};

inline constexpr long kPromptBaseTokens = 3000, kPromptTokensPerSite = 500, kReplyReserveTokens = 4096;

class LlmPolicy : public Policy {
 public:
  // `sites` is crinn-opt's site JSON ({"sites": [...]}), excerpts and parameter docs included.
  LlmPolicy(nlohmann::json sites, LlmEndpoint endpoint, PlanValidator validator, LlmPolicyConfig config = {});

  std::vector<Proposal> propose(const std::vector<Evaluated>& history, int group_size) override;
  void update(const std::vector<Evaluated>&, const std::vector<Evaluated>&) override {}
  nlohmann::json state() const override;
  void restore(const nlohmann::json& state) override;

  // The prompt for member `member` (from 0) of a group of `group_size`, for reports and tests.
  std::string prompt(const std::vector<Evaluated>& history, int member = 0, int group_size = 1) const;
  // The temperature asked of member `member`: spread over [0.2, 1.0] across the group.
  static double temperature(int member, int group_size);
  long prompt_budget_tokens() const;
  long failed_proposals() const { return failed_proposals_; }
  const LlmUsage& usage() const { return client_.usage(); }

 private:
  nlohmann::json sites_;
  LlmClient client_;
  PlanValidator validator_;
  LlmPolicyConfig config_;
  long failed_proposals_ = 0;
  long largest_prompt_tokens_ = 0;  // estimated, to show the budget held
  std::string last_failure_;  // why the last failed proposal failed, for the report
};

// The plan in an LLM's answer: the ```json block, else the outermost {...};
// an error message if there is none or it does not parse.
std::pair<Plan, std::string> plan_from_reply(const std::string& reply);

// The reasoning in an LLM's answer: the text without its plan, trimmed and
// cut to a few KB.
std::string explanation_from_reply(const std::string& reply);

}  // namespace crinn::policy
