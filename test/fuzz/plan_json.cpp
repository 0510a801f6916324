// Plan validation (lib/Rewrite/Plan.cpp) on any plan file, against a fixed
// list of sites like those crinn-opt finds in baselines/hnsw: every input is
// a valid plan or a PlanError, never another exception, a crash or UB.
#include "InputFile.h"

#include "Rewrite/Plan.h"

#include <set>

using namespace crinn;

namespace {

sites::ParamSpec integer(const std::string& name, double min, double max, double default_value,
                         std::vector<double> choices = {}) {
  sites::ParamSpec spec;
  spec.name = name;
  spec.min = min;
  spec.max = max;
  spec.default_value = default_value;
  spec.choices = std::move(choices);
  return spec;
}

sites::RewriteOption option(const std::string& rewrite, std::vector<sites::ParamSpec> params) {
  sites::RewriteOption option;
  option.rewrite = rewrite;
  option.params = std::move(params);
  return option;
}

sites::Site site(const std::string& id, std::vector<sites::RewriteOption> rewrites) {
  sites::Site site;
  site.id = id;
  site.kind = id.substr(0, id.find(':'));
  site.rewrites = std::move(rewrites);
  return site;
}

// Seeds in corpus/plan_json/ name these sites and rewrites.
const std::vector<sites::Site>& known_sites() {
  static const std::vector<sites::Site> sites = [] {
    sites::ParamSpec slack = integer("slack", 0.5, 1.0, 1.0);
    slack.integer = false;
    return std::vector<sites::Site>{
        site("distance-kernel:crinn::hnsw::l2_sqr",
             {option("loop-unroll", {integer("factor", 2, 16, 4)}),
              option("simd-distance", {integer("width", 4, 16, 8, {4, 8, 16})})}),
        site("neighbor-loop:crinn::hnsw::HnswIndex::search_layer",
             {option("prefetch-insertion", {integer("distance", 1, 8, 2), integer("locality", 0, 3, 3)}),
              option("early-termination", {slack})}),
        site("constant:crinn::hnsw::kDefaultM", {option("constant-tuning", {integer("value", 4, 64, 16)})}),
    };
  }();
  return sites;
}

bool is_rewrite(const std::string& name) {
  static const std::set<std::string> names = {
      "prefetch-insertion", "loop-unroll", "loop-fission", "simd-distance", "edge-pruning",
      "early-termination", "visited-set", "aligned-storage", "quantized-distance", "flat-graph",
      "multi-entry", "adjacency-reorder", "adaptive-ef", "constant-tuning"};
  return names.count(name) > 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile file(".json");
  const std::string& path = file.write(data, size);
  try {
    rewrite::plan_to_json(rewrite::validate_plan(rewrite::read_plan_file(path), path, known_sites(), is_rewrite));
  } catch (const rewrite::PlanError&) {
  }
  return 0;
}
