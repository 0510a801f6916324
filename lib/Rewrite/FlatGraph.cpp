#include "Rewrite/FlatGraph.h"

#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

namespace {
// The adjacency expression as `field[i0][i1]...`: the field (a member of
// *this) and the subscripts, outermost container first.
struct Adjacency {
  const FieldDecl* field = nullptr;
  std::vector<const Expr*> indices;
  std::string id_type;  // the list's element type
};

std::optional<Adjacency> adjacency_of(const sites::NeighborLoop& loop) {
  if (!loop.range || !loop.expanded_node) return std::nullopt;
  Adjacency adjacency;
  const Expr* e = loop.range->IgnoreParenImpCasts();
  while (const auto* subscript = dyn_cast<CXXOperatorCallExpr>(e)) {
    if (subscript->getOperator() != OO_Subscript || subscript->getNumArgs() != 2) return std::nullopt;
    adjacency.indices.insert(adjacency.indices.begin(), subscript->getArg(1));
    e = subscript->getArg(0)->IgnoreParenImpCasts();
  }
  const auto* member = dyn_cast<MemberExpr>(e);
  if (!member || !isa<CXXThisExpr>(member->getBase()->IgnoreParenImpCasts()) || adjacency.indices.empty()) return std::nullopt;
  adjacency.field = dyn_cast<FieldDecl>(member->getMemberDecl());
  if (!adjacency.field || adjacency.indices.front() != loop.expanded_node) return std::nullopt;
  // Every other subscript picks the layer: it must not depend on the beam's locals.
  for (size_t i = 1; i < adjacency.indices.size(); ++i)
    if (sites::references_any_local_except(adjacency.indices[i], loop.beam_loop, nullptr)) return std::nullopt;
  const auto* list = dyn_cast_or_null<ClassTemplateSpecializationDecl>(
      loop.range->getType().getCanonicalType()->getAsCXXRecordDecl());
  if (!list || list->getName() != "vector" || list->getTemplateArgs().size() == 0 ||
      !list->getTemplateArgs()[0].getAsType()->isIntegerType())
    return std::nullopt;
  adjacency.id_type = list->getTemplateArgs()[0].getAsType().getAsString();
  return adjacency;
}


const CXXMethodDecl* method_of(const sites::NeighborLoop& loop, ASTContext& context) {
  return dyn_cast_or_null<CXXMethodDecl>(sites::enclosing_function(loop.loop, context));
}
}  // namespace

std::optional<sites::RewriteOption> FlatGraph::option_for(const sites::Site& site, ASTContext& context) const {
  const auto* loop = std::get_if<sites::NeighborLoop>(&site.detail);
  if (!loop || !loop->beam_loop || site.query_entry.empty()) return std::nullopt;
  auto adjacency = adjacency_of(*loop);
  const CXXMethodDecl* method = method_of(*loop, context);
  if (!adjacency || !method || method->getParent() != adjacency->field->getParent() ||
      after_member_line(adjacency->field, context).isInvalid())
    return std::nullopt;
  return sites::RewriteOption{name(), {}, true, ""};
}

llvm::Expected<RewriteRule> FlatGraph::rule(const sites::Site& site, const Params&, ASTContext& context) const {
  const auto& loop = std::get<sites::NeighborLoop>(site.detail);
  Adjacency adjacency = *adjacency_of(loop);
  const CXXMethodDecl* method = method_of(loop, context);
  auto entry = query_entry_of(site, method, context);
  if (!entry) return entry.takeError();

  const std::string graph = "crinn_graph_";
  const std::string field = adjacency.field->getNameAsString();
  std::string layer0 = field, on_layer0 = "crinn_flat";
  for (size_t i = 0; i < adjacency.indices.size(); ++i) {
    layer0 += i == 0 ? "[crinn_i]" : "[0]";
    if (i > 0) on_layer0 += " && (" + sites::source_text(adjacency.indices[i], context) + ") == 0";
  }
  const std::string member = "\n  // Layer 0 of " + field + " as one dense array, read by the search loop on the query path.\n"
                             "  mutable crinn::runtime::FlatGraph<" + adjacency.id_type + "> " + graph + ";";
  const std::string scope = "\n  crinn::runtime::FlatGraphScope<" + adjacency.id_type + "> crinn_flat_scope(" + graph +
                            ", " + field + ".size(), [&](std::size_t crinn_i) -> const auto& { return " + layer0 +
                            "; });";
  const std::string begin = "\n  const bool crinn_flat = " + graph + ".active();";
  const std::string range = sites::source_text(loop.range, context);
  CharSourceRange member_at = after_member_line(adjacency.field, context);
  return rule_at(loop.loop,
                 {insertAfter(fixed(member_at), cat(member)),
                  addInclude(fixed(member_at), "crinn/runtime/flat_graph.h",
                             IncludeFormat::Angled),
                  insertBefore(fixed(after_open_brace((*entry)->getBody(), context)), cat(scope)),
                  insertBefore(fixed(after_open_brace(method->getBody(), context)), cat(begin)),
                  changeTo(fixed(node_range(loop.range->getSourceRange(), context)),
                           cat("(" + on_layer0 + " ? " + graph + ".neighbors(" +
                               sites::source_text(loop.expanded_node, context) + ") : crinn::runtime::span_of(" + range +
                               "))"))});
}

}  // namespace crinn::rewrite
