#include "Rewrite/QuantizedDistance/QuantizedDistance.h"

#include "Rewrite/QueryPathParts.h"
#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"
#include "Sites/BuildReach.h"

#include "Sites/SiteFinder.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/Basic/Builtins.h"
#include "clang/Lex/Lexer.h"

#include <map>

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

namespace {

// An index loop's element read from the induction variable and what is
// declared before the loop, so the same read can run ahead of it.
bool prefetchable_element(const sites::NeighborLoop& loop) {
  return loop.index && loop.element->getInit() && sites::references(loop.element->getInit(), loop.index) &&
         !sites::references_any_local_except(loop.element->getInit(), loop.loop, loop.index);
}

// A distance call of another method of the class, one the query path runs,
// that compares one of that method's parameters, in the query's place, with
// a stored vector read as the loop reads it (the greedy descent through the
// upper layers: the baseline's greedy_closest, hnswlib's searchKnn).
struct DescentCall {
  const CXXMethodDecl* method;
  const CallExpr* call;
  const Expr* node;            // whose vector it reads
  const CallExpr* read;        // the read of that vector
  const ParmVarDecl* query;
};

const CallExpr* single_argument_call(const Expr* e) {
  const auto* call = dyn_cast<CallExpr>(e->IgnoreParenImpCasts());
  return call && call->getNumArgs() == 1 ? call : nullptr;
}

std::vector<DescentCall> descent_calls(const sites::Site& site, const CXXMethodDecl* beam_method,
                                       ASTContext& context) {
  std::vector<DescentCall> found;
  const auto& loop = std::get<sites::NeighborLoop>(site.detail);
  const Expr* query = query_argument(loop);
  const CallExpr* accessor = single_argument_call(loop.vector_expr);
  if (!query || !accessor) return found;
  const CallExpr* distance = loop.distance_call;
  const unsigned query_at = distance->getArg(0) == query ? 0 : 1;
  const std::string callee = sites::source_text(distance->getCallee(), context);
  const std::string accessor_callee = sites::source_text(accessor->getCallee(), context);
  for (const CXXMethodDecl* declared : beam_method->getParent()->methods()) {
    const auto* method = dyn_cast_or_null<CXXMethodDecl>(declared->getDefinition());
    if (!method || !method->hasBody() || method->getCanonicalDecl() == beam_method->getCanonicalDecl() ||
        !site.query_path.count(sites::call_graph_name(method)))
      continue;
    sites::visit_exprs(method->getBody(), [&](const Expr* e) {
      const auto* call = dyn_cast<CallExpr>(e);
      if (!call || call->getNumArgs() != distance->getNumArgs() || sites::source_text(call->getCallee(), context) != callee)
        return;
      for (unsigned i = 2; i < call->getNumArgs(); ++i)
        if (sites::source_text(call->getArg(i), context) != sites::source_text(distance->getArg(i), context)) return;
      const auto* query_ref = dyn_cast<DeclRefExpr>(call->getArg(query_at)->IgnoreParenImpCasts());
      const auto* parameter = query_ref ? dyn_cast<ParmVarDecl>(query_ref->getDecl()) : nullptr;
      const CallExpr* read = single_argument_call(call->getArg(1 - query_at));
      if (parameter && read && sites::source_text(read->getCallee(), context) == accessor_callee)
        found.push_back({method, call, read->getArg(0), read, parameter});
    });
  }
  return found;
}

// The query as the codes take it: a float pointer (hnswlib's is const void*).
std::string float_pointer(const std::string& text, QualType type) {
  return type->isPointerType() && type->getPointeeType()->isFloatingType() ? text
                                                                             : "static_cast<const float*>(" + text + ")";
}

// Whether the codes can be made from the storage whole (its rows are known:
// a member of the loop's class read as `storage[node * stride]` or as rows of
// a byte blob); otherwise they are made as the search reaches nodes, through
// the neighbour's vector as the loop reads it.
bool rows_known(const sites::NeighborLoop& loop, const CXXMethodDecl* method, const ASTContext& context) {
  return loop.storage && method->getParent() == loop.storage->getParent() &&
         after_member_line(loop.storage, context).isValid();
}

// Where the codes member goes: after the storage, or after the class's last field.
CharSourceRange codes_member_at(const sites::NeighborLoop& loop, const CXXMethodDecl* method, const ASTContext& context) {
  if (rows_known(loop, method, context)) return after_member_line(loop.storage, context);
  const FieldDecl* last = nullptr;
  for (const FieldDecl* field : method->getParent()->fields()) last = field;
  return last ? after_member_line(last, context) : CharSourceRange();
}

// The code's own read prefetches of a neighbour's vector in the beam loop
// (hnswlib's `_mm_prefetch(<row of the next id> + offsetData_, _MM_HINT_T0)`)
// become prefetch_node of that node, which fetches the same line while the
// search reads vectors and the node's code while it reads codes: on codes,
// a prefetch of the vector only fills the line-fill buffers with lines the
// search never reads.
void redirect_own_prefetches(const sites::NeighborLoop& loop, const Stmt* scope, ASTContext& context,
                             llvm::SmallVector<ASTEdit, 1>& edits) {
  const SourceManager& sources = context.getSourceManager();
  sites::visit_exprs(loop.beam_loop, [&](const Expr* e) {
    const auto* call = dyn_cast<CallExpr>(e);
    if (!call || call->getBuiltinCallee() != Builtin::BI__builtin_prefetch || call->getNumArgs() < 1) return;
    auto constant = [&](unsigned i, int otherwise) {
      if (call->getNumArgs() <= i) return std::optional<int>(otherwise);
      std::optional<llvm::APSInt> value = call->getArg(i)->getIntegerConstantExpr(context);
      return value ? std::optional<int>(int(value->getExtValue())) : std::nullopt;
    };
    std::optional<int> write = constant(1, 0), locality = constant(2, 3);
    if (!write || *write != 0 || !locality) return;
    const Expr* address = call->getArg(0)->IgnoreParenCasts();
    const Expr* node = sites::node_of_vector_address(address, loop, scope);
    CharSourceRange address_range = node_range(address->getSourceRange(), context);
    if (!node || address_range.isInvalid() || node_range(node->getSourceRange(), context).isInvalid()) return;
    // The call as written: `__builtin_prefetch(...)`, or the whole invocation
    // of a macro that is only this call (`_mm_prefetch(a, hint)`).
    CharSourceRange whole = node_range(call->getSourceRange(), context);
    if (call->getBeginLoc().isMacroID()) {
      CharSourceRange first = sources.getExpansionRange(call->getBeginLoc());
      CharSourceRange last = sources.getExpansionRange(call->getEndLoc());
      if (first.getBegin() != last.getBegin() || first.getEnd() != last.getEnd()) return;
      whole = CharSourceRange::getCharRange(
          first.getBegin(), Lexer::getLocForEndOfToken(first.getEnd(), 0, sources, context.getLangOpts()));
    }
    if (whole.isInvalid() || sources.getFileID(whole.getBegin()) != sources.getFileID(address_range.getBegin())) return;
    edits.push_back(changeTo(fixed(CharSourceRange::getCharRange(whole.getBegin(), address_range.getBegin())),
                             cat("crinn::runtime::prefetch_node<1, " + std::to_string(*locality) + ">(" +
                                 sites::source_text(node, context) + ", ")));
    edits.push_back(changeTo(fixed(CharSourceRange::getCharRange(address_range.getEnd(), whole.getEnd())), cat(")")));
  });
}

// Vectors sampled on the exact path before codes are trained when the rows are not known.
constexpr int kReachedSample = 2000;

}  // namespace

std::optional<schema::RewriteOption> QuantizedDistance::option_for(const sites::Site& site, ASTContext& context) const {
  const auto* loop = std::get_if<sites::NeighborLoop>(&site.detail);
  if (!loop || !loop->beam_loop || !loop->vector_expr || site.query_entry.empty() || !query_argument(*loop))
    return std::nullopt;
  const CXXMethodDecl* method = method_of(*loop, context);
  if (!method || codes_member_at(*loop, method, context).isInvalid()) return std::nullopt;
  const bool rows = rows_known(*loop, method, context);
  // The codes are trained against the distance between two vectors.
  if (!VectorDistance::of(*loop, context)) return std::nullopt;
  // Without a result set whose entries it can read (NSG's pool member with
  // its own length), the answers stay ordered by code distances.
  const bool can_rerank = loop->result_set && entry_fields(*loop);
  schema::ParamRange bits = int_param("bits", 4, 8, 8, "bits per dimension of the codes");
  bits.choices = {4, 8};
  // Codes trained on fewer than some hundreds of vectors miss the data's
  // range, and a switch past the dataset's size would only cost a rebuild:
  // a few sizes a decade apart.
  schema::ParamRange build = int_param("build", 0, 50000, 0,
                                     "0: the build keeps exact distances; n: it searches on codes once "
                                     "n vectors are in, trained on those");
  build.choices = {0, 500, 5000, 50000};
  schema::RewriteOption option{name(),
                              {bits, int_param("prefetch", 0, 13, 0,
                                               "cache lines of every neighbour's code prefetched before the loop "
                                               "(0: none)")},
                              false,
                              can_rerank ? "distances on quantized codes: the beam may visit other nodes"
                                         : "distances on quantized codes: the beam may visit other nodes, and the "
                                           "answers are ordered by code distances (no result set to re-rank)"};
  if (can_rerank) {
    option.params.insert(option.params.begin() + 1, int_param("rerank", 0, 512, 16,
                                                              "best candidates re-ranked with exact distances (0: all; "
                                                              "GLASS re-ranks 1.5 x k)"));
    schema::ParamRange ahead = int_param("rerank_ahead", 0, 4, 0,
                                         "re-ranked candidates whose whole vector is prefetched before their exact "
                                         "distance is computed (0: none)");
    ahead.choices = {0, 1, 2, 4};
    option.params.insert(option.params.begin() + 2, ahead);
    schema::ParamRange adaptive = int_param("rerank_adaptive", 0, 2, 0,
                                            "0: re-rank `rerank` candidates; 1 or 2: at least max(rerank, rerank_k), "
                                            "then each whose code distance is within the codes' error (its 99th or "
                                            "99.9th percentile, learned as queries come in) of the k-th exact one");
    option.params.insert(option.params.begin() + 3, adaptive);
    option.params.insert(option.params.begin() + 4,
                         int_param("rerank_k", 1, 100, 10, "the nearest results an adaptive re-rank keeps exact"));
    // An FP16 copy is made from the rows, so only where they are known whole.
    if (rows) {
      schema::ParamRange precision = int_param("rerank_precision", 16, 32, 32,
                                               "32: re-rank with the index's own distance on its floats; 16: on an "
                                               "FP16 copy of the rows (half the bytes read)");
      precision.choices = {16, 32};
      option.params.insert(option.params.begin() + 5, precision);
    }
  }
  option.params.push_back(huge_pages_param("codes"));
  option.changes_build = false;
  if (!descent_calls(site, method, context).empty())
    option.params.push_back(int_param("descent", 0, 1, 0,
                                      "1: the greedy descent through the upper layers computes on the codes too"));
  // Only a loop the build reaches through a known entry can search on codes
  // during the build (hnswlib's query loop is not the build's), and only on
  // rows it can encode as they are added.
  if (!site.build_entry.empty() && rows) {
    option.params.push_back(build);
    option.build_switch = "build";
  }
  return option;
}

llvm::Expected<RewriteRule> QuantizedDistance::rule(const sites::Site& site, const Params& params,
                                                    ASTContext& context) const {
  const auto& loop = std::get<sites::NeighborLoop>(site.detail);
  const CXXMethodDecl* method = method_of(loop, context);
  auto entry = query_entry_of(site, method, context);
  if (!entry) return entry.takeError();

  const std::string codes = "crinn_codes_";  // the member beside the storage
  const std::string coded = "crinn_coded";   // in the loop's method: this query runs on codes
  const std::string type = "crinn::runtime::QuantizedCodes<" + std::to_string(params.get_int("bits")) + ">";
  const Expr* query_expr = query_argument(loop);
  const std::string query = sites::source_text(query_expr, context);
  const std::string float_query = float_pointer(query, query_expr->IgnoreParenImpCasts()->getType());
  const std::string body_indent = indentation(loop.beam_loop, context);

  // The rows: `first vector, how many, floats per vector[, floats per row]`.
  const bool whole = rows_known(loop, method, context);
  const std::string storage = whole ? loop.storage->getNameAsString() : "";
  const std::string stride = whole ? sites::source_text(loop.stride, context) : "";
  std::string rows = storage + ".data(), " + storage + ".size() / (" + stride + "), " + stride;
  if (whole && loop.offset)
    rows = "reinterpret_cast<const float*>(" + storage + " + " + sites::source_text(loop.offset, context) + "), " +
           sites::source_text(loop.count, context) + ", (" + sites::source_text(loop.row_bytes, context) + ") / sizeof(float), (" +
           stride + ") / sizeof(float)";
  const std::optional<VectorDistance> vectors = VectorDistance::of(loop, context);
  const std::string member =
      "\n  // SQ codes of " + (whole ? storage : "the vectors") + ", read by the search loop on the query path.\n  mutable " +
      type + " " + codes + ";";
  // The codes from the rows (trained once `min_train` are stored), or made
  // as the search reaches nodes (trained on a sample of them).
  const bool half_rows = params.values().count("rerank_precision") && params.get_int("rerank_precision") == 16;
  // What the codes keep, said before the scope first syncs them.
  const std::string keeping =
      (params.values().count("huge_pages") && params.get_int("huge_pages") ? "\n  " + codes + ".use_huge_pages();" : "") +
      (half_rows ? "\n  " + codes + ".use_half_rows();" : "");
  auto scope = [&](const std::string& name, int min_train) {
    return keeping + "\n  crinn::runtime::QuantizedScope<" + std::to_string(params.get_int("bits")) + "> " + name + "(" + codes +
           ", " + (whole ? rows + ", " + std::to_string(min_train) : std::to_string(kReachedSample)) +
           ", [&](const float* crinn_a, const float* crinn_b) { return " + vectors->between("crinn_a", "crinn_b") +
           "; });";
  };
  const std::string begin = "\n  const bool " + coded + " = " + codes + ".begin_query(" + float_query + ");";
  const std::optional<EntryFields> fields = entry_fields(loop);
  // A (distance, id) pair's parts are rerank's default; other entries name theirs.
  const bool pair = fields && fields->distance == "first" && fields->id == "second";
  const std::string projections = !fields || pair ? "" :
      ", [](auto& crinn_entry) -> auto& { return crinn_entry." + fields->distance +
      "; }, [](const auto& crinn_entry) { return crinn_entry." + fields->id + "; }";
  // What re-ranking reads: the index's vector and distance, or the FP16 row.
  const std::string reranked_vector = half_rows ? codes + ".half_row(crinn_id)" : vector_text(loop, "crinn_id", context);
  std::string exact = "[&](auto crinn_id) { return " +
                      (half_rows ? codes + ".half_distance(crinn_id)" : distance_text(loop, query, reranked_vector, context)) +
                      "; }";
  if (const long ahead = params.values().count("rerank_ahead") ? params.get_int("rerank_ahead") : 0)
    exact = "crinn::runtime::prefetched_exact(" + std::to_string(ahead) + ", " + codes + ".dimension() * sizeof(" +
            (half_rows ? "_Float16" : "float") + "), [&](auto crinn_id) -> decltype(auto) { return " + reranked_vector +
            "; }, " + exact + ")";
  // The re-rank, where the result set's entries can be read (the option
  // then has `rerank`). An adaptive depth widens past `rerank` (0, all,
  // leaves nothing to widen).
  std::string rerank;
  if (loop.result_set && fields) {
    const long adaptive = params.values().count("rerank_adaptive") ? params.get_int("rerank_adaptive") : 0;
    const bool widening = adaptive > 0 && params.get_int("rerank") > 0;
    const std::string depth = std::to_string(params.get_int("rerank")) +
                              (widening ? ", " + std::to_string(params.get_int("rerank_k")) + ", " +
                                              (adaptive == 1 ? "0.99" : "0.999")
                                        : "");
    rerank = "\n" + body_indent + "if (" + coded + ")\n" + body_indent + "  crinn::runtime::" +
             (widening ? "rerank_widening(" : "rerank(") + loop.result_set->getNameAsString() + ", " + depth + ", " +
             exact + projections + ");";
  }
  // The distance on codes; where codes are made as nodes are reached, from
  // the node's vector, whose exact distances train them first.
  auto on_codes = [&](const CallExpr* call, const std::string& node, const std::string& vector) {
    const std::string exact = sites::source_text(call, context);
    return changeTo(fixed(node_range(call->getSourceRange(), context)),
                    cat("(" + coded + " ? " + codes + ".distance(" + node + (whole ? "" : ", " + vector) + ") : " +
                        (whole ? exact : codes + ".observe(" + node + ", " + vector + ", " + exact + ")") + ")"));
  };
  CharSourceRange member_at = codes_member_at(loop, method, context);
  llvm::SmallVector<ASTEdit, 1> edits = {insertAfter(fixed(member_at), cat(member)),
                                         addInclude(fixed(member_at), "crinn/runtime/quantized.h", IncludeFormat::Angled),
                                         on_codes(loop.distance_call, loop.element->getNameAsString(),
                                                  vectors->vector_of(loop.element->getNameAsString()))};
  if (!rerank.empty()) edits.push_back(insertAfter(fixed(after_statement(loop.beam_loop, context)), cat(rerank)));
  redirect_own_prefetches(loop, method->getBody(), context, edits);

  // What goes at the top of each method: the scope at the query path's entry
  // (where that is the loop's method itself, hnswlib's searchBaseLayerST,
  // before the query is prepared), then the query's code where distances are
  // computed on codes.
  std::map<const FunctionDecl*, std::string> prologues;
  prologues[(*entry)->getCanonicalDecl()] = scope("crinn_quantized", 1);
  prologues[method->getCanonicalDecl()] += begin;
  if (params.values().count("descent") && params.get_int("descent"))
    for (const DescentCall& descent : descent_calls(site, method, context)) {
      std::string& prologue = prologues[descent.method->getCanonicalDecl()];
      // A method that runs before the entry (hnswlib's searchKnn calls its
      // searchBaseLayerST) opens a scope of its own.
      if (prologue.empty() && site.before_query_entry.count(sites::call_graph_name(descent.method)))
        prologue = scope("crinn_quantized", 1);
      const std::string start = "\n  const bool " + coded + " = " + codes + ".begin_query(" +
                                float_pointer(descent.query->getNameAsString(), descent.query->getType()) + ");";
      if (prologue.find(start) == std::string::npos) prologue += start;
      edits.push_back(on_codes(descent.call, sites::source_text(descent.node, context),
                               sites::source_text(descent.read, context)));
    }
  for (const auto& [function, prologue] : prologues)
    edits.push_back(insertBefore(fixed(after_open_brace(function->getDefinition()->getBody(), context)), cat(prologue)));
  // The build's own scope trains on the first `build` vectors and encodes
  // each later one as it is added.
  if (params.values().count("build") && params.get_int("build")) {
    auto build_entry = entry_method(site.build_entry, method, context);
    if (!build_entry) return build_entry.takeError();
    edits.push_back(
        insertBefore(fixed(after_open_brace((*build_entry)->getBody(), context)), cat(scope("crinn_quantized_build", int(params.get_int("build"))))));
  }
  // Before the loop walks the list, every neighbour's code is asked for, so
  // the misses overlap instead of coming one distance at a time: a range-for
  // walks the same list; an index loop repeats its header and reads the
  // element as the body does (hnswlib's `int candidate_id = *(data + j);`).
  if (params.get_int("prefetch") == 0) return rule_at(loop.loop, std::move(edits));
  const std::string lines = std::to_string(params.get_int("prefetch"));
  std::string walk;
  if (loop.range)
    walk = "for (auto&& crinn_next : " + sites::source_text(loop.range, context) + ") " + codes + ".prefetch(crinn_next, " +
           lines + ");";
  else if (const auto* index_loop = dyn_cast<ForStmt>(loop.loop); index_loop && prefetchable_element(loop))
    walk = sites::source_text(SourceRange(index_loop->getBeginLoc(), index_loop->getRParenLoc()), context) + " " + codes +
           ".prefetch(" + sites::source_text(loop.element->getInit(), context) + ", " + lines + ");";
  if (!walk.empty())
    edits.push_back(insertBefore(fixed(before(loop.loop->getBeginLoc(), context)),
                                 cat("if (" + coded + ")\n" + indentation(loop.loop, context) + "  " + walk + "\n" +
                                     indentation(loop.loop, context))));
  return rule_at(loop.loop, std::move(edits));
}

std::unique_ptr<Rewrite> make_QuantizedDistance() { return std::make_unique<QuantizedDistance>(); }

}  // namespace crinn::rewrite
