#include "Rewrite/AdaptiveEf.h"
#include "Rewrite/AdjacencyReorder.h"
#include "Rewrite/AlignedStorage.h"
#include "Rewrite/ConstantTuning.h"
#include "Rewrite/EarlyTermination.h"
#include "Rewrite/EdgePruning.h"
#include "Rewrite/FlatGraph.h"
#include "Rewrite/LoopFission.h"
#include "Rewrite/LoopUnroll.h"
#include "Rewrite/MultiEntry.h"
#include "Rewrite/PrefetchInsertion.h"
#include "Rewrite/QuantizedDistance.h"
#include "Rewrite/SimdDistance.h"
#include "Rewrite/VisitedSet.h"

namespace crinn::rewrite {

const std::vector<std::unique_ptr<Rewrite>>& catalogue() {
  static const std::vector<std::unique_ptr<Rewrite>> rewrites = [] {
    std::vector<std::unique_ptr<Rewrite>> all;
    all.push_back(std::make_unique<PrefetchInsertion>());
    all.push_back(std::make_unique<LoopUnroll>());
    all.push_back(std::make_unique<LoopFission>());
    all.push_back(std::make_unique<SimdDistance>());
    all.push_back(std::make_unique<EdgePruning>());
    all.push_back(std::make_unique<EarlyTermination>());
    all.push_back(std::make_unique<VisitedSet>());
    all.push_back(std::make_unique<AlignedStorage>());
    all.push_back(std::make_unique<QuantizedDistance>());
    all.push_back(std::make_unique<FlatGraph>());
    all.push_back(std::make_unique<MultiEntry>());
    all.push_back(std::make_unique<AdjacencyReorder>());
    all.push_back(std::make_unique<AdaptiveEf>());
    all.push_back(std::make_unique<ConstantTuning>());
    return all;
  }();
  return rewrites;
}

const Rewrite* find_rewrite(const std::string& name) {
  for (const auto& rewrite : catalogue())
    if (name == rewrite->name()) return rewrite.get();
  return nullptr;
}

void attach_options(std::vector<sites::Site>& sites, clang::ASTContext& context) {
  for (sites::Site& site : sites) {
    if (!std::visit([](const auto& detail) { return detail.rewritable; }, site.detail)) continue;
    for (const auto& rewrite : catalogue())
      if (auto option = rewrite->option_for(site, context)) site.rewrites.push_back(std::move(*option));
  }
}

}  // namespace crinn::rewrite
