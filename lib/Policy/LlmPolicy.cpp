#include "Policy/LlmPolicy.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace crinn::policy {

namespace {

std::string system_message(const RunContext& run) {
  return "You optimise approximate-nearest-neighbour search code (graph indexes such as HNSW) by choosing structured "
         "source rewrites. Each variant is compiled, checked for correctness and recall, and timed; its reward is " +
         run.reward + " as a ratio to the original code's, so higher is faster.";
}

// What a prompt shows at most of one failure's reason and of the model's explanation.
constexpr size_t kReasonChars = 400, kExplanationChars = 4000;
// An excerpt or diff shorter than this says too little to be worth its place.
constexpr size_t kMinExcerptChars = 120;
// What a site's excerpt costs beyond its text: its fence, or the note that it was left out.
constexpr size_t kExcerptFrameChars = 48;

// `text` cut at a line end to at most `limit` characters, saying so.
std::string fit(const std::string& text, size_t limit) {
  if (text.size() <= limit) return text;
  const std::string marker = "[... cut to fit the prompt budget]\n";
  if (limit < marker.size()) return "";
  size_t end = text.rfind('\n', limit - marker.size());
  end = end == std::string::npos ? limit - marker.size() : end + 1;
  return text.substr(0, end) + marker;
}

std::string trimmed(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n"), end = text.find_last_not_of(" \t\r\n");
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

std::string joined(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// A failure's reason on one line, cut to what a prompt shows of it.
std::string reason_text(const Evaluated& e) {
  std::string reason = e.failure_reason.empty() ? "no reason recorded" : e.failure_reason;
  std::replace(reason.begin(), reason.end(), '\n', ' ');
  return fit(reason, kReasonChars);
}

std::string number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

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
      out << "+ " << e.rewrite << " at " << e.site << " " << schema::to_json(e.params).dump() << "\n";
    else if (!(other->params == e.params))
      out << "~ " << e.rewrite << " at " << e.site << " " << schema::to_json(other->params).dump() << " -> "
          << schema::to_json(e.params).dump() << "\n";
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

std::string explanation_from_reply(const std::string& reply) {
  std::string text = reply;
  size_t fence = text.find("```json");
  if (fence != std::string::npos) {
    size_t end = text.find("```", fence + 7);
    text.erase(fence, end == std::string::npos ? std::string::npos : end + 3 - fence);
  } else if (size_t open = text.find('{'), close = text.rfind('}');
             open != std::string::npos && close != std::string::npos && close > open) {
    text.erase(open, close - open + 1);
  }
  text = trimmed(text);
  return text.size() <= kExplanationChars ? text : text.substr(0, kExplanationChars) + "...";
}

LlmPolicy::LlmPolicy(nlohmann::json sites, LlmEndpoint endpoint, PlanValidator validator, LlmPolicyConfig config)
    : sites_(std::move(sites)), client_(std::move(endpoint)), validator_(std::move(validator)), config_(std::move(config)) {}

long LlmPolicy::prompt_budget_tokens() const {
  long wanted = kPromptBaseTokens + kPromptTokensPerSite * long(sites_.at("sites").size());
  return std::max(0L, std::min(wanted, config_.context_tokens - kReplyReserveTokens));
}

double LlmPolicy::temperature(int member, int group_size) {
  return group_size <= 1 ? 0.6 : 0.2 + 0.8 * member / (group_size - 1);
}

std::string LlmPolicy::prompt(const std::vector<Evaluated>& history, int member, int group_size) const {
  const RunContext& run = config_.run;
  std::ostringstream context;
  context << "## The run\nDataset: " << run.dataset << ": " << run.base_vectors << " base vectors, " << run.queries
          << " queries, dimension " << run.dimension << ", metric " << run.metric << ".\nCPU: "
          << (run.cpu.model.empty() ? "unknown model" : run.cpu.model) << ", " << run.cpu.logical_cores
          << " logical cores; SIMD: " << (run.cpu.simd.empty() ? "none known" : joined(run.cpu.simd, " "))
          << "; caches: " << (run.cpu.caches.empty() ? "unknown" : joined(run.cpu.caches, ", ")) << ".\n";

  // The catalogue: every site with its rewrites and their documented
  // parameters, which a plan needs; the excerpts get what the budget leaves.
  const nlohmann::json& sites = sites_.at("sites");
  std::vector<std::string> kinds;
  auto site_heading = [](const nlohmann::json& site) {
    return "\n### " + site.at("id").get<std::string>() + " (" + site.value("kind", "") + ", in " +
           site.value("function", "") + ")\n";
  };
  auto site_options = [](const nlohmann::json& site) {
    std::ostringstream out;
    for (const nlohmann::json& rewrite : site.at("rewrites")) {
      out << "- " << rewrite.at("rewrite").get<std::string>()
          << (rewrite.at("preserves_results").get<bool>() ? " (preserves results)"
                                                          : " (may change results: " + rewrite.value("note", "") + ")")
          << "\n";
      for (const auto& [name, spec] : rewrite.at("params").items()) {
        out << "  - " << name << " " << spec.at("type").get<std::string>() << " in [" << spec.at("min") << ", "
            << spec.at("max") << "], default " << spec.at("default");
        if (spec.contains("choices")) out << ", one of " << spec["choices"].dump();
        if (!spec.value("doc", "").empty()) out << ": " << spec["doc"].get<std::string>();
        out << "\n";
      }
    }
    return out.str();
  };
  size_t catalogue_chars = std::string("## Rewrite sites\n").size();
  for (const nlohmann::json& site : sites) {
    catalogue_chars += site_heading(site).size() + site_options(site).size() + kExcerptFrameChars;
    std::string kind = site.value("kind", "");
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
  }

  std::ostringstream task;
  task << "\n## Task\nFirst explain in a few sentences why the faster variants are faster than the slower ones, and "
          "what the failures teach. Then propose one new plan, different from every plan above, as JSON in a ```json "
          "block: {\"plan\": [{\"site\": \"<site id>\", \"rewrite\": \"<rewrite>\", \"params\": {\"<name>\": "
          "<number>}}]}. Use only the sites, rewrites and parameter ranges listed.\n";
  if (group_size > 1 && !kinds.empty())
    task << "This is proposal " << member + 1 << " of " << group_size
         << " of this round; the others get other prompts, so make this one differ from them: build it around a "
            "rewrite at a "
         << kinds[size_t(member) % kinds.size()] << " site.\n";

  // The system message counts against the budget too.
  const size_t whole = size_t(double(prompt_budget_tokens()) * kCharsPerToken);
  const size_t system = system_message(config_.run).size();
  const size_t budget = whole > system ? whole - system : 0;
  const size_t fixed = context.str().size() + catalogue_chars + task.str().size();
  const size_t rest = budget > fixed ? budget - fixed : 0;

  // The variants, best first and failed last; each member sees the best and
  // the worst and, beside them, others of the top and bottom halves, rotated
  // by member so that the group's prompts differ.
  std::vector<const Evaluated*> ranked;
  for (const Evaluated& e : history) ranked.push_back(&e);
  std::stable_sort(ranked.begin(), ranked.end(), [](auto* a, auto* b) {
    return a->failed != b->failed ? !a->failed : a->reward > b->reward;
  });
  size_t n = ranked.size(), half = (n + 1) / 2;
  size_t best = std::min<size_t>(size_t(config_.exemplars), half);
  size_t worst = std::min<size_t>(size_t(config_.exemplars), n - best);
  std::vector<size_t> better_shown, worse_shown;
  if (best > 0) better_shown.push_back(0);
  for (size_t j = 0; j + 1 < best; ++j) better_shown.push_back(1 + (size_t(member) * (best - 1) + j) % (half - 1));
  if (worst > 0) worse_shown.push_back(n - 1);
  for (size_t j = 0; j + 1 < worst; ++j)
    worse_shown.push_back(n - 2 - (size_t(member) * (worst - 1) + j) % (n - 1 - half));

  auto describe = [](const Evaluated& e) {
    std::string outcome = e.failed ? "failed (" + reason_text(e) + ")" : "reward " + number(e.reward);
    return outcome + ": " + schema::to_json(e.plan).dump() + "\n";
  };
  std::ostringstream variants;
  variants << "\n## Variants measured so far (reward: " << config_.run.reward
           << " as a ratio to the original's; higher is faster)\n";
  if (ranked.empty()) variants << "None yet: the original code has reward 1.\n";
  for (size_t i : better_shown) variants << "Better: " << describe(*ranked[i]);
  for (size_t i : worse_shown) variants << "Worse: " << describe(*ranked[i]);
  if (n >= 2)
    variants << "\n## What the best plan does differently from the worst\n"
             << plan_difference(ranked.back()->plan, ranked.front()->plan);

  // The code: what the best variant and the worst that got as far as a diff changed.
  std::ostringstream code;
  const Evaluated* worst_with_code = nullptr;
  for (size_t i = n; i-- > 1 && !worst_with_code;)
    if (!ranked[i]->diff.empty()) worst_with_code = ranked[i];
  size_t diff_allowance = rest * 4 / 10 / 2;
  if (diff_allowance < kMinExcerptChars) worst_with_code = nullptr;
  if (n >= 1 && !ranked[0]->failed && !ranked[0]->diff.empty() && diff_allowance >= kMinExcerptChars)
    code << "\n## The code of the best variant (reward " << number(ranked[0]->reward)
         << "), as a diff against the original\n```diff\n" << fit(ranked[0]->diff, diff_allowance) << "```\n";
  if (worst_with_code)
    code << "\n## The code of the worst variant, as a diff against the original\n```diff\n"
         << fit(worst_with_code->diff, diff_allowance) << "```\n";

  std::ostringstream failures;
  size_t failures_shown = 0;
  for (size_t i = history.size(); i-- > 0 && failures_shown < 2 * size_t(config_.exemplars);)
    if (history[i].failed) {
      if (failures_shown++ == 0) failures << "\n## Failed variants, latest first, and why they failed\n";
      failures << "- " << reason_text(history[i]) << ": " << schema::to_json(history[i].plan).dump() << "\n";
    }

  std::string shown_variants = fit(variants.str(), rest * 3 / 10);
  std::string shown_code = code.str();
  std::string shown_failures = fit(failures.str(), rest * 2 / 10);
  size_t used = shown_variants.size() + shown_code.size() + shown_failures.size();
  size_t per_excerpt = sites.empty() || used >= rest ? 0 : (rest - used) / sites.size();

  std::ostringstream body;
  body << context.str() << "\n## Rewrite sites\n";
  for (const nlohmann::json& site : sites) {
    body << site_heading(site);
    std::string excerpt = site.value("excerpt", "");
    if (per_excerpt >= kMinExcerptChars) body << "```cpp\n" << fit(excerpt, per_excerpt) << "\n```\n";
    else if (!excerpt.empty()) body << "(code left out to fit the prompt budget)\n";
    body << site_options(site);
  }
  body << shown_variants << shown_code << shown_failures;
  // A catalogue larger than the whole budget is cut too: the model's context is the harder limit.
  std::string prompt = fit(body.str(), budget > task.str().size() ? budget - task.str().size() : 0);
  return prompt + task.str();
}

std::vector<Proposal> LlmPolicy::propose(const std::vector<Evaluated>& history, int group_size) {
  std::set<std::string> seen;
  for (const Evaluated& e : history) seen.insert(schema::plan_key(e.plan));
  std::vector<Proposal> group;
  const std::string system = system_message(config_.run);
  for (int i = 0; i < group_size; ++i) {
    std::string text = prompt(history, i, group_size);
    largest_prompt_tokens_ =
        std::max(largest_prompt_tokens_, long(double(text.size() + system.size()) / kCharsPerToken));
    nlohmann::json messages = {{{"role", "system"}, {"content", system}}, {{"role", "user"}, {"content", text}}};
    std::string error, explanation;
    bool endpoint_failed = false;
    for (int attempt = 0; attempt < 2; ++attempt) {
      ChatReply reply = client_.chat(messages, temperature(i, group_size));
      if (!reply.error.empty()) {
        error = reply.error;
        endpoint_failed = true;  // the client already retried the transport
        break;
      }
      auto [plan, problem] = plan_from_reply(reply.content);
      // A retry's answer is asked to hold the plan only: the first one's reasoning stays.
      if (std::string said = explanation_from_reply(reply.content); !said.empty()) explanation = said;
      if (problem.empty()) problem = validator_(plan);
      if (problem.empty() && plan.empty()) problem = "the plan is empty";
      if (problem.empty() && !seen.insert(schema::plan_key(plan)).second) problem = "this plan was already measured";
      if (problem.empty()) {
        group.push_back({std::move(plan), -1, "", explanation});
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
    group.push_back({{}, -1, error, ""});
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
          {"prompt_budget_tokens", prompt_budget_tokens()},
          {"largest_prompt_tokens", largest_prompt_tokens_},
          {"price_per_1k_tokens", config_.price_per_1k_tokens},
          {"usage",
           {{"requests", u.requests},
            {"retries", u.retries},
            {"prompt_tokens", u.prompt_tokens},
            {"completion_tokens", u.completion_tokens},
            {"estimated_replies", u.estimated_replies}}}};
}

void LlmPolicy::restore(const nlohmann::json& state) {
  if (state.value("kind", "") != "llm") throw std::invalid_argument("not an LLM policy's state");
  failed_proposals_ = state.value("failed_proposals", 0L);
  last_failure_ = state.value("last_failure", "");
  largest_prompt_tokens_ = state.value("largest_prompt_tokens", 0L);
  nlohmann::json usage = state.value("usage", nlohmann::json::object());
  client_.restore_usage({usage.value("requests", 0L), usage.value("retries", 0L), usage.value("prompt_tokens", 0L),
                         usage.value("completion_tokens", 0L), usage.value("estimated_replies", 0L)});
}

}  // namespace crinn::policy
