// The contract between Sites/Rewrite, Policy, Tune and Report
// (docs/plan-schema.md): what each site offers with which parameters, and
// plans that choose among the offers. One set of typed structs, one JSON
// reader and writer, one validation, and the one rule of when an entry
// changes the built index. Clang-free: the policies and the tuner use it
// without the parser.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace crinn::schema {

// One parameter of a rewrite: an integer or real range, with the value the
// rewrite uses when a plan leaves it out.
struct ParamRange {
  std::string name;
  bool integer = true;
  double min = 0, max = 0, default_value = 0;
  std::vector<double> choices;  // if not empty, the only values allowed
  std::string doc;
  // Counts 64-byte cache lines of one vector (what a prefetch asks for per
  // node): past the vector's own size it fetches other nodes' data.
  bool vector_lines = false;

  // The values a policy picks among: the choices, every integer of a small
  // range, else up to 8 values spread over the range (logarithmically when it
  // spans more than a factor of 8; an integer range from 0, where 0 means
  // "off", as 0 and 7 values spread logarithmically from 1), always including
  // the default.
  std::vector<double> values() const;
};

// A rewrite as a site offers it.
struct RewriteOption {
  std::string rewrite;
  std::vector<ParamRange> params;
  bool preserves_results = true;  // identical answers for identical queries
  std::string note;               // when results may change, why
  // It replaces the site's code whole, so no other such rewrite can apply
  // at the same site (loop-unroll or simd-distance of one kernel).
  bool replaces_site = false;
  // Rewrites of one site with the same non-empty group edit the same code
  // (loop-fission and flat-graph both rewrite the loop's range): a plan
  // holds at most one of them.
  std::string exclusive_group;
  // False when the rewritten code behaves as the original during the build
  // (it switches on only on the query path), so the built index is the same.
  bool changes_build = true;
  // When set, the rewrite changes the build exactly when this parameter is
  // not 0 (quantized-distance's `build`), whatever changes_build says.
  std::string build_switch;
  // When set, results may change only when this parameter is not 0: with it
  // 0 the option preserves results whatever preserves_results says
  // (compile-flags' fast_math; its other flags keep the answers).
  std::string results_switch;

  const ParamRange* param(const std::string& name) const;
};

// A site as --list-sites prints it.
struct SiteRecord {
  std::string id;    // "<kind>:<qualified name>[#n]": stable across runs and machines
  std::string kind;  // distance-kernel, neighbor-loop, pruning, visited-set, vector-storage, candidate-pool, constant
  std::string file;
  unsigned begin_line = 0, end_line = 0;
  std::string function;  // the enclosing function (or record for members)
  std::string excerpt;
  bool annotated = false;  // marked by [[clang::annotate("crinn::<kind>")]]
  // Whether the index build can run this code: a result-changing rewrite
  // here changes the built index. True when unknown.
  bool reached_by_build = true;
  // For statements: the function that the query path, and not the build, runs
  // first on the way here; empty when there is none or it is not known.
  std::string query_entry;
  // The same for the build.
  std::string build_entry;
  std::vector<RewriteOption> rewrites;

  const RewriteOption* option(const std::string& rewrite) const;
};

using ParamValues = std::map<std::string, double>;

struct PlanEntry {
  std::string site;
  std::string rewrite;
  ParamValues params;
  bool operator==(const PlanEntry& other) const {
    return site == other.site && rewrite == other.rewrite && params == other.params;
  }
};
using Plan = std::vector<PlanEntry>;

// "entry 2 (simd-distance at distance-kernel:f)", as errors name an entry.
std::string entry_label(const PlanEntry& entry, std::size_t index);

// One line: "<source>: entry N: <problem>".
class PlanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Whether an entry's answers may differ from the original's: its option does
// not preserve results and, where a results switch decides, the switch is on;
// unknown (false) without `params`.
bool changes_results(const RewriteOption& option, const ParamValues* params);

// Whether an entry builds another index than the original source does: it
// may change results, the build can run its site, and the rewrite does not
// keep itself out of the build; a build switch decides by its value, unknown
// (false) without `params`.
bool changes_built_index(const SiteRecord& site, const RewriteOption& option, const ParamValues* params);

// What a policy chooses among: a rewrite option at one site.
struct Offer : RewriteOption {
  std::string site;
  std::string site_kind;
  bool rebuilds_index = false;  // changes_built_index whatever the parameters

  // What a learned preference is attached to: the kind of site and the
  // rewrite, not the site's name, so that it carries over to other sources.
  std::string feature() const { return site_kind + "/" + rewrite; }
};
std::vector<Offer> offers(const std::vector<SiteRecord>& sites);

// Caps each range of cache lines of one vector (ParamRange::vector_lines) at
// the lines a vector of `vector_bytes` spans, with the default within it, so
// a tuner does not spend plans on prefetches of other nodes' data. A range
// with choices is left as it is.
void cap_vector_lines(std::vector<SiteRecord>& sites, std::size_t vector_bytes);

// ---- Compile flags -----------------------------------------------------------

// The rewrite whose site is the tree's build, not its C++ (docs/rewrites.md,
// compile-flags): the flags every target of the tree is compiled with.
inline constexpr const char* kCompileFlags = "compile-flags";
inline constexpr const char* kBuildSiteKind = "build";

// Its parameters and ranges, as the build site offers them.
RewriteOption compile_flags_option();

// A compile-flags entry's validated parameters, typed.
struct CompileFlags {
  int fast_math = 0;  // 0: IEEE order; 1: reassociation only; 2: -ffast-math
  bool no_math_errno = false;
  bool unroll_loops = false;
  bool profile_guided = false;

  // The GCC/Clang flags, profile-guided optimization's aside (they name a
  // profile directory and depend on the compiler): each one survives a later
  // -O3, unlike -Ofast, so they hold wherever the build puts its own.
  std::vector<std::string> flags() const;
};
CompileFlags compile_flags(const ParamValues& params);

// Whether a plan builds with profile-guided optimization.
bool profile_guided(const Plan& plan);

// ---- JSON ------------------------------------------------------------------

nlohmann::json to_json(const SiteRecord& site);
// A site as to_json writes it; a std::runtime_error names what is missing.
SiteRecord site_from_json(const nlohmann::json& json);

nlohmann::json to_json(const ParamValues& params);  // whole numbers as integers
nlohmann::json to_json(const Plan& plan);  // {"plan": [...]}, whole numbers as integers
// The shape of a plan, `{"plan": [...]}` or a bare list of
// {site, rewrite[, params]} with numeric params; a PlanError names `source`
// and the entry.
Plan plan_from_json(const nlohmann::json& json, const std::string& source);
Plan read_plan_file(const std::string& path);  // plan_from_json of a file; errors name it
std::string plan_key(const Plan& plan);        // identical plans, identical keys

// Checks a plan against the sites before anything is touched: unknown sites
// or rewrites (`rewrites`: every rewrite's name), rewrites a site does not
// offer, unknown or out-of-range parameters, the same rewrite twice at one
// site. Returns the plan with every parameter's default filled in.
Plan validate_plan(const Plan& plan, const std::string& source, const std::vector<const SiteRecord*>& sites,
                   const std::vector<std::string>& rewrites);

}  // namespace crinn::schema
