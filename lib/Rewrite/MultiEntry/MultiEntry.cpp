#include "Rewrite/MultiEntry/MultiEntry.h"

#include "Rewrite/QueryPathParts.h"
#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

#include "clang/AST/StmtCXX.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

std::optional<schema::RewriteOption> MultiEntry::option_for(const sites::Site& site, ASTContext& context) const {
  auto adjacency = graph_site(site, context, true);
  // The entries are expanded by a copy of the range-for's body before the beam loop.
  if (!adjacency || adjacency->by_pointer() || !body_movable(std::get<sites::NeighborLoop>(site.detail))) return std::nullopt;
  schema::RewriteOption option{name(),
                              {int_param("count", 1, 64, 8, "extra entry points"),
                               int_param("choice", 0, 1, 0, "0: spread out (farthest-point), 1: highest degree")},
                              false,
                              "the beam starts from more nodes"};
  option.changes_build = false;
  return option;
}

llvm::Expected<RewriteRule> MultiEntry::rule(const sites::Site& site, const Params& params, ASTContext& context) const {
  const auto& loop = std::get<sites::NeighborLoop>(site.detail);
  Adjacency adjacency = *adjacency_of(loop, context);
  auto entry = query_entry_of(site, method_of(loop, context), context);
  if (!entry) return entry.takeError();
  const auto* range_for = cast<CXXForRangeStmt>(loop.loop);
  const std::string field = adjacency.field->getNameAsString();
  const std::string indent = indentation(loop.beam_loop, context);
  const std::string member = "\n  // Extra layer-0 entry points, chosen on the first query after the build.\n"
                             "  mutable crinn::runtime::EntryPoints<" + adjacency.id_type + "> crinn_entries_;";
  // Each query-path rewrite raises its own scope, so that any of them combine.
  const std::string sync =
      "\n  crinn::runtime::QueryPathScope crinn_query_path_multi_entry;\n  crinn_entries_.sync(" + adjacency.node_count + ", " + std::to_string(params.get_int("count")) + ", " +
      std::to_string(params.get_int("choice")) + ", [&](auto crinn_a, auto crinn_b) { return " +
      distance_text(loop, vector_text(loop, "crinn_a", context), vector_text(loop, "crinn_b", context), context) +
      "; }, [&](std::size_t crinn_i) { return " + adjacency.layer0("crinn_i") + ".size(); });";
  const std::string seeds = "if (" + adjacency.on_layer0("crinn::runtime::on_query_path()", context) + ") {\n" + indent +
                            "  for (" + declaration_text(loop.element, context) + " : crinn_entries_.nodes()) " +
                            sites::source_text(range_for->getBody(), context) + "\n" + indent + "}\n" + indent;
  CharSourceRange member_at = after_member_line(adjacency.field, context);
  return rule_at(loop.loop, {insertAfter(fixed(member_at), cat(member)),
                             addInclude(fixed(member_at), "crinn/runtime/query_path.h", IncludeFormat::Angled),
                             insertBefore(fixed(after_open_brace((*entry)->getBody(), context)), cat(sync)),
                             insertBefore(fixed(before(loop.beam_loop->getBeginLoc(), context)), cat(seeds))});
}

std::unique_ptr<Rewrite> make_MultiEntry() { return std::make_unique<MultiEntry>(); }

}  // namespace crinn::rewrite
