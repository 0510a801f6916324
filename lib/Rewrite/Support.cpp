#include "Rewrite/Support.h"

#include "Sites/AstUtil.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"

#include <algorithm>
#include <cstdio>

namespace crinn::rewrite {

using namespace clang;

transformer::RangeSelector fixed(CharSourceRange range) {
  return [range](const ast_matchers::MatchFinder::MatchResult&) -> llvm::Expected<CharSourceRange> { return range; };
}

transformer::RewriteRule rule_at(const Stmt* anchor, llvm::SmallVector<transformer::ASTEdit, 1> edits) {
  return transformer::makeRule(ast_matchers::stmt(ast_matchers::equalsNode(anchor)), transformer::editList(std::move(edits)));
}

transformer::RewriteRule rule_at(const Decl* anchor, llvm::SmallVector<transformer::ASTEdit, 1> edits) {
  return transformer::makeRule(ast_matchers::decl(ast_matchers::equalsNode(anchor)), transformer::editList(std::move(edits)));
}

CharSourceRange node_range(SourceRange range, const ASTContext& context) {
  return Lexer::makeFileCharRange(CharSourceRange::getTokenRange(range), context.getSourceManager(),
                                  context.getLangOpts());
}

CharSourceRange statement_range(const Stmt* s, ASTContext& context) {
  CharSourceRange range = node_range(s->getSourceRange(), context);
  if (isa<Expr>(s) || isa<DeclStmt>(s) || isa<ContinueStmt>(s) || isa<BreakStmt>(s) || isa<ReturnStmt>(s)) {
    // Statements that end in ';' do not include it in their source range.
    const SourceManager& sources = context.getSourceManager();
    std::optional<Token> next = Lexer::findNextToken(range.getEnd().getLocWithOffset(-1), sources, context.getLangOpts());
    if (next && next->is(tok::semi)) range.setEnd(next->getEndLoc());
  }
  // Compound statements whose last part is such a statement end with it.
  const Stmt* last = nullptr;
  if (const auto* test = dyn_cast<IfStmt>(s)) last = test->getElse() ? test->getElse() : test->getThen();
  if (const auto* loop = dyn_cast<ForStmt>(s)) last = loop->getBody();
  if (const auto* loop = dyn_cast<WhileStmt>(s)) last = loop->getBody();
  if (const auto* loop = dyn_cast<CXXForRangeStmt>(s)) last = loop->getBody();
  if (last) range.setEnd(statement_range(last, context).getEnd());
  return range;
}

CharSourceRange whole_lines(CharSourceRange range, const ASTContext& context) {
  const SourceManager& sources = context.getSourceManager();
  llvm::StringRef buffer = sources.getBufferData(sources.getFileID(range.getBegin()));
  unsigned begin = sources.getFileOffset(range.getBegin());
  unsigned start = begin;
  while (start > 0 && (buffer[start - 1] == ' ' || buffer[start - 1] == '\t')) --start;
  if (start > 0 && buffer[start - 1] == '\n') --start;
  return CharSourceRange::getCharRange(range.getBegin().getLocWithOffset(int(start) - int(begin)), range.getEnd());
}

std::string declaration_text(const VarDecl* var, const ASTContext& context) {
  return sites::source_text(SourceRange(var->getBeginLoc(), var->getLocation()), context);
}

CharSourceRange after_statement(const Stmt* s, ASTContext& context) {
  SourceLocation end = statement_range(s, context).getEnd();
  return CharSourceRange::getCharRange(end, end);
}

CharSourceRange after_open_brace(const Stmt* compound, const ASTContext& context) {
  SourceLocation open = context.getSourceManager().getExpansionLoc(cast<CompoundStmt>(compound)->getLBracLoc());
  SourceLocation inside = open.getLocWithOffset(1);
  return CharSourceRange::getCharRange(inside, inside);
}

CharSourceRange before(SourceLocation location, const ASTContext& context) {
  SourceLocation at = context.getSourceManager().getExpansionLoc(location);
  return CharSourceRange::getCharRange(at, at);
}

CharSourceRange after_member_line(const FieldDecl* field, const ASTContext& context) {
  const SourceManager& sources = context.getSourceManager();
  SourceLocation semi = Lexer::findLocationAfterToken(sources.getExpansionLoc(field->getEndLoc()), tok::semi, sources,
                                                      context.getLangOpts(), false);
  if (semi.isInvalid()) return {};
  llvm::StringRef buffer = sources.getBufferData(sources.getFileID(semi));
  unsigned offset = sources.getFileOffset(semi);
  size_t line_end = buffer.find('\n', offset);
  SourceLocation at = semi.getLocWithOffset(int((line_end == llvm::StringRef::npos ? buffer.size() : line_end) - offset));
  return CharSourceRange::getCharRange(at, at);
}

llvm::Expected<const FunctionDecl*> entry_method(const std::string& name, const CXXMethodDecl* method,
                                                  ASTContext& context) {
  using namespace clang::ast_matchers;
  const FunctionDecl* entry = nullptr;
  if (!name.empty())
    for (const BoundNodes& bound : match(functionDecl(hasName(name), isDefinition()).bind("f"), context))
    entry = bound.getNodeAs<FunctionDecl>("f");
  const auto* entry_method = dyn_cast_or_null<CXXMethodDecl>(entry);
  if (!entry_method || entry_method->getParent() != method->getParent())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the entry " + (name.empty() ? std::string("(none)") : name) + " is not a method of " +
                                       method->getParent()->getNameAsString() + " in this translation unit");
  return entry;
}

bool reads_vector_address(const sites::NeighborLoop& loop) {
  QualType type = loop.vector_expr->getType();
  return type->isPointerType() || type->isArrayType() || type->isDependentType();
}

bool body_movable(const sites::NeighborLoop& loop) {
  const auto* range_for = dyn_cast<CXXForRangeStmt>(loop.loop);
  const Stmt* body = range_for ? range_for->getBody() : nullptr;
  if (!body || !loop.beam_loop) return body != nullptr;
  bool movable = true;
  sites::visit_exprs(body, [&](const Expr* e) {
    if (const auto* ref = dyn_cast<DeclRefExpr>(e))
      if (const auto* var = dyn_cast<VarDecl>(ref->getDecl()))
        if (sites::contains(loop.beam_loop, var) && !sites::contains(loop.loop, var)) movable = false;
  });
  return movable;
}

const Stmt* beam_body(const Stmt* beam) {
  if (const auto* w = dyn_cast<WhileStmt>(beam)) return w->getBody();
  if (const auto* f = dyn_cast<ForStmt>(beam)) return f->getBody();
  return nullptr;
}

const Stmt* statement_of(const Stmt* s, ASTContext& context) {
  const Stmt* current = s;
  for (const Stmt* parent = sites::parent_stmt(current, context); parent;
       current = parent, parent = sites::parent_stmt(current, context))
    if (isa<CompoundStmt>(parent)) return current;
  return nullptr;
}

llvm::Expected<std::string> replace_within(const Stmt* s, const ASTContext& context,
                                           const std::vector<std::pair<const Expr*, std::string>>& replacements) {
  const SourceManager& sources = context.getSourceManager();
  CharSourceRange whole = node_range(s->getSourceRange(), context);
  auto in_macro = [] { return llvm::createStringError(llvm::inconvertibleErrorCode(), "code inside a macro cannot be rewritten"); };
  if (whole.isInvalid()) return in_macro();
  unsigned base = sources.getFileOffset(whole.getBegin());
  std::string text = sites::source_text(s, context);
  std::vector<std::pair<CharSourceRange, const std::string*>> ranges;
  for (const auto& [e, replacement] : replacements) {
    if (e->getBeginLoc().isMacroID() || e->getEndLoc().isMacroID()) return in_macro();
    ranges.emplace_back(CharSourceRange::getTokenRange(e->getSourceRange()), &replacement);
  }
  // From the back, so that earlier offsets hold.
  std::sort(ranges.begin(), ranges.end(), [&](const auto& a, const auto& b) {
    return sources.getFileOffset(a.first.getBegin()) > sources.getFileOffset(b.first.getBegin());
  });
  for (const auto& [range, replacement] : ranges) {
    unsigned begin = sources.getFileOffset(range.getBegin()) - base;
    unsigned end = sources.getFileOffset(range.getEnd()) - base +
                   Lexer::MeasureTokenLength(range.getEnd(), sources, context.getLangOpts());
    text.replace(begin, end - begin, *replacement);
  }
  return text;
}

llvm::Expected<std::string> substitute(const Stmt* s, const ASTContext& context,
                                       const std::map<const VarDecl*, std::string>& replacements) {
  std::vector<std::pair<const Expr*, std::string>> refs;
  sites::visit_exprs(s, [&](const Expr* e) {
    const auto* ref = dyn_cast<DeclRefExpr>(e);
    const auto* var = ref ? dyn_cast<VarDecl>(ref->getDecl()) : nullptr;
    if (var && replacements.count(var)) refs.emplace_back(ref, "(" + replacements.at(var) + ")");
  });
  return replace_within(s, context, refs);
}

std::string indentation(const Stmt* s, const ASTContext& context) {
  const SourceManager& sources = context.getSourceManager();
  unsigned column = sources.getExpansionColumnNumber(s->getBeginLoc());
  return std::string(column > 0 ? column - 1 : 0, ' ');
}

std::string format_number(double value, bool integer) {
  char buffer[64];
  if (integer) std::snprintf(buffer, sizeof buffer, "%ld", long(value));
  else std::snprintf(buffer, sizeof buffer, "%.6gf", value);
  std::string text = buffer;
  if (!integer && text.find_first_of(".e") == std::string::npos) text.insert(text.size() - 1, ".0");
  return text;
}

schema::ParamRange int_param(const char* name, long min, long max, long default_value, const char* doc) {
  return schema::ParamRange{name, true, double(min), double(max), double(default_value), {}, doc};
}

schema::ParamRange vector_lines_param(const char* name, long min, long max, long default_value, const char* doc) {
  schema::ParamRange range = int_param(name, min, max, default_value, doc);
  range.vector_lines = true;
  return range;
}

schema::ParamRange huge_pages_param(const char* what) {
  schema::ParamRange range = int_param("huge_pages", 0, 1, 0, "");
  range.doc = std::string("1: the ") + what + " live in 2 MiB pages (madvise), so that random reads miss the TLB less often";
  return range;
}

schema::ParamRange real_param(const char* name, double min, double max, double default_value, const char* doc) {
  return schema::ParamRange{name, false, min, max, default_value, {}, doc};
}

}  // namespace crinn::rewrite
