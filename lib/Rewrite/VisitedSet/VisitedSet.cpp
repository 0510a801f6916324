#include "Rewrite/VisitedSet/VisitedSet.h"

#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

#include "clang/AST/ParentMapContext.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

namespace {
const DeclStmt* declaration_of(const VarDecl* var, ASTContext& context) {
  auto parents = context.getParents(*var);
  const auto* decl = parents.empty() ? nullptr : parents[0].get<DeclStmt>();
  return decl && decl->isSingleDecl() ? decl : nullptr;
}
}  // namespace

std::optional<schema::RewriteOption> VisitedSet::option_for(const sites::Site& site, ASTContext& context) const {
  const auto* set = std::get_if<sites::VisitedSet>(&site.detail);
  if (!set || !set->variable || !declaration_of(set->variable, context)) return std::nullopt;
  return schema::RewriteOption{name(), {int_param("layout", 0, 1, 0, "0: epoch-tagged array, 1: bitset")}, true, ""};
}

llvm::Expected<RewriteRule> VisitedSet::rule(const sites::Site& site, const Params& params, ASTContext& context) const {
  const auto& set = std::get<sites::VisitedSet>(site.detail);
  const char* type = params.get_int("layout") == 0 ? "crinn::runtime::EpochVisited" : "crinn::runtime::BitsetVisited";
  // Leased for the scope of the set it replaces: nested or re-entrant searches get sets of their own.
  std::string lease = "crinn_visited_lease_" + set.variable->getNameAsString();
  std::string text = "crinn::runtime::VisitedLease<" + std::string(type) + "> " + lease + ";\n" +
                     indentation(declaration_of(set.variable, context), context) + type + "& " + set.variable->getNameAsString() + " = " +
                     lease + ".set();";
  return rule_at(set.variable, {changeTo(fixed(statement_range(declaration_of(set.variable, context), context)), cat(text)),
                                addInclude("crinn/runtime/visited.h", IncludeFormat::Angled)});
}

std::unique_ptr<Rewrite> make_VisitedSet() { return std::make_unique<VisitedSet>(); }

}  // namespace crinn::rewrite
