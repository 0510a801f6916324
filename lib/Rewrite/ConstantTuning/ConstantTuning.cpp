#include "Rewrite/ConstantTuning/ConstantTuning.h"

#include "Rewrite/Support.h"

#include <algorithm>

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

// The largest value an integer declaration holds (uint8_t: 255), else none.
std::optional<double> type_max(const sites::TunableConstant& constant, ASTContext& context) {
  if (!constant.declaration) return std::nullopt;
  QualType type = constant.declaration->getType().getNonReferenceType();
  if (!type->isIntegerType()) return std::nullopt;
  unsigned bits = context.getIntWidth(type) - (type->isSignedIntegerType() ? 1 : 0);
  return bits >= 63 ? std::nullopt : std::optional<double>(double((uint64_t(1) << bits) - 1));
}

std::optional<schema::RewriteOption> ConstantTuning::option_for(const sites::Site& site, ASTContext& context) const {
  const auto* constant = std::get_if<sites::TunableConstant>(&site.detail);
  if (!constant) return std::nullopt;
  // A quarter to four times the value the authors chose, within what its type holds.
  double high = constant->value * 4;
  if (std::optional<double> limit = type_max(*constant, context)) high = std::min(high, *limit);
  schema::ParamRange value = constant->integer
                               ? int_param("value", std::max(1L, long(constant->value) / 4), long(high),
                                           long(constant->value), "the new value")
                               : real_param("value", constant->value / 4, high, constant->value, "the new value");
  return schema::RewriteOption{name(), {value}, false, "changes the index"};
}

llvm::Expected<RewriteRule> ConstantTuning::rule(const sites::Site& site, const Params& params, ASTContext& context) const {
  const auto& constant = std::get<sites::TunableConstant>(site.detail);
  return rule_at(constant.literal, {changeTo(fixed(node_range(constant.literal->getSourceRange(), context)),
                                             cat(format_number(params.get("value"), constant.integer)))});
}

std::unique_ptr<Rewrite> make_ConstantTuning() { return std::make_unique<ConstantTuning>(); }

}  // namespace crinn::rewrite
