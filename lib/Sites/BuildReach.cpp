#include "Sites/BuildReach.h"

#include "Sites/AstUtil.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/RecursiveASTVisitor.h"

#include <vector>

namespace crinn::sites {

using namespace clang;

namespace {

// Calls through pointers reach every function whose address the tree takes.
const char kAddressTaken[] = "(address taken)";

// Members of a class template's instantiations are named as in the template
// ("ns::C::f", not "ns::C<float>::f"), as sites are.
std::string without_template_arguments(const std::string& name) {
  std::string out;
  int depth = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool operator_name = out.size() >= 8 && out.compare(out.size() - 8, 8, "operator") == 0;
    if (c == '<' && !operator_name && (depth > 0 || (i > 0 && name[i - 1] != '<'))) {
      ++depth;
      continue;
    }
    if (c == '>' && depth > 0) {
      --depth;
      continue;
    }
    if (depth == 0) out += c;
  }
  return out;
}

// The calls in one function's body (lambdas in it included).
class CalleeCollector : public RecursiveASTVisitor<CalleeCollector> {
 public:
  CalleeCollector(const std::string& caller, CallEdges& edges) : caller_(caller), edges_(edges) {}
  bool shouldVisitTemplateInstantiations() const { return true; }

  bool VisitCallExpr(CallExpr* call) {
    if (const FunctionDecl* callee = call->getDirectCallee()) add(callee);
    else if (!add_dependent_member(call->getCallee()->IgnoreParenImpCasts())) edges_[caller_].insert(kAddressTaken);
    return true;
  }
  bool VisitCXXConstructExpr(CXXConstructExpr* construct) {
    add(construct->getConstructor());
    return true;
  }
  bool VisitDeclRefExpr(DeclRefExpr* ref) {
    if (const auto* function = dyn_cast<FunctionDecl>(ref->getDecl())) {
      add(function);
      edges_[kAddressTaken].insert(call_graph_name(function));
    }
    return true;
  }
  bool VisitLambdaExpr(LambdaExpr* lambda) {
    add(lambda->getCallOperator());
    return true;
  }

 private:
  void add(const FunctionDecl* callee) { edges_[caller_].insert(call_graph_name(callee)); }

  // A template's body calls a member of a dependent object (`g_->Search(q)`
  // with `g_` a `unique_ptr<GraphIndex<Dist>>`): the methods of that name in
  // the class (template) it names. Instantiations made at the end of the
  // translation unit (virtual members) may be missing from the AST, so the
  // pattern is what the graph has.
  bool add_dependent_member(const Expr* callee) {
    const auto* member = dyn_cast<CXXDependentScopeMemberExpr>(callee);
    if (!member || member->isImplicitAccess()) return false;
    const CXXRecordDecl* record = record_behind(member->getBaseType(), member->isArrow());
    if (!record) return false;
    bool found = false;
    for (const NamedDecl* named : record->lookup(member->getMember()))
      if (const auto* method = dyn_cast<FunctionDecl>(named->getUnderlyingDecl())) add(method), found = true;
      else if (const auto* method_template = dyn_cast<FunctionTemplateDecl>(named->getUnderlyingDecl()))
        add(method_template->getTemplatedDecl()), found = true;
    return found;
  }

  // The class an object of `type` is, reached through a pointer or a smart
  // pointer (the first template argument of a class with operator->) when
  // `arrow`.
  static const CXXRecordDecl* record_behind(QualType type, bool arrow) {
    if (arrow && type->isPointerType()) type = type->getPointeeType();
    const auto* specialization = type->getAs<TemplateSpecializationType>();
    const CXXRecordDecl* record = type->getAsCXXRecordDecl();
    if (!record && specialization)
      if (const auto* pattern = dyn_cast_or_null<ClassTemplateDecl>(specialization->getTemplateName().getAsTemplateDecl()))
        record = pattern->getTemplatedDecl();
    if (!arrow || type->isPointerType() || !record || !specialization) return record;
    // A smart pointer: its pointee is its first type argument.
    for (const NamedDecl* named : record->lookup(DeclarationName(
             record->getASTContext().DeclarationNames.getCXXOperatorName(OO_Arrow))))
      if (named && !specialization->template_arguments().empty() &&
          specialization->template_arguments()[0].getKind() == TemplateArgument::Type)
        return record_behind(specialization->template_arguments()[0].getAsType(), false);
    return record;
  }

  const std::string& caller_;
  CallEdges& edges_;
};

class CallerVisitor : public RecursiveASTVisitor<CallerVisitor> {
 public:
  explicit CallerVisitor(CallEdges& edges) : edges_(edges) {}
  bool shouldVisitTemplateInstantiations() const { return true; }

  bool VisitFunctionDecl(FunctionDecl* function) {
    if (!function->doesThisDeclarationHaveABody()) return true;
    std::string caller = call_graph_name(function);
    edges_[caller];  // present even if it calls nothing
    CalleeCollector callees(caller, edges_);
    if (const auto* constructor = dyn_cast<CXXConstructorDecl>(function))
      for (const CXXCtorInitializer* init : constructor->inits()) callees.TraverseStmt(init->getInit());
    callees.TraverseStmt(function->getBody());
    if (const auto* method = dyn_cast<CXXMethodDecl>(function))
      for (const CXXMethodDecl* overridden : method->overridden_methods()) edges_[call_graph_name(overridden)].insert(caller);
    return true;
  }

 private:
  CallEdges& edges_;
};

}  // namespace

std::string call_graph_name(const FunctionDecl* function) { return without_template_arguments(qualified(function)); }

void add_call_edges(ASTContext& context, CallEdges& edges) {
  CallerVisitor visitor(edges);
  visitor.TraverseAST(context);
}

std::set<std::string> reachable_from(const CallEdges& edges, const std::string& entry) {
  std::set<std::string> reached;
  if (!edges.count(entry)) return reached;
  std::vector<std::string> work = {entry};
  reached.insert(entry);
  while (!work.empty()) {
    std::string caller = std::move(work.back());
    work.pop_back();
    auto found = edges.find(caller);
    if (found == edges.end()) continue;
    for (const std::string& callee : found->second)
      if (reached.insert(callee).second) work.push_back(callee);
  }
  return reached;
}

}  // namespace crinn::sites
