// Plan validation (lib/Schema) on any plan file, against a fixed list of
// sites like those crinn-opt finds in baselines/hnsw: every input is a valid
// plan or a PlanError, never another exception, a crash or UB.
#include "InputFile.h"

#include "Schema/Schema.h"

using namespace crinn;

namespace {

schema::ParamRange integer(const std::string& name, double min, double max, double default_value,
                           std::vector<double> choices = {}) {
  schema::ParamRange range;
  range.name = name;
  range.min = min;
  range.max = max;
  range.default_value = default_value;
  range.choices = std::move(choices);
  return range;
}

schema::RewriteOption option(const std::string& rewrite, std::vector<schema::ParamRange> params) {
  schema::RewriteOption option;
  option.rewrite = rewrite;
  option.params = std::move(params);
  return option;
}

schema::SiteRecord site(const std::string& id, std::vector<schema::RewriteOption> rewrites) {
  schema::SiteRecord site;
  site.id = id;
  site.kind = id.substr(0, id.find(':'));
  site.rewrites = std::move(rewrites);
  return site;
}

// Seeds in corpus/plan_json/ name these sites and rewrites.
const std::vector<schema::SiteRecord>& known_sites() {
  static const std::vector<schema::SiteRecord> sites = [] {
    schema::ParamRange slack = integer("slack", 0.5, 1.0, 1.0);
    slack.integer = false;
    return std::vector<schema::SiteRecord>{
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

const std::vector<std::string> kRewrites = {
    "prefetch-insertion", "loop-unroll",        "loop-fission", "simd-distance",     "edge-pruning",
    "early-termination",  "visited-set",        "aligned-storage", "quantized-distance", "flat-graph",
    "multi-entry",        "adjacency-reorder",  "adaptive-ef",  "constant-tuning"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile file(".json");
  static const std::vector<const schema::SiteRecord*> sites = [] {
    std::vector<const schema::SiteRecord*> out;
    for (const schema::SiteRecord& site : known_sites()) out.push_back(&site);
    return out;
  }();
  const std::string& path = file.write(data, size);
  try {
    schema::to_json(schema::validate_plan(schema::read_plan_file(path), path, sites, kRewrites));
  } catch (const schema::PlanError&) {
  }
  return 0;
}
