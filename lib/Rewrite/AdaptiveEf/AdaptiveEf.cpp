#include "Rewrite/AdaptiveEf/AdaptiveEf.h"

#include "Rewrite/QueryPathParts.h"
#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

#include "clang/AST/StmtCXX.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

std::optional<schema::RewriteOption> AdaptiveEf::option_for(const sites::Site& site, ASTContext& context) const {
  const auto* loop = std::get_if<sites::NeighborLoop>(&site.detail);
  if (!loop || !loop->beam_loop || !loop->result_push || !loop->result_set || loop->result_push->getNumArgs() != 2 ||
      site.query_entry.empty() || !method_of(*loop, context) || !isa_and_nonnull<CompoundStmt>(beam_body(loop->beam_loop)))
    return std::nullopt;
  schema::RewriteOption option{name(),
                              {int_param("k", 1, 100, 10, "the best results watched"),
                               real_param("window", 0.05, 4.0, 1.0,
                                          "expansions without a change that end the search, per result held")},
                              false,
                              "may stop before the beam converges"};
  option.changes_build = false;
  return option;
}

llvm::Expected<RewriteRule> AdaptiveEf::rule(const sites::Site& site, const Params& params, ASTContext& context) const {
  const auto& loop = std::get<sites::NeighborLoop>(site.detail);
  auto entry = query_entry_of(site, method_of(loop, context), context);
  if (!entry) return entry.takeError();
  const Stmt* push = statement_of(loop.result_push, context);
  if (!push) return llvm::createStringError(llvm::inconvertibleErrorCode(), "the result push is not a statement");
  const std::string indent = indentation(loop.beam_loop, context);
  const std::string results = loop.result_set->getNameAsString();
  const std::string check = "\n" + indent + "  if (crinn::runtime::on_query_path() && crinn_watch.converged(std::size_t(" +
                            format_number(params.get("window"), false) + " * " + results + ".size()), " + results +
                            ".size())) break;";
  return rule_at(
      loop.beam_loop,
      {insertBefore(fixed(after_open_brace((*entry)->getBody(), context)),
                    cat("\n  crinn::runtime::QueryPathScope crinn_query_path_adaptive_ef;")),
       insertBefore(fixed(before(loop.beam_loop->getBeginLoc(), context)),
                    cat("crinn::runtime::BestKWatch crinn_watch(" + std::to_string(params.get_int("k")) + ");\n" + indent)),
       insertBefore(fixed(after_open_brace(beam_body(loop.beam_loop), context)), cat(check)),
       insertAfter(fixed(after_statement(push, context)),
                   cat("\n" + indentation(push, context) + "crinn_watch.offer(" +
                       sites::source_text(loop.result_push->getArg(0), context) + ");")),
       addInclude("crinn/runtime/query_path.h", IncludeFormat::Angled)});
}

std::unique_ptr<Rewrite> make_AdaptiveEf() { return std::make_unique<AdaptiveEf>(); }

}  // namespace crinn::rewrite
