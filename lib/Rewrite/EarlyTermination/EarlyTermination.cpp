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
  const std::string inner = indent + "  ";
  // Counting an expansion's new results, not only whether there was one,
  // lets min_inserts > 1 stop when the beam only trickles in, as the
  // momentum rule of CRINN's published search does near convergence. While
  // the result set still grows it is filling, and a stop there would answer
  // fewer than k: growth is progress too.
  const long min_inserts = params.get_int("min_inserts");
  const std::string results = loop.result_set ? loop.result_set->getNameAsString() : "";
  const bool watch_growth = min_inserts > 1 && !results.empty();
  std::string check = "\n" + inner + "if (crinn_expansions++ > 0) {\n" + inner +
                      "  crinn_stale = crinn_inserted >= " + std::to_string(min_inserts) +
                      (watch_growth ? " || " + results + ".size() > crinn_held" : "") + " ? 0 : crinn_stale + 1;\n" +
                      inner + "  if (crinn_stale >= " + std::to_string(params.get_int("patience")) +
                      " && crinn_expansions > " + std::to_string(params.get_int("min_expansions")) + ") break;\n" +
                      inner + "}\n" + inner + "crinn_inserted = 0;" +
                      (watch_growth ? "\n" + inner + "crinn_held = " + results + ".size();" : "");
  const std::string counters = std::string("int crinn_stale = 0, crinn_expansions = 0, crinn_inserted = 0;\n") +
                               (watch_growth ? indent + "std::size_t crinn_held = 0;\n" : "");
  return rule_at(loop.beam_loop,
                 {insertBefore(fixed(before(loop.beam_loop->getBeginLoc(), context)), cat(counters + indent)),
                  insertBefore(fixed(after_open_brace(beam_body(loop.beam_loop), context)), cat(check)),
                  insertAfter(fixed(after_statement(push, context)),
                              cat("\n" + indentation(push, context) + "++crinn_inserted;"))});
}

std::unique_ptr<Rewrite> make_EarlyTermination() { return std::make_unique<EarlyTermination>(); }

}  // namespace crinn::rewrite
