#include "Sites/SiteFinder.h"

#include "Sites/AstUtil.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Basic/SourceManager.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>

namespace crinn::sites {

using namespace clang;
using namespace clang::ast_matchers;

namespace {

// ---- distance kernels -------------------------------------------------------

// An element read of the reduction: a[i] (indexed) or *p (pointer walk).
struct ElementRead {
  const Expr* base = nullptr;
  bool indexed = true;
};

std::optional<ElementRead> element_read(const Expr* e, const VarDecl* induction) {
  e = e->IgnoreParenImpCasts();
  if (const auto* subscript = dyn_cast<ArraySubscriptExpr>(e)) {
    if (references_only(subscript->getIdx(), induction) && is_pointer_like(subscript->getBase()))
      return ElementRead{subscript->getBase()->IgnoreImpCasts(), true};
    return std::nullopt;
  }
  if (const auto* deref = dyn_cast<UnaryOperator>(e); deref && deref->getOpcode() == UO_Deref)
    if (referenced_var(deref->getSubExpr())) return ElementRead{deref->getSubExpr()->IgnoreParenImpCasts(), false};
  return std::nullopt;
}

// (x - y) as two element reads.
std::optional<std::pair<ElementRead, ElementRead>> difference(const Expr* e, const VarDecl* induction) {
  const auto* sub = dyn_cast<BinaryOperator>(e->IgnoreParenImpCasts());
  if (!sub || sub->getOpcode() != BO_Sub) return std::nullopt;
  auto x = element_read(sub->getLHS(), induction), y = element_read(sub->getRHS(), induction);
  if (!x || !y) return std::nullopt;
  return std::make_pair(*x, *y);
}

// Recognises `for (i = 0; i < n; ++i) { [T t = x - y;] acc += t * t | x * y; [p++; q++;] }`.
std::optional<DistanceKernel> analyze_reduction(const ForStmt* loop, ASTContext& context) {
  LoopShape shape = loop_shape(loop);
  if (!shape.induction || !shape.bound || !shape.starts_at_zero) return std::nullopt;

  DistanceKernel kernel;
  kernel.loop = loop;
  kernel.induction = shape.induction;
  kernel.bound = shape.bound;
  std::map<const VarDecl*, const Expr*> locals;  // T t = init inside the body
  std::vector<const VarDecl*> stepped;           // pointers advanced by p++
  const BinaryOperator* accumulation = nullptr;

  for (const Stmt* s : body_statements(loop->getBody())) {
    if (const auto* decl = dyn_cast<DeclStmt>(s)) {
      for (const Decl* d : decl->decls()) {
        const auto* var = dyn_cast<VarDecl>(d);
        if (!var || !var->getInit()) return std::nullopt;
        locals[var] = var->getInit();
      }
    } else if (const auto* step = dyn_cast<UnaryOperator>(s); step && step->isIncrementOp()) {
      const VarDecl* p = referenced_var(step->getSubExpr());
      if (!p || !p->getType()->isPointerType()) return std::nullopt;
      stepped.push_back(p);
    } else if (const auto* op = dyn_cast<BinaryOperator>(s); op && op->getOpcode() == BO_AddAssign && !accumulation) {
      accumulation = op;
    } else {
      return std::nullopt;  // anything else may have effects a kernel call would lose
    }
  }
  if (!accumulation) return std::nullopt;
  kernel.accumulator = referenced_var(accumulation->getLHS());
  if (!kernel.accumulator || !is_floating_or_dependent(kernel.accumulator->getType()) ||
      contains(loop, kernel.accumulator))
    return std::nullopt;

  auto resolve = [&](const Expr* e) {
    const VarDecl* var = referenced_var(e);
    auto it = var ? locals.find(var) : locals.end();
    return it == locals.end() ? e : it->second;
  };
  const auto* product = dyn_cast<BinaryOperator>(accumulation->getRHS()->IgnoreParenImpCasts());
  if (!product || product->getOpcode() != BO_Mul) return std::nullopt;
  const Expr* lhs = resolve(product->getLHS());
  const Expr* rhs = resolve(product->getRHS());
  if (auto d = difference(lhs, kernel.induction)) {
    // (x - y) * (x - y), directly or through one local.
    if (source_text(lhs, context) != source_text(rhs, context)) return std::nullopt;
    kernel.reduction = DistanceKernel::Reduction::SquaredL2;
    kernel.left_base = d->first.base;
    kernel.right_base = d->second.base;
    kernel.indexed = d->first.indexed && d->second.indexed;
    if (d->first.indexed != d->second.indexed) return std::nullopt;
  } else if (auto x = element_read(lhs, kernel.induction)) {
    auto y = element_read(rhs, kernel.induction);
    if (!y || x->indexed != y->indexed) return std::nullopt;
    kernel.reduction = DistanceKernel::Reduction::Dot;
    kernel.left_base = x->base;
    kernel.right_base = y->base;
    kernel.indexed = x->indexed;
  } else {
    return std::nullopt;
  }
  if (!kernel.indexed) {
    // The walked pointers must be exactly the two that are read.
    const VarDecl* left = referenced_var(kernel.left_base);
    const VarDecl* right = referenced_var(kernel.right_base);
    if (stepped.size() != 2 || std::find(stepped.begin(), stepped.end(), left) == stepped.end() ||
        std::find(stepped.begin(), stepped.end(), right) == stepped.end() || left == right)
      return std::nullopt;
  } else if (!stepped.empty()) {
    return std::nullopt;
  }
  return kernel;
}

// ---- the neighbour loop of a search -----------------------------------------

bool is_member_call_named(const Expr* e, std::initializer_list<const char*> names, const Expr** object = nullptr) {
  const auto* call = dyn_cast<CXXMemberCallExpr>(e->IgnoreParenImpCasts());
  std::string name;
  const Expr* callee_object = nullptr;
  if (call && call->getMethodDecl()) {
    name = call->getMethodDecl()->getNameAsString();
    callee_object = call->getImplicitObjectArgument();
  } else if (const auto* dependent = dyn_cast<CallExpr>(e->IgnoreParenImpCasts())) {
    // A call in a template whose object has a dependent type.
    if (const auto* member = dyn_cast<CXXDependentScopeMemberExpr>(dependent->getCallee())) {
      name = member->getMember().getAsString();
      callee_object = member->isImplicitAccess() ? nullptr : member->getBase();
    } else if (const auto* member = dyn_cast<MemberExpr>(dependent->getCallee())) {
      name = member->getMemberDecl()->getNameAsString();
      callee_object = member->getBase();
    }
  }
  for (const char* n : names)
    if (name == n) {
      if (object) *object = callee_object;
      return true;
    }
  return false;
}

// Does condition `c` test whether `element` was visited?
bool is_visited_test(const Expr* c, const VarDecl* element) {
  bool found = false;
  visit_exprs(c, [&](const Expr* e) {
    if (is_member_call_named(e, {"insert", "count", "contains", "find", "test", "emplace"}) &&
        references(e, element))
      found = true;
    if (const auto* subscript = dyn_cast<ArraySubscriptExpr>(e); subscript && references(subscript->getIdx(), element))
      found = true;
  });
  return found;
}

const Stmt* enclosing_loop(const Stmt* s, ASTContext& context) {
  for (const Stmt* p = parent_stmt(s, context); p; p = parent_stmt(p, context))
    if (isa<WhileStmt, ForStmt, DoStmt, CXXForRangeStmt>(p)) return p;
  return nullptr;
}

// Calls in `s` of the form container.{emplace,push,push_back,insert}(... element ...)
// on containers declared outside `loop`.
std::vector<std::pair<const CallExpr*, const VarDecl*>> pushes_of(const Stmt* s, const VarDecl* element,
                                                                   const Stmt* loop) {
  std::vector<std::pair<const CallExpr*, const VarDecl*>> pushes;
  visit_exprs(s, [&](const Expr* e) {
    const Expr* object = nullptr;
    if (is_member_call_named(e, {"emplace", "push", "push_back", "emplace_back"}, &object) && object &&
        references(e, element)) {
      const VarDecl* container = referenced_var(object);
      if (container && !contains(loop, container)) pushes.emplace_back(cast<CallExpr>(e->IgnoreParenImpCasts()), container);
    }
  });
  return pushes;
}

bool is_std_template(QualType type, llvm::StringRef name, const char* argument = nullptr);

// The member of *this that e reads, else null.
const FieldDecl* invariant_field(const Expr* e) {
  const auto* member = dyn_cast<MemberExpr>(e->IgnoreParenImpCasts());
  return member && is_class_invariant(member) ? dyn_cast<FieldDecl>(member->getMemberDecl()) : nullptr;
}

// `a * b` with one side class-invariant: that side, else null.
const Expr* invariant_factor(const Expr* e) {
  const auto* product = dyn_cast<BinaryOperator>(e->IgnoreParenImpCasts());
  if (!product || product->getOpcode() != BO_Mul) return nullptr;
  for (const Expr* side : {product->getRHS(), product->getLHS()})
    if (is_class_invariant(side)) return side->IgnoreParenImpCasts();
  return nullptr;
}

// The called function's name, also where a template leaves the call unresolved.
std::string callee_name(const CallExpr* call) {
  if (const FunctionDecl* callee = call->getDirectCallee()) return callee->getNameAsString();
  if (const auto* lookup = dyn_cast<UnresolvedLookupExpr>(call->getCallee()->IgnoreParenImpCasts()))
    return lookup->getName().getAsString();
  return "";
}

// For rows in a byte buffer: the method of the accessor's class that adds a
// row, `memcpy(accessor(id), src, bytes)` after `id = count; ++count;`,
// tells how many rows are stored (count) and the vector's bytes.
void find_row_count(const FunctionDecl* accessor, NeighborLoop& site) {
  const auto* record = dyn_cast<CXXRecordDecl>(accessor->getDeclContext());
  if (!record) return;
  for (const CXXMethodDecl* method : record->methods()) {
    const Stmt* body = method->getBody();
    if (!body || site.count) continue;
    visit_exprs(body, [&](const Expr* e) {
      const auto* copy = dyn_cast<CallExpr>(e);
      if (site.count || !copy || copy->getNumArgs() != 3 || callee_name(copy) != "memcpy" ||
          !is_class_invariant(copy->getArg(2)))
        return;
      const auto* row = dyn_cast<CallExpr>(copy->getArg(0)->IgnoreParenImpCasts());
      if (!row || !row->getDirectCallee() || row->getNumArgs() != 1 ||
          row->getDirectCallee()->getCanonicalDecl() != accessor->getCanonicalDecl())
        return;
      const VarDecl* id = referenced_var(row->getArg(0));
      if (!id) return;
      const FieldDecl* count = nullptr;
      visit_exprs(body, [&](const Expr* assigned) {
        const auto* assign = dyn_cast<BinaryOperator>(assigned);
        if (assign && assign->getOpcode() == BO_Assign && referenced_var(assign->getLHS()) == id)
          count = invariant_field(assign->getRHS());
      });
      if (!count && id->getInit()) count = invariant_field(id->getInit());
      bool incremented = false;
      visit_exprs(body, [&](const Expr* step) {
        const auto* inc = dyn_cast<UnaryOperator>(step);
        if (inc && inc->isIncrementOp() && count && invariant_field(inc->getSubExpr()) == count) incremented = true;
      });
      if (!incremented) return;
      site.count = count;
      site.row_bytes = copy->getArg(2)->IgnoreParenImpCasts();
    });
  }
}

// Finds the float storage and the row stride that `vector_expr` addresses.
void find_storage(const Expr* vector_expr, NeighborLoop& site) {
  const Expr* e = vector_expr->IgnoreParenImpCasts();
  const FunctionDecl* accessor = nullptr;
  if (const auto* call = dyn_cast<CallExpr>(e); call && call->getDirectCallee() && call->getNumArgs() == 1) {
    const FunctionDecl* definition = nullptr;
    const auto* body = call->getDirectCallee()->hasBody(definition) ? dyn_cast<CompoundStmt>(definition->getBody()) : nullptr;
    const auto* ret = body && body->size() == 1 ? dyn_cast<ReturnStmt>(body->body_front()) : nullptr;
    if (!ret || !ret->getRetValue()) return;
    e = ret->getRetValue()->IgnoreParenImpCasts();
    accessor = definition;
  }
  const Expr* base = nullptr;
  const Expr* index = nullptr;
  if (const auto* address = dyn_cast<UnaryOperator>(e); address && address->getOpcode() == UO_AddrOf) {
    const auto* subscript = dyn_cast<CXXOperatorCallExpr>(address->getSubExpr()->IgnoreParenImpCasts());
    if (subscript && subscript->getOperator() == OO_Subscript && subscript->getNumArgs() == 2) {
      base = subscript->getArg(0);
      index = subscript->getArg(1);
    }
  } else if (const auto* plus = dyn_cast<BinaryOperator>(e); plus && plus->getOpcode() == BO_Add) {
    const auto* data = dyn_cast<CXXMemberCallExpr>(plus->getLHS()->IgnoreParenImpCasts());
    if (data && data->getMethodDecl() && data->getMethodDecl()->getName() == "data") {
      base = data->getImplicitObjectArgument();
      index = plus->getRHS();
    } else if (const auto* row = dyn_cast<BinaryOperator>(plus->getLHS()->IgnoreParenImpCasts());
               accessor && row && row->getOpcode() == BO_Add && is_class_invariant(plus->getRHS())) {
      // storage + node * stride + offset, in bytes
      const FieldDecl* buffer = invariant_field(row->getLHS());
      const Expr* stride = invariant_factor(row->getRHS());
      QualType type = buffer ? buffer->getType() : QualType();
      if (!buffer || !stride || !type->isPointerType() || !type->getPointeeType()->isCharType()) return;
      find_row_count(accessor, site);
      if (!site.count) return;
      site.storage = buffer;
      site.stride = stride;
      site.offset = plus->getRHS()->IgnoreParenImpCasts();
      return;
    }
  }
  const auto* member = base ? dyn_cast<MemberExpr>(base->IgnoreParenImpCasts()) : nullptr;
  if (!member || !is_class_invariant(member)) return;
  const auto* field = cast<FieldDecl>(member->getMemberDecl());
  if (!is_std_template(field->getType(), "vector", "float")) return;
  if (const Expr* stride = invariant_factor(index)) {
    site.storage = field;
    site.stride = stride;
  }
}

std::optional<NeighborLoop> analyze_neighbor_loop(const Stmt* loop, ASTContext& context, bool annotated) {
  NeighborLoop site;
  site.loop = loop;
  site.beam_loop = enclosing_loop(loop, context);
  if (!site.beam_loop && !annotated) return std::nullopt;

  std::vector<const Stmt*> body;
  std::map<const VarDecl*, const Expr*> locals;
  if (const auto* range_for = dyn_cast<CXXForRangeStmt>(loop)) {
    site.element = range_for->getLoopVariable();
    site.range = range_for->getRangeInit();
    body = body_statements(range_for->getBody());
  } else if (const auto* for_loop = dyn_cast<ForStmt>(loop)) {
    LoopShape shape = loop_shape(for_loop);
    if (!shape.induction) return std::nullopt;
    site.index = shape.induction;
    body = body_statements(for_loop->getBody());
    // The element: the first local initialised from the induction variable.
    for (const Stmt* s : body)
      if (const auto* decl = dyn_cast<DeclStmt>(s); decl && decl->isSingleDecl())
        if (const auto* var = dyn_cast<VarDecl>(decl->getSingleDecl());
            var && var->getInit() && references(var->getInit(), site.index)) {
          site.element = var;
          break;
        }
  }
  if (!site.element) return std::nullopt;

  for (const Stmt* s : body) {
    if (const auto* test = dyn_cast<IfStmt>(s); test && !site.visited_check && is_visited_test(test->getCond(), site.element))
      site.visited_check = s;
  }
  if (!site.visited_check) return std::nullopt;

  // Locals of the body, to follow the neighbour's vector through them.
  visit_stmts(loop, [&](const Stmt* s) {
    if (const auto* decl = dyn_cast<DeclStmt>(s))
      for (const Decl* d : decl->decls())
        if (const auto* var = dyn_cast<VarDecl>(d); var && var->getInit()) locals[var] = var->getInit();
  });
  visit_exprs(loop, [&](const Expr* e) {
    const auto* call = dyn_cast<CallExpr>(e);
    if (site.vector_expr || !call || call->getNumArgs() < 2) return;
    if (!stored_as_distance(call, context)) return;
    for (const Expr* arg : call->arguments()) {
      const Expr* resolved = arg->IgnoreParenImpCasts();
      if (const VarDecl* var = referenced_var(resolved); var && locals.count(var)) resolved = locals[var];
      if (references(resolved, site.element) && !references_any_local_except(resolved, loop, site.element)) {
        site.vector_expr = resolved;
        site.distance_call = call;
        return;
      }
    }
  });
  if (!site.vector_expr) return std::nullopt;
  find_storage(site.vector_expr, site);

  if (site.beam_loop) {
    // The candidate pool is what the beam loop's condition watches; the
    // result set is the other container the neighbour is pushed into.
    const Expr* condition = nullptr;
    if (const auto* w = dyn_cast<WhileStmt>(site.beam_loop)) condition = w->getCond();
    if (const auto* f = dyn_cast<ForStmt>(site.beam_loop)) condition = f->getCond();
    for (auto [call, container] : pushes_of(loop, site.element, site.beam_loop)) {
      bool is_pool = condition && references(condition, container);
      if (is_pool && !site.candidate_push) site.candidate_push = call;
      if (!is_pool && !site.result_push) {
        site.result_push = call;
        site.result_set = container;
      }
    }
    if (site.range) {
      // The expanded node: an index or argument in the adjacency expression
      // that comes from a variable of the beam loop's body.
      visit_exprs(site.range, [&](const Expr* e) {
        if (site.expanded_node) return;
        const Expr* index = nullptr;
        if (const auto* subscript = dyn_cast<ArraySubscriptExpr>(e)) index = subscript->getIdx();
        if (const auto* op = dyn_cast<CXXOperatorCallExpr>(e); op && op->getOperator() == OO_Subscript && op->getNumArgs() == 2)
          index = op->getArg(1);
        if (index && references_any_local_except(index, site.beam_loop, nullptr)) site.expanded_node = index;
      });
    }
  }
  return site;
}

// ---- heuristic neighbour selection ------------------------------------------

std::optional<PruningRoutine> analyze_pruning(const Stmt* inner, ASTContext& context) {
  PruningRoutine site;
  site.outer_loop = enclosing_loop(inner, context);
  if (!site.outer_loop) return std::nullopt;
  const Stmt* inner_body = isa<CXXForRangeStmt>(inner) ? cast<CXXForRangeStmt>(inner)->getBody()
                                                        : cast<ForStmt>(inner)->getBody();
  std::map<const VarDecl*, const Expr*> locals;
  visit_stmts(inner_body, [&](const Stmt* s) {
    if (const auto* decl = dyn_cast<DeclStmt>(s))
      for (const Decl* d : decl->decls())
        if (const auto* var = dyn_cast<VarDecl>(d); var && var->getInit()) locals[var] = var->getInit();
  });
  const VarDecl* flag = nullptr;
  visit_stmts(inner_body, [&](const Stmt* s) {
    const auto* test = dyn_cast<IfStmt>(s);
    if (site.prune_test || !test) return;
    const auto* compare = dyn_cast<BinaryOperator>(test->getCond()->IgnoreParenImpCasts());
    if (!compare || (compare->getOpcode() != BO_LT && compare->getOpcode() != BO_LE)) return;
    const Expr* left = compare->getLHS()->IgnoreParenImpCasts();
    const Expr* computed = left;
    if (const VarDecl* var = referenced_var(left); var && locals.count(var)) computed = locals[var];
    if (!isa<CallExpr>(computed->IgnoreParenImpCasts())) return;
    // The then-branch clears a bool flag: the candidate is not kept.
    visit_stmts(test->getThen(), [&](const Stmt* t) {
      const auto* assign = dyn_cast<BinaryOperator>(t);
      if (assign && assign->getOpcode() == BO_Assign && isa<CXXBoolLiteralExpr>(assign->getRHS()->IgnoreParenImpCasts()) &&
          !cast<CXXBoolLiteralExpr>(assign->getRHS()->IgnoreParenImpCasts())->getValue())
        flag = referenced_var(assign->getLHS());
    });
    if (flag) {
      site.prune_test = compare;
      site.kept_distance = left;
    }
  });
  if (!site.prune_test || contains(inner, flag)) return std::nullopt;

  // The bound on the number kept: `kept.size() >= bound` in the outer loop.
  visit_exprs(site.outer_loop, [&](const Expr* e) {
    const auto* compare = dyn_cast<BinaryOperator>(e);
    if (site.degree_test || !compare || (compare->getOpcode() != BO_GE && compare->getOpcode() != BO_LT)) return;
    if (is_member_call_named(compare->getLHS()->IgnoreParenCasts(), {"size"}) && !contains(inner, compare))
      site.degree_test = compare;
  });
  return site;
}

// ---- declarations -------------------------------------------------------------

bool is_std_template(QualType type, llvm::StringRef name, const char* argument) {
  const auto* record = type.getCanonicalType()->getAsCXXRecordDecl();
  const auto* specialization = dyn_cast_or_null<ClassTemplateSpecializationDecl>(record);
  if (!specialization || !specialization->isInStdNamespace() || specialization->getName() != name) return false;
  if (!argument) return true;
  const TemplateArgumentList& args = specialization->getTemplateArgs();
  return args.size() > 0 && args[0].getKind() == TemplateArgument::Type &&
         args[0].getAsType().getCanonicalType().getAsString() == argument;
}

const std::regex kTunableName(
    "M|M0|m|ef|ef_?[cC]onstruction|ef_?[sS]earch|max_?[dD]egree|[mM]ax_?[nN]eighbou?rs|R|L|alpha|degree|"
    "[a-z_]*(degree|neighbou?rs|beam|candidates|entry_points)[a-z_]*");

std::optional<std::string> annotation(const Decl* decl) {
  for (const auto* attr : decl->specific_attrs<AnnotateAttr>())
    if (attr->getAnnotation().starts_with("crinn::")) return attr->getAnnotation().drop_front(7).str();
  return std::nullopt;
}

// ---- the finder -----------------------------------------------------------

class Collector : public MatchFinder::MatchCallback {
 public:
  Collector(ASTContext& context, const FileFilter& in_project) : context_(context), in_project_(in_project) {}

  void run(const MatchFinder::MatchResult& result) override {
    // Most matches are in system and library headers: skip them before any analysis.
    for (const auto& [id, node] : result.Nodes.getMap())
      if (!in_project(node.getSourceRange().getBegin())) return;
    if (const auto* loop = result.Nodes.getNodeAs<ForStmt>("for")) on_for(loop);
    if (const auto* loop = result.Nodes.getNodeAs<CXXForRangeStmt>("range-for")) on_range_for(loop);
    if (const auto* var = result.Nodes.getNodeAs<VarDecl>("set")) on_set(var);
    if (const auto* field = result.Nodes.getNodeAs<FieldDecl>("storage")) on_storage(field);
    if (const auto* decl = result.Nodes.getNodeAs<DeclaratorDecl>("constant")) on_constant(decl);
  }

  std::vector<Site> take() {
    std::sort(sites_.begin(), sites_.end(), [](const Site& a, const Site& b) {
      return std::tie(a.file, a.begin_line, a.kind) < std::tie(b.file, b.begin_line, b.kind);
    });
    return std::move(sites_);
  }

 private:
  const FunctionDecl* function_of(const Stmt* s) { return enclosing_function(s, context_); }

  bool function_annotated(const Stmt* s, const char* kind) {
    const FunctionDecl* f = function_of(s);
    return f && annotation(f) == kind;
  }

  void on_for(const ForStmt* loop) {
    if (auto kernel = analyze_reduction(loop, context_)) add("distance-kernel", loop, *kernel);
    else if (auto neighbors = analyze_neighbor_loop(loop, context_, function_annotated(loop, "neighbor-loop")))
      add("neighbor-loop", loop, *neighbors);
    else if (auto pruning = analyze_pruning(loop, context_)) add("pruning", pruning->outer_loop, *pruning);
  }

  void on_range_for(const CXXForRangeStmt* loop) {
    if (auto neighbors = analyze_neighbor_loop(loop, context_, function_annotated(loop, "neighbor-loop")))
      add("neighbor-loop", loop, *neighbors);
    else if (auto pruning = analyze_pruning(loop, context_)) add("pruning", pruning->outer_loop, *pruning);
  }

  void on_set(const VarDecl* var) {
    bool marked = annotation(var) == "visited-set";
    bool hash_set = is_std_template(var->getType(), "unordered_set") || is_std_template(var->getType(), "set");
    if (!var->isLocalVarDecl() || !(hash_set || marked)) return;
    // Every use must be one the replacement supports.
    const FunctionDecl* f = dyn_cast_or_null<FunctionDecl>(var->getDeclContext());
    bool supported = f && f->hasBody();
    if (supported)
      visit_exprs(f->getBody(), [&](const Expr* e) {
        const auto* ref = dyn_cast<DeclRefExpr>(e);
        if (!ref || ref->getDecl() != var) return;
        const auto* member = dyn_cast_or_null<MemberExpr>(parent_stmt(ref, context_));
        if (!member || !member->getMemberDecl() ||
            !llvm::is_contained(std::initializer_list<llvm::StringRef>{"insert", "count", "contains", "emplace"},
                                member->getMemberDecl()->getName()))
          supported = false;
      });
    if (!supported) return;
    add_decl("visited-set", var, qualified(f) + "::" + var->getNameAsString(), VisitedSet{var}, marked);
  }

  void on_storage(const FieldDecl* field) {
    bool marked = annotation(field) == "vector-storage";
    if (!is_std_template(field->getType(), "vector", "float") && !marked) return;
    add_decl("vector-storage", field, field->getQualifiedNameAsString(), VectorStorage{field}, marked);
  }

  void on_constant(const DeclaratorDecl* decl) {
    bool marked = annotation(decl) == "constant";
    const Expr* init = nullptr;
    if (const auto* field = dyn_cast<FieldDecl>(decl)) init = field->getInClassInitializer();
    if (const auto* var = dyn_cast<VarDecl>(decl)) init = var->getInit();
    if (!init) return;
    init = init->IgnoreParenImpCasts();
    TunableConstant constant;
    constant.literal = init;
    if (const auto* i = dyn_cast<IntegerLiteral>(init)) {
      constant.value = double(i->getValue().getZExtValue());
    } else if (const auto* f = dyn_cast<FloatingLiteral>(init)) {
      constant.value = f->getValueAsApproximateDouble();
      constant.integer = false;
    } else {
      return;
    }
    if (!marked && (!std::regex_match(decl->getNameAsString(), kTunableName) || constant.value <= 0)) return;
    add_decl("constant", decl, decl->getQualifiedNameAsString(), constant, marked);
  }

  template <typename Detail>
  void add(const char* kind, const Stmt* anchor, const Detail& detail) {
    if (!seen_.insert(anchor).second) return;
    const FunctionDecl* f = function_of(anchor);
    std::string name = f ? qualified(f) : "(global)";
    Site site;
    if (!locate(anchor->getSourceRange(), site)) return;
    site.kind = kind;
    site.function = name;
    site.annotated = f && annotation(f) == kind;
    site.excerpt = excerpt(anchor->getSourceRange(), context_);
    site.detail = detail;
    site.id = unique_id(std::string(kind) + ":" + name);
    sites_.push_back(std::move(site));
  }

  template <typename Detail>
  void add_decl(const char* kind, const Decl* decl, const std::string& name, const Detail& detail, bool marked) {
    if (!seen_.insert(decl).second) return;
    Site site;
    if (!locate(decl->getSourceRange(), site)) return;
    site.kind = kind;
    site.function = name.substr(0, name.rfind("::") == std::string::npos ? 0 : name.rfind("::"));
    site.annotated = marked;
    site.excerpt = excerpt(decl->getSourceRange(), context_);
    site.detail = detail;
    site.id = unique_id(std::string(kind) + ":" + name);
    sites_.push_back(std::move(site));
  }

  bool in_project(SourceLocation location) {
    const SourceManager& sources = context_.getSourceManager();
    SourceLocation at = sources.getExpansionLoc(location);
    if (at.isInvalid() || sources.isInSystemHeader(at)) return false;
    FileID file = sources.getFileID(at);
    auto known = project_files_.find(file);
    if (known == project_files_.end()) known = project_files_.emplace(file, in_project_(file_path(at, sources))).first;
    return known->second;
  }

  bool locate(SourceRange range, Site& site) {
    const SourceManager& sources = context_.getSourceManager();
    SourceLocation begin = sources.getExpansionLoc(range.getBegin());
    SourceLocation end = sources.getExpansionLoc(range.getEnd());
    if (begin.isInvalid() || sources.isInSystemHeader(begin)) return false;
    site.file = file_path(begin, sources);
    if (site.file.empty() || !in_project_(site.file)) return false;
    site.begin_line = sources.getExpansionLineNumber(begin);
    site.end_line = sources.getExpansionLineNumber(end);
    return true;
  }

  std::string unique_id(const std::string& base) {
    int n = ++id_counts_[base];
    return n == 1 ? base : base + "#" + std::to_string(n);
  }

  ASTContext& context_;
  const FileFilter& in_project_;
  std::vector<Site> sites_;
  std::set<const void*> seen_;
  std::map<std::string, int> id_counts_;
  std::map<FileID, bool> project_files_;
};

}  // namespace

void restrict_to_project(ASTContext& context, const FileFilter& in_project) {
  const SourceManager& sources = context.getSourceManager();
  std::map<FileID, bool> project_files;
  std::vector<Decl*> scope;
  for (Decl* decl : context.getTranslationUnitDecl()->decls()) {
    SourceLocation at = sources.getExpansionLoc(decl->getLocation());
    if (at.isInvalid() || sources.isInSystemHeader(at)) continue;
    FileID file = sources.getFileID(at);
    auto known = project_files.find(file);
    if (known == project_files.end()) known = project_files.emplace(file, in_project(file_path(at, sources))).first;
    if (known->second) scope.push_back(decl);
  }
  context.setTraversalScope(scope);
}

std::vector<Site> find_sites(ASTContext& context, const FileFilter& in_project) {
  Collector collector(context, in_project);
  MatchFinder finder;
  // Template patterns, not each instantiation of them.
  finder.addMatcher(forStmt(unless(isInTemplateInstantiation())).bind("for"), &collector);
  finder.addMatcher(cxxForRangeStmt(unless(isInTemplateInstantiation())).bind("range-for"), &collector);
  finder.addMatcher(varDecl(unless(isInstantiated())).bind("set"), &collector);
  finder.addMatcher(fieldDecl(unless(isInstantiated())).bind("storage"), &collector);
  finder.addMatcher(fieldDecl(hasInClassInitializer(expr()), unless(isInstantiated())).bind("constant"), &collector);
  finder.addMatcher(varDecl(hasInitializer(expr()), unless(hasLocalStorage()), unless(isInstantiated())).bind("constant"),
                    &collector);
  finder.matchAST(context);
  return collector.take();
}

}  // namespace crinn::sites
