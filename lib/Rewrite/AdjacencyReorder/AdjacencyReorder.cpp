#include "Rewrite/AdjacencyReorder/AdjacencyReorder.h"

#include "Rewrite/QueryPathParts.h"
#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

namespace {

// Is the site's query entry a method that may change the members?
bool entry_may_write(const sites::Site& site, ASTContext& context) {
  auto entry = query_entry_of(site, method_of(std::get<sites::NeighborLoop>(site.detail), context), context);
  if (!entry) {
    llvm::consumeError(entry.takeError());
    return false;
  }
  const auto* entry_method = dyn_cast<CXXMethodDecl>(*entry);
  return entry_method && !entry_method->isConst();
}

}  // namespace

std::optional<schema::RewriteOption> AdjacencyReorder::option_for(const sites::Site& site, ASTContext& context) const {
  auto adjacency = graph_site(site, context, true);
  if (!adjacency) return std::nullopt;
  // The lists are sorted in place from the query entry. A list read through
  // a pointer must be writable through it; a member list needs an entry that
  // is not const.
  if (adjacency->by_pointer()) {
    if (adjacency->pointer->getType()->getPointeeType().isConstQualified()) return std::nullopt;
  } else if (!entry_may_write(site, context)) {
    return std::nullopt;
  }
  schema::RewriteOption option{name(), {}, false, "neighbours enter the beam in another order"};
  option.changes_build = false;
  return option;
}

llvm::Expected<RewriteRule> AdjacencyReorder::rule(const sites::Site& site, const Params&, ASTContext& context) const {
  const auto& loop = std::get<sites::NeighborLoop>(site.detail);
  Adjacency adjacency = *adjacency_of(loop, context);
  auto entry = query_entry_of(site, method_of(loop, context), context);
  if (!entry) return entry.takeError();
  const std::string field = adjacency.field->getNameAsString();
  const std::string member = "\n  // Sorts layer 0's lists" + std::string(adjacency.by_pointer() ? "" : " of " + field) +
                             " nearest-first after the build.\n"
                             "  " + std::string(adjacency.by_pointer() ? "mutable " : "") +
                             "crinn::runtime::NearestFirst crinn_nearest_first_;";
  // A list read through a pointer comes as an IdRun, by value.
  const std::string sync =
      "\n  crinn_nearest_first_.sync(" + adjacency.node_count + ", [&](std::size_t crinn_i)" +
      (adjacency.by_pointer() ? "" : " -> auto&") + " { return " +
      adjacency.layer0("crinn_i") + "; }, [&](std::size_t crinn_a, auto crinn_b) { return " +
      distance_text(loop, vector_text(loop, "crinn_a", context), vector_text(loop, "crinn_b", context), context) + "; });";
  CharSourceRange member_at = after_member_line(adjacency.field, context);
  return rule_at(loop.loop, {insertAfter(fixed(member_at), cat(member)),
                             addInclude(fixed(member_at), "crinn/runtime/query_path.h", IncludeFormat::Angled),
                             insertBefore(fixed(after_open_brace((*entry)->getBody(), context)), cat(sync))});
}

std::unique_ptr<Rewrite> make_AdjacencyReorder() { return std::make_unique<AdjacencyReorder>(); }

}  // namespace crinn::rewrite
