#include "flat_graph.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "kernels.h"

namespace quadgraph {

namespace {

constexpr char kMagic[8] = {'Q', 'G', 'R', 'A', 'P', 'H', '0', '1'};

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

void put(std::FILE* f, const void* p, std::size_t bytes) {
  if (bytes && std::fwrite(p, 1, bytes, f) != bytes) throw std::runtime_error("quadgraph: short write");
}
void get(std::FILE* f, void* p, std::size_t bytes) {
  if (bytes && std::fread(p, 1, bytes, f) != bytes) throw std::runtime_error("quadgraph: truncated index file");
}

}  // namespace

FlatGraph::FlatGraph(unsigned dim_, bool cosine_, BuildOpts opts_)
    : dim(dim_), pdim(unsigned(padded(dim_))), cosine(cosine_), opts(opts_) {
  if (opts.degree < 2 || opts.degree > kDegreeCap)
    throw std::invalid_argument("quadgraph: R must be in [2, " + std::to_string(kDegreeCap) + "]");
  if (opts.beam < 1) throw std::invalid_argument("quadgraph: L must be positive");
}

FlatGraph::~FlatGraph() { std::free(vecs); }

void FlatGraph::allocate(std::size_t n) {
  std::size_t bytes = n * pdim * sizeof(float);
  bytes = (bytes + 63) / 64 * 64;
  std::free(vecs);
  vecs = static_cast<float*>(std::aligned_alloc(64, bytes ? bytes : 64));
  if (!vecs) throw std::bad_alloc();
  std::memset(vecs, 0, bytes);
  count = n;
  links.assign(n * opts.degree, 0);
  degree.assign(n, 0);
  stamp.assign(n, 0);
  epoch = 0;
}

// Copies one row into padded storage (pad stays zero), normalising for cosine.
void FlatGraph::load_row(const float* src, float* dst) const {
  std::memcpy(dst, src, dim * sizeof(float));
  if (!cosine) return;
  double nn = 0;
  for (unsigned i = 0; i < dim; ++i) nn += double(dst[i]) * dst[i];
  if (nn > 0) {
    const float inv = float(1.0 / std::sqrt(nn));
    for (unsigned i = 0; i < dim; ++i) dst[i] *= inv;
  }
}

std::vector<Hit> FlatGraph::beam_search(const float* q, unsigned L) {
  if (++epoch == 0) {  // tags wrapped: clear and restart
    std::fill(stamp.begin(), stamp.end(), 0u);
    epoch = 1;
  }
  auto nearer_first = [](const Hit& a, const Hit& b) { return b < a; };
  std::vector<Hit> best;  // max-heap, at most L, worst on top
  std::vector<Hit> todo;  // min-heap of unexpanded candidates
  best.reserve(L + 1);
  todo.reserve(L * 2);

  const float d0 = l2(q, row(entry), pdim);
  ++ndist;
  stamp[entry] = epoch;
  best.push_back({d0, entry});
  todo.push_back({d0, entry});

  auto admit = [&](uint32_t v, float d) {
    if (best.size() >= L && !(d < best.front().d)) return;
    todo.push_back({d, v});
    std::push_heap(todo.begin(), todo.end(), nearer_first);
    best.push_back({d, v});
    std::push_heap(best.begin(), best.end());
    if (best.size() > L) {
      std::pop_heap(best.begin(), best.end());
      best.pop_back();
    }
  };

  uint32_t batch[kDegreeCap];
  float d4[4];
  while (!todo.empty()) {
    std::pop_heap(todo.begin(), todo.end(), nearer_first);
    const Hit cur = todo.back();
    todo.pop_back();
    if (best.size() >= L && cur.d > best.front().d) break;

    // 1) gather the unvisited neighbours
    const uint32_t* nb = nbrs(cur.id);
    const uint32_t deg = degree[cur.id];
    unsigned m = 0;
    for (uint32_t j = 0; j < deg; ++j) {
      const uint32_t v = nb[j];
      if (stamp[v] == epoch) continue;
      stamp[v] = epoch;
      batch[m++] = v;
    }

    // 2) distances four at a time, then the leftovers one by one
    unsigned j = 0;
    for (; j + 4 <= m; j += 4) {
      dist4(q, row(batch[j]), row(batch[j + 1]), row(batch[j + 2]), row(batch[j + 3]), d4, pdim);
      admit(batch[j], d4[0]);
      admit(batch[j + 1], d4[1]);
      admit(batch[j + 2], d4[2]);
      admit(batch[j + 3], d4[3]);
    }
    for (; j < m; ++j) admit(batch[j], l2(q, row(batch[j]), pdim));
    ndist += m;
  }
  std::sort_heap(best.begin(), best.end());  // ascending distance
  return best;
}

// Alpha-RNG selection: walk the pool nearest first and keep c unless some kept
// neighbour k is much closer to c than p is (kAlpha * d(k,c) <= d(p,c)).
unsigned FlatGraph::prune(uint32_t p, std::vector<Hit>& pool, uint32_t* out) {
  std::sort(pool.begin(), pool.end());
  unsigned kept = 0;
  for (const Hit& c : pool) {
    if (c.id == p) continue;
    bool drop = false;
    for (unsigned t = 0; t < kept; ++t) {
      if (out[t] == c.id) {  // duplicate in the pool
        drop = true;
        break;
      }
      const float dkc = l2(row(out[t]), row(c.id), pdim);
      ++ndist;
      if (kAlpha * dkc <= c.d) {
        drop = true;
        break;
      }
    }
    if (drop) continue;
    out[kept++] = c.id;
    if (kept == opts.degree) break;
  }
  return kept;
}

void FlatGraph::link_back(uint32_t from, uint32_t to) {
  uint32_t* nb = nbrs(from);
  uint32_t& deg = degree[from];
  for (uint32_t t = 0; t < deg; ++t)
    if (nb[t] == to) return;
  if (deg < opts.degree) {
    nb[deg++] = to;
    return;
  }
  std::vector<Hit> pool;
  pool.reserve(deg + 1);
  for (uint32_t t = 0; t < deg; ++t) pool.push_back({l2(row(from), row(nb[t]), pdim), nb[t]});
  pool.push_back({l2(row(from), row(to), pdim), to});
  ndist += deg + 1;
  deg = prune(from, pool, nb);
}

void FlatGraph::build(const float* rows, std::size_t n) {
  if (count) throw std::logic_error("quadgraph: index already built");
  if (n == 0) throw std::invalid_argument("quadgraph: empty data set");
  if (n > UINT32_MAX) throw std::invalid_argument("quadgraph: too many points");
  allocate(n);
  for (std::size_t i = 0; i < n; ++i) load_row(rows + i * dim, vecs + i * pdim);

  // Entry point: the row nearest the mean.
  std::vector<float> mean(pdim, 0.f);
  for (std::size_t i = 0; i < n; ++i)
    for (unsigned c = 0; c < dim; ++c) mean[c] += row(uint32_t(i))[c];
  for (unsigned c = 0; c < dim; ++c) mean[c] /= float(n);
  float bestd = INFINITY;
  for (std::size_t i = 0; i < n; ++i) {
    const float d = l2(mean.data(), row(uint32_t(i)), pdim);
    if (d < bestd) bestd = d, entry = uint32_t(i);
  }
  ndist += n;

  // Rows enter one at a time; a row with no edges yet is unreachable, so each
  // search only sees the part of the graph that is already built.
  for (std::size_t i = 0; i < n; ++i) {
    const uint32_t p = uint32_t(i);
    if (p == entry) continue;
    std::vector<Hit> pool = beam_search(row(p), opts.beam);
    degree[p] = prune(p, pool, nbrs(p));
    for (uint32_t t = 0; t < degree[p]; ++t) link_back(nbrs(p)[t], p);
  }
}

std::size_t FlatGraph::query(const float* q, unsigned k, unsigned ef, int64_t* ids) {
  if (!count) throw std::logic_error("quadgraph: search before build");
  alignas(64) float qbuf[4096];
  std::vector<float> heap_buf;
  float* qp = qbuf;
  if (pdim > 4096) {
    heap_buf.assign(pdim, 0.f);
    qp = heap_buf.data();
  } else {
    std::fill(qbuf, qbuf + pdim, 0.f);
  }
  load_row(q, qp);
  const std::vector<Hit> best = beam_search(qp, std::max(ef, k));
  const std::size_t out = std::min<std::size_t>(k, best.size());
  for (std::size_t i = 0; i < out; ++i) ids[i] = best[i].id;
  return out;
}

void FlatGraph::save(const char* path) const {
  File f(std::fopen(path, "wb"));
  if (!f) throw std::runtime_error(std::string("quadgraph: cannot open ") + path);
  const uint64_t hdr[6] = {dim, cosine, opts.degree, opts.beam, count, entry};
  put(f.get(), kMagic, sizeof kMagic);
  put(f.get(), hdr, sizeof hdr);
  put(f.get(), vecs, count * pdim * sizeof(float));
  put(f.get(), degree.data(), degree.size() * sizeof(uint32_t));
  put(f.get(), links.data(), links.size() * sizeof(uint32_t));
  if (std::fflush(f.get()) != 0) throw std::runtime_error("quadgraph: flush failed");
}

FlatGraph* FlatGraph::load(const char* path) {
  File f(std::fopen(path, "rb"));
  if (!f) throw std::runtime_error(std::string("quadgraph: cannot open ") + path);
  char magic[8];
  uint64_t hdr[6];
  get(f.get(), magic, sizeof magic);
  if (std::memcmp(magic, kMagic, sizeof magic) != 0) throw std::runtime_error("quadgraph: not an index file");
  get(f.get(), hdr, sizeof hdr);
  BuildOpts o;
  o.degree = unsigned(hdr[2]);
  o.beam = unsigned(hdr[3]);
  std::unique_ptr<FlatGraph> g(new FlatGraph(unsigned(hdr[0]), hdr[1] != 0, o));
  g->allocate(std::size_t(hdr[4]));
  g->entry = uint32_t(hdr[5]);
  get(f.get(), g->vecs, g->count * g->pdim * sizeof(float));
  get(f.get(), g->degree.data(), g->degree.size() * sizeof(uint32_t));
  get(f.get(), g->links.data(), g->links.size() * sizeof(uint32_t));
  return g.release();
}

}  // namespace quadgraph
