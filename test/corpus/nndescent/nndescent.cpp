/*
 * nndescent.cpp -- approximate kNN graph built by NN-Descent (Dong, Charikar,
 * Li 2011) and searched greedily with a fixed-size candidate pool.
 *
 * Build:  every point starts with K random neighbours; each round samples
 *         the "new" entries of every list (plus the reverse ones), runs the
 *         local join new x new and new x old, and stops when fewer than
 *         delta * n * K list updates happened.
 * Search: a sorted pool of L = max(ef, k) entries seeded from a few random
 *         points; the first unchecked entry is expanded until none is left.
 *
 * Exposes the crinn index ABI (include/crinn/index_abi.h).
 */
#include "crinn/index_abi.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace knng {

typedef uint32_t node_t;

/* ---- distances --------------------------------------------------------- */

template <typename T, typename result_t = float>
result_t l2_sqr(const T* a, const T* b, size_t n) {
  result_t acc = 0;
  for (size_t i = 0; i < n; ++i) {
    result_t t = result_t(a[i]) - result_t(b[i]);
    acc += t * t;
  }
  return acc;
}

/* cosine distance of two unit vectors */
template <typename T, typename result_t = float>
result_t cos_dist(const T* a, const T* b, size_t n) {
  result_t ip = 0;
  for (size_t i = 0; i < n; ++i) ip += result_t(a[i]) * result_t(b[i]);
  return result_t(1) - ip;
}

typedef float (*dist_fn)(const float*, const float*, size_t);

static void normalize(float* v, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += double(v[i]) * v[i];
  if (s <= 0) return;
  float inv = float(1.0 / std::sqrt(s));
  for (size_t i = 0; i < n; ++i) v[i] *= inv;
}

/* ---- options ----------------------------------------------------------- */

struct options {
  unsigned K = 24;         /* neighbours per point in the kNN graph */
  unsigned iters = 10;     /* upper bound on NN-descent rounds */
  double rho = 0.6;        /* sample rate of the new lists */
  double delta = 0.002;    /* stop when updates < delta * n * K */
  unsigned entries = 10;   /* random starting points of a search */
  unsigned seed = 1234;
};

/* "K=20,rho=0.5" -> options; throws on unknown keys or bad numbers */
static options parse_options(const char* text) {
  options o;
  std::string s = text ? text : "";
  size_t p = 0;
  while (p < s.size()) {
    size_t e = s.find(',', p);
    if (e == std::string::npos) e = s.size();
    std::string kv = s.substr(p, e - p);
    p = e + 1;
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("bad option '" + kv + "'");
    std::string key = kv.substr(0, eq), val = kv.substr(eq + 1);
    char* end = nullptr;
    double x = std::strtod(val.c_str(), &end);
    if (val.empty() || *end) throw std::invalid_argument("bad value for " + key);
    if (key == "K") o.K = unsigned(x);
    else if (key == "iters") o.iters = unsigned(x);
    else if (key == "rho") o.rho = x;
    else if (key == "delta") o.delta = x;
    else if (key == "entries") o.entries = unsigned(x);
    else if (key == "seed") o.seed = unsigned(x);
    else throw std::invalid_argument("unknown option '" + key + "'");
  }
  if (o.K < 2 || o.rho <= 0 || o.rho > 1 || o.entries == 0)
    throw std::invalid_argument("option out of range");
  return o;
}

/* ---- search pool ------------------------------------------------------- */

struct slot {
  node_t id;
  float dist;
  bool checked;
};

/* Fixed capacity, kept sorted by distance. insert() returns the position the
 * new entry landed at, or capacity() when it was not close enough. */
class linear_pool {
 public:
  explicit linear_pool(unsigned cap) : cap_(cap), len_(0), s_(cap + 1) {}

  unsigned size() const { return len_; }
  unsigned capacity() const { return cap_; }
  slot& operator[](unsigned i) { return s_[i]; }

  unsigned insert(node_t id, float d) {
    if (len_ == cap_ && d >= s_[len_ - 1].dist) return cap_;
    unsigned lo = 0, hi = len_;
    while (lo < hi) {
      unsigned mid = (lo + hi) >> 1;
      if (s_[mid].dist > d) hi = mid;
      else lo = mid + 1;
    }
    std::memmove(&s_[lo + 1], &s_[lo], (len_ - lo) * sizeof(slot));
    s_[lo].id = id;
    s_[lo].dist = d;
    s_[lo].checked = false;
    if (len_ < cap_) ++len_;
    return lo;
  }

 private:
  unsigned cap_, len_;
  std::vector<slot> s_;  /* one spare for the memmove */
};

/* ---- the index --------------------------------------------------------- */

struct neighbor {
  node_t id;
  float dist;
  bool fresh;
};

class knn_graph {
 public:
  knn_graph(size_t dim, crinn_metric m, const options& o)
      : dim_(dim), metric_kind_(m), opt_(o) {
    fn_ = (m == CRINN_METRIC_ANGULAR) ? &cos_dist<float> : &l2_sqr<float>;
  }

  void build(const float* x, size_t n);
  int search(const float* q, int k, int ef, int64_t* out) const;
  void save(FILE* f) const;
  static knn_graph* load(FILE* f);

  uint64_t distance_count() const { return ndist_; }

 private:
  const float* row(size_t i) const { return data_.data() + i * dim_; }
  float metric(const float* a, const float* b) const {
    ++ndist_;
    return fn_(a, b, dim_);
  }
  unsigned update(std::vector<neighbor>& list, node_t id, float d);

  size_t dim_, n_ = 0;
  crinn_metric metric_kind_;
  options opt_;
  dist_fn fn_;
  std::vector<float> data_;
  std::vector<std::vector<node_t>> links_;
  mutable uint64_t ndist_ = 0;
};

/* try to put (id, d) into a sorted K-list; 1 if the list changed */
unsigned knn_graph::update(std::vector<neighbor>& list, node_t id, float d) {
  if (d >= list.back().dist) return 0;
  size_t pos = list.size() - 1;
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].id == id) return 0;
  while (pos > 0 && list[pos - 1].dist > d) {
    list[pos] = list[pos - 1];
    --pos;
  }
  list[pos].id = id;
  list[pos].dist = d;
  list[pos].fresh = true;
  return 1;
}

void knn_graph::build(const float* x, size_t n) {
  n_ = n;
  data_.assign(x, x + n * dim_);
  if (metric_kind_ == CRINN_METRIC_ANGULAR)
    for (size_t i = 0; i < n; ++i) normalize(data_.data() + i * dim_, dim_);

  const unsigned K = unsigned(std::min<size_t>(opt_.K, n > 1 ? n - 1 : 1));
  std::mt19937 rng(opt_.seed);
  std::vector<std::vector<neighbor>> knn(n);
  links_.assign(n, {});
  if (n < 2) return;

  /* random initial lists */
  for (size_t v = 0; v < n; ++v) {
    auto& l = knn[v];
    while (l.size() < K) {
      node_t u = node_t(rng() % n);
      if (u == v) continue;
      bool dup = false;
      for (auto& e : l) dup |= (e.id == u);
      if (!dup) l.push_back({u, metric(row(v), row(u)), true});
    }
    std::sort(l.begin(), l.end(),
              [](const neighbor& a, const neighbor& b) { return a.dist < b.dist; });
  }

  const size_t sample = std::max<size_t>(1, size_t(opt_.rho * K));
  std::vector<std::vector<node_t>> nw(n), od(n), rnw(n), rod(n);

  for (unsigned it = 0; it < opt_.iters; ++it) {
    for (size_t v = 0; v < n; ++v) {
      nw[v].clear(); od[v].clear(); rnw[v].clear(); rod[v].clear();
    }
    /* split each list into sampled new entries and old ones */
    for (size_t v = 0; v < n; ++v) {
      std::vector<unsigned> fresh;
      for (unsigned j = 0; j < knn[v].size(); ++j) {
        if (knn[v][j].fresh) fresh.push_back(j);
        else od[v].push_back(knn[v][j].id);
      }
      if (fresh.size() > sample) {
        std::shuffle(fresh.begin(), fresh.end(), rng);
        fresh.resize(sample);
      }
      for (unsigned j : fresh) {
        knn[v][j].fresh = false;
        nw[v].push_back(knn[v][j].id);
      }
      for (node_t u : nw[v]) rnw[u].push_back(node_t(v));
      for (node_t u : od[v]) rod[u].push_back(node_t(v));
    }
    /* merge sampled reverse lists */
    for (size_t v = 0; v < n; ++v) {
      auto merge = [&](std::vector<node_t>& dst, std::vector<node_t>& rev) {
        if (rev.size() > sample) {
          std::shuffle(rev.begin(), rev.end(), rng);
          rev.resize(sample);
        }
        dst.insert(dst.end(), rev.begin(), rev.end());
        std::sort(dst.begin(), dst.end());
        dst.erase(std::unique(dst.begin(), dst.end()), dst.end());
      };
      merge(nw[v], rnw[v]);
      merge(od[v], rod[v]);
    }
    /* local join */
    size_t changes = 0;
    for (size_t v = 0; v < n; ++v) {
      const auto& a = nw[v];
      const auto& b = od[v];
      for (size_t i = 0; i < a.size(); ++i) {
        node_t p = a[i];
        for (size_t j = i + 1; j < a.size(); ++j) {
          node_t q = a[j];
          float d = metric(row(p), row(q));
          changes += update(knn[p], q, d);
          changes += update(knn[q], p, d);
        }
        for (node_t q : b) {
          if (q == p) continue;
          float d = metric(row(p), row(q));
          changes += update(knn[p], q, d);
          changes += update(knn[q], p, d);
        }
      }
    }
    if (double(changes) < opt_.delta * double(n) * K) break;
  }

  /* the search graph: the K-list of each point plus up to K reverse edges,
   * which make hubs reachable and the graph far better connected */
  for (size_t v = 0; v < n; ++v) {
    links_[v].reserve(2 * K);
    for (auto& e : knn[v]) links_[v].push_back(e.id);
  }
  std::vector<unsigned> added(n, 0);
  for (size_t v = 0; v < n; ++v)
    for (auto& e : knn[v]) {
      node_t u = e.id;
      if (added[u] >= K) continue;
      auto& lu = links_[u];
      if (std::find(lu.begin(), lu.begin() + K, node_t(v)) != lu.begin() + K) continue;
      lu.push_back(node_t(v));
      ++added[u];
    }
}

int knn_graph::search(const float* query, int k, int ef, int64_t* out) const {
  if (n_ == 0 || k <= 0) return 0;
  std::vector<float> qbuf(query, query + dim_);
  if (metric_kind_ == CRINN_METRIC_ANGULAR) normalize(qbuf.data(), dim_);
  const float* q = qbuf.data();

  unsigned L = unsigned(std::min<size_t>(std::max(ef, k), n_));
  linear_pool pool(L);
  std::vector<bool> visited(n_);

  /* random starting points: at least `entries`, and enough to fill the pool
   * so that every well-separated cluster is likely to be touched */
  std::minstd_rand pick(opt_.seed);
  const unsigned starts = std::max(opt_.entries, L);
  for (unsigned e = 0; e < starts; ++e) {
    node_t id = node_t(pick() % n_);
    if (visited[id]) continue;
    visited[id] = true;
    pool.insert(id, metric(q, row(id)));
  }

  unsigned cur = 0;
  while (cur < pool.size()) {
    if (pool[cur].checked) {
      ++cur;
      continue;
    }
    pool[cur].checked = true;
    const node_t node = pool[cur].id;
    unsigned lowest = pool.capacity();
    for (node_t nb : links_[node]) {
      if (visited[nb]) continue;
      visited[nb] = true;
      unsigned at = pool.insert(nb, metric(q, row(nb)));
      if (at < lowest) lowest = at;
    }
    cur = (lowest <= cur) ? lowest : cur + 1;
  }

  int m = std::min<int>(k, int(pool.size()));
  for (int i = 0; i < m; ++i) out[i] = int64_t(pool[i].id);
  return m;
}

/* ---- persistence ------------------------------------------------------- */

static const char kMagic[8] = {'k', 'n', 'n', 'g', 'r', 'p', 'h', '1'};

template <typename T>
static void put(FILE* f, const T& v) {
  if (std::fwrite(&v, sizeof(T), 1, f) != 1) throw std::runtime_error("write failed");
}
template <typename T>
static void get(FILE* f, T& v) {
  if (std::fread(&v, sizeof(T), 1, f) != 1) throw std::runtime_error("truncated index file");
}

void knn_graph::save(FILE* f) const {
  if (std::fwrite(kMagic, 1, 8, f) != 8) throw std::runtime_error("write failed");
  put(f, uint64_t(dim_));
  put(f, int32_t(metric_kind_));
  put(f, opt_);
  put(f, uint64_t(n_));
  for (auto& l : links_) {
    put(f, uint32_t(l.size()));
    if (!l.empty() && std::fwrite(l.data(), sizeof(node_t), l.size(), f) != l.size())
      throw std::runtime_error("write failed");
  }
  if (std::fwrite(data_.data(), sizeof(float), data_.size(), f) != data_.size())
    throw std::runtime_error("write failed");
}

knn_graph* knn_graph::load(FILE* f) {
  char magic[8];
  if (std::fread(magic, 1, 8, f) != 8 || std::memcmp(magic, kMagic, 8) != 0)
    throw std::runtime_error("not an nndescent index file");
  uint64_t dim, n;
  int32_t m;
  options o;
  get(f, dim);
  get(f, m);
  get(f, o);
  get(f, n);
  std::unique_ptr<knn_graph> g(new knn_graph(size_t(dim), crinn_metric(m), o));
  g->n_ = size_t(n);
  g->links_.resize(n);
  for (auto& l : g->links_) {
    uint32_t c;
    get(f, c);
    l.resize(c);
    if (c && std::fread(l.data(), sizeof(node_t), c, f) != c)
      throw std::runtime_error("truncated index file");
  }
  g->data_.resize(n * dim);
  if (std::fread(g->data_.data(), sizeof(float), g->data_.size(), f) != g->data_.size())
    throw std::runtime_error("truncated index file");
  return g.release();
}

}  // namespace knng

/* ---- C ABI ------------------------------------------------------------- */

struct crinn_index {
  std::unique_ptr<knng::knn_graph> g;
};

static thread_local std::string g_err;

#define ABI_TRY try {
#define ABI_CATCH(fail)                         \
  }                                             \
  catch (const std::exception& e) {             \
    g_err = e.what();                           \
    return fail;                                \
  }                                             \
  catch (...) {                                 \
    g_err = "unknown error";                    \
    return fail;                                \
  }

extern "C" {

int crinn_abi_version(void) { return CRINN_ABI_VERSION; }

const char* crinn_last_error(void) { return g_err.c_str(); }

crinn_index* crinn_index_create(int dim, crinn_metric metric, const char* params) {
  ABI_TRY
  if (dim <= 0) throw std::invalid_argument("dim must be positive");
  if (metric != CRINN_METRIC_EUCLIDEAN && metric != CRINN_METRIC_ANGULAR)
    throw std::invalid_argument("nndescent: only euclidean and angular metrics");
  knng::options o = knng::parse_options(params);
  auto* h = new crinn_index;
  h->g.reset(new knng::knn_graph(size_t(dim), metric, o));
  return h;
  ABI_CATCH(nullptr)
}

int crinn_index_build(crinn_index* index, const float* data, int64_t n) {
  ABI_TRY
  if (!index || (!data && n) || n < 0 || n > int64_t(UINT32_MAX))
    throw std::invalid_argument("bad build arguments");
  index->g->build(data, size_t(n));
  return 0;
  ABI_CATCH(-1)
}

int crinn_index_search(crinn_index* index, const float* query, int k, int ef,
                       int64_t* ids) {
  ABI_TRY
  if (!index || !query || !ids) throw std::invalid_argument("bad search arguments");
  return index->g->search(query, k, ef, ids);
  ABI_CATCH(-1)
}

int crinn_index_save(const crinn_index* index, const char* path) {
  ABI_TRY
  FILE* f = std::fopen(path, "wb");
  if (!f) throw std::runtime_error(std::string("cannot open ") + path);
  try {
    index->g->save(f);
  } catch (...) {
    std::fclose(f);
    throw;
  }
  if (std::fclose(f) != 0) throw std::runtime_error("write failed");
  return 0;
  ABI_CATCH(-1)
}

crinn_index* crinn_index_load(const char* path) {
  ABI_TRY
  FILE* f = std::fopen(path, "rb");
  if (!f) throw std::runtime_error(std::string("cannot open ") + path);
  std::unique_ptr<knng::knn_graph> g;
  try {
    g.reset(knng::knn_graph::load(f));
  } catch (...) {
    std::fclose(f);
    throw;
  }
  std::fclose(f);
  auto* h = new crinn_index;
  h->g = std::move(g);
  return h;
  ABI_CATCH(nullptr)
}

void crinn_index_destroy(crinn_index* index) { delete index; }

uint64_t crinn_index_distance_count(const crinn_index* index) {
  return index ? index->g->distance_count() : 0;
}

}  // extern "C"
