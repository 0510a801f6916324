#include "Rewrite/Plan.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace crinn::rewrite {

std::string PlanEntry::label(size_t index) const {
  return "entry " + std::to_string(index + 1) + " (" + rewrite + " at " + site + ")";
}

nlohmann::json read_plan_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw PlanError(path + ": cannot open file");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {  // a syntax error, or a number past a double (1e400)
    std::string what = e.what();
    throw PlanError(path + ": not valid JSON: " + what.substr(what.find(']') + 2));
  }
}

namespace {
std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}
}  // namespace

std::vector<PlanEntry> validate_plan(const nlohmann::json& plan, const std::string& source,
                                     const std::vector<sites::Site>& sites) {
  const nlohmann::json& list = plan.is_object() && plan.contains("plan") ? plan["plan"] : plan;
  if (!list.is_array()) throw PlanError(source + ": expected {\"plan\": [...]} or a list of {site, rewrite, params}");
  std::map<std::string, const sites::Site*> by_id;
  for (const sites::Site& site : sites) by_id.emplace(site.id, &site);

  std::vector<PlanEntry> entries;
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& item = list[i];
    std::string where = source + ": entry " + std::to_string(i + 1) + ": ";
    if (!item.is_object() || !item.contains("site") || !item["site"].is_string() || !item.contains("rewrite") ||
        !item["rewrite"].is_string())
      throw PlanError(where + "needs \"site\" and \"rewrite\" strings");
    for (const auto& [key, value] : item.items())
      if (key != "site" && key != "rewrite" && key != "params") throw PlanError(where + "unknown field '" + key + "'");
    PlanEntry entry;
    entry.site = item["site"];
    entry.rewrite = item["rewrite"];
    auto site = by_id.find(entry.site);
    if (site == by_id.end()) throw PlanError(where + "unknown site '" + entry.site + "'");
    if (!find_rewrite(entry.rewrite)) throw PlanError(where + "unknown rewrite '" + entry.rewrite + "'");
    const sites::RewriteOption* option = site->second->option(entry.rewrite);
    if (!option) {
      std::string offered;
      for (const sites::RewriteOption& o : site->second->rewrites) offered += (offered.empty() ? "" : ", ") + o.rewrite;
      throw PlanError(where + "rewrite '" + entry.rewrite + "' does not apply at site '" + entry.site + "' (it offers: " +
                      (offered.empty() ? "nothing" : offered) + ")");
    }
    if (!seen.insert({entry.site, entry.rewrite}).second)
      throw PlanError(where + "'" + entry.rewrite + "' at '" + entry.site + "' appears twice");

    std::map<std::string, double> values;
    for (const sites::ParamSpec& spec : option->params) values[spec.name] = spec.default_value;
    nlohmann::json params = item.value("params", nlohmann::json::object());
    if (!params.is_object()) throw PlanError(where + "\"params\" must be an object");
    for (const auto& [key, value] : params.items()) {
      auto spec = std::find_if(option->params.begin(), option->params.end(),
                               [&](const sites::ParamSpec& p) { return p.name == key; });
      if (spec == option->params.end()) {
        std::string known;
        for (const sites::ParamSpec& p : option->params) known += (known.empty() ? "" : ", ") + p.name;
        throw PlanError(where + "unknown parameter '" + key + "' for " + entry.rewrite + " (" + known + ")");
      }
      if (!value.is_number()) throw PlanError(where + "parameter '" + key + "' must be a number");
      double v = value.get<double>();
      if (spec->integer && v != std::floor(v)) throw PlanError(where + "parameter '" + key + "' must be an integer");
      if (v < spec->min || v > spec->max)
        throw PlanError(where + "parameter '" + key + "' = " + number(v) + " is outside [" + number(spec->min) + ", " +
                        number(spec->max) + "]");
      if (!spec->choices.empty() && std::find(spec->choices.begin(), spec->choices.end(), v) == spec->choices.end()) {
        std::string allowed;
        for (double c : spec->choices) allowed += (allowed.empty() ? "" : ", ") + number(c);
        throw PlanError(where + "parameter '" + key + "' = " + number(v) + " is not one of " + allowed);
      }
      values[key] = v;
    }
    entry.params = Params(values);
    entries.push_back(std::move(entry));
  }
  return entries;
}

nlohmann::json plan_to_json(const std::vector<PlanEntry>& entries) {
  nlohmann::json list = nlohmann::json::array();
  for (const PlanEntry& entry : entries) {
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [name, value] : entry.params.values())
      params[name] = value == std::floor(value) ? nlohmann::json(int64_t(value)) : nlohmann::json(value);
    list.push_back({{"site", entry.site}, {"rewrite", entry.rewrite}, {"params", params}});
  }
  return {{"plan", list}};
}

}  // namespace crinn::rewrite
