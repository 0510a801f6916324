#include "Rewrite/ConstantTuning.h"

#include "Rewrite/Support.h"

#include <algorithm>

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

std::optional<sites::RewriteOption> ConstantTuning::option_for(const sites::Site& site, ASTContext&) const {
  const auto* constant = std::get_if<sites::TunableConstant>(&site.detail);
  if (!constant) return std::nullopt;
  // A quarter to four times the value the authors chose.
  sites::ParamSpec value = constant->integer
                               ? int_param("value", std::max(1L, long(constant->value) / 4), long(constant->value) * 4,
                                           long(constant->value), "the new value")
                               : real_param("value", constant->value / 4, constant->value * 4, constant->value, "the new value");
  return sites::RewriteOption{name(), {value}, false, "changes the index"};
}

llvm::Expected<RewriteRule> ConstantTuning::rule(const sites::Site& site, const Params& params, ASTContext& context) const {
  const auto& constant = std::get<sites::TunableConstant>(site.detail);
  return rule_at(constant.literal, {changeTo(fixed(node_range(constant.literal->getSourceRange(), context)),
                                             cat(format_number(params.get("value"), constant.integer)))});
}

}  // namespace crinn::rewrite
