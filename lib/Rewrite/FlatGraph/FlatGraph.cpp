#include "Rewrite/FlatGraph/FlatGraph.h"

#include "Rewrite/QueryPathParts.h"
#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

#include "clang/AST/DeclCXX.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

std::optional<schema::RewriteOption> FlatGraph::option_for(const sites::Site& site, ASTContext& context) const {
  if (!graph_site(site, context, false)) return std::nullopt;
  schema::RewriteOption option{name(), {huge_pages_param("rows")}, true, ""};
  if (std::get<sites::NeighborLoop>(site.detail).candidate_push)
    option.params.push_back(int_param("prefetch", 0, 3, 0,
                                      "cache lines of a node's row prefetched as it enters the candidate pool, "
                                      "so that its expansion finds them (0: none)"));
  return option;
}

llvm::Expected<RewriteRule> FlatGraph::rule(const sites::Site& site, const Params& params, ASTContext& context) const {
  const auto& loop = std::get<sites::NeighborLoop>(site.detail);
  Adjacency adjacency = *adjacency_of(loop, context);
  const CXXMethodDecl* method = method_of(loop, context);
  auto entry = query_entry_of(site, method, context);
  if (!entry) return entry.takeError();

  const std::string graph = "crinn_graph_";
  const std::string field = adjacency.field->getNameAsString();
  const std::string on_layer0 = adjacency.on_layer0("crinn_flat", context);
  const std::string member = "\n  // Layer 0 of " + field + " as one dense array, read by the search loop on the query path.\n"
                             "  mutable crinn::runtime::FlatGraph<" + adjacency.id_type + "> " + graph + ";";
  // A list read through a pointer is copied with what the pointer reads
  // before it (hnswlib's count), and the pointer is pointed at the copy.
  std::string scope =
      adjacency.by_pointer()
          ? "\n  crinn::runtime::FlatGraphScope<" + adjacency.id_type + "> crinn_flat_scope(" + graph + ", " +
                adjacency.node_count + ", [&](std::size_t crinn_i) { return " + adjacency.words("crinn_i") +
                "; }, crinn::runtime::RowLayout::kVerbatim);"
          : "\n  crinn::runtime::FlatGraphScope<" + adjacency.id_type + "> crinn_flat_scope(" + graph + ", " +
                adjacency.node_count + ", [&](std::size_t crinn_i) -> const auto& { return " +
                adjacency.layer0("crinn_i") + "; });";
  const std::string begin = "\n  const bool crinn_flat = " + graph + ".active();";
  const bool huge_pages = params.values().count("huge_pages") && params.get_int("huge_pages");
  if (huge_pages) scope.insert(0, "\n  " + graph + ".use_huge_pages();");
  ASTEdit read_the_copy =
      adjacency.by_pointer()
          ? changeTo(fixed(node_range(adjacency.pointer->getInit()->getSourceRange(), context)),
                     cat("(" + on_layer0 + " ? " + graph + ".words(" + sites::source_text(adjacency.node_read, context) +
                         ") : " + sites::source_text(adjacency.pointer->getInit(), context) + ")"))
          : changeTo(fixed(node_range(loop.range->getSourceRange(), context)),
                     cat("(" + on_layer0 + " ? " + graph + ".neighbors(" +
                         sites::source_text(loop.expanded_node, context) + ") : crinn::runtime::span_of(" +
                         sites::source_text(loop.range, context) + "))"));
  CharSourceRange member_at = after_member_line(adjacency.field, context);
  llvm::SmallVector<ASTEdit, 1> edits = {insertAfter(fixed(member_at), cat(member)),
                                         addInclude(fixed(member_at), "crinn/runtime/flat_graph.h", IncludeFormat::Angled),
                                         read_the_copy};
  // A search that is its own query entry (hnswlib's searchBaseLayerST) gets both at its top, the scope first.
  if ((*entry)->getBody() == method->getBody()) {
    edits.push_back(insertBefore(fixed(after_open_brace(method->getBody(), context)), cat(scope + begin)));
  } else {
    edits.push_back(insertBefore(fixed(after_open_brace((*entry)->getBody(), context)), cat(scope)));
    edits.push_back(insertBefore(fixed(after_open_brace(method->getBody(), context)), cat(begin)));
  }
  if (long lines = params.values().count("prefetch") ? params.get_int("prefetch") : 0) {
    const Stmt* push = statement_of(loop.candidate_push, context);
    if (!push) return llvm::createStringError(llvm::inconvertibleErrorCode(), "the candidate push is not a statement");
    edits.push_back(insertAfter(fixed(after_statement(push, context)),
                                cat("\n" + indentation(push, context) + "if (" + on_layer0 + ") crinn::runtime::prefetch_lines<" +
                                    std::to_string(lines) + ", 3>(" + graph + ".row(" +
                                    loop.element->getNameAsString() + "));")));
    edits.push_back(addInclude("crinn/runtime/prefetch.h", IncludeFormat::Angled));
  }
  return rule_at(loop.loop, std::move(edits));
}

std::unique_ptr<Rewrite> make_FlatGraph() { return std::make_unique<FlatGraph>(); }

}  // namespace crinn::rewrite
