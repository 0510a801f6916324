// The space a policy searches: the rewrite options at each site, read from
// crinn-opt's site JSON (docs/plan-schema.md), and plans as plain data. The
// policy layer knows this schema only, nothing of Clang.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace crinn::policy {

struct ParamRange {
  std::string name;
  bool integer = true;
  double min = 0, max = 0, default_value = 0;
  std::vector<double> choices;

  // The values a policy picks among: the choices, every integer of a small
  // range, else up to 8 values spread over the range (logarithmically when it
  // spans more than a factor of 8; an integer range from 0, where 0 means
  // "off", as 0 and 7 values spread logarithmically from 1), always including
  // the default.
  std::vector<double> values() const;
};

struct RewriteOption {
  std::string site;
  std::string site_kind;
  std::string rewrite;
  bool preserves_results = true;
  bool replaces_site = false;  // at most one such option per site in a plan
  std::string exclusive;       // at most one option per site and non-empty group
  // Whether a plan with this option builds another index than the reference's
  // (a candidate then waits for an index build, not only its searches): the
  // option changes results, its site runs during the build, and the rewrite
  // does not keep itself out of the build. With `build_switch` set, exactly
  // when that parameter is not 0.
  bool rebuilds_index = false;
  std::string build_switch;
  std::vector<ParamRange> params;

  // What a learned preference is attached to: the kind of site and the
  // rewrite, not the site's name, so that it carries over to other sources.
  std::string feature() const { return site_kind + "/" + rewrite; }
};

// Every option of every site in `{"sites": [...]}` as --list-sites prints it.
std::vector<RewriteOption> options_from_sites(const nlohmann::json& sites);


struct PlanEntry {
  std::string site;
  std::string rewrite;
  std::map<std::string, double> params;
  bool operator==(const PlanEntry& other) const {
    return site == other.site && rewrite == other.rewrite && params == other.params;
  }
};
using Plan = std::vector<PlanEntry>;

nlohmann::json plan_to_json(const Plan& plan);  // {"plan": [...]}, crinn-opt's input
Plan plan_from_json(const nlohmann::json& json);
std::string plan_key(const Plan& plan);  // identical plans, identical keys

// Keeps, at each site, one of the plan's entries whose rewrite replaces the
// site's code (drawn uniformly): two of them cannot both apply. The other
// entries keep their order.
void drop_exclusive_conflicts(Plan& plan, const std::vector<RewriteOption>& options, std::mt19937_64& rng);

}  // namespace crinn::policy
