#include "Rewrite/EarlyTermination/EarlyTermination.h"

#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

#include "clang/AST/StmtCXX.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

std::optional<schema::RewriteOption> EarlyTermination::option_for(const sites::Site& site, ASTContext&) const {
  const auto* loop = std::get_if<sites::NeighborLoop>(&site.detail);
  if (!loop || !loop->beam_loop || !loop->result_push || !isa_and_nonnull<CompoundStmt>(beam_body(loop->beam_loop)))
    return std::nullopt;
  return schema::RewriteOption{name(),
                              {int_param("patience", 1, 256, 16, "consecutive expansions without progress"),
                               int_param("min_expansions", 0, 4096, 32, "expansions always made"),
                               int_param("min_inserts", 1, 16, 1,
                                         "new results an expansion must add to count as progress")},
                              false,
                              "may stop before the beam converges"};
}

llvm::Expected<RewriteRule> EarlyTermination::rule(const sites::Site& site, const Params& params,
                                                   ASTContext& context) const {
  const auto& loop = std::get<sites::NeighborLoop>(site.detail);
  const Stmt* push = statement_of(loop.result_push, context);
  if (!push) return llvm::createStringError(llvm::inconvertibleErrorCode(), "the result push is not a statement");
  const std::string indent = indentation(loop.beam_loop, context);
  // The watch counts an expansion's new results, not only whether there was
  // one, so that min_inserts > 1 stops when the beam only trickles in, as the
  // momentum rule of CRINN's published search does near convergence. Given
  // the result set, it also never stops one that may still be filling, which
  // would answer fewer than k.
  const std::string results = loop.result_set ? loop.result_set->getNameAsString() + ".size()" : "";
  const std::string watch = "crinn::runtime::StallWatch crinn_progress(" + std::to_string(params.get_int("patience")) +
                            ", " + std::to_string(params.get_int("min_expansions")) + ", " +
                            std::to_string(params.get_int("min_inserts")) + ");\n" + indent;
  return rule_at(loop.beam_loop,
                 {insertBefore(fixed(before(loop.beam_loop->getBeginLoc(), context)), cat(watch)),
                  insertBefore(fixed(after_open_brace(beam_body(loop.beam_loop), context)),
                               cat("\n" + indent + "  if (crinn_progress.stalled(" + results + ")) break;")),
                  insertAfter(fixed(after_statement(push, context)),
                              cat("\n" + indentation(push, context) + "crinn_progress.inserted();")),
                  addInclude("crinn/runtime/query_path.h", IncludeFormat::Angled)});
}

std::unique_ptr<Rewrite> make_EarlyTermination() { return std::make_unique<EarlyTermination>(); }

}  // namespace crinn::rewrite
