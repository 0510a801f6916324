#include "Policy/Space.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace crinn::policy {

std::vector<double> ParamRange::values() const {
  std::vector<double> out = choices;
  if (out.empty() && integer && max - min <= 8) {
    for (double v = min; v <= max; v += 1) out.push_back(v);
  } else if (out.empty() && integer && min == 0) {
    out.push_back(0);
    for (int i = 0; i < 7; ++i) out.push_back(std::round(std::pow(max, i / 6.0)));
  } else if (out.empty()) {
    bool logarithmic = min > 0 && max / min > 8;
    for (int i = 0; i < 8; ++i) {
      double t = i / 7.0;
      double v = logarithmic ? min * std::pow(max / min, t) : min + (max - min) * t;
      out.push_back(integer ? std::round(v) : std::round(v * 1000) / 1000);
    }
  }
  out.push_back(default_value);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<RewriteOption> options_from_sites(const nlohmann::json& sites) {
  std::vector<RewriteOption> options;
  for (const nlohmann::json& site : sites.at("sites"))
    for (const nlohmann::json& rewrite : site.at("rewrites")) {
      RewriteOption option;
      option.site = site.at("id");
      option.site_kind = site.at("kind");
      option.rewrite = rewrite.at("rewrite");
      option.preserves_results = rewrite.at("preserves_results");
      option.replaces_site = rewrite.value("replaces_site", false);
      option.exclusive = rewrite.value("exclusive", "");
      option.build_switch = rewrite.value("build_switch", "");
      option.rebuilds_index = !option.preserves_results && site.value("reached_by_build", true) &&
                              rewrite.value("changes_build", true) && option.build_switch.empty();
      for (const auto& [name, spec] : rewrite.at("params").items()) {
        ParamRange range;
        range.name = name;
        range.integer = spec.at("type") == "int";
        range.min = spec.at("min");
        range.max = spec.at("max");
        range.default_value = spec.at("default");
        if (spec.contains("choices")) range.choices = spec["choices"].get<std::vector<double>>();
        option.params.push_back(range);
      }
      options.push_back(std::move(option));
    }
  return options;
}

void drop_exclusive_conflicts(Plan& plan, const std::vector<RewriteOption>& options, std::mt19937_64& rng) {
  // The group of an entry: "" (none), the whole site, or a named group.
  auto group = [&](const PlanEntry& entry) -> std::string {
    for (const RewriteOption& o : options)
      if (o.site == entry.site && o.rewrite == entry.rewrite)
        return o.replaces_site ? std::string("(site)") : o.exclusive;
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

nlohmann::json plan_to_json(const Plan& plan) {
  nlohmann::json list = nlohmann::json::array();
  for (const PlanEntry& entry : plan) {
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [name, value] : entry.params)
      params[name] = value == std::floor(value) ? nlohmann::json(int64_t(value)) : nlohmann::json(value);
    list.push_back({{"site", entry.site}, {"rewrite", entry.rewrite}, {"params", params}});
  }
  return {{"plan", list}};
}

Plan plan_from_json(const nlohmann::json& json) {
  Plan plan;
  for (const nlohmann::json& item : json.at("plan")) {
    PlanEntry entry{item.at("site"), item.at("rewrite"), {}};
    nlohmann::json params = item.value("params", nlohmann::json::object());
    for (const auto& [name, value] : params.items()) entry.params[name] = value.get<double>();
    plan.push_back(std::move(entry));
  }
  return plan;
}

std::string plan_key(const Plan& plan) {
  Plan sorted = plan;
  std::sort(sorted.begin(), sorted.end(), [](const PlanEntry& a, const PlanEntry& b) {
    return std::tie(a.site, a.rewrite) < std::tie(b.site, b.rewrite);
  });
  return plan_to_json(sorted).dump();
}

}  // namespace crinn::policy
