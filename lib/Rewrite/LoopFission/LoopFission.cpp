#include "Rewrite/LoopFission/LoopFission.h"

#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

#include "clang/AST/StmtCXX.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

namespace {
// The visited check must be `if (<already visited>) continue;`, so that the
// gather loop can keep it as it is.
bool skips_visited(const Stmt* check) {
  const auto* test = dyn_cast<IfStmt>(check);
  if (!test || test->getElse()) return false;
  const Stmt* then = test->getThen();
  if (const auto* block = dyn_cast<CompoundStmt>(then); block && block->size() == 1) then = block->body_front();
  return isa<ContinueStmt>(then);
}
}  // namespace

std::optional<schema::RewriteOption> LoopFission::option_for(const sites::Site& site, ASTContext&) const {
  const auto* loop = std::get_if<sites::NeighborLoop>(&site.detail);
  if (!loop || !loop->range || !skips_visited(loop->visited_check) || !reads_vector_address(*loop)) return std::nullopt;
  schema::RewriteOption option{name(),
                              {vector_lines_param("lines", 0, 64, 4, "cache lines of each gathered vector prefetched (0: none)"),
                               int_param("locality", 0, 3, 3, "temporal locality hint of __builtin_prefetch")},
                              true,
                              ""};
  return option;
}

llvm::Expected<RewriteRule> LoopFission::rule(const sites::Site& site, const Params& params, ASTContext& context) const {
  const auto& loop = std::get<sites::NeighborLoop>(site.detail);
  const auto* range_for = cast<CXXForRangeStmt>(loop.loop);
  const std::string indent = indentation(range_for, context);
  const std::string element = loop.element->getNameAsString();
  const std::string type = loop.element->getType().getNonReferenceType().getUnqualifiedType().getAsString();

  // The runtime fetches what the query reads of each gathered neighbour: its
  // vector, or its code where quantized-distance runs the query on codes.
  std::string prefetch;
  if (long lines = params.get_int("lines")) {
    auto vector = substitute(loop.vector_expr, context, {});
    if (!vector) return vector.takeError();
    prefetch = indent + "  crinn::runtime::prefetch_node<" + std::to_string(lines) + ", " +
               std::to_string(params.get_int("locality")) + ">(" + element + ", " + *vector + ");\n";
  }
  // Gather: the same loop header and visited check, collecting the rest.
  std::string gather = "auto& crinn_batch = crinn::runtime::NeighborBatch<" + type + ">::fresh();\n" + indent + "for (" +
                       declaration_text(loop.element, context) + " : " +
                       sites::source_text(loop.range, context) + ") {\n" + indent + "  " +
                       sites::source_text(statement_range(loop.visited_check, context).getAsRange(), context) + "\n" +
                       indent + "  crinn_batch.push_back(" + element + ");\n" + prefetch + indent + "}\n" + indent;
  // Compute: the original loop over the batch, without the visited check.
  return rule_at(loop.loop, {insertBefore(fixed(before(range_for->getBeginLoc(), context)), cat(gather)),
                             changeTo(fixed(node_range(loop.range->getSourceRange(), context)), cat("crinn_batch")),
                             changeTo(fixed(whole_lines(statement_range(loop.visited_check, context), context)), cat("")),
                             addInclude("crinn/runtime/prefetch.h", IncludeFormat::Angled)});
}

std::unique_ptr<Rewrite> make_LoopFission() { return std::make_unique<LoopFission>(); }

}  // namespace crinn::rewrite
