/*
 * nsg.h - Navigating Spreading-out Graph.
 *
 *   1. exact kNN graph (brute force; meant for n up to a few 10^4),
 *   2. navigating node = the point nearest to the centroid,
 *   3. for every point: search the kNN graph from the navigating node,
 *      collect everything visited, select out-edges with the MRNG rule,
 *   4. reverse edges, re-selecting overflowing lists,
 *   5. a DFS spanning tree from the navigating node so every point is reachable.
 */
#ifndef NAVGRAPH_NSG_H_
#define NAVGRAPH_NSG_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace navgraph {

constexpr unsigned kKnnK = 32;           /* K: degree of the kNN graph */
constexpr unsigned kBuildL = 64;         /* L: pool size of the build search */
constexpr unsigned kMaxDegree = 32;      /* R: out-degree bound */
constexpr unsigned kMaxCandidates = 400; /* C: candidates looked at per node */

enum class Metric { L2, Cosine };

struct BuildParams {
    unsigned K = kKnnK;
    unsigned L = kBuildL;
    unsigned R = kMaxDegree;
    unsigned C = kMaxCandidates;
};

struct Neighbor {
    unsigned id;
    float dist;
    bool flag; /* not yet expanded */

    Neighbor() = default;
    Neighbor(unsigned i, float d, bool f) : id(i), dist(d), flag(f) {}
    bool operator<(const Neighbor& o) const
    {
        return dist < o.dist || (dist == o.dist && id < o.id);
    }
};

class VisitedBits {
public:
    void Resize(size_t n) { words_.assign((n + 63) / 64, 0); }
    void Clear() { std::fill(words_.begin(), words_.end(), uint64_t(0)); }
    bool test(size_t i) const { return (words_[i >> 6] >> (i & 63)) & 1u; }
    void set(size_t i) { words_[i >> 6] |= uint64_t(1) << (i & 63); }

private:
    std::vector<uint64_t> words_;
};

/* pool[0..size) is sorted by dist and holds at most capacity entries. */
unsigned InsertIntoPool(Neighbor* pool, unsigned& size, unsigned capacity, const Neighbor& nn);

float L2Sqr(const float* a, const float* b, unsigned dim);
float InnerProduct(const float* a, const float* b, unsigned dim);

class NsgIndex {
public:
    NsgIndex(unsigned dim, Metric metric, const BuildParams& params);

    void Build(const float* data, size_t n);
    unsigned Search(const float* query, unsigned k, unsigned L, int64_t* out);

    bool Save(const char* path) const;
    static NsgIndex* Load(const char* path);

    uint64_t DistanceCount() const { return ndist_; }

private:
    const float* Row(unsigned i) const { return data_.data() + (size_t)i * dim_; }
    float Distance(const float* a, const float* b) const;

    void BuildKnnGraph();
    void FindNavigatingNode();
    unsigned SeedPool(const float* query, unsigned L, const unsigned* first, unsigned nfirst,
                      std::vector<Neighbor>* fullset);
    void GatherCandidates(const float* query, unsigned L, std::vector<Neighbor>& fullset);
    void SelectEdges(unsigned q, std::vector<Neighbor>& pool, std::vector<Neighbor>& result) const;
    void AddReverseEdges(std::vector<std::vector<Neighbor>>& cut) const;
    void Connect(std::vector<std::vector<Neighbor>>& cut);
    void Flatten(const std::vector<std::vector<Neighbor>>& cut);

    unsigned dim_;
    Metric metric_;
    BuildParams params_;

    size_t n_ = 0;
    std::vector<float> data_;
    unsigned nav_ = 0;

    unsigned knn_k_ = 0;
    std::vector<unsigned> knn_; /* n_ x knn_k_, build only */

    unsigned width_ = 1;
    std::vector<unsigned> links_; /* n_ rows of width_: degree, then ids */

    std::vector<Neighbor> pool_;
    VisitedBits visited_;
    mutable uint64_t ndist_ = 0;
};

} /* namespace navgraph */

#endif /* NAVGRAPH_NSG_H_ */
