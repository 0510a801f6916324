/* C ABI for navgraph::NsgIndex. */
#include <memory>

#include "crinn/abi_support.h"
#include "crinn/index_abi.h"
#include "nsg.h"

using crinn::abi::guarded;
using crinn::abi::last_error;

struct crinn_index {
    navgraph::NsgIndex* nsg;
};

extern "C" int crinn_abi_version(void) { return CRINN_ABI_VERSION; }

extern "C" crinn_index* crinn_index_create(int dim, crinn_metric metric, const char* params)
{
    return guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
        navgraph::Metric m;
        if (metric == CRINN_METRIC_EUCLIDEAN) m = navgraph::Metric::L2;
        else if (metric == CRINN_METRIC_ANGULAR) m = navgraph::Metric::Cosine;
        else throw std::invalid_argument("nsg: only euclidean and angular metrics are supported");
        if (dim <= 0) throw std::invalid_argument("nsg: dim must be positive");

        crinn::abi::Params p(params);
        navgraph::BuildParams bp;
        bp.K = (unsigned)p.get_int("K", bp.K);
        bp.L = (unsigned)p.get_int("L", bp.L);
        bp.R = (unsigned)p.get_int("R", bp.R);
        bp.C = (unsigned)p.get_int("C", bp.C);
        p.check_all_used();

        std::unique_ptr<navgraph::NsgIndex> nsg(new navgraph::NsgIndex((unsigned)dim, m, bp));
        return new crinn_index{nsg.release()};
    });
}

extern "C" int crinn_index_build(crinn_index* index, const float* data, int64_t n)
{
    return guarded(-1, [&] {
        if (n < 0) throw std::invalid_argument("nsg: negative n");
        index->nsg->Build(data, (size_t)n);
        return 0;
    });
}

extern "C" int crinn_index_search(crinn_index* index, const float* query, int k, int ef, int64_t* ids)
{
    return guarded(-1, [&] {
        if (k < 0) throw std::invalid_argument("nsg: negative k");
        return (int)index->nsg->Search(query, (unsigned)k, ef > 0 ? (unsigned)ef : 1u, ids);
    });
}

extern "C" int crinn_index_save(const crinn_index* index, const char* path)
{
    if (!index->nsg->Save(path)) {
        last_error() = std::string("nsg: cannot write ") + path;
        return -1;
    }
    return 0;
}

extern "C" crinn_index* crinn_index_load(const char* path)
{
    return guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
        navgraph::NsgIndex* nsg = navgraph::NsgIndex::Load(path);
        if (!nsg) throw std::runtime_error(std::string("nsg: cannot read ") + path);
        return new crinn_index{nsg};
    });
}

extern "C" void crinn_index_destroy(crinn_index* index)
{
    if (!index) return;
    delete index->nsg;
    delete index;
}

extern "C" uint64_t crinn_index_distance_count(const crinn_index* index)
{
    return index->nsg->DistanceCount();
}

extern "C" const char* crinn_last_error(void) { return last_error().c_str(); }

extern "C" int crinn_index_uses_ef(void) { return 1; }
