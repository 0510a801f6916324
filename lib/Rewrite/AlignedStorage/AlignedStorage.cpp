#include "Rewrite/AlignedStorage/AlignedStorage.h"

#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

std::optional<schema::RewriteOption> AlignedStorage::option_for(const sites::Site& site, ASTContext&) const {
  const auto* storage = std::get_if<sites::VectorStorage>(&site.detail);
  if (!storage || !storage->field->getTypeSourceInfo()) return std::nullopt;
  schema::ParamRange alignment = int_param("alignment", 16, 128, 64, "bytes; the allocation is also padded to a multiple");
  alignment.choices = {16, 32, 64, 128};
  return schema::RewriteOption{name(), {alignment, huge_pages_param("vectors")}, true, ""};
}

llvm::Expected<RewriteRule> AlignedStorage::rule(const sites::Site& site, const Params& params, ASTContext& context) const {
  const auto& storage = std::get<sites::VectorStorage>(site.detail);
  const FieldDecl* field = storage.field;
  const bool huge_pages = params.values().count("huge_pages") && params.get_int("huge_pages");
  llvm::SmallVector<ASTEdit, 1> edits;
  edits.push_back(changeTo(fixed(node_range(field->getTypeSourceInfo()->getTypeLoc().getSourceRange(), context)),
                           cat("std::vector<float, crinn::runtime::AlignedAllocator<float, " +
                               std::to_string(params.get_int("alignment")) + (huge_pages ? ", true" : "") + ">>")));

  // Member calls and subscripts work on the new type as they are; the storage
  // assigned from, or handed whole to code written for, std::vector<float>
  // goes through the runtime's adapters.
  using namespace clang::ast_matchers;
  // Uses in code the compiler wrote (implicit constructors) are not in the source.
  auto written_use = memberExpr(member(equalsNode(field)), unless(hasAncestor(functionDecl(isImplicit()))));
  for (const BoundNodes& bound : match(written_use.bind("use"), context)) {
    const auto* use = bound.getNodeAs<MemberExpr>("use");
    const Stmt* parent = sites::parent_stmt(use, context);
    if (isa_and_nonnull<MemberExpr>(parent)) continue;
    if (const auto* op = dyn_cast_or_null<CXXOperatorCallExpr>(parent)) {
      if (op->getOperator() == OO_Subscript) continue;
      if (op->getOperator() == OO_Equal && op->getArg(0)->IgnoreImplicit() == use) {
        edits.push_back(changeTo(fixed(node_range(op->getSourceRange(), context)),
                                 cat("crinn::runtime::assign_from(" + sites::source_text(op->getArg(0), context) + ", " +
                                     sites::source_text(op->getArg(1), context) + ")")));
        continue;
      }
    }
    edits.push_back(changeTo(fixed(node_range(use->getSourceRange(), context)),
                             cat("crinn::runtime::as_std_vector(" + sites::source_text(use, context) + ")")));
  }
  edits.push_back(addInclude("crinn/runtime/aligned.h", IncludeFormat::Angled));
  return rule_at(field, std::move(edits));
}

std::unique_ptr<Rewrite> make_AlignedStorage() { return std::make_unique<AlignedStorage>(); }

}  // namespace crinn::rewrite
