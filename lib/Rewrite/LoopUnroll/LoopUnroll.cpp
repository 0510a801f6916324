#include "Rewrite/LoopUnroll/LoopUnroll.h"

#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

std::optional<schema::RewriteOption> LoopUnroll::option_for(const sites::Site& site, ASTContext&) const {
  if (!std::holds_alternative<sites::DistanceKernel>(site.detail)) return std::nullopt;
  return schema::RewriteOption{
      name(),
      {int_param("unroll", 1, 16, 4, "#pragma GCC unroll factor (1: no hint)"),
       int_param("accumulators", 1, 8, 1, "independent partial sums of the reduction")},
      false,
      "float reassociation when accumulators > 1",
      true};
}

llvm::Expected<RewriteRule> LoopUnroll::rule(const sites::Site& site, const Params& params, ASTContext& context) const {
  const auto& kernel = std::get<sites::DistanceKernel>(site.detail);
  const auto* loop = cast<ForStmt>(kernel.loop);
  const long unroll = params.get_int("unroll");
  const long accumulators = params.get_int("accumulators");
  const std::string indent = indentation(loop, context);
  const std::string pragma = unroll > 1 ? "#pragma GCC unroll " + std::to_string(unroll) + "\n" : "";
  const std::string inner = indent + "  ";

  if (accumulators == 1) {
    if (pragma.empty()) return rule_at(loop, {});
    // The hint belongs to the loop: it replaces the `for` keyword, so that any
    // other edit of this loop is a conflict rather than a stray pragma.
    SourceLocation keyword = context.getSourceManager().getExpansionLoc(loop->getForLoc());
    return rule_at(loop, {changeTo(fixed(CharSourceRange::getTokenRange(keyword, keyword)), cat(pragma + indent + "for"))});
  }

  // A body that is one statement is taken with its ';'.
  auto body_text = [&](const std::map<const VarDecl*, std::string>& renames) -> llvm::Expected<std::string> {
    const Stmt* body = loop->getBody();
    auto text = substitute(body, context, renames);
    if (!text || isa<CompoundStmt>(body)) return text;
    return "{ " + *text + "; }";
  };

  // for (init; i < n; ++i) body  becomes a loop over blocks of `accumulators`
  // iterations, each lane summing into its own accumulator, then the tail.
  const std::string i = kernel.induction->getNameAsString();
  const std::string acc = kernel.accumulator->getNameAsString();
  const std::string bound = sites::source_text(kernel.bound, context);
  std::string lanes, sum;
  for (long lane = 0; lane < accumulators; ++lane) {
    std::map<const VarDecl*, std::string> renames;
    if (lane > 0) {
      renames[kernel.accumulator] = "crinn_acc" + std::to_string(lane);
      renames[kernel.induction] = i + " + " + std::to_string(lane);
      sum += " + crinn_acc" + std::to_string(lane);
    }
    auto body = body_text(renames);
    if (!body) return body.takeError();
    lanes += inner + "  " + *body + "\n";
  }
  auto tail = body_text({});
  if (!tail) return tail.takeError();
  std::string type = kernel.accumulator->getType().getNonReferenceType().getUnqualifiedType().getAsString();
  std::string declarations;
  for (long lane = 1; lane < accumulators; ++lane)
    declarations += (lane > 1 ? ", crinn_acc" : "crinn_acc") + std::to_string(lane) + " = 0";
  std::string init = sites::source_text(loop->getInit(), context);
  if (init.empty() || init.back() != ';') init += ";";
  std::string text = "{\n" + inner + type + " " + declarations + ";\n" + inner + init + "\n" + (pragma.empty() ? "" : pragma + inner) +
                     "for (; " + i + " + " + std::to_string(accumulators - 1) + " < " + bound + "; " + i +
                     " += " + std::to_string(accumulators) + ") {\n" + lanes + inner + "}\n" + inner + "for (; " + i +
                     " < " + bound + "; ++" + i + ") " + *tail + "\n" + inner + acc + " +=" + sum.substr(2) + ";\n" +
                     indent + "}";
  return rule_at(loop, {changeTo(fixed(statement_range(loop, context)), cat(text))});
}

std::unique_ptr<Rewrite> make_LoopUnroll() { return std::make_unique<LoopUnroll>(); }

}  // namespace crinn::rewrite
