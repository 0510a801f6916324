// A hierarchical navigable small world graph kept in one flat blob. Level 0 of
// element i is the fixed-size record at data_level0_memory_ + i * stride:
//   [linkcount_t count][tableint links[maxM0]][float vector[dim]][labeltype label]
// The sparse upper layers get one malloc'ed block of `level` link lists each.
#pragma once

#include "space.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <istream>
#include <memory>
#include <ostream>
#include <queue>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

namespace lgraph {

typedef unsigned int tableint;
typedef unsigned int linkcount_t;
typedef size_t labeltype;

constexpr size_t kDefaultM = 16;
constexpr size_t kDefaultEfConstruction = 200;

// Epoch-tagged visited marks: an element is visited in the current query iff
// tags[id] == tag, so starting a new query is one increment.
struct VisitedList {
  unsigned short tag = 0;
  unsigned short* tags;
  unsigned int num_elements;

  explicit VisitedList(unsigned int n) : tags(new unsigned short[n]()), num_elements(n) {}
  ~VisitedList() { delete[] tags; }

  void reset() {
    if (++tag == 0) {  // wrapped: stale marks would collide with the new tag
      std::memset(tags, 0, sizeof(unsigned short) * num_elements);
      ++tag;
    }
  }
};

// Hands out visited lists so a search never allocates one per query.
class VisitedListPool {
 public:
  explicit VisitedListPool(unsigned int n) : num_elements_(n) {}
  ~VisitedListPool() {
    for (VisitedList* vl : pool_) delete vl;
  }
  VisitedList* get() {
    VisitedList* vl = pool_.empty() ? new VisitedList(num_elements_) : pool_.front();
    if (!pool_.empty()) pool_.pop_front();
    vl->reset();
    return vl;
  }
  void put_back(VisitedList* vl) { pool_.push_front(vl); }

 private:
  std::deque<VisitedList*> pool_;
  unsigned int num_elements_;
};

class LayeredGraph {
 public:
  typedef std::priority_queue<std::pair<float, tableint>> CandidateQueue;

  LayeredGraph(const Space& space, size_t max_elements, size_t M = kDefaultM,
               size_t ef_construction = kDefaultEfConstruction, unsigned random_seed = 100)
      : level_generator_(random_seed) {
    if (M < 2) throw std::invalid_argument("M must be at least 2");
    hdr_.dim = space.dim;
    hdr_.kind = static_cast<int>(space.kind);
    hdr_.M = M;
    hdr_.maxM = M;
    hdr_.maxM0 = 2 * M;
    hdr_.ef_construction = std::max(ef_construction, M);
    hdr_.mult = 1.0 / std::log(1.0 * M);
    hdr_.max_elements = max_elements;
    initLayout();
  }

  ~LayeredGraph() {
    if (link_lists_)  // calloc'ed, so entries never filled in are null
      for (size_t i = 0; i < hdr_.max_elements; i++) std::free(link_lists_[i]);
    std::free(link_lists_);
    std::free(data_level0_memory_);
  }

  LayeredGraph(const LayeredGraph&) = delete;
  LayeredGraph& operator=(const LayeredGraph&) = delete;

  size_t dimension() const { return hdr_.dim; }
  uint64_t distanceComputations() const { return metric_distance_computations_; }

  void addPoint(const void* data_point, labeltype label) {
    if (hdr_.cur_element_count >= hdr_.max_elements)
      throw std::runtime_error("the index is full");
    tableint cur_c = static_cast<tableint>(hdr_.cur_element_count++);

    int curlevel = getRandomLevel(hdr_.mult);
    element_levels_[cur_c] = curlevel;

    char* record = data_level0_memory_ + cur_c * size_data_per_element_;
    std::memset(record, 0, size_links_level0_);
    std::memcpy(record + offset_data_, data_point, data_size_);
    std::memcpy(record + label_offset_, &label, sizeof(labeltype));
    if (curlevel > 0) {
      link_lists_[cur_c] = static_cast<char*>(std::calloc(curlevel, size_links_per_element_));
      if (!link_lists_[cur_c]) throw std::bad_alloc();
    }

    if (cur_c == 0) {
      hdr_.enterpoint_node = 0;
      hdr_.maxlevel = curlevel;
      return;
    }
    const void* point = record + offset_data_;
    tableint ep = hdr_.enterpoint_node;
    if (curlevel < hdr_.maxlevel) ep = greedyDescend(ep, point, hdr_.maxlevel, curlevel);

    for (int level = std::min(curlevel, hdr_.maxlevel); level >= 0; level--) {
      CandidateQueue top_candidates = searchBaseLayer(ep, point, level);
      ep = connectNewElement(cur_c, top_candidates, level);
    }
    if (curlevel > hdr_.maxlevel) {
      hdr_.enterpoint_node = cur_c;
      hdr_.maxlevel = curlevel;
    }
  }

  std::vector<std::pair<float, labeltype>> searchKnn(const void* query, size_t k, size_t ef) {
    std::vector<std::pair<float, labeltype>> result;
    if (hdr_.cur_element_count == 0 || k == 0) return result;

    tableint ep = greedyDescend(hdr_.enterpoint_node, query, hdr_.maxlevel, 0);
    CandidateQueue top_candidates = searchBaseLayerST(ep, query, std::max(ef, k));
    while (top_candidates.size() > k) top_candidates.pop();

    result.resize(top_candidates.size());
    for (size_t i = result.size(); i-- > 0;) {
      result[i] = {top_candidates.top().first, getExternalLabel(top_candidates.top().second)};
      top_candidates.pop();
    }
    return result;
  }

  void saveIndex(std::ostream& out) const {
    out.write(reinterpret_cast<const char*>(&hdr_), sizeof(hdr_));
    out.write(data_level0_memory_, hdr_.cur_element_count * size_data_per_element_);
    for (size_t i = 0; i < hdr_.cur_element_count; i++) {
      int level = element_levels_[i];
      out.write(reinterpret_cast<const char*>(&level), sizeof(level));
      if (level > 0) out.write(link_lists_[i], size_links_per_element_ * level);
    }
    if (!out) throw std::runtime_error("failed to write the index");
  }

  static std::unique_ptr<LayeredGraph> loadIndex(std::istream& in) {
    std::unique_ptr<LayeredGraph> g(new LayeredGraph());
    Header& h = g->hdr_;
    if (!in.read(reinterpret_cast<char*>(&h), sizeof(h)) || h.magic != kMagic ||
        h.cur_element_count > h.max_elements || h.M < 2 || h.maxM0 < h.maxM ||
        h.kind < 0 || h.kind > 1)
      throw std::runtime_error("not a blob HNSW index, or a corrupt one");
    size_t count = h.cur_element_count;
    g->initLayout();

    if (!in.read(g->data_level0_memory_, count * g->size_data_per_element_))
      throw std::runtime_error("index file is truncated");
    for (size_t i = 0; i < count; i++) {
      int level = 0;
      in.read(reinterpret_cast<char*>(&level), sizeof(level));
      if (!in || level < 0 || level > 64) throw std::runtime_error("corrupt element level");
      g->element_levels_[i] = level;
      if (level == 0) continue;
      g->link_lists_[i] = static_cast<char*>(std::malloc(g->size_links_per_element_ * level));
      if (!g->link_lists_[i]) throw std::bad_alloc();
      if (!in.read(g->link_lists_[i], g->size_links_per_element_ * level))
        throw std::runtime_error("index file is truncated");
    }
    return g;
  }

 private:
  static constexpr uint32_t kMagic = 0x424c4f42;  // "BLOB"

  // Everything that describes the graph apart from its arrays; saved as is.
  struct Header {
    uint32_t magic = kMagic;
    int kind = 0;
    size_t dim = 0;
    size_t max_elements = 0;
    size_t cur_element_count = 0;
    size_t M = 0, maxM = 0, maxM0 = 0;
    size_t ef_construction = 0;
    double mult = 0.0;
    int maxlevel = -1;
    tableint enterpoint_node = 0;
  };

  LayeredGraph() = default;

  void initLayout() {
    data_size_ = hdr_.dim * sizeof(float);
    fstdistfunc_ = Space{hdr_.dim, static_cast<SpaceKind>(hdr_.kind)}.dist_func();
    dist_func_param_ = &hdr_.dim;

    size_links_level0_ = hdr_.maxM0 * sizeof(tableint) + sizeof(linkcount_t);
    size_data_per_element_ = size_links_level0_ + data_size_ + sizeof(labeltype);
    offset_data_ = size_links_level0_;
    label_offset_ = size_links_level0_ + data_size_;
    size_links_per_element_ = hdr_.maxM * sizeof(tableint) + sizeof(linkcount_t);

    data_level0_memory_ =
        static_cast<char*>(std::malloc(hdr_.max_elements * size_data_per_element_ + 1));
    link_lists_ = static_cast<char**>(std::calloc(hdr_.max_elements + 1, sizeof(char*)));
    if (!data_level0_memory_ || !link_lists_) throw std::bad_alloc();
    element_levels_.assign(hdr_.max_elements, 0);
    visited_list_pool_.reset(new VisitedListPool(static_cast<unsigned>(hdr_.max_elements)));
  }

  linkcount_t* get_linklist0(tableint id) const {
    return reinterpret_cast<linkcount_t*>(data_level0_memory_ + id * size_data_per_element_);
  }
  linkcount_t* get_linklist(tableint id, int level) const {
    return reinterpret_cast<linkcount_t*>(link_lists_[id] +
                                          (level - 1) * size_links_per_element_);
  }
  linkcount_t* get_linklist_at_level(tableint id, int level) const {
    return level == 0 ? get_linklist0(id) : get_linklist(id, level);
  }
  char* getDataByInternalId(tableint id) const {
    return data_level0_memory_ + id * size_data_per_element_ + offset_data_;
  }
  labeltype getExternalLabel(tableint id) const {
    labeltype label;
    std::memcpy(&label, data_level0_memory_ + id * size_data_per_element_ + label_offset_,
                sizeof(labeltype));
    return label;
  }
  static size_t getListCount(const linkcount_t* ll) { return *ll; }
  static void setListCount(linkcount_t* ll, size_t n) { *ll = static_cast<linkcount_t>(n); }

  float distance(const void* a, const void* b) const {
    ++metric_distance_computations_;
    return fstdistfunc_(a, b, dist_func_param_);
  }

  int getRandomLevel(double reverse_size) {
    std::uniform_real_distribution<double> distribution(0.0, 1.0);
    return static_cast<int>(-std::log(1.0 - distribution(level_generator_)) * reverse_size);
  }

  // Greedy walk from `ep` through levels from_level .. to_level + 1: at each
  // level, move to the closest neighbour until none is closer.
  tableint greedyDescend(tableint ep, const void* point, int from_level, int to_level) {
    float cur_dist = distance(point, getDataByInternalId(ep));
    for (int level = from_level; level > to_level; level--) {
      bool changed = true;
      while (changed) {
        changed = false;
        linkcount_t* ll = get_linklist(ep, level);
        size_t size = getListCount(ll);
        tableint* datal = reinterpret_cast<tableint*>(ll + 1);
        for (size_t i = 0; i < size; i++) {
          tableint cand = datal[i];
          float d = distance(point, getDataByInternalId(cand));
          if (d < cur_dist) {
            cur_dist = d;
            ep = cand;
            changed = true;
          }
        }
      }
    }
    return ep;
  }

  // Beam search of width ef_construction on one layer, used while inserting.
  CandidateQueue searchBaseLayer(tableint ep_id, const void* data_point, int layer) {
    VisitedList* vl = visited_list_pool_->get();
    CandidateQueue top_candidates;
    CandidateQueue candidate_set;  // negated distances: top() is the closest

    float d = distance(data_point, getDataByInternalId(ep_id));
    top_candidates.emplace(d, ep_id);
    candidate_set.emplace(-d, ep_id);
    float lower_bound = d;
    vl->tags[ep_id] = vl->tag;

    while (!candidate_set.empty()) {
      std::pair<float, tableint> curr = candidate_set.top();
      if (-curr.first > lower_bound && top_candidates.size() == hdr_.ef_construction) break;
      candidate_set.pop();

      linkcount_t* ll = get_linklist_at_level(curr.second, layer);
      size_t size = getListCount(ll);
      tableint* datal = reinterpret_cast<tableint*>(ll + 1);
      for (size_t j = 0; j < size; j++) {
        tableint candidate_id = datal[j];
        if (vl->tags[candidate_id] == vl->tag) continue;
        vl->tags[candidate_id] = vl->tag;

        float dist1 = distance(data_point, getDataByInternalId(candidate_id));
        if (top_candidates.size() < hdr_.ef_construction || lower_bound > dist1) {
          candidate_set.emplace(-dist1, candidate_id);
          top_candidates.emplace(dist1, candidate_id);
          if (top_candidates.size() > hdr_.ef_construction) top_candidates.pop();
          lower_bound = top_candidates.top().first;
        }
      }
    }
    visited_list_pool_->put_back(vl);
    return top_candidates;
  }

  // The query-time version: bottom layer only, beam width ef.
  CandidateQueue searchBaseLayerST(tableint ep_id, const void* query, size_t ef) {
    VisitedList* vl = visited_list_pool_->get();
    CandidateQueue top_candidates;
    CandidateQueue candidate_set;

    float d = distance(query, getDataByInternalId(ep_id));
    top_candidates.emplace(d, ep_id);
    candidate_set.emplace(-d, ep_id);
    float lower_bound = d;
    vl->tags[ep_id] = vl->tag;

    while (!candidate_set.empty()) {
      std::pair<float, tableint> current = candidate_set.top();
      if (-current.first > lower_bound && top_candidates.size() == ef) break;
      candidate_set.pop();

      linkcount_t* ll = get_linklist0(current.second);
      size_t size = getListCount(ll);
      tableint* datal = reinterpret_cast<tableint*>(ll + 1);
      for (size_t j = 0; j < size; j++) {
        tableint candidate_id = datal[j];
        if (vl->tags[candidate_id] == vl->tag) continue;
        vl->tags[candidate_id] = vl->tag;

        float dist = distance(query, getDataByInternalId(candidate_id));
        if (top_candidates.size() < ef || lower_bound > dist) {
          candidate_set.emplace(-dist, candidate_id);
          top_candidates.emplace(dist, candidate_id);
          if (top_candidates.size() > ef) top_candidates.pop();
          lower_bound = top_candidates.top().first;
        }
      }
    }
    visited_list_pool_->put_back(vl);
    return top_candidates;
  }

  // Keeps at most M of the candidates: walking them closest first, one
  // survives only if it is closer to the query than to every survivor so far.
  void getNeighboursHeuristic(CandidateQueue& top_candidates, size_t M) {
    if (top_candidates.size() < M) return;

    CandidateQueue queue_closest;
    std::vector<std::pair<float, tableint>> return_list;
    while (!top_candidates.empty()) {
      queue_closest.emplace(-top_candidates.top().first, top_candidates.top().second);
      top_candidates.pop();
    }
    while (!queue_closest.empty()) {
      if (return_list.size() >= M) break;
      std::pair<float, tableint> curent_pair = queue_closest.top();
      float dist_to_query = -curent_pair.first;
      queue_closest.pop();

      bool good = true;
      for (const std::pair<float, tableint>& second_pair : return_list) {
        float curdist = distance(getDataByInternalId(second_pair.second),
                                 getDataByInternalId(curent_pair.second));
        if (curdist < dist_to_query) {
          good = false;
          break;
        }
      }
      if (good) return_list.emplace_back(dist_to_query, curent_pair.second);
    }
    for (const std::pair<float, tableint>& p : return_list) top_candidates.emplace(p);
  }

  tableint connectNewElement(tableint cur_c, CandidateQueue& top_candidates, int level) {
    size_t m_curmax = level ? hdr_.maxM : hdr_.maxM0;
    getNeighboursHeuristic(top_candidates, hdr_.M);

    std::vector<tableint> selected;
    while (!top_candidates.empty()) {  // farthest first, so back() is the closest
      selected.push_back(top_candidates.top().second);
      top_candidates.pop();
    }
    linkcount_t* ll_cur = get_linklist_at_level(cur_c, level);
    setListCount(ll_cur, selected.size());
    std::memcpy(ll_cur + 1, selected.data(), selected.size() * sizeof(tableint));

    for (tableint other : selected) {
      linkcount_t* ll_other = get_linklist_at_level(other, level);
      size_t sz_other = getListCount(ll_other);
      tableint* data_other = reinterpret_cast<tableint*>(ll_other + 1);
      if (sz_other < m_curmax) {
        data_other[sz_other] = cur_c;
        setListCount(ll_other, sz_other + 1);
        continue;
      }
      // Full: choose other's neighbourhood again among its links and cur_c.
      const char* other_data = getDataByInternalId(other);
      CandidateQueue candidates;
      candidates.emplace(distance(getDataByInternalId(cur_c), other_data), cur_c);
      for (size_t j = 0; j < sz_other; j++)
        candidates.emplace(distance(getDataByInternalId(data_other[j]), other_data),
                           data_other[j]);
      getNeighboursHeuristic(candidates, m_curmax);

      size_t indx = 0;
      for (; !candidates.empty(); candidates.pop()) data_other[indx++] = candidates.top().second;
      setListCount(ll_other, indx);
    }
    return selected.back();
  }

  Header hdr_;
  size_t data_size_ = 0;
  size_t size_links_level0_ = 0;
  size_t size_links_per_element_ = 0;
  size_t size_data_per_element_ = 0;
  size_t offset_data_ = 0;
  size_t label_offset_ = 0;

  char* data_level0_memory_ = nullptr;
  char** link_lists_ = nullptr;
  std::vector<int> element_levels_;

  DISTFUNC fstdistfunc_ = nullptr;
  void* dist_func_param_ = nullptr;
  std::unique_ptr<VisitedListPool> visited_list_pool_;
  std::default_random_engine level_generator_;
  mutable uint64_t metric_distance_computations_ = 0;
};

}  // namespace lgraph
