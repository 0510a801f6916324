#include "hnsw.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <queue>
#include <stdexcept>
#include <unordered_set>

namespace hnsw {

static float l2_squared(const float* a, const float* b, int dim) {
  float sum = 0.0f;
  for (int i = 0; i < dim; ++i) {
    float diff = a[i] - b[i];
    sum += diff * diff;
  }
  return sum;
}

static float inner_product_distance(const float* a, const float* b, int dim) {
  float dot = 0.0f;
  for (int i = 0; i < dim; ++i) dot += a[i] * b[i];
  return 1.0f - dot;
}

Index::Index(int dim, Metric metric, const Params& params)
    : dim_(dim),
      metric_(metric),
      M_(params.M),
      ef_construction_(params.ef_construction),
      level_multiplier_(1.0 / std::log(double(params.M))),
      rng_(params.seed) {
  if (dim <= 0) throw std::invalid_argument("dimension must be positive");
  if (params.M < 2) throw std::invalid_argument("M must be at least 2");
  if (params.ef_construction < 1) throw std::invalid_argument("ef_construction must be positive");
}

float Index::distance(const float* a, const float* b) {
  ++distance_computations_;
  return metric_ == Metric::L2 ? l2_squared(a, b, dim_) : inner_product_distance(a, b, dim_);
}

std::vector<float> Index::normalized(const float* vec) const {
  std::vector<float> unit(vec, vec + dim_);
  if (metric_ != Metric::Cosine) return unit;
  double norm = 0.0;
  for (float x : unit) norm += double(x) * x;
  if (norm > 0.0)
    for (float& x : unit) x = float(x / std::sqrt(norm));
  return unit;
}

int Index::random_level() {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  return static_cast<int>(-std::log(1.0 - uniform(rng_)) * level_multiplier_);
}

// Walks to the closest neighbour until no neighbour is closer (ef = 1).
int Index::greedy_closest(const float* query, int entry, int level) {
  int current = entry;
  float current_distance = distance(query, vector_of(current));
  bool improved = true;
  while (improved) {
    improved = false;
    for (int neighbour : links_[current][level]) {
      float d = distance(query, vector_of(neighbour));
      if (d < current_distance) {
        current_distance = d;
        current = neighbour;
        improved = true;
      }
    }
  }
  return current;
}

// Best-first beam search on one layer; returns up to ef nodes, nearest first.
std::vector<Index::Candidate> Index::search_layer(const float* query, int entry, int ef,
                                                  int level) {
  std::unordered_set<int> visited;
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> candidates;
  std::priority_queue<Candidate> results;  // the furthest result on top

  float entry_distance = distance(query, vector_of(entry));
  visited.insert(entry);
  candidates.emplace(entry_distance, entry);
  results.emplace(entry_distance, entry);

  while (!candidates.empty()) {
    Candidate closest = candidates.top();
    if (closest.first > results.top().first) break;  // nothing left can improve the results
    candidates.pop();

    for (int neighbour : links_[closest.second][level]) {
      if (!visited.insert(neighbour).second) continue;
      float d = distance(query, vector_of(neighbour));
      if (results.size() < size_t(ef) || d < results.top().first) {
        candidates.emplace(d, neighbour);
        results.emplace(d, neighbour);
        if (results.size() > size_t(ef)) results.pop();
      }
    }
  }

  std::vector<Candidate> nearest(results.size());
  for (size_t i = nearest.size(); i-- > 0; results.pop()) nearest[i] = results.top();
  return nearest;
}

// The heuristic of the paper (Algorithm 4): a candidate is kept only if it is
// closer to the new node than to every neighbour kept so far, which spreads the
// links in all directions instead of into the nearest cluster.
std::vector<int> Index::select_neighbours(std::vector<Candidate> candidates, int max_count) {
  std::sort(candidates.begin(), candidates.end());
  std::vector<int> selected;
  for (const Candidate& candidate : candidates) {
    if (int(selected.size()) >= max_count) break;
    bool keep = true;
    for (int chosen : selected) {
      if (distance(vector_of(candidate.second), vector_of(chosen)) < candidate.first) {
        keep = false;
        break;
      }
    }
    if (keep) selected.push_back(candidate.second);
  }
  return selected;
}

void Index::connect(int node, const std::vector<int>& neighbours, int level) {
  links_[node][level] = neighbours;
  for (int neighbour : neighbours) {
    std::vector<int>& their_links = links_[neighbour][level];
    their_links.push_back(node);
    if (int(their_links.size()) <= max_neighbours(level)) continue;

    std::vector<Candidate> candidates;
    for (int other : their_links)
      candidates.emplace_back(distance(vector_of(neighbour), vector_of(other)), other);
    their_links = select_neighbours(std::move(candidates), max_neighbours(level));
  }
}

void Index::add(const float* input) {
  std::vector<float> stored = normalized(input);
  const float* vec = stored.data();
  int node = size();
  int level = random_level();
  data_.insert(data_.end(), vec, vec + dim_);
  levels_.push_back(level);
  links_.emplace_back(level + 1);

  if (entry_point_ < 0) {
    entry_point_ = node;
    max_level_ = level;
    return;
  }

  int entry = entry_point_;
  for (int l = max_level_; l > level; --l) entry = greedy_closest(vec, entry, l);

  for (int l = std::min(level, max_level_); l >= 0; --l) {
    std::vector<Candidate> nearest = search_layer(vec, entry, ef_construction_, l);
    connect(node, select_neighbours(nearest, M_), l);
    entry = nearest.front().second;
  }

  if (level > max_level_) {
    max_level_ = level;
    entry_point_ = node;
  }
}

std::vector<int> Index::search(const float* input, int k, int ef) {
  std::vector<int> ids;
  if (entry_point_ < 0) return ids;
  std::vector<float> prepared = normalized(input);
  const float* query = prepared.data();

  int entry = entry_point_;
  for (int l = max_level_; l > 0; --l) entry = greedy_closest(query, entry, l);

  std::vector<Candidate> nearest = search_layer(query, entry, std::max(ef, k), 0);
  for (int i = 0; i < k && i < int(nearest.size()); ++i) ids.push_back(nearest[i].second);
  return ids;
}

namespace {
constexpr uint32_t kFileMagic = 0x57534e48;  // "HNSW"

template <typename T>
void write_value(std::ofstream& out, const T& value) {
  out.write(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
void write_vector(std::ofstream& out, const std::vector<T>& values) {
  write_value(out, uint64_t(values.size()));
  out.write(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

template <typename T>
T read_value(std::ifstream& in) {
  T value{};
  if (!in.read(reinterpret_cast<char*>(&value), sizeof(T)))
    throw std::runtime_error("index file is truncated");
  return value;
}

template <typename T>
std::vector<T> read_vector(std::ifstream& in) {
  std::vector<T> values(read_value<uint64_t>(in));
  if (!in.read(reinterpret_cast<char*>(values.data()), values.size() * sizeof(T)))
    throw std::runtime_error("index file is truncated");
  return values;
}
}  // namespace

void Index::save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + path);
  write_value(out, kFileMagic);
  write_value(out, dim_);
  write_value(out, int(metric_));
  write_value(out, M_);
  write_value(out, ef_construction_);
  write_value(out, entry_point_);
  write_value(out, max_level_);
  write_vector(out, data_);
  write_vector(out, levels_);
  for (const auto& node_links : links_)
    for (const auto& level_links : node_links) write_vector(out, level_links);
  if (!out) throw std::runtime_error("cannot write " + path);
}

Index Index::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  if (read_value<uint32_t>(in) != kFileMagic) throw std::runtime_error(path + " is not an HNSW index");
  Params params;
  int dim = read_value<int>(in);
  Metric metric = Metric(read_value<int>(in));
  params.M = read_value<int>(in);
  params.ef_construction = read_value<int>(in);
  Index index(dim, metric, params);
  index.entry_point_ = read_value<int>(in);
  index.max_level_ = read_value<int>(in);
  index.data_ = read_vector<float>(in);
  index.levels_ = read_vector<int>(in);
  index.links_.resize(index.levels_.size());
  for (size_t node = 0; node < index.levels_.size(); ++node) {
    index.links_[node].resize(index.levels_[node] + 1);
    for (auto& level_links : index.links_[node]) level_links = read_vector<int>(in);
  }
  return index;
}

}  // namespace hnsw
