#include "Rewrite/PrefetchInsertion/PrefetchInsertion.h"

#include "Rewrite/QueryPathParts.h"
#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"

namespace crinn::rewrite {

using namespace clang;
using namespace clang::transformer;

namespace {

// The query entry whose queries time the calibration, if the site has one
// in the class of the loop's method.
const FunctionDecl* calibration_entry(const sites::Site& site, const sites::NeighborLoop& loop, ASTContext& context) {
  const CXXMethodDecl* method = method_of(loop, context);
  if (!method || site.query_entry.empty()) return nullptr;
  auto entry = query_entry_of(site, method, context);
  if (!entry) {
    llvm::consumeError(entry.takeError());
    return nullptr;
  }
  return *entry;
}

// The value an index loop starts from, when it is written in the loop's own
// initialiser and reading it again has no side effects.
const Expr* start_value(const ForStmt& loop, const VarDecl* index, ASTContext& context) {
  const Expr* start = nullptr;
  if (const auto* declaration = dyn_cast_or_null<DeclStmt>(loop.getInit())) {
    if (declaration->isSingleDecl() && declaration->getSingleDecl() == index) start = index->getInit();
  } else if (const auto* assignment = dyn_cast_or_null<BinaryOperator>(loop.getInit())) {
    const auto* assigned = dyn_cast<DeclRefExpr>(assignment->getLHS()->IgnoreParenImpCasts());
    if (assignment->getOpcode() == BO_Assign && assigned && assigned->getDecl() == index) start = assignment->getRHS();
  }
  if (!start || start->HasSideEffects(context)) return nullptr;
  return start->IgnoreImplicit();
}

}  // namespace

std::optional<schema::RewriteOption> PrefetchInsertion::option_for(const sites::Site& site, ASTContext& context) const {
  const auto* loop = std::get_if<sites::NeighborLoop>(&site.detail);
  if (!loop || !reads_vector_address(*loop)) return std::nullopt;
  const Stmt* body = isa<CXXForRangeStmt>(loop->loop) ? cast<CXXForRangeStmt>(loop->loop)->getBody()
                                                      : cast<ForStmt>(loop->loop)->getBody();
  if (!isa<CompoundStmt>(body)) return std::nullopt;
  schema::RewriteOption option{name(), {}, true, ""};
  option.params = {int_param("distance", 1, 16, 2, "neighbours ahead whose vector is prefetched"),
                   vector_lines_param("lines", 1, 64, 4, "64-byte cache lines prefetched per vector"),
                   int_param("locality", 0, 3, 3, "temporal locality hint of __builtin_prefetch")};
  if (loop->range && loop->candidate_push && loop->expanded_node)
    option.params.push_back(int_param("adjacency", 0, 1, 0, "1: prefetch a node's adjacency list as it enters the candidate pool"));
  if (calibration_entry(site, *loop, context))
    option.params.push_back(int_param("calibrate", 0, 1, 0,
                                      "1: the first queries time distance and lines halved, as planned and doubled, "
                                      "and keep the fastest"));
  return option;
}

llvm::Expected<RewriteRule> PrefetchInsertion::rule(const sites::Site& site, const Params& params,
                                                    ASTContext& context) const {
  const auto& loop = std::get<sites::NeighborLoop>(site.detail);
  const bool calibrated = params.values().count("calibrate") && params.get_int("calibrate");
  const std::string lines = std::to_string(params.get_int("lines"));
  const std::string locality = std::to_string(params.get_int("locality"));
  // Calibrated, the distance and lines are the shape the run time chose.
  const std::string distance = calibrated ? "crinn_prefetch_shape.distance" : std::to_string(params.get_int("distance"));
  const std::string indent = indentation(loop.loop, context) + "  ";
  // The runtime fetches what the query reads of the neighbour ahead: its
  // vector, or its code where quantized-distance runs the query on codes.
  auto prefetch_call = [&](const std::string& element, const std::string& vector) {
    return calibrated ? "crinn::runtime::prefetch_node_lines<" + locality + ">(" + element + ", " + vector +
                            ", crinn_prefetch_shape.lines);"
                      : "crinn::runtime::prefetch_node<" + lines + ", " + locality + ">(" + element + ", " + vector + ");";
  };
  llvm::SmallVector<ASTEdit, 1> edits;

  if (const auto* range_for = dyn_cast<CXXForRangeStmt>(loop.loop)) {
    // for (T x : list) { body }  becomes
    // for (auto crinn_it = indexed(list); crinn_it.valid(); crinn_it.next()) { T x = crinn_it.get(); prefetch; body }
    // leaving the text of `list` itself alone, for other rewrites to edit.
    CharSourceRange list = node_range(loop.range->getSourceRange(), context);
    SourceLocation for_begin = context.getSourceManager().getExpansionLoc(range_for->getBeginLoc());
    SourceLocation rparen_end = context.getSourceManager().getExpansionLoc(range_for->getRParenLoc()).getLocWithOffset(1);
    edits.push_back(changeTo(fixed(CharSourceRange::getCharRange(for_begin, list.getBegin())),
                             cat("for (auto crinn_it = crinn::runtime::indexed(")));
    edits.push_back(changeTo(fixed(CharSourceRange::getCharRange(list.getEnd(), rparen_end)),
                             cat("); crinn_it.valid(); crinn_it.next())")));
    // The walk hands each element to fetch: the one `distance` ahead, and at
    // the list's start the first `distance` too.
    auto ahead = substitute(loop.vector_expr, context, {{loop.element, "crinn_ahead"}});
    if (!ahead) return ahead.takeError();
    std::string element = declaration_text(loop.element, context);
    edits.push_back(insertBefore(fixed(after_open_brace(range_for->getBody(), context)),
                                 cat("\n" + indent + element + " = crinn_it.get();\n" + indent + "crinn_it.prefetch_ahead(" +
                                     distance + ", [&](const auto& crinn_ahead) { " +
                                     prefetch_call("crinn_ahead", *ahead) + " });")));
    if (params.values().count("adjacency") && params.get_int("adjacency")) {
      // The list of the node entering the pool: the adjacency expression with
      // the expanded node replaced by the neighbour.
      const SourceManager& sources = context.getSourceManager();
      std::string list_text = sites::source_text(loop.range, context);
      CharSourceRange node = node_range(loop.expanded_node->getSourceRange(), context);
      unsigned offset = sources.getFileOffset(node.getBegin()) - sources.getFileOffset(list.getBegin());
      unsigned length = sources.getFileOffset(node.getEnd()) - sources.getFileOffset(node.getBegin());
      list_text.replace(offset, length, loop.element->getNameAsString());
      const Stmt* push = statement_of(loop.candidate_push, context);
      if (!push) return llvm::createStringError(llvm::inconvertibleErrorCode(), "the candidate push is not a statement");
      edits.push_back(insertAfter(fixed(after_statement(push, context)),
                                  cat("\n" + indentation(push, context) + "crinn::runtime::prefetch_lines<1, " +
                                      std::to_string(params.get_int("locality")) + ">((" + list_text + ").data());")));
    }
  } else {
    // An index loop: look at the element `distance` positions ahead through
    // the element's own initialiser, guarded by the loop's own condition.
    const auto* for_loop = cast<ForStmt>(loop.loop);
    std::string shifted_index = loop.index->getNameAsString() + " + " + distance;
    auto element = substitute(loop.element->getInit(), context, {{loop.index, shifted_index}});
    auto condition = substitute(for_loop->getCond(), context, {{loop.index, shifted_index}});
    if (!element) return element.takeError();
    if (!condition) return condition.takeError();
    auto ahead = substitute(loop.vector_expr, context, {{loop.element, *element}});
    if (!ahead) return ahead.takeError();
    std::string text = "\n" + indent + "if (" + *condition + ") " + prefetch_call(*element, *ahead);
    if (const Expr* start = start_value(*for_loop, loop.index, context)) {
      // The prologue: on the first iteration, the elements before the one
      // `distance` ahead, which the lookahead alone never fetches.
      const std::string index = loop.index->getNameAsString();
      auto first_element = substitute(loop.element->getInit(), context, {{loop.index, "crinn_k"}});
      auto first_condition = substitute(for_loop->getCond(), context, {{loop.index, "crinn_k"}});
      if (!first_element) return first_element.takeError();
      if (!first_condition) return first_condition.takeError();
      auto first = substitute(loop.vector_expr, context, {{loop.element, *first_element}});
      if (!first) return first.takeError();
      const std::string end = calibrated ? index + " + static_cast<decltype(" + index + ")>(" + distance + ")"
                                         : index + " + " + distance;
      text = "\n" + indent + "if (" + index + " == " + sites::source_text(start, context) + ") for (auto crinn_k = " +
             index + "; crinn_k < " + end + " && " + *first_condition + "; ++crinn_k) " +
             prefetch_call(*first_element, *first) + text;
    }
    edits.push_back(insertBefore(fixed(after_open_brace(for_loop->getBody(), context)), cat(text)));
  }
  if (calibrated) {
    const FunctionDecl* entry = calibration_entry(site, loop, context);
    if (!entry) return llvm::createStringError(llvm::inconvertibleErrorCode(), "no query entry to time the calibration");
    // Named by the loop's line, so that two calibrated loops of one entry
    // each add a trial (the inner one is a no-op).
    const std::string line = std::to_string(context.getSourceManager().getExpansionLineNumber(loop.loop->getBeginLoc()));
    edits.push_back(insertBefore(fixed(after_open_brace(entry->getBody(), context)),
                                 cat("\n  crinn::runtime::PrefetchTrial crinn_prefetch_trial_" + line + ";")));
    edits.push_back(insertBefore(fixed(before(loop.loop->getBeginLoc(), context)),
                                 cat("const crinn::runtime::PrefetchShape crinn_prefetch_shape = "
                                     "crinn::runtime::PrefetchCalibration::here().shape(" +
                                     std::to_string(params.get_int("distance")) + ", " + lines + ");\n" +
                                     indentation(loop.loop, context))));
  }
  edits.push_back(addInclude("crinn/runtime/prefetch.h", IncludeFormat::Angled));
  return rule_at(loop.loop, std::move(edits));
}

std::unique_ptr<Rewrite> make_PrefetchInsertion() { return std::make_unique<PrefetchInsertion>(); }

}  // namespace crinn::rewrite
