#include "Report/ReportPage.h"

#include "Support/AtomicFile.h"
#include "Tune/Journal.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace crinn::report {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

// The file's contents, or "" if it does not exist.
std::string read_optional(const fs::path& path) {
  if (!fs::exists(path)) return "";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot read file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

json parse_optional(const fs::path& path) {
  std::string text = read_optional(path);
  if (text.empty()) return json::object();
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw std::runtime_error(path.string() + ": not valid JSON (" + e.what() + ")");
  }
}

std::string entry_text(const json& entry) {
  std::string text = entry.at("rewrite").get<std::string>() + " at " + entry.at("site").get<std::string>();
  if (entry.contains("params") && !entry["params"].empty()) {
    text += " (";
    bool first = true;
    for (const auto& [name, value] : entry["params"].items()) {
      text += (first ? "" : ", ") + name + "=" + format("%g", value.get<double>());
      first = false;
    }
    text += ")";
  }
  return text;
}

bool plan_has(const json& record, const json& entry) {
  for (const json& e : record.at("plan").at("plan"))
    if (e.at("site") == entry.at("site") && e.at("rewrite") == entry.at("rewrite")) return true;
  return false;
}

// "1.234x [1.101, 1.382]" from a record's ratio and bounds, or "1.234x"
// when an older crinn-tune measured it without an interval.
std::string ratio_text(const json& record, const char* ratio, const char* low, const char* high) {
  std::string text = format("%.3fx", record.at(ratio).get<double>());
  if (record.contains(low) && record.contains(high))
    text += format(" [%.3f, ", record.at(low).get<double>()) + format("%.3f]", record.at(high).get<double>());
  return text;
}

// The candidates that became the best, in order (tune::best_records).
std::vector<const json*> bests(const std::vector<json>& history) {
  std::vector<const json*> found;
  for (size_t i : tune::best_records(history)) found.push_back(&history[i]);
  return found;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2.0;
}

// Reward of every candidate in journal order with its interval: failures at
// 0 as crosses, the best so far as a step line, the unmodified source at 1.
std::string reward_svg(const std::vector<json>& history) {
  const double width = 760, height = 320, left = 60, right = 20, top = 20, bottom = 45;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  double max_reward = 1.0;
  for (const json& r : history) max_reward = std::max({max_reward, r.at("reward").get<double>(), r.value("reward_high", 0.0)});
  double y_high = std::ceil(max_reward * 1.1 * 4.0) / 4.0;
  size_t n = std::max<size_t>(history.size(), 2);
  auto x_of = [&](size_t i) { return left + plot_w * double(i) / double(n - 1); };
  auto y_of = [&](double reward) { return top + plot_h - reward / y_high * plot_h; };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"reward-plot\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (double tick = 0; tick <= y_high + 1e-9; tick += y_high > 3 ? 1.0 : 0.25) {
    svg << "<line x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << y_of(tick) << "\" y2=\"" << y_of(tick)
        << "\" stroke=\"#eee\"/><text x=\"" << left - 6 << "\" y=\"" << y_of(tick) + 4 << "\" text-anchor=\"end\">"
        << format("%gx", tick) << "</text>\n";
  }
  svg << "<line x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << y_of(1.0) << "\" y2=\"" << y_of(1.0)
      << "\" stroke=\"#888\" stroke-dasharray=\"4 3\"><title>the unmodified source</title></line>\n";
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << plot_w << "\" height=\"" << plot_h
      << "\" fill=\"none\" stroke=\"black\"/>\n";
  svg << "<text x=\"" << left + plot_w / 2 << "\" y=\"" << height - 8
      << "\" text-anchor=\"middle\">candidates evaluated, in order</text>\n";
  svg << "<text transform=\"translate(16," << top + plot_h / 2
      << ") rotate(-90)\" text-anchor=\"middle\">reward (x the unmodified source)</text>\n";

  double best = 1.0;
  std::vector<const json*> winners = bests(history);
  std::string steps = std::to_string(x_of(0)) + "," + std::to_string(y_of(best));
  for (size_t i = 0; i < history.size(); ++i) {
    const json& r = history[i];
    double reward = r.at("reward");
    std::string failure = r.at("failure");
    std::string title = "candidate " + std::to_string(r.value("index", int(i))) + ", round " +
                        std::to_string(r.value("round", 0) + 1) + ": " +
                        (failure == "none" ? "reward " + ratio_text(r, "reward", "reward_low", "reward_high") : failure);
    double x = x_of(i);
    if (failure == "none") {
      if (r.contains("reward_low") && r.contains("reward_high"))
        svg << "<line class=\"interval\" x1=\"" << x << "\" x2=\"" << x << "\" y1=\"" << y_of(r["reward_low"].get<double>())
            << "\" y2=\"" << y_of(r["reward_high"].get<double>()) << "\" stroke=\"#1f77b4\" stroke-opacity=\"0.4\" stroke-width=\"2\"/>\n";
      svg << "<circle class=\"candidate\" cx=\"" << x << "\" cy=\"" << y_of(reward)
          << "\" r=\"3.5\" fill=\"#1f77b4\"><title>" << escape(title) << "</title></circle>\n";
      if (std::find(winners.begin(), winners.end(), &r) != winners.end()) {
        steps += " " + std::to_string(x) + "," + std::to_string(y_of(best));
        best = reward;
        steps += " " + std::to_string(x) + "," + std::to_string(y_of(best));
      }
    } else {
      double y = y_of(0);
      svg << "<path class=\"failure\" d=\"M" << x - 4 << " " << y - 4 << " l8 8 m0 -8 l-8 8\" stroke=\"#d62728\" "
          << "stroke-width=\"2\"><title>" << escape(title) << "</title></path>\n";
    }
  }
  steps += " " + std::to_string(x_of(n - 1)) + "," + std::to_string(y_of(best));
  svg << "<polyline fill=\"none\" stroke=\"#2ca02c\" stroke-width=\"2\" points=\"" << steps
      << "\"><title>best so far</title></polyline>\n</svg>\n";
  return svg.str();
}

// What the run saw of each entry: the median reward of the candidates that
// had its rewrite at its site against those that did not.
std::string effects_table(const json& plan, const std::vector<json>& history) {
  std::ostringstream html;
  html << "<table id=\"best-plan\">\n<tr><th>rewrite</th><th>with it: median reward (candidates)</th>"
       << "<th>without it</th></tr>\n";
  for (const json& entry : plan.at("plan")) {
    std::vector<double> with, without;
    for (const json& r : history)
      if (r.at("failure") == "none") (plan_has(r, entry) ? with : without).push_back(r.at("reward").get<double>());
    auto cell = [](const std::vector<double>& rewards) {
      return rewards.empty() ? std::string("-")
                             : format("%.3fx", median(rewards)) + " (" + std::to_string(rewards.size()) + ")";
    };
    html << "<tr><td><code>" << escape(entry_text(entry)) << "</code></td><td>" << cell(with) << "</td><td>"
         << cell(without) << "</td></tr>\n";
  }
  html << "</table>\n";
  return html.str();
}

std::string failures_table(const std::vector<json>& history) {
  std::map<std::string, int> counts;
  std::ostringstream rows;
  for (const json& r : history) {
    std::string failure = r.at("failure");
    if (failure == "none") continue;
    ++counts[failure];
    std::string reason = r.value("reason", "");
    if (reason.size() > 400) reason = reason.substr(0, 400) + "...";
    std::string plan;
    for (const json& e : r.at("plan").at("plan")) plan += (plan.empty() ? "" : "; ") + entry_text(e);
    rows << "<tr><td>" << r.value("index", 0) << "</td><td>" << escape(failure) << "</td><td>" << escape(reason)
         << "</td><td><code>" << escape(plan) << "</code></td></tr>\n";
  }
  if (counts.empty()) return "<p id=\"failures\">No candidate failed a gate.</p>\n";
  std::string summary;
  for (const auto& [reason, count] : counts) summary += (summary.empty() ? "" : ", ") + std::to_string(count) + " " + reason;
  return "<p>" + summary + ".</p>\n<table id=\"failures\">\n<tr><th>candidate</th><th>gate</th><th>why</th>"
         "<th>plan</th></tr>\n" + rows.str() + "</table>\n";
}

// An LLM policy's tokens and what they cost per candidate that became the
// best; the cost needs the price the run was given (--llm-price).
std::string llm_usage(const json& policy, size_t improvements) {
  const json usage = policy.at("usage");
  long tokens = usage.value("prompt_tokens", 0L) + usage.value("completion_tokens", 0L);
  double price = policy.value("price_per_1k_tokens", 0.0);
  std::ostringstream text;
  text << " <span id=\"llm-usage\">LLM usage: " << usage.value("requests", 0) << " requests ("
       << usage.value("retries", 0) << " retries), " << usage.value("prompt_tokens", 0) << " prompt and "
       << usage.value("completion_tokens", 0) << " completion tokens";
  if (usage.value("estimated_replies", 0) > 0)
    text << " (" << usage.value("estimated_replies", 0) << " replies without usage counted at 4 characters a token)";
  if (price > 0) text << ", cost " << format("%.4f", tokens * price / 1000);
  text << "; ";
  if (improvements == 0)
    text << "no improvement yet";
  else
    text << format("%.0f", double(tokens) / double(improvements)) << " tokens"
         << (price > 0 ? ", cost " + format("%.4f", tokens * price / 1000 / double(improvements)) : std::string())
         << " per improvement (" << improvements << " candidates became the best)";
  text << ". Prompts of up to " << policy.value("largest_prompt_tokens", 0) << " tokens, within a budget of "
       << policy.value("prompt_budget_tokens", 0) << ".</span>";
  return text.str();
}

// Each candidate's plan with the reasons the model gave for it.
std::string reasoning_table(const std::vector<json>& history) {
  std::ostringstream rows;
  for (const json& r : history) {
    if (!r.contains("explanation")) continue;
    std::string outcome = r.at("failure") == "none" ? format("%.3fx", r.at("reward").get<double>())
                                                    : r.at("failure").get<std::string>();
    std::string plan;
    for (const json& e : r.at("plan").at("plan")) plan += (plan.empty() ? "" : "; ") + entry_text(e);
    rows << "<tr><td>" << r.value("index", 0) << "</td><td>" << escape(outcome) << "</td><td><code>" << escape(plan)
         << "</code></td><td>" << escape(r.at("explanation").get<std::string>()) << "</td></tr>\n";
  }
  if (rows.str().empty()) return "<p id=\"reasoning\">The model gave no reasons with its plans.</p>\n";
  return "<table id=\"reasoning\">\n<tr><th>candidate</th><th>outcome</th><th>plan</th><th>why, in the model's "
         "words</th></tr>\n" + rows.str() + "</table>\n";
}

}  // namespace

std::string render_report_html(const std::string& dir_name) {
  fs::path dir(dir_name);
  if (!fs::exists(dir / "history.jsonl")) throw std::runtime_error((dir / "history.jsonl").string() + ": no such file");
  std::vector<json> history = tune::read_candidates((dir / "history.jsonl").string());
  json run = parse_optional(dir / "run.json");
  json plan = parse_optional(dir / "plan.json");
  json policy = parse_optional(dir / "policy.json");
  std::string patch = read_optional(dir / "best.patch");
  std::string comparison_svg = read_optional(dir / "comparison.svg");
  std::string comparison_table = read_optional(dir / "comparison.txt");

  json comparison = parse_optional(dir / "comparison.json");
  int succeeded = 0;
  for (const json& r : history) succeeded += r.at("failure") == "none";
  std::vector<const json*> winners = bests(history);
  const json paired_ratios = comparison.value("paired_ratios", json::array());
  const json* closing = nullptr;
  for (const json& ratio : paired_ratios)
    if (ratio.value("index", "") == "best") closing = &ratio;
  std::string title = "crinn-tune: " + run.value("source", dir.string()) + " on " + run.value("dataset", "?");

  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << escape(title)
       << "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
       << "pre{background:#f6f6f6;padding:1em;overflow-x:auto}table{border-collapse:collapse}"
       << "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}</style>\n</head>\n<body>\n";
  const bool geometric = run.value("reward", std::string("area")) == "geomean";
  std::string window = std::string(geometric ? "geometric mean of QPS" : "area under the QPS-recall curve") +
                       " over recall@10 in [" + format("%g", run.value("recall_low", 0.0)) + ", " +
                       format("%g", run.value("recall_high", 0.0)) + "]";
  html << "<h1>" << escape(title) << "</h1>\n<p id=\"summary\">" << history.size() << " candidates evaluated, "
       << succeeded << " passed every gate; ";
  // The headline is the closing comparison, measured beside the original at
  // the end; before it, the best's reward as it measured when it won.
  if (closing)
    html << "closing comparison: the best variant " << ratio_text(*closing, "ratio", "low", "high")
         << " the unmodified source (" << window << ", " << closing->value("repetitions", 0)
         << " paired runs interleaved with it).";
  else if (!winners.empty())
    html << "best reward so far " << ratio_text(*winners.back(), "reward", "reward_low", "reward_high")
         << " the unmodified source (" << window << ", measured interleaved with it).";
  else
    html << "no candidate beat the unmodified source.";
  if (run.contains("noise_floor"))
    html << " Noise floor: the unmodified source beside a copy of itself measured "
         << ratio_text(run["noise_floor"]["aa"], "ratio", "low", "high") << ".";
  html << " Policy: " << escape(run.value("policy", "?")) << ".";
  if (policy.value("kind", "") == "llm" && policy.contains("usage")) html << llm_usage(policy, winners.size());
  if (policy.value("failed_proposals", 0) > 0)
    html << " <span id=\"failed-proposals\">" << policy.value("failed_proposals", 0)
         << " proposals failed; the last: " << escape(policy.value("last_failure", "")) << ".</span>";
  html << "</p>\n";

  html << "<h2>Before and after</h2>\n";
  if (comparison_svg.empty())
    html << "<p id=\"comparison\">No closing comparison yet: the run did not finish.</p>\n";
  else
    html << "<p>The original source, the best variant and the peers, in one interleaved crinn-bench run; the shaded "
            "band is the reward window.</p>\n<div id=\"comparison\">\n"
         << comparison_svg << "</div>\n<pre>" << escape(comparison_table) << "</pre>\n";

  html << "<h2>Reward over the run</h2>\n" << reward_svg(history);

  html << "<h2>The best plan</h2>\n";
  if (plan.contains("plan") && !plan["plan"].empty())
    html << effects_table(plan, history) << "<h3>best.patch</h3>\n<pre id=\"patch\">" << escape(patch) << "</pre>\n";
  else
    html << "<p id=\"best-plan\">No candidate beat the unmodified source.</p>\n";

  html << "<h2>Failures</h2>\n" << failures_table(history);
  if (policy.value("kind", "") == "llm") html << "<h2>The model's reasoning</h2>\n" << reasoning_table(history);
  html << "</body>\n</html>\n";
  return html.str();
}

void write_report_html(const std::string& dir) {
  std::string page = render_report_html(dir);
  fs::path path = fs::path(dir) / "report.html";
  support::write_file_atomically(path, page);
}

}  // namespace crinn::report
