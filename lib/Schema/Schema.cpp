#include "Schema/Schema.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace crinn::schema {

namespace {

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// A whole number as a JSON integer, as a person writes a plan; one outside
// int64's range (an LLM may answer 1e300) stays a double, since converting it
// would be undefined.
nlohmann::json number_json(double v) {
  constexpr double kInt64Bound = 9223372036854775808.0;  // 2^63
  return v == std::floor(v) && std::fabs(v) < kInt64Bound ? nlohmann::json(int64_t(v)) : nlohmann::json(v);
}

}  // namespace

std::vector<double> ParamRange::values() const {
  std::vector<double> out = choices;
  if (out.empty() && integer && max - min <= 8) {
    // Counted from min, not stepped to max: past 2^53, v + 1 == v.
    for (double step = 0; step <= max - min; step += 1) out.push_back(min + step);
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

const ParamRange* RewriteOption::param(const std::string& name) const {
  for (const ParamRange& p : params)
    if (p.name == name) return &p;
  return nullptr;
}

const RewriteOption* SiteRecord::option(const std::string& rewrite) const {
  for (const RewriteOption& o : rewrites)
    if (o.rewrite == rewrite) return &o;
  return nullptr;
}

std::string entry_label(const PlanEntry& entry, std::size_t index) {
  return "entry " + std::to_string(index + 1) + " (" + entry.rewrite + " at " + entry.site + ")";
}

namespace {
// Whether `param` is set and not 0; unknown (false) without `params`.
bool switched_on(const std::string& param, const ParamValues* params) {
  if (!params) return false;
  auto value = params->find(param);
  return value != params->end() && value->second != 0.0;
}
}  // namespace

bool changes_results(const RewriteOption& option, const ParamValues* params) {
  if (option.preserves_results) return false;
  return option.results_switch.empty() || switched_on(option.results_switch, params);
}

bool changes_built_index(const SiteRecord& site, const RewriteOption& option, const ParamValues* params) {
  if (!changes_results(option, params) || !site.reached_by_build) return false;
  if (option.build_switch.empty()) return option.changes_build;
  return switched_on(option.build_switch, params);
}

void cap_vector_lines(std::vector<SiteRecord>& sites, std::size_t vector_bytes) {
  const double lines = double(std::max<std::size_t>(1, (vector_bytes + 63) / 64));
  for (SiteRecord& site : sites)
    for (RewriteOption& option : site.rewrites)
      for (ParamRange& param : option.params)
        if (param.vector_lines && param.choices.empty() && param.max > lines) {
          param.max = std::max(param.min, lines);
          param.default_value = std::min(param.default_value, param.max);
        }
}

std::vector<Offer> offers(const std::vector<SiteRecord>& sites) {
  std::vector<Offer> out;
  for (const SiteRecord& site : sites)
    for (const RewriteOption& option : site.rewrites) {
      Offer offer;
      static_cast<RewriteOption&>(offer) = option;
      offer.site = site.id;
      offer.site_kind = site.kind;
      offer.rebuilds_index = changes_built_index(site, option, nullptr);
      out.push_back(std::move(offer));
    }
  return out;
}

RewriteOption compile_flags_option() {
  auto flag = [](const char* name, int max, int default_value, const char* doc) {
    return ParamRange{name, true, 0, double(max), double(default_value), {}, doc};
  };
  RewriteOption option;
  option.rewrite = kCompileFlags;
  option.params = {
      flag("fast_math", 2, 0,
           "0: IEEE order; 1: float reassociation (-fassociative-math -fno-signed-zeros -fno-trapping-math); "
           "2: -ffast-math (also assumes no NaN or infinity)"),
      flag("no_math_errno", 1, 1, "1: -fno-math-errno (sqrt and friends inline, errno is not set)"),
      flag("unroll_loops", 1, 0, "1: -funroll-loops"),
      flag("profile_guided", 1, 0,
           "1: profile-guided optimization: built instrumented, trained on train vectors held out of a sample "
           "index, rebuilt with the profile")};
  option.preserves_results = false;
  option.results_switch = "fast_math";
  option.note = "fast_math lets the compiler reorder float sums, so distances and answers may change";
  return option;
}

std::vector<std::string> CompileFlags::flags() const {
  std::vector<std::string> out;
  if (fast_math == 1) out = {"-fassociative-math", "-fno-signed-zeros", "-fno-trapping-math"};
  if (fast_math == 2) out = {"-ffast-math"};
  if (no_math_errno) out.push_back("-fno-math-errno");
  if (unroll_loops) out.push_back("-funroll-loops");
  return out;
}

CompileFlags compile_flags(const ParamValues& params) {
  auto value = [&](const char* name) {
    auto found = params.find(name);
    return found == params.end() ? 0.0 : found->second;
  };
  return {int(value("fast_math")), value("no_math_errno") != 0.0, value("unroll_loops") != 0.0,
          value("profile_guided") != 0.0};
}

bool profile_guided(const Plan& plan) {
  return std::any_of(plan.begin(), plan.end(), [](const PlanEntry& entry) {
    return entry.rewrite == kCompileFlags && compile_flags(entry.params).profile_guided;
  });
}

nlohmann::json to_json(const SiteRecord& site) {
  nlohmann::json rewrites = nlohmann::json::array();
  for (const RewriteOption& option : site.rewrites) {
    nlohmann::json params = nlohmann::json::object();
    for (const ParamRange& p : option.params) {
      nlohmann::json spec = {{"type", p.integer ? "int" : "float"}, {"min", p.min}, {"max", p.max},
                             {"default", p.default_value}, {"doc", p.doc}};
      if (p.integer) spec["min"] = int64_t(p.min), spec["max"] = int64_t(p.max), spec["default"] = int64_t(p.default_value);
      // Whole numbers written as integers, so that readers (and the LLM's prompt) see 256, not 256.0.
      if (!p.choices.empty()) {
        spec["choices"] = nlohmann::json::array();
        for (double choice : p.choices) spec["choices"].push_back(number_json(choice));
      }
      if (p.vector_lines) spec["vector_lines"] = true;
      params[p.name] = spec;
    }
    nlohmann::json entry = {{"rewrite", option.rewrite}, {"params", params}, {"preserves_results", option.preserves_results}};
    if (!option.note.empty()) entry["note"] = option.note;
    if (option.replaces_site) entry["replaces_site"] = true;
    if (!option.changes_build) entry["changes_build"] = false;
    if (!option.exclusive_group.empty()) entry["exclusive"] = option.exclusive_group;
    if (!option.build_switch.empty()) entry["build_switch"] = option.build_switch;
    if (!option.results_switch.empty()) entry["results_switch"] = option.results_switch;
    rewrites.push_back(entry);
  }
  nlohmann::json json = {{"id", site.id},
                         {"kind", site.kind},
                         {"file", site.file},
                         {"lines", {site.begin_line, site.end_line}},
                         {"function", site.function},
                         {"annotated", site.annotated},
                         {"reached_by_build", site.reached_by_build},
                         {"excerpt", site.excerpt},
                         {"rewrites", rewrites}};
  if (!site.query_entry.empty()) json["query_entry"] = site.query_entry;
  if (!site.build_entry.empty()) json["build_entry"] = site.build_entry;
  return json;
}

SiteRecord site_from_json(const nlohmann::json& json) {
  SiteRecord site;
  try {
    site.id = json.at("id");
    site.kind = json.at("kind");
    site.file = json.value("file", "");
    if (json.contains("lines")) site.begin_line = json["lines"].at(0), site.end_line = json["lines"].at(1);
    site.function = json.value("function", "");
    site.excerpt = json.value("excerpt", "");
    site.annotated = json.value("annotated", false);
    site.reached_by_build = json.value("reached_by_build", true);
    site.query_entry = json.value("query_entry", "");
    site.build_entry = json.value("build_entry", "");
    for (const nlohmann::json& entry : json.at("rewrites")) {
      RewriteOption option;
      option.rewrite = entry.at("rewrite");
      option.preserves_results = entry.at("preserves_results");
      option.note = entry.value("note", "");
      option.replaces_site = entry.value("replaces_site", false);
      option.changes_build = entry.value("changes_build", true);
      option.exclusive_group = entry.value("exclusive", "");
      option.build_switch = entry.value("build_switch", "");
      option.results_switch = entry.value("results_switch", "");
      for (const auto& [name, spec] : entry.at("params").items()) {
        ParamRange range;
        range.name = name;
        range.integer = spec.at("type") == "int";
        range.min = spec.at("min");
        range.max = spec.at("max");
        range.default_value = spec.at("default");
        range.doc = spec.value("doc", "");
        if (spec.contains("choices")) range.choices = spec["choices"].get<std::vector<double>>();
        range.vector_lines = spec.value("vector_lines", false);
        option.params.push_back(range);
      }
      site.rewrites.push_back(std::move(option));
    }
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    throw std::runtime_error("site " + json.value("id", std::string("without an id")) + ": " +
                             what.substr(what.find(']') + 2));
  }
  return site;
}

nlohmann::json to_json(const ParamValues& params) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [name, value] : params) json[name] = number_json(value);
  return json;
}

nlohmann::json to_json(const Plan& plan) {
  nlohmann::json list = nlohmann::json::array();
  for (const PlanEntry& entry : plan) {
    list.push_back({{"site", entry.site}, {"rewrite", entry.rewrite}, {"params", to_json(entry.params)}});
  }
  return {{"plan", list}};
}

Plan plan_from_json(const nlohmann::json& json, const std::string& source) {
  const nlohmann::json& list = json.is_object() && json.contains("plan") ? json["plan"] : json;
  if (!list.is_array()) throw PlanError(source + ": expected {\"plan\": [...]} or a list of {site, rewrite, params}");
  Plan plan;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& item = list[i];
    std::string where = source + ": entry " + std::to_string(i + 1) + ": ";
    if (!item.is_object() || !item.contains("site") || !item["site"].is_string() || !item.contains("rewrite") ||
        !item["rewrite"].is_string())
      throw PlanError(where + "needs \"site\" and \"rewrite\" strings");
    for (const auto& [key, value] : item.items())
      if (key != "site" && key != "rewrite" && key != "params") throw PlanError(where + "unknown field '" + key + "'");
    PlanEntry entry{item["site"], item["rewrite"], {}};
    nlohmann::json params = item.value("params", nlohmann::json::object());
    if (!params.is_object()) throw PlanError(where + "\"params\" must be an object");
    for (const auto& [key, value] : params.items()) {
      if (!value.is_number()) throw PlanError(where + "parameter '" + key + "' must be a number");
      entry.params[key] = value.get<double>();
    }
    plan.push_back(std::move(entry));
  }
  return plan;
}

Plan read_plan_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw PlanError(path + ": cannot open file");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {  // a syntax error, or a number past a double (1e400)
    std::string what = e.what();
    throw PlanError(path + ": not valid JSON: " + what.substr(what.find(']') + 2));
  }
  return plan_from_json(json, path);
}

std::string plan_key(const Plan& plan) {
  Plan sorted = plan;
  std::sort(sorted.begin(), sorted.end(), [](const PlanEntry& a, const PlanEntry& b) {
    return std::tie(a.site, a.rewrite) < std::tie(b.site, b.rewrite);
  });
  return to_json(sorted).dump();
}

Plan validate_plan(const Plan& plan, const std::string& source, const std::vector<const SiteRecord*>& sites,
                   const std::vector<std::string>& rewrites) {
  std::map<std::string, const SiteRecord*> by_id;
  for (const SiteRecord* site : sites) by_id.emplace(site->id, site);

  Plan valid;
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const PlanEntry& entry = plan[i];
    std::string where = source + ": entry " + std::to_string(i + 1) + ": ";
    auto site = by_id.find(entry.site);
    if (site == by_id.end()) throw PlanError(where + "unknown site '" + entry.site + "'");
    if (std::find(rewrites.begin(), rewrites.end(), entry.rewrite) == rewrites.end())
      throw PlanError(where + "unknown rewrite '" + entry.rewrite + "'");
    const RewriteOption* option = site->second->option(entry.rewrite);
    if (!option) {
      std::string offered;
      for (const RewriteOption& o : site->second->rewrites) offered += (offered.empty() ? "" : ", ") + o.rewrite;
      throw PlanError(where + "rewrite '" + entry.rewrite + "' does not apply at site '" + entry.site + "' (it offers: " +
                      (offered.empty() ? "nothing" : offered) + ")");
    }
    if (!seen.insert({entry.site, entry.rewrite}).second)
      throw PlanError(where + "'" + entry.rewrite + "' at '" + entry.site + "' appears twice");

    PlanEntry checked{entry.site, entry.rewrite, {}};
    for (const ParamRange& range : option->params) checked.params[range.name] = range.default_value;
    for (const auto& [key, v] : entry.params) {
      const ParamRange* range = option->param(key);
      if (!range) {
        std::string known;
        for (const ParamRange& p : option->params) known += (known.empty() ? "" : ", ") + p.name;
        throw PlanError(where + "unknown parameter '" + key + "' for " + entry.rewrite + " (" + known + ")");
      }
      if (range->integer && v != std::floor(v)) throw PlanError(where + "parameter '" + key + "' must be an integer");
      if (v < range->min || v > range->max)
        throw PlanError(where + "parameter '" + key + "' = " + number(v) + " is outside [" + number(range->min) + ", " +
                        number(range->max) + "]");
      if (!range->choices.empty() && std::find(range->choices.begin(), range->choices.end(), v) == range->choices.end()) {
        std::string allowed;
        for (double c : range->choices) allowed += (allowed.empty() ? "" : ", ") + number(c);
        throw PlanError(where + "parameter '" + key + "' = " + number(v) + " is not one of " + allowed);
      }
      checked.params[key] = v;
    }
    valid.push_back(std::move(checked));
  }
  return valid;
}

}  // namespace crinn::schema
