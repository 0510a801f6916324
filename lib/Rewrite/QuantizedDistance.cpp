#include "Rewrite/QuantizedDistance.h"

#include "Rewrite/QueryPathParts.h"
#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

#include "clang/AST/DeclCXX.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

std::optional<sites::RewriteOption> QuantizedDistance::option_for(const sites::Site& site, ASTContext& context) const {
  const auto* loop = std::get_if<sites::NeighborLoop>(&site.detail);
  if (!loop || !loop->beam_loop || !loop->result_set || !loop->storage || site.query_entry.empty() ||
      !query_argument(*loop))
    return std::nullopt;
  const CXXMethodDecl* method = method_of(*loop, context);
  if (!method || method->getParent() != loop->storage->getParent() || after_member_line(loop->storage, context).isInvalid())
    return std::nullopt;
  sites::ParamSpec bits = int_param("bits", 4, 8, 8, "bits per dimension of the codes");
  bits.choices = {4, 8};
  sites::RewriteOption option{name(),
                              {bits,
                               int_param("rerank", 0, 512, 16,
                                         "best candidates re-ranked with exact distances (0: all; "
                                         "GLASS re-ranks 1.5 x k)"),
                               int_param("prefetch", 0, 13, 0,
                                         "cache lines of every neighbour's code prefetched before the loop "
                                         "(range-for loops; 0: none)")},
                              false,
                              "distances on quantized codes: the beam may visit other nodes"};
  option.changes_build = false;
  return option;
}

llvm::Expected<RewriteRule> QuantizedDistance::rule(const sites::Site& site, const Params& params,
                                                    ASTContext& context) const {
  const auto& loop = std::get<sites::NeighborLoop>(site.detail);
  const CXXMethodDecl* method = method_of(loop, context);
  auto entry = query_entry_of(site, method, context);
  if (!entry) return entry.takeError();

  const std::string codes = "crinn_codes_";
  const std::string type = "crinn::runtime::QuantizedCodes<" + std::to_string(params.get_int("bits")) + ">";
  const std::string storage = loop.storage->getNameAsString();
  const std::string stride = sites::source_text(loop.stride, context);
  const std::string query = sites::source_text(query_argument(loop), context);
  const std::string body_indent = indentation(loop.beam_loop, context);

  const std::string member = "\n  // SQ codes of " + storage + ", read by the search loop on the query path.\n  mutable " +
                             type + " " + codes + ";";
  const std::string scope = "\n  crinn::runtime::QuantizedScope<" + std::to_string(params.get_int("bits")) +
                            "> crinn_quantized(" + codes + ", " + storage + ".data(), " + storage + ".size() / (" +
                            stride + "), " + stride + ", 1, [&](const float* crinn_a, const float* crinn_b) { return " +
                            distance_text(loop, "crinn_a", "crinn_b", context) + "; });";
  const std::string begin = "\n  const bool crinn_coded = " + codes + ".begin_query(" + query + ");";
  const std::string rerank = "\n" + body_indent + "if (crinn_coded)\n" + body_indent + "  crinn::runtime::rerank(" +
                             loop.result_set->getNameAsString() + ", " + std::to_string(params.get_int("rerank")) +
                             ", [&](auto crinn_id) { return " + distance_text(loop, query, vector_text(loop, "crinn_id", context), context) + "; });";

  // Before the loop walks the list, every neighbour's code is asked for, so
  // the misses overlap instead of coming one distance at a time.
  std::string prefetch;
  if (long lines = params.get_int("prefetch"); lines > 0 && loop.range)
    prefetch = "if (crinn_coded)\n" + indentation(loop.loop, context) + "  for (auto&& crinn_next : " +
               sites::source_text(loop.range, context) + ") " + codes + ".prefetch(crinn_next, " +
               std::to_string(lines) + ");\n" + indentation(loop.loop, context);
  CharSourceRange member_at = after_member_line(loop.storage, context);
  return rule_at(
      loop.loop,
      {insertAfter(fixed(member_at), cat(member)),
       addInclude(fixed(member_at), "crinn/runtime/quantized.h",
                  IncludeFormat::Angled),
       insertBefore(fixed(after_open_brace((*entry)->getBody(), context)), cat(scope)),
       insertBefore(fixed(after_open_brace(method->getBody(), context)), cat(begin)),
       changeTo(fixed(node_range(loop.distance_call->getSourceRange(), context)),
                cat("(crinn_coded ? " + codes + ".distance(" + loop.element->getNameAsString() + ") : " +
                    sites::source_text(loop.distance_call, context) + ")")),
       insertAfter(fixed(after_statement(loop.beam_loop, context)), cat(rerank)),
       insertBefore(fixed(before(loop.loop->getBeginLoc(), context)), cat(prefetch))});
}

}  // namespace crinn::rewrite
