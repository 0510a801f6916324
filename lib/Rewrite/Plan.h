// A plan: which rewrite to apply at which site with which parameters. The
// schema (docs/plan-schema.md) is the contract between crinn-opt, the
// policies and the tuner; this is the one place that validates it.
//   {"plan": [{"site": "<site id>", "rewrite": "<name>", "params": {"<name>": <number>}}]}
// A bare list of entries is accepted too.
#pragma once

#include "Rewrite/Rewrite.h"
#include "Sites/Site.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace crinn::rewrite {

struct PlanEntry {
  std::string site;
  std::string rewrite;
  Params params;  // validated, defaults filled in

  std::string label(size_t index) const;  // "entry 2 (simd-distance at distance-kernel:f)"
};

// One line: "<plan file>: entry N: <problem>".
class PlanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

nlohmann::json read_plan_file(const std::string& path);

// Checks the whole plan against the sites found before anything is touched:
// unknown sites, rewrites that do not apply there, unknown or out-of-range
// parameters, the same rewrite twice at one site.
std::vector<PlanEntry> validate_plan(const nlohmann::json& plan, const std::string& source,
                                     const std::vector<sites::Site>& sites);

// The plan as JSON, parameters included.
nlohmann::json plan_to_json(const std::vector<PlanEntry>& entries);

}  // namespace crinn::rewrite
