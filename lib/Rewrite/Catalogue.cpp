#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// Each rewrite's folder defines its factory; the registry names them, so the
// catalogue knows no rewrite's class.
#define CRINN_REWRITE(Kind) std::unique_ptr<Rewrite> make_##Kind();
#include "Rewrite/Registry.def"
#undef CRINN_REWRITE

const std::vector<std::unique_ptr<Rewrite>>& catalogue() {
  static const std::vector<std::unique_ptr<Rewrite>> rewrites = [] {
    std::vector<std::unique_ptr<Rewrite>> all;
#define CRINN_REWRITE(Kind) all.push_back(make_##Kind());
#include "Rewrite/Registry.def"
#undef CRINN_REWRITE
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
    const bool rewritable = std::visit([](const auto& detail) { return detail.rewritable; }, site.detail);
    const auto* loop = std::get_if<sites::NeighborLoop>(&site.detail);
    const bool walk = loop && loop->greedy_walk;
    if (!rewritable && !walk) continue;
    for (const auto& rewrite : catalogue())
      if (rewritable || rewrite->knows_greedy_walks())
        if (auto option = rewrite->option_for(site, context)) site.rewrites.push_back(std::move(*option));
  }
}

}  // namespace crinn::rewrite
