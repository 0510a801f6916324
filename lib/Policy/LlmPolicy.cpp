#include "Policy/LlmPolicy.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace crinn::policy {

namespace {

const char kSystem[] =
    "You optimise approximate-nearest-neighbour search code (graph indexes such as HNSW) by choosing structured "
    "source rewrites. Each variant is compiled, checked for correctness and recall, and timed; its reward is the "
    "area under its QPS-recall curve as a ratio to the original code, so higher is faster.";

std::string describe_plan(const Plan& plan) { return schema::to_json(plan).dump(); }

// What `b` does that `a` does not: entries added, removed, or with other parameters.
std::string plan_difference(const Plan& a, const Plan& b) {
  std::ostringstream out;
  auto find = [](const Plan& plan, const PlanEntry& like) -> const PlanEntry* {
    for (const PlanEntry& e : plan)
      if (e.site == like.site && e.rewrite == like.rewrite) return &e;
    return nullptr;
  };
  for (const PlanEntry& e : b)
    if (const PlanEntry* other = find(a, e); !other)
      out << "+ " << e.rewrite << " at " << e.site << " " << nlohmann::json(e.params).dump() << "\n";
    else if (!(other->params == e.params))
      out << "~ " << e.rewrite << " at " << e.site << " " << nlohmann::json(other->params).dump() << " -> "
          << nlohmann::json(e.params).dump() << "\n";
  for (const PlanEntry& e : a)
    if (!find(b, e)) out << "- " << e.rewrite << " at " << e.site << "\n";
  return out.str();
}

}  // namespace

std::pair<Plan, std::string> plan_from_reply(const std::string& reply) {
  std::string text;
  size_t fence = reply.find("```json");
  if (fence != std::string::npos) {
    size_t start = fence + 7, end = reply.find("```", start);
    text = reply.substr(start, end == std::string::npos ? std::string::npos : end - start);
  } else {
    size_t open = reply.find('{'), close = reply.rfind('}');
    if (open == std::string::npos || close == std::string::npos || close < open)
      return {{}, "the answer holds no JSON plan"};
    text = reply.substr(open, close - open + 1);
  }
  try {
    return {schema::plan_from_json(nlohmann::json::parse(text), "the plan"), ""};
  } catch (const nlohmann::json::exception& e) {
    return {{}, std::string("the JSON plan does not parse: ") + e.what()};
  } catch (const schema::PlanError& e) {
    return {{}, e.what()};
  }
}

LlmPolicy::LlmPolicy(nlohmann::json sites, LlmEndpoint endpoint, PlanValidator validator, int exemplars)
    : sites_(std::move(sites)), client_(std::move(endpoint)), validator_(std::move(validator)), exemplars_(exemplars) {}

std::string LlmPolicy::prompt(const std::vector<Evaluated>& history) const {
  std::ostringstream out;
  out << "## Rewrite sites\n";
  for (const nlohmann::json& site : sites_.at("sites")) {
    out << "\n### " << site.at("id").get<std::string>() << " (in " << site.value("function", "") << ")\n```cpp\n"
        << site.value("excerpt", "") << "\n```\n";
    for (const nlohmann::json& rewrite : site.at("rewrites")) {
      out << "- " << rewrite.at("rewrite").get<std::string>()
          << (rewrite.at("preserves_results").get<bool>() ? " (preserves results)"
                                                          : " (may change results: " + rewrite.value("note", "") + ")");
      for (const auto& [name, spec] : rewrite.at("params").items()) {
        out << "; " << name << " " << spec.at("type").get<std::string>() << " in [" << spec.at("min") << ", "
            << spec.at("max") << "], default " << spec.at("default");
        if (spec.contains("choices")) out << ", one of " << spec["choices"].dump();
      }
      out << "\n";
    }
  }

  std::vector<const Evaluated*> ranked;
  for (const Evaluated& e : history) ranked.push_back(&e);
  std::stable_sort(ranked.begin(), ranked.end(), [](auto* a, auto* b) { return a->reward > b->reward; });
  out << "\n## Variants measured so far (reward: ratio to the original; failed variants get 0)\n";
  if (ranked.empty()) out << "None yet: the original code has reward 1.\n";
  // The best and the worst, side by side, at most `exemplars_` of each.
  size_t best = std::min<size_t>(size_t(exemplars_), (ranked.size() + 1) / 2);
  size_t worst = std::min<size_t>(size_t(exemplars_), ranked.size() - best);
  auto show = [&](const Evaluated* e, const char* label) {
    out << label << " reward " << e->reward << (e->failed ? " (failed)" : "") << ": " << describe_plan(e->plan) << "\n";
  };
  for (size_t i = 0; i < best; ++i) show(ranked[i], "Better:");
  for (size_t i = ranked.size() - worst; i < ranked.size(); ++i) show(ranked[i], "Worse:");
  if (ranked.size() >= 2) {
    out << "\n## What the best variant does differently from the worst\n"
        << plan_difference(ranked.back()->plan, ranked.front()->plan);
  }
  out << "\n## Task\nFirst explain in a few sentences why the faster variants are faster than the slower ones. Then "
         "propose one new plan, different from every plan above, as JSON in a ```json block: "
         "{\"plan\": [{\"site\": \"<site id>\", \"rewrite\": \"<rewrite>\", \"params\": {\"<name>\": <number>}}]}. "
         "Use only the sites, rewrites and parameter ranges listed.\n";
  return out.str();
}

std::vector<Proposal> LlmPolicy::propose(const std::vector<Evaluated>& history, int group_size) {
  std::set<std::string> seen;
  for (const Evaluated& e : history) seen.insert(schema::plan_key(e.plan));
  std::vector<Proposal> group;
  for (int i = 0; i < group_size; ++i) {
    nlohmann::json messages = {{{"role", "system"}, {"content", kSystem}}, {{"role", "user"}, {"content", prompt(history)}}};
    std::string error;
    bool endpoint_failed = false;
    for (int attempt = 0; attempt < 2; ++attempt) {
      ChatReply reply = client_.chat(messages);
      if (!reply.error.empty()) {
        error = reply.error;
        endpoint_failed = true;  // the client already retried the transport
        break;
      }
      auto [plan, problem] = plan_from_reply(reply.content);
      if (problem.empty()) problem = validator_(plan);
      if (problem.empty() && plan.empty()) problem = "the plan is empty";
      if (problem.empty() && !seen.insert(schema::plan_key(plan)).second) problem = "this plan was already measured";
      if (problem.empty()) {
        group.push_back({std::move(plan), -1});
        error.clear();
        break;
      }
      error = problem;
      messages.push_back({{"role", "assistant"}, {"content", reply.content}});
      messages.push_back({{"role", "user"},
                          {"content", "That answer cannot be used: " + problem +
                                          ". Answer again with only a new plan as JSON in the schema above."}});
    }
    if (error.empty()) continue;
    ++failed_proposals_;
    last_failure_ = error;
    group.push_back({{}, -1, error});
    // The client gave up after its retries: asking again now would only wait
    // for the same endpoint once more per plan of the group.
    if (endpoint_failed) break;
  }
  return group;
}

nlohmann::json LlmPolicy::state() const {
  const LlmUsage& u = client_.usage();
  return {{"kind", "llm"},
          {"failed_proposals", failed_proposals_},
          {"last_failure", last_failure_},
          {"usage",
           {{"requests", u.requests},
            {"retries", u.retries},
            {"prompt_tokens", u.prompt_tokens},
            {"completion_tokens", u.completion_tokens}}}};
}

void LlmPolicy::restore(const nlohmann::json& state) {
  if (state.value("kind", "") != "llm") throw std::invalid_argument("not an LLM policy's state");
  failed_proposals_ = state.value("failed_proposals", 0L);
  last_failure_ = state.value("last_failure", "");
}

}  // namespace crinn::policy
