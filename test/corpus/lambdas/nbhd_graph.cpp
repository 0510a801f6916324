#include "nbhd_graph.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <iterator>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>

namespace nbhd {

namespace {

constexpr std::uint32_t kTag = 0x4e424844;  // "NBHD"

template <typename T>
void writePod(std::ostream& out, const T& v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
T readPod(std::istream& in) {
  T v{};
  in.read(reinterpret_cast<char*>(&v), sizeof(T));
  if (!in) throw std::runtime_error("nbhd: index stream ends early");
  return v;
}

}  // namespace

NeighborhoodGraph::NeighborhoodGraph(std::size_t dim, Space space, Knobs knobs)
    : mDim(dim), mSpace(space), mKnobs(knobs) {
  if (mKnobs.maxLinks < 2) throw std::invalid_argument("nbhd: M must be at least 2");
  if (mKnobs.buildPool < 1) throw std::invalid_argument("nbhd: ef_construction must be positive");
  if (!(mKnobs.slack >= 1.0f)) throw std::invalid_argument("nbhd: alpha must be >= 1");
}

// Squared Euclidean distance; cosine rows are unit length, so it ranks the same.
auto NeighborhoodGraph::metric() const {
  return [this](const float* a, const float* b) {
    float s = 0;
    for (std::size_t i = 0; i < mDim; ++i) {
      const float t = a[i] - b[i];
      s += t * t;
    }
    ++mDistCalls;
    return s;
  };
}

std::vector<float> NeighborhoodGraph::prepare(const float* v) const {
  std::vector<float> row(v, v + mDim);
  if (mSpace == Space::Cosine) {
    const float norm = std::sqrt(std::accumulate(row.begin(), row.end(), 0.0f,
                                                 [](float acc, float x) { return acc + x * x; }));
    if (norm > 0) std::transform(row.begin(), row.end(), row.begin(), [norm](float x) { return x / norm; });
  }
  return row;
}

std::vector<Scored> NeighborhoodGraph::search(const float* query, std::size_t ef) const {
  if (mRows.empty()) return {};
  auto dist = metric();

  std::vector<bool> seen(mRows.size(), false);
  auto is_not_visited = [&](std::uint32_t v) {
    if (seen[v]) return false;
    seen[v] = true;
    return true;
  };

  std::set<Scored> pool;                       // best ef so far
  std::multimap<float, std::uint32_t> frontier;  // still to expand
  auto worst = [&] { return std::prev(pool.end())->first; };

  is_not_visited(mEntry);
  const float d0 = dist(query, mRows[mEntry].data());
  pool.emplace(d0, mEntry);
  frontier.emplace(d0, mEntry);

  while (!frontier.empty()) {
    const auto [du, u] = *frontier.begin();
    frontier.erase(frontier.begin());
    if (pool.size() >= ef && du > worst()) break;

    const auto& nbrs = mLinks[u];
    std::for_each(nbrs.begin(), nbrs.end(), [&](std::uint32_t v) {
      if (!is_not_visited(v)) return;
      const float d = dist(query, mRows[v].data());
      if (pool.size() >= ef && d >= worst()) return;
      pool.emplace(d, v);
      frontier.emplace(d, v);
      if (pool.size() > ef) pool.erase(std::prev(pool.end()));
    });
  }
  return {pool.begin(), pool.end()};
}

std::vector<Scored> NeighborhoodGraph::query(const float* q, std::size_t ef) const {
  if (mSpace == Space::L2) return search(q, ef);
  const std::vector<float> unit = prepare(q);
  return search(unit.data(), ef);
}

// Diversity prune: walk candidates nearest first and keep one only when it is
// closer to base than (by the slack factor) to everything kept so far.
std::vector<std::uint32_t> NeighborhoodGraph::select(std::uint32_t base,
                                                     std::vector<Scored> candidates) const {
  auto dist = metric();
  std::sort(candidates.begin(), candidates.end());
  std::vector<std::uint32_t> kept;
  kept.reserve(mKnobs.maxLinks);
  for (auto it = candidates.begin(); it != candidates.end() && kept.size() < mKnobs.maxLinks; ++it) {
    const auto [toBase, c] = *it;
    if (c == base) continue;
    const bool diverse = std::all_of(kept.begin(), kept.end(), [&](auto& k) {
      return mKnobs.slack * dist(mRows[k].data(), mRows[c].data()) > toBase;
    });
    if (diverse) kept.push_back(c);
  }
  return kept;
}

void NeighborhoodGraph::insert(std::uint32_t id) {
  auto dist = metric();
  mLinks[id] = select(id, search(mRows[id].data(), mKnobs.buildPool));

  std::for_each(mLinks[id].begin(), mLinks[id].end(), [&](std::uint32_t peer) {
    auto& back = mLinks[peer];
    back.push_back(id);
    if (back.size() <= mKnobs.maxLinks) return;
    std::vector<Scored> options;
    options.reserve(back.size());
    std::transform(back.begin(), back.end(), std::back_inserter(options), [&](std::uint32_t w) {
      return Scored{dist(mRows[peer].data(), mRows[w].data()), w};
    });
    back = select(peer, std::move(options));
  });
}

void NeighborhoodGraph::build(const float* data, std::size_t count) {
  if (!mRows.empty()) throw std::logic_error("nbhd: build called twice");
  if (count == 0) throw std::invalid_argument("nbhd: nothing to index");
  mRows.reserve(count);
  for (std::size_t i = 0; i < count; ++i) mRows.push_back(prepare(data + i * mDim));
  mLinks.assign(count, {});
  mEntry = 0;
  // Rows past `id` have no links and nobody links to them yet, so the search
  // inside insert() only walks the part already in the graph.
  for (std::uint32_t id = 1; id < count; ++id) insert(id);
}

void NeighborhoodGraph::write(std::ostream& out) const {
  writePod(out, kTag);
  writePod<std::uint64_t>(out, mDim);
  writePod<std::uint32_t>(out, mSpace == Space::Cosine ? 1 : 0);
  writePod<std::uint64_t>(out, mKnobs.maxLinks);
  writePod<std::uint64_t>(out, mKnobs.buildPool);
  writePod(out, mKnobs.slack);
  writePod<std::uint64_t>(out, mRows.size());
  writePod(out, mEntry);
  std::for_each(mRows.begin(), mRows.end(), [&](const std::vector<float>& r) {
    out.write(reinterpret_cast<const char*>(r.data()), std::streamsize(r.size() * sizeof(float)));
  });
  std::for_each(mLinks.begin(), mLinks.end(), [&](const std::vector<std::uint32_t>& l) {
    writePod<std::uint32_t>(out, std::uint32_t(l.size()));
    out.write(reinterpret_cast<const char*>(l.data()), std::streamsize(l.size() * sizeof(std::uint32_t)));
  });
  if (!out) throw std::runtime_error("nbhd: write failed");
}

NeighborhoodGraph NeighborhoodGraph::read(std::istream& in) {
  if (readPod<std::uint32_t>(in) != kTag) throw std::runtime_error("nbhd: not an nbhd index");
  const auto dim = readPod<std::uint64_t>(in);
  const auto space = readPod<std::uint32_t>(in) ? Space::Cosine : Space::L2;
  Knobs knobs;
  knobs.maxLinks = readPod<std::uint64_t>(in);
  knobs.buildPool = readPod<std::uint64_t>(in);
  knobs.slack = readPod<float>(in);
  NeighborhoodGraph g(dim, space, knobs);
  const auto n = readPod<std::uint64_t>(in);
  g.mEntry = readPod<std::uint32_t>(in);
  g.mRows.assign(n, std::vector<float>(dim));
  g.mLinks.resize(n);
  for (auto& r : g.mRows) in.read(reinterpret_cast<char*>(r.data()), std::streamsize(dim * sizeof(float)));
  for (auto& l : g.mLinks) {
    l.resize(readPod<std::uint32_t>(in));
    in.read(reinterpret_cast<char*>(l.data()), std::streamsize(l.size() * sizeof(std::uint32_t)));
  }
  if (!in) throw std::runtime_error("nbhd: index stream ends early");
  if (n && g.mEntry >= n) throw std::runtime_error("nbhd: corrupt entry point");
  return g;
}

}  // namespace nbhd
