#include "nsg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace navgraph {

float L2Sqr(const float* a, const float* b, unsigned dim)
{
    const float* p = a;
    const float* q = b;
    const float* last = a + dim;
    float result = 0;
    while (p != last) {
        float t = *p++ - *q++;
        result += t * t;
    }
    return result;
}

float InnerProduct(const float* a, const float* b, unsigned dim)
{
    const float* p = a;
    const float* q = b;
    const float* last = a + dim;
    float result = 0;
    while (p != last)
        result += *p++ * *q++;
    return result;
}

static void Normalize(float* v, unsigned dim)
{
    float s = 0;
    for (unsigned i = 0; i < dim; i++) s += v[i] * v[i];
    if (s > 0) {
        s = 1.0f / std::sqrt(s);
        for (unsigned i = 0; i < dim; i++) v[i] *= s;
    }
}

unsigned InsertIntoPool(Neighbor* pool, unsigned& size, unsigned capacity, const Neighbor& nn)
{
    if (size == capacity) {
        if (capacity == 0 || !(nn.dist < pool[capacity - 1].dist)) return capacity;
        size--; /* the last entry falls off */
    }
    unsigned lo = 0, hi = size;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (pool[mid].dist <= nn.dist) lo = mid + 1;
        else hi = mid;
    }
    std::memmove(pool + lo + 1, pool + lo, (size - lo) * sizeof(Neighbor));
    pool[lo] = nn;
    size++;
    return lo;
}

NsgIndex::NsgIndex(unsigned dim, Metric metric, const BuildParams& params)
    : dim_(dim), metric_(metric), params_(params)
{
    if (dim_ == 0) throw std::invalid_argument("nsg: dim must be > 0");
    if (!params_.K || !params_.L || !params_.R || !params_.C)
        throw std::invalid_argument("nsg: K, L, R and C must be > 0");
}

float NsgIndex::Distance(const float* a, const float* b) const
{
    ndist_++;
    if (metric_ == Metric::Cosine) return 1.0f - InnerProduct(a, b, dim_);
    return L2Sqr(a, b, dim_);
}

void NsgIndex::Build(const float* data, size_t n)
{
    if (n_) throw std::logic_error("nsg: Build called twice");
    if (n >= 0xffffffffu) throw std::invalid_argument("nsg: too many points");
    n_ = n;
    data_.assign(data, data + n * dim_);
    if (metric_ == Metric::Cosine)
        for (size_t i = 0; i < n; i++) Normalize(&data_[i * dim_], dim_);
    visited_.Resize(n_);
    if (n_ == 0) return;

    BuildKnnGraph();
    FindNavigatingNode();

    std::vector<std::vector<Neighbor>> cut(n_);
    std::vector<Neighbor> fullset;
    for (unsigned q = 0; q < n_; q++) {
        fullset.clear();
        GatherCandidates(Row(q), params_.L, fullset);
        /* the kNN row may hold points the search never reached */
        const unsigned* row = &knn_[(size_t)q * knn_k_];
        for (unsigned j = 0; j < knn_k_; j++) {
            unsigned id = row[j];
            if (visited_.test(id)) continue;
            fullset.emplace_back(id, Distance(Row(q), Row(id)), true);
        }
        SelectEdges(q, fullset, cut[q]);
    }
    AddReverseEdges(cut);
    Connect(cut);
    Flatten(cut);

    std::vector<unsigned>().swap(knn_);
}

void NsgIndex::BuildKnnGraph()
{
    knn_k_ = std::min<unsigned>(params_.K, (unsigned)n_ - 1);
    std::vector<Neighbor> lists((size_t)n_ * knn_k_);
    std::vector<unsigned> sizes(n_, 0);
    for (unsigned i = 0; i < n_; i++) {
        for (unsigned j = i + 1; j < n_; j++) {
            float d = Distance(Row(i), Row(j));
            InsertIntoPool(&lists[(size_t)i * knn_k_], sizes[i], knn_k_, Neighbor(j, d, true));
            InsertIntoPool(&lists[(size_t)j * knn_k_], sizes[j], knn_k_, Neighbor(i, d, true));
        }
    }
    knn_.resize(lists.size());
    for (size_t i = 0; i < lists.size(); i++) knn_[i] = lists[i].id;
}

void NsgIndex::FindNavigatingNode()
{
    std::vector<float> center(dim_, 0.0f);
    for (unsigned i = 0; i < n_; i++) {
        const float* v = Row(i);
        for (unsigned j = 0; j < dim_; j++) center[j] += v[j];
    }
    for (unsigned j = 0; j < dim_; j++) center[j] /= (float)n_;
    if (metric_ == Metric::Cosine) Normalize(center.data(), dim_);

    float best = INFINITY;
    for (unsigned i = 0; i < n_; i++) {
        float d = Distance(center.data(), Row(i));
        if (d < best) {
            best = d;
            nav_ = i;
        }
    }
}

/* Resets visited_ and seeds pool_ (capacity L) with the navigating node, the
 * ids in first[], and L ids scattered over the whole set so that a search is
 * not stuck in the navigating node's cluster. */
unsigned NsgIndex::SeedPool(const float* query, unsigned L, const unsigned* first, unsigned nfirst,
                            std::vector<Neighbor>* fullset)
{
    pool_.resize(L + 1);
    visited_.Clear();
    unsigned size = 0;
    unsigned total = 1 + nfirst + L;
    for (unsigned i = 0; i < total; i++) {
        unsigned id;
        if (i == 0) id = nav_;
        else if (i <= nfirst) id = first[i - 1];
        else id = (unsigned)((uint64_t)(i - nfirst) * 2654435761u % n_);
        if (visited_.test(id)) continue;
        visited_.set(id);
        Neighbor nn(id, Distance(query, Row(id)), true);
        InsertIntoPool(pool_.data(), size, L, nn);
        if (fullset) fullset->push_back(nn);
    }
    return size;
}

/* Best-first search on the kNN graph; every point whose distance was taken
 * is appended to fullset. Leaves visited_ marked for the caller. */
void NsgIndex::GatherCandidates(const float* query, unsigned L, std::vector<Neighbor>& fullset)
{
    unsigned size = SeedPool(query, L, &knn_[(size_t)nav_ * knn_k_], knn_k_, &fullset);

    unsigned k = 0;
    while (k < size) {
        unsigned nk = size;
        if (pool_[k].flag) {
            pool_[k].flag = false;
            const unsigned* nbrs = &knn_[(size_t)pool_[k].id * knn_k_];
            for (unsigned m = 0; m < knn_k_; m++) {
                unsigned id = nbrs[m];
                if (visited_.test(id)) continue;
                visited_.set(id);
                Neighbor nn(id, Distance(query, Row(id)), true);
                fullset.push_back(nn);
                unsigned r = InsertIntoPool(pool_.data(), size, L, nn);
                if (r < nk) nk = r;
            }
        }
        if (nk <= k) k = nk;
        else k++;
    }
}

void NsgIndex::SelectEdges(unsigned q, std::vector<Neighbor>& pool, std::vector<Neighbor>& result) const
{
    std::sort(pool.begin(), pool.end());
    result.clear();
    for (size_t i = 0; i < pool.size() && i < params_.C && result.size() < params_.R; i++) {
        const Neighbor& cand = pool[i];
        if (cand.id == q) continue;
        bool occlude = false;
        for (size_t t = 0; t < result.size(); t++) {
            if (cand.id == result[t].id) {
                occlude = true;
                break;
            }
            float djk = Distance(Row(result[t].id), Row(cand.id));
            if (djk < cand.dist) {
                occlude = true;
                break;
            }
        }
        if (!occlude) result.push_back(cand);
    }
}

void NsgIndex::AddReverseEdges(std::vector<std::vector<Neighbor>>& cut) const
{
    std::vector<Neighbor> mine, pool;
    for (unsigned q = 0; q < n_; q++) {
        mine = cut[q];
        for (const Neighbor& e : mine) {
            std::vector<Neighbor>& theirs = cut[e.id];
            bool present = false;
            for (const Neighbor& x : theirs)
                if (x.id == q) { present = true; break; }
            if (present) continue;
            theirs.emplace_back(q, e.dist, true);
            if (theirs.size() > params_.R) {
                pool = theirs;
                SelectEdges(e.id, pool, theirs);
            }
        }
    }
}

/* Attach every point the navigating node cannot reach to its nearest reached point. */
void NsgIndex::Connect(std::vector<std::vector<Neighbor>>& cut)
{
    std::vector<char> reached(n_, 0);
    std::vector<unsigned> stack;
    unsigned root = nav_;
    size_t nreached = 0;
    for (;;) {
        stack.push_back(root);
        reached[root] = 1;
        nreached++;
        while (!stack.empty()) {
            unsigned u = stack.back();
            stack.pop_back();
            for (const Neighbor& e : cut[u])
                if (!reached[e.id]) {
                    reached[e.id] = 1;
                    nreached++;
                    stack.push_back(e.id);
                }
        }
        if (nreached == n_) break;

        unsigned orphan = 0;
        while (reached[orphan]) orphan++;
        unsigned parent = nav_;
        float best = INFINITY;
        for (unsigned i = 0; i < n_; i++) {
            if (!reached[i]) continue;
            float d = Distance(Row(i), Row(orphan));
            if (d < best) { best = d; parent = i; }
        }
        cut[parent].emplace_back(orphan, best, true);
        root = orphan;
    }
}

void NsgIndex::Flatten(const std::vector<std::vector<Neighbor>>& cut)
{
    size_t maxdeg = 0;
    for (const auto& l : cut) maxdeg = std::max(maxdeg, l.size());
    width_ = (unsigned)maxdeg + 1;
    links_.assign(n_ * width_, 0);
    for (unsigned i = 0; i < n_; i++) {
        unsigned* row = &links_[(size_t)i * width_];
        row[0] = (unsigned)cut[i].size();
        for (size_t j = 0; j < cut[i].size(); j++) row[j + 1] = cut[i][j].id;
    }
}

unsigned NsgIndex::Search(const float* query, unsigned k, unsigned L, int64_t* out)
{
    if (n_ == 0 || k == 0) return 0;
    if (L < k) L = k;
    std::vector<float> normed;
    if (metric_ == Metric::Cosine) {
        normed.assign(query, query + dim_);
        Normalize(normed.data(), dim_);
        query = normed.data();
    }

    const unsigned* nav_row = &links_[(size_t)nav_ * width_];
    unsigned size = SeedPool(query, L, nav_row + 1, nav_row[0], nullptr);

    unsigned k0 = 0;
    while (k0 < size) {
        unsigned nk = size;
        if (pool_[k0].flag) {
            pool_[k0].flag = false;
            const unsigned* row = &links_[(size_t)pool_[k0].id * width_];
            unsigned degree = row[0];
            for (unsigned m = 1; m <= degree; m++) {
                unsigned id = row[m];
                if (visited_.test(id)) continue;
                visited_.set(id);
                float d = Distance(query, Row(id));
                if (size == L && d >= pool_[L - 1].dist) continue;
                unsigned r = InsertIntoPool(pool_.data(), size, L, Neighbor(id, d, true));
                if (r < nk) nk = r;
            }
        }
        if (nk <= k0) k0 = nk;
        else k0++;
    }

    unsigned found = std::min(k, size);
    for (unsigned i = 0; i < found; i++) out[i] = pool_[i].id;
    return found;
}

/* file: "NSG1" dim metric n nav width, data (n*dim floats), links (n*width unsigned) */
bool NsgIndex::Save(const char* path) const
{
    FILE* f = std::fopen(path, "wb");
    if (!f) return false;
    unsigned hdr[4] = {dim_, (unsigned)metric_, nav_, width_};
    uint64_t n = n_;
    bool ok = std::fwrite("NSG1", 1, 4, f) == 4 && std::fwrite(hdr, sizeof(hdr), 1, f) == 1 &&
              std::fwrite(&n, sizeof(n), 1, f) == 1 &&
              std::fwrite(&params_, sizeof(params_), 1, f) == 1 &&
              std::fwrite(data_.data(), sizeof(float), data_.size(), f) == data_.size() &&
              std::fwrite(links_.data(), sizeof(unsigned), links_.size(), f) == links_.size();
    return std::fclose(f) == 0 && ok;
}

NsgIndex* NsgIndex::Load(const char* path)
{
    FILE* f = std::fopen(path, "rb");
    if (!f) return nullptr;
    char magic[4];
    unsigned hdr[4];
    uint64_t n = 0;
    BuildParams params;
    NsgIndex* index = nullptr;
    if (std::fread(magic, 1, 4, f) == 4 && std::memcmp(magic, "NSG1", 4) == 0 &&
        std::fread(hdr, sizeof(hdr), 1, f) == 1 && std::fread(&n, sizeof(n), 1, f) == 1 &&
        std::fread(&params, sizeof(params), 1, f) == 1) {
        index = new NsgIndex(hdr[0], (Metric)hdr[1], params);
        index->n_ = n;
        index->nav_ = hdr[2];
        index->width_ = hdr[3];
        index->data_.resize(n * index->dim_);
        index->links_.resize(n * index->width_);
        index->visited_.Resize(n);
        if (std::fread(index->data_.data(), sizeof(float), index->data_.size(), f) != index->data_.size() ||
            std::fread(index->links_.data(), sizeof(unsigned), index->links_.size(), f) != index->links_.size()) {
            delete index;
            index = nullptr;
        }
    }
    std::fclose(f);
    return index;
}

} /* namespace navgraph */
