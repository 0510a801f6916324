#include "vamana.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <stdexcept>
#include <unordered_set>

namespace diskann_lite {

static float squared_l2(const float* a, const float* b, uint32_t dim) {
  float acc = 0.0f;
  for (uint32_t i = 0; i < dim; ++i) {
    float d = (float)a[i] - (float)b[i];
    acc += d * d;
  }
  return acc;
}

static void normalize_in_place(float* v, uint32_t dim) {
  double norm = 0.0;
  for (uint32_t i = 0; i < dim; ++i) norm += (double)v[i] * v[i];
  if (norm <= 0.0) return;
  float inv = (float)(1.0 / std::sqrt(norm));
  for (uint32_t i = 0; i < dim; ++i) v[i] *= inv;
}

VamanaIndex::VamanaIndex(uint32_t dim, bool cosine, const BuildConfig& cfg)
    : dim_(dim), stride_((dim + 7) & ~size_t(7)), cosine_(cosine), cfg_(cfg) {
  if (dim == 0) throw std::invalid_argument("dimension must be positive");
  if (cfg_.R == 0 || cfg_.L == 0) throw std::invalid_argument("R and L must be positive");
  if (cfg_.alpha < 1.0f) throw std::invalid_argument("alpha must be >= 1");
}

float VamanaIndex::distance(const float* q, uint32_t id) const {
  ++dist_cmps_;
  return squared_l2(q, point(id), dim_);
}

void VamanaIndex::allocate(size_t npts) {
  npts_ = npts;
  points_.reset(new float[npts * stride_]());
  graph_.assign(npts, {});
}

void VamanaIndex::build(const float* data, size_t npts) {
  if (npts_ != 0) throw std::logic_error("index already built");
  if (npts == 0) return;
  if (npts > UINT32_MAX) throw std::invalid_argument("too many points");
  allocate(npts);
  for (size_t i = 0; i < npts; ++i) {
    float* row = point((uint32_t)i);
    std::memcpy(row, data + i * dim_, dim_ * sizeof(float));
    if (cosine_) normalize_in_place(row, dim_);
  }
  medoid_ = compute_medoid();

  // Random R-regular starting graph.
  std::mt19937_64 rng(0x5eed);
  std::uniform_int_distribution<uint32_t> pick(0, (uint32_t)npts - 1);
  const uint32_t init_degree = std::min<uint32_t>(cfg_.R, (uint32_t)npts - 1);
  for (uint32_t p = 0; p < npts; ++p) {
    auto& nbrs = graph_[p];
    while (nbrs.size() < init_degree) {
      uint32_t c = pick(rng);
      if (c != p && std::find(nbrs.begin(), nbrs.end(), c) == nbrs.end()) nbrs.push_back(c);
    }
  }

  link_pass(1.0f, rng());
  link_pass(cfg_.alpha, rng());
}

uint32_t VamanaIndex::compute_medoid() const {
  std::vector<double> sum(dim_, 0.0);
  for (uint32_t p = 0; p < npts_; ++p) {
    const float* row = point(p);
    for (uint32_t j = 0; j < dim_; ++j) sum[j] += row[j];
  }
  std::vector<float> centroid(dim_);
  for (uint32_t j = 0; j < dim_; ++j) centroid[j] = (float)(sum[j] / (double)npts_);

  uint32_t best = 0;
  float best_d = INFINITY;
  for (uint32_t p = 0; p < npts_; ++p) {
    float d = distance(centroid.data(), p);
    if (d < best_d) {
      best_d = d;
      best = p;
    }
  }
  return best;
}

void VamanaIndex::link_pass(float alpha, uint64_t seed) {
  std::vector<uint32_t> order(npts_);
  std::iota(order.begin(), order.end(), 0u);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);

  std::vector<Candidate> visited_nodes, pool;
  std::vector<uint32_t> kept, repruned;
  for (uint32_t p : order) {
    visited_nodes.clear();
    greedy_search(point(p), cfg_.L, &visited_nodes);

    pool = visited_nodes;
    for (uint32_t v : graph_[p]) pool.push_back({v, distance(p, v), false});
    robust_prune(p, pool, alpha, kept);
    graph_[p] = kept;

    // Back edges j -> p, re-pruning j when it would overflow.
    for (uint32_t j : kept) {
      std::vector<uint32_t>& nj = graph_[j];
      if (std::find(nj.begin(), nj.end(), p) != nj.end()) continue;
      if (nj.size() < cfg_.R) {
        nj.push_back(p);
        continue;
      }
      pool.clear();
      for (uint32_t v : nj) pool.push_back({v, distance(j, v), false});
      pool.push_back({p, distance(j, p), false});
      robust_prune(j, pool, alpha, repruned);
      nj.swap(repruned);
    }
  }
}

void VamanaIndex::robust_prune(uint32_t p, std::vector<Candidate>& pool, float alpha,
                               std::vector<uint32_t>& out) const {
  std::sort(pool.begin(), pool.end(), [](const Candidate& a, const Candidate& b) {
    return a.dist < b.dist || (a.dist == b.dist && a.id < b.id);
  });
  pool.erase(std::unique(pool.begin(), pool.end(),
                         [](const Candidate& a, const Candidate& b) { return a.id == b.id; }),
             pool.end());
  if (pool.size() > cfg_.max_candidates) pool.resize(cfg_.max_candidates);

  out.clear();
  std::vector<bool> occluded(pool.size(), false);
  for (size_t i = 0; i < pool.size() && out.size() < cfg_.R; ++i) {
    if (occluded[i] || pool[i].id == p) continue;
    const Candidate& star = pool[i];
    out.push_back(star.id);
    for (size_t j = i + 1; j < pool.size(); ++j) {
      occluded[j] = occluded[j] || pool[j].id == p ||
                    (alpha * distance(star.id, pool[j].id) <= pool[j].dist);
    }
  }
}

std::vector<Candidate> VamanaIndex::greedy_search(const float* q, uint32_t Ls,
                                                  std::vector<Candidate>* expanded) const {
  std::vector<Candidate> frontier;
  frontier.reserve(Ls + 1);
  std::unordered_set<uint32_t> visited;
  visited.reserve(4 * Ls);

  frontier.push_back({medoid_, distance(q, medoid_), false});
  visited.insert(medoid_);

  size_t cur = 0;
  while (cur < frontier.size()) {
    frontier[cur].expanded = true;
    const Candidate node = frontier[cur];
    if (expanded) expanded->push_back(node);

    size_t lowest = frontier.size();
    for (uint32_t nbr : graph_[node.id]) {
      if (visited.count(nbr)) continue;
      visited.insert(nbr);
      float d = distance(q, nbr);
      if (frontier.size() == Ls && d >= frontier.back().dist) continue;

      // Open a slot at the end (or reuse the worst one) and shift it down.
      size_t pos;
      if (frontier.size() < Ls) {
        pos = frontier.size();
        frontier.push_back({});
      } else {
        pos = Ls - 1;
      }
      while (pos > 0 && frontier[pos - 1].dist > d) {
        frontier[pos] = frontier[pos - 1];
        --pos;
      }
      frontier[pos] = {nbr, d, false};
      lowest = std::min(lowest, pos);
    }

    cur = lowest <= cur ? lowest : cur + 1;
    while (cur < frontier.size() && frontier[cur].expanded) ++cur;
  }
  return frontier;
}

size_t VamanaIndex::search(const float* query, size_t k, uint32_t Ls, int64_t* ids_out) const {
  if (npts_ == 0 || k == 0) return 0;
  std::vector<float> q(query, query + dim_);
  if (cosine_) normalize_in_place(q.data(), dim_);
  if (Ls < k) Ls = (uint32_t)k;

  std::vector<Candidate> best = greedy_search(q.data(), Ls, nullptr);
  size_t n = std::min(k, best.size());
  for (size_t i = 0; i < n; ++i) ids_out[i] = best[i].id;
  return n;
}

// ---- persistence --------------------------------------------------------

static const char kMagic[8] = {'V', 'A', 'M', 'A', 'N', 'A', '0', '1'};

template <typename T>
static void put(std::ofstream& out, const T& v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <typename T>
static T get(std::ifstream& in) {
  T v{};
  in.read(reinterpret_cast<char*>(&v), sizeof(T));
  if (!in) throw std::runtime_error("truncated index file");
  return v;
}

void VamanaIndex::save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot open " + path + " for writing");
  out.write(kMagic, sizeof(kMagic));
  put(out, dim_);
  put(out, (uint8_t)cosine_);
  put(out, cfg_);
  put(out, (uint64_t)npts_);
  put(out, medoid_);
  for (uint32_t p = 0; p < npts_; ++p)
    out.write(reinterpret_cast<const char*>(point(p)), dim_ * sizeof(float));
  for (const auto& nbrs : graph_) {
    put(out, (uint32_t)nbrs.size());
    out.write(reinterpret_cast<const char*>(nbrs.data()), nbrs.size() * sizeof(uint32_t));
  }
  if (!out) throw std::runtime_error("write to " + path + " failed");
}

std::unique_ptr<VamanaIndex> VamanaIndex::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  char magic[sizeof(kMagic)];
  in.read(magic, sizeof(magic));
  if (!in || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0)
    throw std::runtime_error(path + " is not a vamana index");
  uint32_t dim = get<uint32_t>(in);
  bool cosine = get<uint8_t>(in) != 0;
  BuildConfig cfg = get<BuildConfig>(in);
  uint64_t npts = get<uint64_t>(in);

  auto index = std::make_unique<VamanaIndex>(dim, cosine, cfg);
  index->allocate(npts);
  index->medoid_ = get<uint32_t>(in);
  for (uint32_t p = 0; p < npts; ++p)
    in.read(reinterpret_cast<char*>(index->point(p)), dim * sizeof(float));
  for (auto& nbrs : index->graph_) {
    uint32_t deg = get<uint32_t>(in);
    nbrs.resize(deg);
    in.read(reinterpret_cast<char*>(nbrs.data()), deg * sizeof(uint32_t));
  }
  if (!in) throw std::runtime_error("truncated index file " + path);
  return index;
}

}  // namespace diskann_lite
