#include "Rewrite/SimdDistance/SimdDistance.h"

#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

#include "clang/Basic/SourceManager.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

namespace {
// A pointer-walking loop leaves its pointers advanced; the call does not, so
// the pointers must not be read after the loop.
bool pointers_dead_after(const sites::DistanceKernel& kernel, ASTContext& context) {
  if (kernel.indexed) return true;
  const FunctionDecl* function = sites::enclosing_function(kernel.loop, context);
  if (!function || !function->getBody()) return false;
  const SourceManager& sources = context.getSourceManager();
  SourceLocation loop_end = kernel.loop->getEndLoc();
  bool read_after = false;
  for (const Expr* base : {kernel.left_base, kernel.right_base}) {
    const VarDecl* pointer = sites::referenced_var(base);
    sites::visit_exprs(function->getBody(), [&](const Expr* e) {
      const auto* ref = dyn_cast<DeclRefExpr>(e);
      if (ref && ref->getDecl() == pointer && sources.isBeforeInTranslationUnit(loop_end, ref->getBeginLoc()))
        read_after = true;
    });
  }
  return !read_after;
}
}  // namespace

std::optional<schema::RewriteOption> SimdDistance::option_for(const sites::Site& site, ASTContext& context) const {
  const auto* kernel = std::get_if<sites::DistanceKernel>(&site.detail);
  if (!kernel || !pointers_dead_after(*kernel, context)) return std::nullopt;
  schema::ParamRange width = int_param("width", 0, 512, 512, "widest SIMD used: 512 (AVX-512), 256 (AVX2), 0 (scalar)");
  width.choices = {0, 256, 512};
  return schema::RewriteOption{name(), {width}, false, "float reassociation", true};
}

llvm::Expected<RewriteRule> SimdDistance::rule(const sites::Site& site, const Params& params, ASTContext& context) const {
  const auto& kernel = std::get<sites::DistanceKernel>(site.detail);
  const char* function = kernel.reduction == sites::DistanceKernel::Reduction::SquaredL2 ? "l2_squared" : "dot";
  std::string call = kernel.accumulator->getNameAsString() + " += crinn::runtime::" + function + "<" +
                     std::to_string(params.get_int("width")) + ">(" + sites::source_text(kernel.left_base, context) +
                     ", " + sites::source_text(kernel.right_base, context) + ", static_cast<std::size_t>(" +
                     sites::source_text(kernel.bound, context) + "));";
  return rule_at(kernel.loop, {changeTo(fixed(node_range(kernel.loop->getSourceRange(), context)), cat(call)),
                               addInclude("crinn/runtime/distance.h", IncludeFormat::Angled)});
}

std::unique_ptr<Rewrite> make_SimdDistance() { return std::make_unique<SimdDistance>(); }

}  // namespace crinn::rewrite
