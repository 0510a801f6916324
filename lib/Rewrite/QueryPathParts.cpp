#include "Rewrite/QueryPathParts.h"

#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"

namespace crinn::rewrite {

using namespace clang;

const CXXMethodDecl* method_of(const sites::NeighborLoop& loop, ASTContext& context) {
  return dyn_cast_or_null<CXXMethodDecl>(sites::enclosing_function(loop.loop, context));
}

const Expr* query_argument(const sites::NeighborLoop& loop) {
  if (!loop.distance_call || loop.distance_call->getNumArgs() < 2 || !loop.beam_loop) return nullptr;
  for (unsigned i = 2; i < loop.distance_call->getNumArgs(); ++i)
    if (!sites::is_class_invariant(loop.distance_call->getArg(i))) return nullptr;
  for (unsigned i = 0; i < 2; ++i) {
    const Expr* arg = loop.distance_call->getArg(i);
    if (!sites::references(arg, loop.element) && !sites::references_any_local_except(arg, loop.beam_loop, nullptr))
      return arg;
  }
  return nullptr;
}

std::string distance_text(const sites::NeighborLoop& loop, const std::string& query, const std::string& vector,
                          const ASTContext& context) {
  const Expr* query_arg = query_argument(loop);
  std::string text = sites::source_text(loop.distance_call->getCallee(), context) + "(";
  for (unsigned i = 0; i < loop.distance_call->getNumArgs(); ++i) {
    const Expr* arg = loop.distance_call->getArg(i);
    text += (i ? ", " : "") + (i >= 2 ? sites::source_text(arg, context) : arg == query_arg ? query : vector);
  }
  return text + ")";
}

std::string vector_text(const sites::NeighborLoop& loop, const std::string& node, const ASTContext& context) {
  auto text = substitute(loop.vector_expr, context, {{loop.element, node}});
  if (text) return *text;
  llvm::consumeError(text.takeError());
  return sites::source_text(loop.vector_expr, context);
}

std::string Adjacency::layer0(const std::string& node) const {
  std::string text = field->getNameAsString();
  for (size_t i = 0; i < indices.size(); ++i) text += i == 0 ? "[" + node + "]" : "[0]";
  return text;
}

std::string Adjacency::on_layer0(const std::string& flag, const ASTContext& context) const {
  std::string text = flag;
  for (size_t i = 1; i < indices.size(); ++i) text += " && (" + sites::source_text(indices[i], context) + ") == 0";
  return text;
}

std::optional<Adjacency> adjacency_of(const sites::NeighborLoop& loop) {
  if (!loop.range || !loop.expanded_node || !loop.beam_loop) return std::nullopt;
  Adjacency adjacency;
  const Expr* e = loop.range->IgnoreParenImpCasts();
  while (const auto* subscript = dyn_cast<CXXOperatorCallExpr>(e)) {
    if (subscript->getOperator() != OO_Subscript || subscript->getNumArgs() != 2) return std::nullopt;
    adjacency.indices.insert(adjacency.indices.begin(), subscript->getArg(1));
    e = subscript->getArg(0)->IgnoreParenImpCasts();
  }
  const auto* member = dyn_cast<MemberExpr>(e);
  if (!member || !isa<CXXThisExpr>(member->getBase()->IgnoreParenImpCasts()) || adjacency.indices.empty())
    return std::nullopt;
  adjacency.field = dyn_cast<FieldDecl>(member->getMemberDecl());
  if (!adjacency.field || adjacency.indices.front() != loop.expanded_node) return std::nullopt;
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

}  // namespace crinn::rewrite

namespace crinn::rewrite {

std::optional<Adjacency> graph_site(const sites::Site& site, ASTContext& context, bool needs_distance) {
  const auto* loop = std::get_if<sites::NeighborLoop>(&site.detail);
  if (!loop || site.query_entry.empty() || (needs_distance && !query_argument(*loop))) return std::nullopt;
  auto adjacency = adjacency_of(*loop);
  const CXXMethodDecl* method = method_of(*loop, context);
  if (!adjacency || !method || method->getParent() != adjacency->field->getParent() ||
      after_member_line(adjacency->field, context).isInvalid())
    return std::nullopt;
  return adjacency;
}

}  // namespace crinn::rewrite
