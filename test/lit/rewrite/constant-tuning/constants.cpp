// constant-tuning: constants the algorithm reads as settings (compared as a
// bound) or annotated, with a range of a quarter to four times the written
// value; other constants (a seed, a format version) are left alone.
// RUN: %crinn-opt --list-sites %s -- -std=c++17 2>/dev/null | FileCheck --check-prefix=SITES %s
// RUN: cp %s %t.cpp
// RUN: echo '{"plan": [{"site": "constant:Config::ef_construction", "rewrite": "constant-tuning", "params": {"value": 400}}, {"site": "constant:kBeamSlack", "rewrite": "constant-tuning", "params": {"value": 0.5}}]}' > %t.json
// RUN: %crinn-opt --plan %t.json -i %t.cpp -- -std=c++17 2>/dev/null
// RUN: sed 's|//.*||' %t.cpp | FileCheck %s
// RUN: %clang -fsyntax-only -std=c++17 %t.cpp
// RUN: echo '{"plan": [{"site": "constant:Config::M", "rewrite": "constant-tuning", "params": {"value": 100}}]}' > %t.bad.json
// RUN: not %crinn-opt --plan %t.bad.json --diff %s -- -std=c++17 2>&1 | FileCheck --check-prefix=RANGE %s

struct Config {
  int M = 16;
  int ef_construction = 200;
  unsigned seed = 100;
  int version = 3;
};
[[clang::annotate("crinn::constant")]] constexpr float kBeamSlack = 1.25f;

int links_kept(const Config& config, int candidates, unsigned& seed) {
  seed = config.seed;
  int kept = 0;
  for (int i = 0; i < candidates && kept < config.M; ++i) ++kept;
  return kept < config.ef_construction && config.version == 3 ? kept : 0;
}

// SITES: "id": "constant:Config::M"
// SITES: "max": 64,
// SITES-NEXT: "min": 4,
// SITES: "id": "constant:Config::ef_construction"
// SITES: "id": "constant:kBeamSlack"
// SITES-NOT: seed
// SITES-NOT: version
// CHECK: int M = 16;
// CHECK-NEXT: int ef_construction = 400;
// CHECK: constexpr float kBeamSlack = 0.5f;
// RANGE: crinn-opt: error: {{.*}}.bad.json: entry 1: parameter 'value' = 100 is outside [4, 64]

// Issue 16, case 10: a range fits the constant's type: a uint8_t 200 goes up
// to 255, not 800 (which it would hold as 32).
// RUN: %crinn-opt --list-sites %s -- -std=c++17 2>/dev/null | FileCheck --check-prefix=NARROW %s
// RUN: echo '{"plan": [{"site": "constant:Narrow::max_degree", "rewrite": "constant-tuning", "params": {"value": 800}}]}' > %t.narrow.json
// RUN: not %crinn-opt --plan %t.narrow.json --diff %s -- -std=c++17 2>&1 | FileCheck --check-prefix=NARROW-RANGE %s
#include <cstdint>
struct Narrow {
  std::uint8_t max_degree = 200;
};
int degree_kept(const Narrow& narrow, int candidates) { return candidates < narrow.max_degree ? candidates : narrow.max_degree; }
// NARROW: "id": "constant:Narrow::max_degree"
// NARROW: "max": 255,
// NARROW-NEXT: "min": 50,
// NARROW-RANGE: crinn-opt: error: {{.*}}.narrow.json: entry 1: parameter 'value' = 800 is outside [50, 255]

// A setting given by the caller: the value a wrapper passes to the index's
// constructor, directly or through std::make_unique, is tuned where the
// wrapper writes it (as an adapter hands hnswlib its M); what it passes to
// a parameter that is no setting (a size) is not.
// RUN: %crinn-opt --list-sites %s -- -std=c++17 2>/dev/null | FileCheck --check-prefix=CALLER %s
#include <memory>
#include <vector>
class Graph {
 public:
  Graph(int rows, int degree) : degree_(degree), adjacency_(rows) {}
  void cap(std::vector<int>& links) const {
    if (int(links.size()) > degree_) links.resize(degree_);
  }

 private:
  int degree_;
  std::vector<std::vector<int>> adjacency_;
};
struct Wrapper {
  int degree = 24;
  int rows = 1000;
  std::unique_ptr<Graph> graph;
};
void build(Wrapper& wrapper) { wrapper.graph = std::make_unique<Graph>(wrapper.rows, wrapper.degree); }
struct Direct {
  int degree = 12;
};
int build_direct(const Direct& direct, std::vector<int>& links) {
  Graph graph(10, direct.degree);
  graph.cap(links);
  return int(links.size());
}
// CALLER-DAG: "id": "constant:Direct::degree"
// CALLER-DAG: "id": "constant:Wrapper::degree"
// CALLER-NOT: Wrapper::rows

// A random generator's seed is no setting, though a draw picks a node that a
// callee then compares.
// RUN: %crinn-opt --list-sites %s -- -std=c++17 2>/dev/null | FileCheck --check-prefix=DRAW %s
#include <random>
struct Sampler {
  unsigned seed = 7;
  int entries = 8;
};
void add_entry(std::vector<int>& pool, int id, int limit) {
  if (id < limit) pool.push_back(id);
}
void draw_entries(const Sampler& sampler, int rows, std::vector<int>& pool) {
  std::minstd_rand draw(sampler.seed);
  for (int e = 0; e < sampler.entries; ++e) add_entry(pool, int(draw() % rows), rows);
}
// DRAW: "id": "constant:Sampler::entries"
// DRAW-NOT: Sampler::seed

// A default argument every call passes explicitly changes nothing: it is
// listed, without constant-tuning (hnswlib's HierarchicalNSW(..., M = 16),
// always given M by its adapter). One a call leaves to its default, and one
// of a function nothing here calls, are offered.
// RUN: %crinn-opt --list-sites %s -- -std=c++17 2>/dev/null | FileCheck --check-prefix=DEFAULTS %s
class Layer {
 public:
  explicit Layer(int rows,
                 int degree = 32,
                 int beam = 64)
      : rows_(rows), degree_(degree), beam_(beam) {}
  bool full(const std::vector<int>& links) const { return int(links.size()) >= degree_ || int(links.size()) >= beam_; }

 private:
  int rows_, degree_, beam_;
};
struct Stack {
  int degree = 20;
  std::unique_ptr<Layer> top;
  Layer bottom;
  Stack() : top(std::make_unique<Layer>(100, degree)), bottom(100, degree) {}
};
bool open_layer(const std::vector<int>& links, int limit = 48) { return int(links.size()) < limit; }
// DEFAULTS: "id": "constant:Layer::Layer::degree"
// DEFAULTS-NOT: "id"
// DEFAULTS: "rewrites": []
// DEFAULTS: "id": "constant:Layer::Layer::beam"
// DEFAULTS-NOT: "id"
// DEFAULTS: "rewrite": "constant-tuning"
// DEFAULTS: "id": "constant:Stack::degree"
// DEFAULTS-NOT: "id"
// DEFAULTS: "rewrite": "constant-tuning"
// DEFAULTS: "id": "constant:open_layer::limit"
// DEFAULTS-NOT: "id"
// DEFAULTS: "rewrite": "constant-tuning"
