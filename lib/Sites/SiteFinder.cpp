#include "Sites/SiteFinder.h"

#include "Sites/AstUtil.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "clang/Lex/MacroInfo.h"
#include "clang/Lex/Preprocessor.h"

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
  bool as_written = true;  // no conversion written around it, no p++ inside it
};

// `e` without parentheses and conversions, implicit or written ((float)x,
// static_cast<float>(x), result_t(x), also where a template leaves result_t
// unresolved); `converted` is set when a written one was dropped.
const Expr* without_conversions(const Expr* e, bool* converted = nullptr) {
  for (;;) {
    const Expr* inner = e->IgnoreParenImpCasts();
    if (const auto* cast = dyn_cast<ExplicitCastExpr>(inner)) {
      inner = cast->getSubExpr();
    } else if (const auto* construct = dyn_cast<CXXUnresolvedConstructExpr>(inner); construct && construct->getNumArgs() == 1) {
      inner = construct->getArg(0);
    } else {
      return inner;
    }
    if (converted) *converted = true;
    e = inner;
  }
}

std::optional<ElementRead> element_read(const Expr* e, const VarDecl* induction) {
  bool converted = false;
  e = without_conversions(e, &converted);
  if (const auto* subscript = dyn_cast<ArraySubscriptExpr>(e)) {
    // By the induction variable, or (a pointer-walking loop) by a constant offset.
    bool by_step = induction ? references_only(subscript->getIdx(), induction)
                             : isa<IntegerLiteral>(subscript->getIdx()->IgnoreParenImpCasts());
    if (by_step && is_pointer_like(subscript->getBase()))
      return ElementRead{subscript->getBase()->IgnoreImpCasts(), induction != nullptr, !converted && induction};
    return std::nullopt;
  }
  if (const auto* deref = dyn_cast<UnaryOperator>(e); deref && deref->getOpcode() == UO_Deref) {
    const Expr* pointer = deref->getSubExpr()->IgnoreParenImpCasts();
    if (const auto* step = dyn_cast<UnaryOperator>(pointer); step && step->isIncrementOp() && step->isPostfix())
      if (referenced_var(step->getSubExpr())) return ElementRead{step->getSubExpr()->IgnoreParenImpCasts(), false, false};
    if (referenced_var(pointer)) return ElementRead{pointer, false, !converted};
  }
  return std::nullopt;
}

// (x - y) as two element reads, each directly or through a local (`resolve`).
std::optional<std::pair<ElementRead, ElementRead>> difference(const Expr* e, const VarDecl* induction,
                                                              const std::function<const Expr*(const Expr*)>& resolve) {
  const auto* sub = dyn_cast<BinaryOperator>(without_conversions(e));
  if (!sub || sub->getOpcode() != BO_Sub) return std::nullopt;
  auto x = element_read(resolve(sub->getLHS()), induction), y = element_read(resolve(sub->getRHS()), induction);
  if (!x || !y) return std::nullopt;
  return std::make_pair(*x, *y);
}

// The function a call runs, also where a template leaves it unresolved.
const FunctionDecl* called_function(const CallExpr* call) {
  if (const FunctionDecl* callee = call->getDirectCallee()) return callee;
  if (const auto* lookup = dyn_cast<UnresolvedLookupExpr>(call->getCallee()->IgnoreParenImpCasts()))
    for (const NamedDecl* decl : lookup->decls()) {
      if (const auto* function = dyn_cast<FunctionDecl>(decl)) return function;
      if (const auto* pattern = dyn_cast<FunctionTemplateDecl>(decl)) return pattern->getTemplatedDecl();
    }
  return nullptr;
}

// f(x) where f returns its parameter times itself (square(a[i] - b[i])): x.
const Expr* squared_argument(const Expr* e) {
  const auto* call = dyn_cast<CallExpr>(without_conversions(e));
  const FunctionDecl* f = call && call->getNumArgs() == 1 ? called_function(call) : nullptr;
  const FunctionDecl* definition = nullptr;
  if (!f || f->getNumParams() != 1 || !f->hasBody(definition)) return nullptr;
  const auto* body = dyn_cast<CompoundStmt>(definition->getBody());
  const auto* ret = body && body->size() == 1 ? dyn_cast<ReturnStmt>(body->body_front()) : nullptr;
  const auto* product = ret && ret->getRetValue() ? dyn_cast<BinaryOperator>(without_conversions(ret->getRetValue())) : nullptr;
  const ParmVarDecl* param = definition->getParamDecl(0);
  if (!product || product->getOpcode() != BO_Mul || referenced_var(product->getLHS()) != param ||
      referenced_var(product->getRHS()) != param)
    return nullptr;
  return call->getArg(0);
}

// One term of a reduction: (x - y)^2 or x * y, as two element reads.
struct ReductionTerm {
  DistanceKernel::Reduction reduction;
  ElementRead left, right;
};

// `e` as a sum of terms, each (x - y) * (x - y) (directly, through a local
// or as a helper square(x - y)) or x * y; `resolve` follows a local to its value.
bool reduction_terms(const Expr* e, const VarDecl* induction, const std::function<const Expr*(const Expr*)>& resolve,
                     const ASTContext& context, std::vector<ReductionTerm>& terms) {
  e = without_conversions(e);
  if (const auto* sum = dyn_cast<BinaryOperator>(e); sum && sum->getOpcode() == BO_Add)
    return reduction_terms(sum->getLHS(), induction, resolve, context, terms) &&
           reduction_terms(sum->getRHS(), induction, resolve, context, terms);
  const Expr* lhs = nullptr;
  const Expr* rhs = nullptr;
  if (const Expr* squared = squared_argument(e)) {
    lhs = rhs = resolve(squared);
  } else if (const auto* product = dyn_cast<BinaryOperator>(e); product && product->getOpcode() == BO_Mul) {
    lhs = resolve(product->getLHS());
    rhs = resolve(product->getRHS());
  } else {
    return false;
  }
  if (auto d = difference(lhs, induction, resolve)) {
    if (lhs != rhs && source_text(lhs, context) != source_text(rhs, context)) return false;
    terms.push_back({DistanceKernel::Reduction::SquaredL2, d->first, d->second});
    return true;
  }
  auto x = element_read(lhs, induction), y = element_read(rhs, induction);
  if (!x || !y) return false;
  terms.push_back({DistanceKernel::Reduction::Dot, *x, *y});
  return true;
}

// Recognises `for (i = 0; i < n; ++i) { [T t = x - y;] acc += t * t | x * y; [p++; q++;] }`
// and its variants: written conversions, a helper that squares, *p++ reads,
// several accumulators or terms (a loop unrolled by hand, four distances at
// once). A vector times itself (a norm) is not a distance.
std::optional<DistanceKernel> analyze_reduction(const Stmt* loop, ASTContext& context) {
  DistanceKernel kernel;
  kernel.loop = loop;
  const Stmt* body = nullptr;
  if (const auto* for_loop = dyn_cast<ForStmt>(loop)) {
    LoopShape shape = loop_shape(for_loop);
    if (!shape.induction || !shape.bound || !shape.starts_at_zero) return std::nullopt;
    kernel.induction = shape.induction;
    kernel.bound = shape.bound;
    body = for_loop->getBody();
  } else if (const auto* while_loop = dyn_cast<WhileStmt>(loop)) {
    // while (p != last) { ... *p++ ... } or { ... p[0] ... p += 4; }: found, not rewritten.
    body = while_loop->getBody();
    kernel.rewritable = false;
  } else {
    return std::nullopt;
  }
  std::map<const VarDecl*, const Expr*> locals;  // T t = init inside the body
  std::vector<const VarDecl*> stepped;           // pointers advanced by p++
  std::vector<const BinaryOperator*> accumulations;

  for (const Stmt* s : body_statements(body)) {
    const auto* op = dyn_cast<BinaryOperator>(s);
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
    } else if (op && op->getOpcode() == BO_AddAssign && referenced_var(op->getLHS()) &&
               referenced_var(op->getLHS())->getType()->isPointerType()) {
      stepped.push_back(referenced_var(op->getLHS()));  // p += 4
      kernel.rewritable = false;
    } else if (op && op->getOpcode() == BO_AddAssign) {
      accumulations.push_back(op);
    } else if (op && op->getOpcode() == BO_Assign && referenced_var(op->getLHS()) &&
               !contains(loop, referenced_var(op->getLHS()))) {
      locals[referenced_var(op->getLHS())] = op->getRHS();  // t0 = a[0] - b[0] into a variable declared before
      kernel.rewritable = false;
    } else {
      return std::nullopt;  // anything else may have effects a kernel call would lose
    }
  }
  if (accumulations.empty()) return std::nullopt;
  auto resolve = [&](const Expr* e) {
    const VarDecl* var = referenced_var(without_conversions(e));
    auto it = var ? locals.find(var) : locals.end();
    return it == locals.end() ? e : it->second;
  };
  std::vector<ReductionTerm> terms;
  for (const BinaryOperator* accumulation : accumulations) {
    const VarDecl* accumulator = referenced_var(accumulation->getLHS());
    if (!accumulator || contains(loop, accumulator)) return std::nullopt;
    // An integer sum is a distance over bytes (SQ8 codes, SIFT): found, not rewritten.
    if (!is_floating_or_dependent(accumulator->getType())) {
      if (!accumulator->getType()->isIntegerType()) return std::nullopt;
      kernel.rewritable = false;
    }
    if (!kernel.accumulator) kernel.accumulator = accumulator;
    if (!reduction_terms(accumulation->getRHS(), kernel.induction, resolve, context, terms)) return std::nullopt;
  }
  const ReductionTerm& first = terms.front();
  for (const ReductionTerm& term : terms) {
    if (term.reduction != first.reduction || term.left.indexed != term.right.indexed) return std::nullopt;
    if (source_text(term.left.base, context) == source_text(term.right.base, context)) return std::nullopt;
  }
  kernel.reduction = first.reduction;
  kernel.left_base = first.left.base;
  kernel.right_base = first.right.base;
  kernel.indexed = first.left.indexed;
  kernel.rewritable &= terms.size() == 1 && first.left.as_written && first.right.as_written;
  if (!kernel.induction && (stepped.empty() && first.left.as_written)) return std::nullopt;  // a while loop that walks nothing
  if (!kernel.indexed && kernel.rewritable) {
    // The walked pointers must be exactly the two that are read.
    const VarDecl* left = referenced_var(kernel.left_base);
    const VarDecl* right = referenced_var(kernel.right_base);
    if (stepped.size() != 2 || std::find(stepped.begin(), stepped.end(), left) == stepped.end() ||
        std::find(stepped.begin(), stepped.end(), right) == stepped.end() || left == right)
      return std::nullopt;
  } else if (kernel.indexed && !stepped.empty()) {
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

// A variable or a member: what a declaration site names.
struct Named {
  const VarDecl* variable = nullptr;
  const FieldDecl* field = nullptr;
  explicit operator bool() const { return variable || field; }
  const Decl* decl() const { return variable ? static_cast<const Decl*>(variable) : field; }
};

// The object `e` names: a variable or a member (of *this or of another
// object), through conversions, `&x[0]`, `*p`, `x.data()`, and a local that
// is only another name for a member (`auto* tags = list->tags;`).
Named named_object(const Expr* e) {
  e = without_conversions(e);
  if (const auto* ref = dyn_cast<DeclRefExpr>(e)) {
    const auto* var = dyn_cast<VarDecl>(ref->getDecl());
    if (!var) return {};
    if (var->isLocalVarDecl() && var->getInit() && (var->getType()->isPointerType() || var->getType()->isReferenceType()))
      if (const auto* member = dyn_cast<MemberExpr>(without_conversions(var->getInit())))
        if (const auto* field = dyn_cast<FieldDecl>(member->getMemberDecl())) return {nullptr, field};
    return {var, nullptr};
  }
  if (const auto* member = dyn_cast<MemberExpr>(e)) {
    if (const auto* field = dyn_cast<FieldDecl>(member->getMemberDecl())) return {nullptr, field};
    return {};
  }
  if (const auto* call = dyn_cast<CXXMemberCallExpr>(e); call && call->getNumArgs() == 0)
    return named_object(call->getImplicitObjectArgument());
  if (const auto* unary = dyn_cast<UnaryOperator>(e); unary && (unary->getOpcode() == UO_AddrOf || unary->getOpcode() == UO_Deref))
    return named_object(unary->getSubExpr());
  if (const auto* subscript = dyn_cast<ArraySubscriptExpr>(e)) return named_object(subscript->getBase());
  if (const auto* op = dyn_cast<CXXOperatorCallExpr>(e); op && op->getOperator() == OO_Subscript)
    return named_object(op->getArg(0));
  return {};
}

// The body and parameters of what a call runs: a function, a method, a lambda.
const FunctionDecl* called_definition(const CallExpr* call) {
  const FunctionDecl* f = called_function(call);
  const FunctionDecl* definition = nullptr;
  return f && f->hasBody(definition) ? definition : nullptr;
}

// The arguments of a call, without the object of an operator() call.
std::vector<const Expr*> call_arguments(const CallExpr* call) {
  std::vector<const Expr*> args(call->arg_begin(), call->arg_end());
  if (const auto* op = dyn_cast<CXXOperatorCallExpr>(call); op && op->getOperator() == OO_Call && !args.empty())
    args.erase(args.begin());
  return args;
}

bool answers_yes_or_no(const Expr* call) {
  QualType type = call->getType();
  return !type->isRealFloatingType() && !type->isVoidType();
}

// What condition `c` tests the neighbour's membership in (`keyed` says
// whether an expression is keyed by the neighbour): what a subscript by it
// reads (visited[v], stamp[v] == epoch, a vector<bool>), the object of a
// call that takes it and answers yes or no (s.count(v), bits.test(v),
// s.insert(v).second), or either inside a function or lambda that the
// condition calls with it (is_not_visited(v), pool.check_visited(v)).
Named membership_test(const Stmt* c, const std::function<bool(const Expr*)>& keyed, int depth = 0) {
  Named found;
  visit_exprs(c, [&](const Expr* e) {
    if (found) return;
    if (const auto* subscript = dyn_cast<ArraySubscriptExpr>(e); subscript && keyed(subscript->getIdx())) {
      found = named_object(subscript->getBase());
      return;
    }
    const auto* call = dyn_cast<CallExpr>(e);
    if (!call || !answers_yes_or_no(call)) return;
    if (const auto* op = dyn_cast<CXXOperatorCallExpr>(call); op && op->getOperator() == OO_Subscript) {
      if (keyed(op->getArg(1))) found = named_object(op->getArg(0));
      return;
    }
    std::vector<const Expr*> args = call_arguments(call);
    for (size_t i = 0; i < args.size() && !found; ++i) {
      if (!keyed(args[i])) continue;
      if (const auto* member = dyn_cast<CXXMemberCallExpr>(call)) {
        const Expr* object = member->getImplicitObjectArgument();
        if (object && !isa<CXXThisExpr>(object->IgnoreParenImpCasts())) found = named_object(object);
      }
      const FunctionDecl* definition = called_definition(call);
      if (!found && depth == 0 && definition && i < definition->getNumParams()) {
        const ParmVarDecl* param = definition->getParamDecl(unsigned(i));
        found = membership_test(definition->getBody(), [&](const Expr* x) { return references(x, param); }, 1);
      }
    }
  });
  return found;
}

// The loop around `s`, also where `s` initialises a variable (`bool kept = std::all_of(...)`).
const Stmt* enclosing_loop(const Stmt* s, ASTContext& context) {
  DynTypedNodeList parents = context.getParents(*s);
  while (!parents.empty()) {
    const DynTypedNode& node = parents[0];
    if (const auto* p = node.get<Stmt>(); p && isa<WhileStmt, ForStmt, DoStmt, CXXForRangeStmt>(p)) return p;
    parents = context.getParents(node);
  }
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

// The fields from *this to the member e reads, through members held by value
// (`hdr_.count` gives hdr_, count), else empty.
std::vector<const FieldDecl*> member_path(const Expr* e) {
  std::vector<const FieldDecl*> path;
  e = e->IgnoreParenCasts();
  while (const auto* member = dyn_cast<MemberExpr>(e)) {
    const auto* field = dyn_cast<FieldDecl>(member->getMemberDecl());
    if (!field) return {};
    path.insert(path.begin(), field);
    e = member->getBase()->IgnoreParenImpCasts();
    if (isa<CXXThisExpr>(e)) return path;
    if (member->isArrow()) return {};
  }
  return {};
}

// Both the same literal or the same member of *this.
bool same_invariant(const Expr* a, const Expr* b) {
  a = a->IgnoreParenImpCasts();
  b = b->IgnoreParenImpCasts();
  const auto* x = dyn_cast<IntegerLiteral>(a);
  const auto* y = dyn_cast<IntegerLiteral>(b);
  if (x || y) return x && y && x->getValue() == y->getValue();
  const FieldDecl* field = invariant_field(a);
  return field && field == invariant_field(b);
}

// In `a * b`, the factor beside `stride` (the same literal or member), else null.
const Expr* times_stride(const Expr* product, const Expr* stride) {
  const auto* mul = dyn_cast<BinaryOperator>(product->IgnoreParenImpCasts());
  if (!mul || mul->getOpcode() != BO_Mul) return nullptr;
  for (auto [factor, other] : {std::pair{mul->getRHS(), mul->getLHS()}, {mul->getLHS(), mul->getRHS()}})
    if (same_invariant(factor, stride)) return other;
  return nullptr;
}

// `&storage[index]` or `storage.data() + index`: the storage and the index, else both null.
struct IndexedRead {
  const Expr* base = nullptr;
  const Expr* index = nullptr;
};
IndexedRead indexed_read(const Expr* e) {
  if (const auto* take = dyn_cast<UnaryOperator>(e); take && take->getOpcode() == UO_AddrOf) {
    const auto* subscript = dyn_cast<CXXOperatorCallExpr>(take->getSubExpr()->IgnoreParenImpCasts());
    if (subscript && subscript->getOperator() == OO_Subscript && subscript->getNumArgs() == 2)
      return {subscript->getArg(0), subscript->getArg(1)};
  } else if (const auto* plus = dyn_cast<BinaryOperator>(e); plus && plus->getOpcode() == BO_Add) {
    const auto* data = dyn_cast<CXXMemberCallExpr>(plus->getLHS()->IgnoreParenImpCasts());
    if (data && data->getMethodDecl() && data->getMethodDecl()->getName() == "data")
      return {data->getImplicitObjectArgument(), plus->getRHS()};
  }
  return {};
}

// Whether `var` is assigned, incremented or decremented anywhere in scope
// after its initialisation.
bool reassigned(const Stmt* scope, const VarDecl* var) {
  bool changed = false;
  visit_exprs(scope, [&](const Expr* e) {
    if (const auto* assign = dyn_cast<BinaryOperator>(e); assign && assign->isAssignmentOp())
      changed |= referenced_var(assign->getLHS()) == var;
    if (const auto* step = dyn_cast<UnaryOperator>(e); step && step->isIncrementDecrementOp())
      changed |= referenced_var(step->getSubExpr()) == var;
  });
  return changed;
}

// A row of the byte buffer: the node whose row `address` is, where a row
// reads `buffer + id * stride + offset` (the accessor's form), written out,
// through a local of `scope` set to `buffer + id * stride` and never
// changed, or as a call of the accessor (when there is one); else null.
const Expr* row_node(const Expr* address, const FunctionDecl* accessor, const FieldDecl* buffer, const Expr* stride,
                     const Expr* offset, const Stmt* scope) {
  address = address->IgnoreParenCasts();
  if (const auto* call = dyn_cast<CallExpr>(address)) {
    const FunctionDecl* callee = call->getDirectCallee();
    return accessor && callee && call->getNumArgs() == 1 && callee->getCanonicalDecl() == accessor->getCanonicalDecl()
               ? call->getArg(0)
               : nullptr;
  }
  const auto* plus = dyn_cast<BinaryOperator>(address);
  if (!plus || plus->getOpcode() != BO_Add || !same_invariant(plus->getRHS(), offset)) return nullptr;
  const Expr* row = plus->getLHS()->IgnoreParenCasts();
  if (const VarDecl* local = referenced_var(row); local && isa<DeclRefExpr>(row) && local->hasLocalStorage() &&
                                                   local->getInit() && !reassigned(scope, local))
    row = local->getInit()->IgnoreParenCasts();
  const auto* start = dyn_cast<BinaryOperator>(row);
  if (!start || start->getOpcode() != BO_Add || invariant_field(start->getLHS()) != buffer) return nullptr;
  return times_stride(start->getRHS(), stride);
}

// For rows in a byte buffer: the method of the accessor's class that adds a
// row, `memcpy(<row of id> , src, bytes)` after `id = count; ++count;` or
// `id = count++`, tells how many rows are stored (count, a member of *this
// or of a member it holds) and the vector's bytes.
void find_row_count(const FunctionDecl* accessor, const FieldDecl* buffer, const Expr* stride, const Expr* offset,
                    NeighborLoop& site) {
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
      const Expr* node = row_node(copy->getArg(0), accessor, buffer, stride, offset, body);
      const VarDecl* id = node ? referenced_var(node) : nullptr;
      if (!id) return;
      // The count the id is taken from, and whether taking it also counts it.
      const Expr* count = nullptr;
      bool incremented = false;
      auto take = [&](const Expr* value) {
        value = value->IgnoreParenCasts();
        if (const auto* post = dyn_cast<UnaryOperator>(value); post && post->getOpcode() == UO_PostInc) {
          value = post->getSubExpr()->IgnoreParenCasts();
          incremented = true;
        }
        if (!member_path(value).empty()) count = value;
      };
      visit_exprs(body, [&](const Expr* assigned) {
        const auto* assign = dyn_cast<BinaryOperator>(assigned);
        if (assign && assign->getOpcode() == BO_Assign && referenced_var(assign->getLHS()) == id) take(assign->getRHS());
      });
      if (!count && id->getInit()) take(id->getInit());
      if (!count) return;
      visit_exprs(body, [&](const Expr* step) {
        const auto* inc = dyn_cast<UnaryOperator>(step);
        if (inc && inc->isIncrementOp() && member_path(inc->getSubExpr()) == member_path(count)) incremented = true;
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
  const IndexedRead read = indexed_read(e);
  if (!read.base) {
    // storage + node * stride + offset, in bytes
    const auto* plus = dyn_cast<BinaryOperator>(e);
    const auto* row = plus && plus->getOpcode() == BO_Add ? dyn_cast<BinaryOperator>(plus->getLHS()->IgnoreParenImpCasts())
                                                          : nullptr;
    if (!accessor || !row || row->getOpcode() != BO_Add || !is_class_invariant(plus->getRHS())) return;
    const FieldDecl* buffer = invariant_field(row->getLHS());
    const Expr* stride = invariant_factor(row->getRHS());
    QualType type = buffer ? buffer->getType() : QualType();
    if (!buffer || !stride || !type->isPointerType() || !type->getPointeeType()->isCharType()) return;
    find_row_count(accessor, buffer, stride, plus->getRHS(), site);
    if (!site.count) return;
    site.storage = buffer;
    site.stride = stride;
    site.offset = plus->getRHS()->IgnoreParenImpCasts();
    return;
  }
  const auto* member = dyn_cast<MemberExpr>(read.base->IgnoreParenImpCasts());
  if (!member || !is_class_invariant(member)) return;
  const auto* field = cast<FieldDecl>(member->getMemberDecl());
  if (!is_std_template(field->getType(), "vector", "float")) return;
  if (const Expr* stride = invariant_factor(read.index)) {
    site.storage = field;
    site.stride = stride;
  }
}

// The member holding the vectors that `vector_expr` reads, by use: the one
// member that is not a number (a pointer, an array, a container) among those
// it reads, directly or in the one-line accessor it calls (row(id),
// getDataByInternalId(id)).
const FieldDecl* storage_read_by(const Expr* vector_expr, const CallExpr* distance_call) {
  const Expr* e = without_conversions(vector_expr);
  // distance(a_id, b_id): the vectors are read inside the helper, from its parameter.
  if (const FunctionDecl* helper = distance_call ? called_definition(distance_call) : nullptr;
      helper && (e->getType()->isIntegerType())) {
    std::vector<const Expr*> args = call_arguments(distance_call);
    for (size_t i = 0; i < args.size() && i < helper->getNumParams(); ++i) {
      if (without_conversions(args[i]) != e) continue;
      const ParmVarDecl* param = helper->getParamDecl(unsigned(i));
      const FieldDecl* found = nullptr;
      visit_exprs(helper->getBody(), [&](const Expr* inner) {
        const auto* call = dyn_cast<CallExpr>(inner);
        if (found || !call) return;
        for (const Expr* arg : call_arguments(call))
          if (references(arg, param) && !without_conversions(arg)->getType()->isIntegerType())
            found = storage_read_by(arg, nullptr);
      });
      return found;
    }
  }
  if (const auto* call = dyn_cast<CallExpr>(e)) {
    const FunctionDecl* definition = called_definition(call);
    const auto* body = definition ? dyn_cast<CompoundStmt>(definition->getBody()) : nullptr;
    const auto* ret = body && body->size() == 1 ? dyn_cast<ReturnStmt>(body->body_front()) : nullptr;
    if (ret && ret->getRetValue()) e = ret->getRetValue();
  }
  std::set<const FieldDecl*> fields;
  visit_exprs(e, [&](const Expr* node) {
    const auto* member = dyn_cast<MemberExpr>(node);
    const auto* field = member ? dyn_cast<FieldDecl>(member->getMemberDecl()) : nullptr;
    if (field && !field->getType()->isArithmeticType() && !field->getType()->isEnumeralType()) fields.insert(field);
  });
  return fields.size() == 1 ? *fields.begin() : nullptr;
}

// The loop over a node's neighbours, in its forms: a range-for, an index
// loop, a pointer or iterator loop, an algorithm given a lambda
// (std::for_each); `body` is what runs per neighbour and `element` the
// neighbour (the induction variable, the pointer or the lambda's parameter
// where no local names it).
struct LoopForm {
  const Stmt* body = nullptr;
  const VarDecl* element = nullptr;
  bool classic = false;  // a range-for, or an index loop with a local for the neighbour
};

std::optional<LoopForm> loop_form(const Stmt* loop, NeighborLoop& site) {
  LoopForm form;
  if (const auto* range_for = dyn_cast<CXXForRangeStmt>(loop)) {
    site.range = range_for->getRangeInit();
    form = {range_for->getBody(), range_for->getLoopVariable(), true};
  } else if (const auto* for_loop = dyn_cast<ForStmt>(loop)) {
    form.body = for_loop->getBody();
    LoopShape shape = loop_shape(for_loop);
    if (shape.induction) {
      site.index = shape.induction;
      // The element: the first local initialised from the induction variable.
      for (const Stmt* s : body_statements(form.body))
        if (const auto* decl = dyn_cast<DeclStmt>(s); decl && decl->isSingleDecl())
          if (const auto* var = dyn_cast<VarDecl>(decl->getSingleDecl());
              var && var->getInit() && references(var->getInit(), site.index)) {
            form.element = var;
            form.classic = true;
            break;
          }
      if (!form.element) form.element = shape.induction;
    } else {
      // for (p = first; p != last; ++p): the neighbour is *p.
      const auto* decl = dyn_cast_or_null<DeclStmt>(for_loop->getInit());
      const auto* step = dyn_cast_or_null<UnaryOperator>(for_loop->getInc() ? for_loop->getInc()->IgnoreParenImpCasts() : nullptr);
      const VarDecl* cursor = decl && decl->isSingleDecl() ? dyn_cast<VarDecl>(decl->getSingleDecl()) : nullptr;
      if (!cursor || !for_loop->getCond() || !references(for_loop->getCond(), cursor)) return std::nullopt;
      bool steps = (step && step->isIncrementOp() && referenced_var(step->getSubExpr()) == cursor) ||
                   (for_loop->getInc() && isa<CXXOperatorCallExpr>(for_loop->getInc()) && references(for_loop->getInc(), cursor));
      if (!steps) return std::nullopt;
      form.element = cursor;
      for (const Stmt* s : body_statements(form.body))
        if (const auto* local = dyn_cast<DeclStmt>(s); local && local->isSingleDecl())
          if (const auto* var = dyn_cast<VarDecl>(local->getSingleDecl()); var && var->getInit() && references(var->getInit(), cursor)) {
            form.element = var;
            break;
          }
    }
  } else if (const auto* call = dyn_cast<CallExpr>(loop)) {
    for (const Expr* arg : call->arguments())
      if (const auto* lambda = dyn_cast<LambdaExpr>(arg->IgnoreParenImpCasts());
          lambda && lambda->getCallOperator()->getNumParams() == 1)
        form = {lambda->getBody(), lambda->getCallOperator()->getParamDecl(0), false};
  }
  if (!form.element || !form.body) return std::nullopt;
  return form;
}

// Adds `named` to `found` where it is a container of records (a queue, a
// vector of pairs, an array of structs) and not the visited set.
void add_container(Named named, const Decl* visited, std::vector<Named>& found) {
  if (!named || named.decl() == visited) return;
  QualType type = named.variable ? named.variable->getType() : named.field->getType();
  type = type.getNonReferenceType();
  if (type->isPointerType() || type->isArrayType()) type = QualType(type->getPointeeOrArrayElementType(), 0);
  if (!type->isRecordType() && !type->isDependentType()) return;
  for (const Named& known : found)
    if (known.decl() == named.decl()) return;
  found.push_back(named);
}

// The containers of a search that receive a neighbour or its distance in
// `s` (a push, an insertion, a helper given the pool): each call's object,
// or the argument naming a container where the call is a free function.
void receivers(const Stmt* s, const std::function<bool(const Expr*)>& carries, const Decl* visited,
               std::vector<Named>& found, int depth = 0) {
  visit_exprs(s, [&](const Expr* e) {
    const auto* call = dyn_cast<CallExpr>(e);
    if (!call) return;
    std::vector<const Expr*> args = call_arguments(call);
    if (std::none_of(args.begin(), args.end(), carries)) return;
    // A helper or lambda given the neighbour (offer(d, v)): what it puts them into.
    const auto* op = dyn_cast<CXXOperatorCallExpr>(call);
    const FunctionDecl* helper = called_definition(call);
    if (helper && depth == 0 && (!op || op->getOperator() == OO_Call) && !isa<CXXMemberCallExpr>(call)) {
      std::vector<const ParmVarDecl*> params;
      for (size_t i = 0; i < args.size() && i < helper->getNumParams(); ++i)
        if (carries(args[i])) params.push_back(helper->getParamDecl(unsigned(i)));
      receivers(helper->getBody(), [&](const Expr* x) {
        return std::any_of(params.begin(), params.end(), [&](const ParmVarDecl* p) { return references(x, p); });
      }, visited, found, 1);
    }
    if (op) return;
    auto add = [&](Named named) { add_container(named, visited, found); };
    if (const auto* member = dyn_cast<CXXMemberCallExpr>(call)) {
      if (!isa<CXXThisExpr>(member->getImplicitObjectArgument()->IgnoreParenImpCasts()))
        add(named_object(member->getImplicitObjectArgument()));
      return;
    }
    if (const auto* dependent = dyn_cast<CXXDependentScopeMemberExpr>(call->getCallee())) {
      if (!dependent->isImplicitAccess()) add(named_object(dependent->getBase()));
      return;
    }
    for (const Expr* arg : args)
      if (!carries(arg)) add(named_object(arg));
  });
}

// The local declared with the distance call in its initialiser
// (`float d = distance(...)`, maybe inside a larger expression) in scope, else null.
const VarDecl* distance_variable(const CallExpr* call, const Stmt* scope, ASTContext& context) {
  if (const auto* parent = dyn_cast_or_null<DeclStmt>(parent_stmt(call, context)); parent && parent->isSingleDecl())
    if (const auto* var = dyn_cast<VarDecl>(parent->getSingleDecl())) return var;
  const VarDecl* holder = nullptr;
  visit_stmts(scope, [&](const Stmt* s) {
    const auto* decl = dyn_cast<DeclStmt>(s);
    if (!holder && decl && decl->isSingleDecl())
      if (const auto* var = dyn_cast<VarDecl>(decl->getSingleDecl()); var && var->getInit() && contains(var->getInit(), call))
        holder = var;
  });
  return holder;
}

// A greedy walk (an HNSW's upper layers) has no visited test: it moves to a
// neighbour closer than the current node (`if (d < best) { best = d; node =
// v; }`) and walks the current node's list, so the list depends on what it
// moves. That tells it from an argmin over a fixed set (k-means' nearest
// centroid inside its iterations).
// `distance` is the local that holds the distance call's value, if any.
bool walks_to_closer(const Stmt* loop, const Stmt* body, const NeighborLoop& site, const VarDecl* distance) {
  // The node it moves to: a local outside the loop, set from the neighbour where the distance is smaller.
  const VarDecl* node = nullptr;
  visit_stmts(body, [&](const Stmt* s) {
    const auto* test = dyn_cast<IfStmt>(s);
    if (node || !test ||
        !(contains(test->getCond(), site.distance_call) || (distance && references(test->getCond(), distance))))
      return;
    visit_exprs(test->getThen(), [&](const Expr* e) {
      const auto* assign = dyn_cast<BinaryOperator>(e);
      const VarDecl* target = assign && assign->getOpcode() == BO_Assign ? referenced_var(assign->getLHS()) : nullptr;
      if (target && target->hasLocalStorage() && !contains(loop, target) && references(assign->getRHS(), site.element))
        node = target;
    });
  });
  if (!node || !site.beam_loop) return false;
  // Where the loop's list comes from (its header, the neighbour's
  // initialiser), through the locals the enclosing loop sets.
  std::vector<const Expr*> sources;
  auto add = [&](const Stmt* s) {
    if (const auto* e = dyn_cast_or_null<Expr>(s)) sources.push_back(e);
  };
  if (const auto* range_for = dyn_cast<CXXForRangeStmt>(loop)) add(range_for->getRangeInit());
  if (const auto* for_loop = dyn_cast<ForStmt>(loop)) {
    add(for_loop->getCond());
    if (const auto* init = dyn_cast_or_null<DeclStmt>(for_loop->getInit()))
      for (const Decl* d : init->decls())
        if (const auto* var = dyn_cast<VarDecl>(d)) add(var->getInit());
  }
  if (site.element && site.element->getInit()) add(site.element->getInit());
  std::set<const VarDecl*> seen;
  while (!sources.empty()) {
    const Expr* source = sources.back();
    sources.pop_back();
    if (references(source, node)) return true;
    visit_exprs(source, [&](const Expr* e) {
      const VarDecl* var = referenced_var(e);
      if (!var || var == site.element || !var->hasLocalStorage() || !contains(site.beam_loop, var) ||
          !seen.insert(var).second)
        return;
      add(var->getInit());
      visit_exprs(site.beam_loop, [&](const Expr* set) {
        const auto* assign = dyn_cast<BinaryOperator>(set);
        if (assign && assign->getOpcode() == BO_Assign && referenced_var(assign->getLHS()) == var) add(assign->getRHS());
      });
    });
  }
  return false;
}

std::optional<NeighborLoop> analyze_neighbor_loop(const Stmt* loop, ASTContext& context, bool annotated,
                                                  const std::set<const FunctionDecl*>& kernels,
                                                  std::vector<Named>& pools, Named& visited) {
  NeighborLoop site;
  site.loop = loop;
  site.beam_loop = enclosing_loop(loop, context);
  if (!site.beam_loop && !annotated) return std::nullopt;
  // A search expands nodes until its pool runs dry; a loop counting over
  // every node (a build's pass, a brute-force kNN) is not a beam loop.
  if (const auto* counted = dyn_cast_or_null<ForStmt>(site.beam_loop); counted && loop_shape(counted).induction && !annotated)
    return std::nullopt;
  std::optional<LoopForm> form = loop_form(loop, site);
  if (!form) return std::nullopt;
  site.element = form->element;
  site.rewritable = form->classic;
  std::vector<const Stmt*> body = body_statements(form->body);
  auto keyed = [&](const Expr* e) { return references(e, site.element); };

  for (const Stmt* s : body) {
    const auto* test = dyn_cast<IfStmt>(s);
    if (!test) continue;
    visited = membership_test(test->getCond(), keyed);
    if (visited) {
      site.visited_check = s;
      break;
    }
  }
  const bool walk = !site.visited_check;

  // The distance: a call that answers a number (or runs a distance kernel)
  // and reads the neighbour's vector, followed through the body's locals.
  auto distance_of = [&](const Stmt* scope, const std::function<bool(const Expr*)>& reads_neighbour) {
    std::map<const VarDecl*, const Expr*> locals;
    visit_stmts(scope, [&](const Stmt* s) {
      if (const auto* decl = dyn_cast<DeclStmt>(s))
        for (const Decl* d : decl->decls())
          if (const auto* var = dyn_cast<VarDecl>(d); var && var->getInit()) locals[var] = var->getInit();
    });
    visit_exprs(scope, [&](const Expr* e) {
      const auto* call = dyn_cast<CallExpr>(e);
      if (site.vector_expr || !call || call_arguments(call).size() < 2) return;
      // A distance is computed: a call that yields an lvalue reads what is
      // stored (`data_[node * dim_]`, maybe in a prefetch's address).
      if (call->isGLValue()) return;
      const FunctionDecl* f = called_function(call);
      bool computes = is_floating_or_dependent(call->getType()) && !call->getType()->isDependentType();
      computes |= f && kernels.count(f->getCanonicalDecl());
      computes |= call->getType()->isDependentType() && !isa<CXXDependentScopeMemberExpr>(call->getCallee());
      if (!computes) return;
      for (const Expr* arg : call_arguments(call)) {
        const Expr* resolved = arg->IgnoreParenImpCasts();
        if (const VarDecl* var = referenced_var(resolved); var && locals.count(var)) resolved = locals[var];
        if (reads_neighbour(resolved)) {
          site.vector_expr = resolved;
          site.distance_call = call;
          return;
        }
      }
    });
  };
  distance_of(form->body, [&](const Expr* e) {
    return keyed(e) && !references_any_local_except(e, form->body, site.element);
  });
  const Stmt* compute = form->body;
  if (walk) {
    if (!site.vector_expr) return std::nullopt;
  } else if (!site.vector_expr) {
    // Gather then compute: the loop collects unvisited neighbours into a
    // buffer, and a statement after it computes their distances.
    const VarDecl* buffer = nullptr;
    visit_exprs(form->body, [&](const Expr* e) {
      if (buffer) return;
      if (const auto* assign = dyn_cast<BinaryOperator>(e); assign && assign->getOpcode() == BO_Assign && keyed(assign->getRHS()))
        if (const auto* into = dyn_cast<ArraySubscriptExpr>(assign->getLHS()->IgnoreParenImpCasts()))
          buffer = referenced_var(into->getBase());
      if (const auto* push = dyn_cast<CXXMemberCallExpr>(e); push && push->getNumArgs() == 1 && keyed(push->getArg(0)))
        buffer = referenced_var(push->getImplicitObjectArgument());
    });
    const auto* block = dyn_cast_or_null<CompoundStmt>(parent_stmt(loop, context));
    if (!buffer || !block || contains(loop, buffer)) return std::nullopt;
    bool after = false;
    for (const Stmt* s : block->body()) {
      if (s == loop) after = true;
      else if (after && !site.vector_expr) {
        distance_of(s, [&](const Expr* e) { return references(e, buffer); });
        compute = s;
      }
    }
    if (!site.vector_expr) return std::nullopt;
    site.rewritable = false;
  }
  const VarDecl* distance_var = distance_variable(site.distance_call, compute, context);
  // Listed for the walk it is; the rewrites know beam searches.
  if (walk && !walks_to_closer(loop, form->body, site, distance_var)) return std::nullopt;
  if (walk) site.rewritable = false, site.greedy_walk = true;
  if (site.rewritable) {
    site.rewritable = stored_as_distance(site.distance_call, context);
    find_storage(site.vector_expr, site);
  }

  // The pools: what the neighbour or its distance is put into, and what the beam loop's condition watches.
  // What carries a neighbour or its distance: the neighbour, the distance
  // (its call or the variable holding it) and, gathered, whatever the
  // distance call reads or writes (the buffer of ids, the array of distances).
  std::set<const VarDecl*> carriers;
  if (distance_var) carriers.insert(distance_var);
  if (compute != form->body)
    for (const Expr* arg : call_arguments(site.distance_call))
      visit_exprs(arg, [&](const Expr* e) {
        if (const VarDecl* var = referenced_var(e); var && var->isLocalVarDecl()) carriers.insert(var);
      });
  auto carries = [&](const Expr* e) {
    if (keyed(e) || contains(e, site.distance_call)) return true;
    return std::any_of(carriers.begin(), carriers.end(), [&](const VarDecl* var) { return references(e, var); });
  };
  std::vector<Named> received;
  receivers(compute, carries, visited.decl(), received);
  if (compute != form->body) receivers(form->body, carries, visited.decl(), received);
  // A pool is read by the search as well, outside the neighbour loop (the
  // next node to expand, the bound to beat); a list only ever appended to
  // (every node a build's search saw) is not one.
  const Stmt* search = site.beam_loop ? site.beam_loop : form->body;
  for (const Named& named : received) {
    bool read = false;
    visit_exprs(search, [&](const Expr* e) {
      if (read || contains(loop, e) || (compute != form->body && contains(compute, e))) return;
      if (const auto* ref = dyn_cast<DeclRefExpr>(e); ref && ref->getDecl() == named.decl()) read = true;
      if (const auto* member = dyn_cast<MemberExpr>(e); member && member->getMemberDecl() == named.decl()) read = true;
    });
    if (read) add_container(named, visited.decl(), pools);
  }
  if (site.beam_loop) {
    const Expr* condition = nullptr;
    if (const auto* w = dyn_cast<WhileStmt>(site.beam_loop)) condition = w->getCond();
    if (const auto* f = dyn_cast<ForStmt>(site.beam_loop)) condition = f->getCond();
    if (const auto* d = dyn_cast<DoStmt>(site.beam_loop)) condition = d->getCond();
    if (condition)
      visit_exprs(condition, [&](const Expr* e) {
        if (const auto* call = dyn_cast<CXXMemberCallExpr>(e))
          add_container(named_object(call->getImplicitObjectArgument()), visited.decl(), pools);
        else if (const auto* free = dyn_cast<CallExpr>(e); free && !isa<CXXOperatorCallExpr>(free))
          for (const Expr* arg : call_arguments(free)) add_container(named_object(arg), visited.decl(), pools);
      });
  }

  if (site.beam_loop && site.rewritable) {
    // The candidate pool is what the beam loop's condition watches; the
    // result set is the other container the neighbour is pushed into.
    const Expr* condition = nullptr;
    if (const auto* w = dyn_cast<WhileStmt>(site.beam_loop)) condition = w->getCond();
    if (const auto* f = dyn_cast<ForStmt>(site.beam_loop)) condition = f->getCond();
    for (auto [call, container] : pushes_of(loop, site.element, site.beam_loop)) {
      bool is_pool = condition && references(condition, container);
      if (is_pool && !site.candidate_push) {
        site.candidate_push = call;
        site.candidate_pool = container;
      }
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

// Does `e` involve a distance: a call that answers a number or runs a
// distance kernel, also scaled (alpha * dist(a, b)), through a local, or
// inside a function or lambda that `e` calls (occludes(kept, candidate))?
bool involves_distance(const Expr* e, const std::map<const VarDecl*, const Expr*>& locals,
                       const std::set<const FunctionDecl*>& kernels, int depth = 0) {
  bool found = false;
  visit_exprs(e, [&](const Expr* node) {
    if (found) return;
    if (const VarDecl* var = referenced_var(node); var && locals.count(var) && locals.at(var) != e)
      found = involves_distance(locals.at(var), {}, kernels, depth);
    const auto* call = dyn_cast<CallExpr>(node);
    if (found || !call) return;
    const FunctionDecl* f = called_function(call);
    // In a template the distance functor's call has a dependent type.
    if (call_arguments(call).size() >= 2 && (call->getType()->isRealFloatingType() || call->getType()->isDependentType() ||
                                             (f && kernels.count(f->getCanonicalDecl()))))
      found = true;
    else if (const FunctionDecl* definition = called_definition(call); definition && depth == 0)
      visit_exprs(definition->getBody(), [&](const Expr* inner) {
        if (const auto* compare = dyn_cast<BinaryOperator>(inner); compare && compare->isComparisonOp())
          found |= involves_distance(compare, {}, kernels, 1);
      });
  });
  return found;
}

// A comparison that decides whether a candidate is kept, in any of its
// spellings: `if (d(c, kept) < d(c, node)) { keep = false; }`, `occlude =
// true; break;`, `dominated = true`, `occluded[j] = ... || alpha * d(...) <= d`,
// a comparator or lambda that compares distances, or an algorithm given
// such a lambda (std::all_of(kept, [&](k) { return d(c, k) > ...; })).
std::optional<PruningRoutine> analyze_pruning(const Stmt* inner, ASTContext& context,
                                              const std::set<const FunctionDecl*>& kernels) {
  PruningRoutine site;
  site.outer_loop = enclosing_loop(inner, context);
  if (!site.outer_loop) return std::nullopt;
  const Stmt* inner_body = nullptr;
  if (const auto* range_for = dyn_cast<CXXForRangeStmt>(inner)) inner_body = range_for->getBody();
  else if (const auto* for_loop = dyn_cast<ForStmt>(inner)) inner_body = for_loop->getBody();
  else if (const auto* call = dyn_cast<CallExpr>(inner))
    for (const Expr* arg : call->arguments())
      if (const auto* lambda = dyn_cast<LambdaExpr>(arg->IgnoreParenImpCasts())) inner_body = lambda->getBody();
  if (!inner_body) return std::nullopt;
  std::map<const VarDecl*, const Expr*> locals;
  visit_stmts(inner_body, [&](const Stmt* s) {
    if (const auto* decl = dyn_cast<DeclStmt>(s))
      for (const Decl* d : decl->decls())
        if (const auto* var = dyn_cast<VarDecl>(d); var && var->getInit()) locals[var] = var->getInit();
  });
  // A flag: a bool variable or a bool array element, set to a literal.
  auto sets_flag = [](const Stmt* s, bool value, const Expr** target) {
    bool found = false;
    visit_stmts(s, [&](const Stmt* t) {
      // flag = false, flag = 0 (C), bits[j] = true (a vector<bool>'s reference).
      const Expr* lhs = nullptr;
      const Expr* rhs = nullptr;
      if (const auto* assign = dyn_cast<BinaryOperator>(t); assign && assign->getOpcode() == BO_Assign) {
        lhs = assign->getLHS();
        rhs = assign->getRHS()->IgnoreParenImpCasts();
      } else if (const auto* op = dyn_cast<CXXOperatorCallExpr>(t); op && op->getOperator() == OO_Equal && op->getNumArgs() == 2) {
        lhs = op->getArg(0);
        rhs = op->getArg(1)->IgnoreParenImpCasts();
      }
      std::optional<bool> set;
      if (const auto* literal = dyn_cast_or_null<CXXBoolLiteralExpr>(rhs)) set = literal->getValue();
      if (const auto* literal = dyn_cast_or_null<IntegerLiteral>(rhs); literal && literal->getValue().ule(1))
        set = literal->getValue() == 1;
      if (set && *set == value && !found) {
        found = true;
        *target = lhs;
      }
    });
    return found;
  };
  const VarDecl* cleared = nullptr;  // the kept flag, cleared (the form edge-pruning rewrites)
  const VarDecl* flag_var = nullptr;
  bool classic = false;
  visit_stmts(inner_body, [&](const Stmt* s) {
    if (site.prune_test) return;
    const Expr* decision = nullptr;
    if (const auto* test = dyn_cast<IfStmt>(s)) {
      const Expr* flag = nullptr;
      if (sets_flag(test->getThen(), false, &flag)) {
        cleared = referenced_var(flag);
        decision = test->getCond();
      } else if (sets_flag(test->getThen(), true, &flag)) {
        decision = test->getCond();
      }
      if (decision) flag_var = named_object(flag).variable;
    } else if (const auto* assign = dyn_cast<BinaryOperator>(s); assign && assign->getOpcode() == BO_Assign &&
               assign->getLHS()->getType()->isBooleanType()) {
      decision = assign->getRHS();
    } else if (const auto* op = dyn_cast<CXXOperatorCallExpr>(s); op && op->getOperator() == OO_Equal &&
               op->getNumArgs() == 2 && op->getArg(1)->getType()->isBooleanType()) {
      decision = op->getArg(1);  // occluded[j] = ... || alpha * d(...) <= d
      flag_var = named_object(op->getArg(0)).variable;
    } else if (const auto* ret = dyn_cast<ReturnStmt>(s); ret && ret->getRetValue() && isa<CallExpr>(inner)) {
      decision = ret->getRetValue();
    }
    if (!decision || !involves_distance(decision, locals, kernels)) return;
    const Expr* compared = decision->IgnoreParenImpCasts();
    visit_exprs(decision, [&](const Expr* e) {
      if (const auto* compare = dyn_cast<BinaryOperator>(e); compare && compare->isRelationalOp() && !site.prune_test)
        site.prune_test = compare;
    });
    const auto* compare = dyn_cast<BinaryOperator>(compared);
    classic = cleared && compare && compare == site.prune_test &&
              (compare->getOpcode() == BO_LT || compare->getOpcode() == BO_LE) &&
              isa<CallExpr>((referenced_var(compare->getLHS()) && locals.count(referenced_var(compare->getLHS()))
                                 ? locals[referenced_var(compare->getLHS())]
                                 : compare->getLHS())
                                ->IgnoreParenImpCasts());
    // A decision through a comparator or lambda call has no comparison here.
    site.kept_distance = site.prune_test ? site.prune_test->getLHS()->IgnoreParenImpCasts() : decision;
  });
  if (!site.kept_distance) return std::nullopt;
  if (flag_var && contains(inner, flag_var)) return std::nullopt;  // a flag of each kept item, not of the candidate
  // A flag the outer loop runs on is a greedy walk's `changed`, not a decision about a candidate.
  const Expr* outer_condition = nullptr;
  if (const auto* w = dyn_cast<WhileStmt>(site.outer_loop)) outer_condition = w->getCond();
  if (const auto* d = dyn_cast<DoStmt>(site.outer_loop)) outer_condition = d->getCond();
  if (const auto* f = dyn_cast<ForStmt>(site.outer_loop)) outer_condition = f->getCond();
  if (flag_var && outer_condition && references(outer_condition, flag_var)) return std::nullopt;
  site.rewritable = classic && site.prune_test;

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

std::optional<std::string> annotation(const Decl* decl) {
  for (const auto* attr : decl->specific_attrs<AnnotateAttr>())
    if (attr->getAnnotation().starts_with("crinn::")) return attr->getAnnotation().drop_front(7).str();
  return std::nullopt;
}

// The parameter that takes a call's i-th argument, in the declaration whose
// body the scan reads: a template's pattern, a function's definition.
const ParmVarDecl* parameter_of(const FunctionDecl* f, unsigned i) {
  if (!f) return nullptr;
  if (const FunctionDecl* pattern = f->getTemplateInstantiationPattern()) f = pattern;
  if (const FunctionDecl* definition = f->getDefinition()) f = definition;
  return i < f->getNumParams() ? f->getParamDecl(i) : nullptr;
}

// The variable an argument passes on, through conversions and std::forward/std::move.
const VarDecl* forwarded_var(const Expr* e) {
  e = without_conversions(e);
  if (const auto* call = dyn_cast<CallExpr>(e); call && call->getNumArgs() == 1 && call->getDirectCallee() &&
                                                 call->getDirectCallee()->isInStdNamespace())
    e = without_conversions(call->getArg(0));
  return referenced_var(e);
}

// ---- the finder -----------------------------------------------------------

// Which declarations the index's algorithm reads as a setting: those
// compared with < <= > >= (a degree bound, a beam width, an iteration
// count), scaling a distance (alpha), or passed to a function that holds a
// search or a pruning site; and, followed back, whatever initialises or is
// assigned to such a declaration (a constructor's parameter, a field of a
// parameter struct, the constant a default is copied from). Numeric macros
// count by the literals they expand to. What sizes an array is a capacity,
// not a setting.
class SettingUses {
 public:
  SettingUses(ASTContext& context, const std::set<const FunctionDecl*>& site_functions)
      : context_(context), site_functions_(site_functions) {}

  void scan(const FunctionDecl* function) {
    if (const auto* constructor = dyn_cast<CXXConstructorDecl>(function))
      for (const CXXCtorInitializer* init : constructor->inits())
        if (init->getMember() && init->getInit() && init->isWritten())
          flows_.emplace_back(init->getMember(), init->getInit());
    visit_stmts(function->getBody(), [&](const Stmt* s) {
      if (const auto* decl = dyn_cast<DeclStmt>(s))
        for (const Decl* d : decl->decls())
          if (const auto* var = dyn_cast<VarDecl>(d)) {
            if (var->getInit()) add_flow(var, var->getInit());
            if (const TypeSourceInfo* info = var->getTypeSourceInfo())
              if (auto array = info->getTypeLoc().getAs<ArrayTypeLoc>(); array && array.getSizeExpr())
                visit_exprs(array.getSizeExpr(), [&](const Expr* size) {
                  if (const auto* ref = dyn_cast<DeclRefExpr>(size)) capacities_.insert(ref->getDecl()->getCanonicalDecl());
                  if (size->getBeginLoc().isMacroID())
                    capacity_macros_.insert(
                        Lexer::getImmediateMacroName(size->getBeginLoc(), context_.getSourceManager(), context_.getLangOpts()).str());
                });
          }
    });
    auto read = [&](const Expr* e) {
      if (const auto* op = dyn_cast<BinaryOperator>(e)) {
        if (op->isRelationalOp()) mark_all(op);
        if (op->getOpcode() == BO_Mul) {
          if (computes_distance(op->getRHS())) mark_all(op->getLHS());
          if (computes_distance(op->getLHS())) mark_all(op->getRHS());
        }
        if (op->isAssignmentOp()) {
          Named target = named_object(op->getLHS());
          if (target) flows_.emplace_back(target.decl(), op->getRHS());
          // A member of the index computed from the data (a row width, the top level) is state, not a setting.
          const auto* member = dyn_cast<MemberExpr>(op->getLHS()->IgnoreParenImpCasts());
          if (target.field && member && isa<CXXThisExpr>(member->getBase()->IgnoreParenImpCasts()) &&
              references_local(op->getRHS()))
            derived_.insert(target.field->getCanonicalDecl());
        }
      }
      if (const auto* op = dyn_cast<CXXOperatorCallExpr>(e);
          op && op->getNumArgs() == 2 && (op->getOperator() == OO_Less || op->getOperator() == OO_LessEqual ||
                                          op->getOperator() == OO_Greater || op->getOperator() == OO_GreaterEqual))
        mark_all(op);
      if (const auto* call = dyn_cast<CallExpr>(e)) {
        const FunctionDecl* callee = called_function(call);
        if (callee && site_functions_.count(callee->getCanonicalDecl()))
          for (const Expr* arg : call_arguments(call)) mark_all(arg);
        if (callee && !isa<CXXOperatorCallExpr>(call)) add_argument_flows(callee, call_arguments(call));
      }
      if (const auto* construct = dyn_cast<CXXConstructExpr>(e))
        add_argument_flows(construct->getConstructor(), std::vector<const Expr*>(construct->arg_begin(), construct->arg_end()));
    };
    visit_exprs(function->getBody(), read);
    // A constructor's initialisers call too (a base's or a member's constructor).
    if (const auto* constructor = dyn_cast<CXXConstructorDecl>(function))
      for (const CXXCtorInitializer* init : constructor->inits())
        if (init->isWritten() && init->getInit()) visit_exprs(init->getInit(), read);
  }

  void add_flow(const Decl* target, const Expr* source) { flows_.emplace_back(target, source); }

  // What a call passes flows into the parameter that takes it, so a setting
  // can be given by its caller (HNSW(space, n, index->M)). A library
  // function that hands its own parameters on (std::make_unique<HNSW>(...),
  // emplace) is followed one step into the call it forwards to. A distance
  // passed on (pool.insert(id, dist(q, row(id)))) is data, whatever it is
  // later compared with.
  void add_argument_flows(const FunctionDecl* callee, const std::vector<const Expr*>& args) {
    for (unsigned i = 0; i < args.size(); ++i) {
      note_argument(callee, i, args[i]);
      if (const ParmVarDecl* param = parameter_of(callee, i); param && !computes_distance(args[i]))
        flows_.emplace_back(param, args[i]);
    }
    const FunctionDecl* definition = nullptr;
    if (!callee->hasBody(definition) || !context_.getSourceManager().isInSystemHeader(definition->getLocation())) return;
    auto forward = [&](const FunctionDecl* inner, const std::vector<const Expr*>& inner_args) {
      for (unsigned j = 0; j < inner_args.size(); ++j) {
        note_argument(inner, j, inner_args[j]);
        const auto* handed_on = dyn_cast_or_null<ParmVarDecl>(forwarded_var(inner_args[j]));
        const ParmVarDecl* target = parameter_of(inner, j);
        if (!handed_on || !target || handed_on->getDeclContext() != definition) continue;
        unsigned k = handed_on->getFunctionScopeIndex();
        if (k < args.size() && !computes_distance(args[k])) flows_.emplace_back(target, args[k]);
      }
    };
    visit_exprs(definition->getBody(), [&](const Expr* e) {
      if (const auto* construct = dyn_cast<CXXConstructExpr>(e))
        forward(construct->getConstructor(), std::vector<const Expr*>(construct->arg_begin(), construct->arg_end()));
    });
  }

  // After every function is scanned: follows the recorded flows back until nothing changes.
  void settle() {
    flowing_ = true;
    for (size_t before = 0; before != marked_.size() + macros_.size();) {
      before = marked_.size() + macros_.size();
      for (const auto& [target, source] : flows_)
        if (marked_.count(target->getCanonicalDecl()) && !derived_.count(target->getCanonicalDecl())) mark_all(source);
    }
  }
  // A capacity (an array's size) is a setting only where a setting is also set from it.
  bool is_setting(const Decl* decl) const {
    const Decl* canonical = decl->getCanonicalDecl();
    return marked_.count(canonical) && !derived_.count(canonical) && (!capacities_.count(canonical) || flowed_.count(canonical));
  }
  // A default argument that every call seen passes explicitly (hnswlib's
  // HierarchicalNSW(space, n, M = 16), always given M by its caller): changing
  // it changes nothing. A function never called here keeps its defaults,
  // which are then what its outside callers get.
  bool default_never_used(const ParmVarDecl* param) const {
    const auto* function = dyn_cast_or_null<FunctionDecl>(param->getDeclContext());
    if (!function) return false;
    ParameterKey key{function->getCanonicalDecl(), param->getFunctionScopeIndex()};
    return passed_.count(key) && !defaulted_.count(key);
  }
  bool is_setting_macro(const std::string& name) const {
    return macros_.count(name) && (!capacity_macros_.count(name) || flowed_macros_.count(name));
  }

 private:
  // A parameter as calls name it: the declaration of the function (the
  // template's pattern for an instantiation) and the parameter's position.
  using ParameterKey = std::pair<const FunctionDecl*, unsigned>;

  void note_argument(const FunctionDecl* callee, unsigned i, const Expr* arg) {
    if (const FunctionDecl* pattern = callee->getTemplateInstantiationPattern()) callee = pattern;
    ParameterKey key{callee->getCanonicalDecl(), i};
    (isa<CXXDefaultArgExpr>(arg) ? defaulted_ : passed_).insert(key);
  }

  // Marks what `e` reads. A callable object's answer is not its setting: a
  // random generator's seed does not become one because a draw (rng() % n)
  // picks a node that is then compared.
  void mark_all(const Expr* e) {
    if (!e) return;
    if (const auto* call = dyn_cast<CXXOperatorCallExpr>(e); call && call->getOperator() == OO_Call) {
      for (const Expr* arg : call_arguments(call)) mark_all(arg);
      return;
    }
    mark_node(e);
    for (const Stmt* child : e->children())
      if (const auto* sub = dyn_cast_or_null<Expr>(child)) mark_all(sub);
  }

  void mark_node(const Expr* node) {
    const Decl* decl = nullptr;
    if (const auto* ref = dyn_cast<DeclRefExpr>(node)) decl = ref->getDecl()->getCanonicalDecl();
    if (const auto* member = dyn_cast<MemberExpr>(node)) decl = member->getMemberDecl()->getCanonicalDecl();
    if (decl) {
      marked_.insert(decl);
      if (flowing_) flowed_.insert(decl);
    }
    if (isa<IntegerLiteral, FloatingLiteral>(node) && node->getBeginLoc().isMacroID()) {
      std::string macro = Lexer::getImmediateMacroName(node->getBeginLoc(), context_.getSourceManager(), context_.getLangOpts()).str();
      macros_.insert(macro);
      if (flowing_) flowed_macros_.insert(macro);
    }
  }

  // A distance computed in `e`: a call of two or more arguments that answers a number.
  static bool computes_distance(const Expr* e) {
    bool found = false;
    visit_exprs(e, [&](const Expr* node) {
      if (const auto* call = dyn_cast<CallExpr>(node))
        found |= call_arguments(call).size() >= 2 && (call->getType()->isRealFloatingType() || call->getType()->isDependentType());
    });
    return found;
  }

  static bool references_local(const Expr* e) {
    bool found = false;
    visit_exprs(e, [&](const Expr* node) {
      if (const VarDecl* var = referenced_var(node)) found |= var->isLocalVarDecl() && !isa<ParmVarDecl>(var);
    });
    return found;
  }

  ASTContext& context_;
  const std::set<const FunctionDecl*>& site_functions_;
  std::set<const Decl*> marked_, capacities_, derived_, flowed_;
  std::set<std::string> macros_, capacity_macros_, flowed_macros_;
  std::vector<std::pair<const Decl*, const Expr*>> flows_;
  std::set<ParameterKey> passed_, defaulted_;  // a call gives the argument; one leaves it to the default
  bool flowing_ = false;  // marks now come from following flows back
};

// A literal's value, read through conversions and a unary minus.
std::optional<TunableConstant> literal_value(const Expr* init) {
  if (!init) return std::nullopt;
  const Expr* e = without_conversions(init);
  TunableConstant constant;
  constant.literal = e;
  if (const auto* i = dyn_cast<IntegerLiteral>(e)) {
    constant.value = double(i->getValue().getZExtValue());
  } else if (const auto* f = dyn_cast<FloatingLiteral>(e)) {
    constant.value = f->getValueAsApproximateDouble();
    constant.integer = false;
  } else {
    return std::nullopt;
  }
  return constant;
}

class Collector : public MatchFinder::MatchCallback {
 public:
  Collector(ASTContext& context, const FileFilter& in_project, const Preprocessor* preprocessor)
      : context_(context), in_project_(in_project), preprocessor_(preprocessor) {}

  // Matches are recorded, then analysed together (take()): a search's
  // distance call is known by the distance kernels found anywhere, and a
  // setting by how the searches and pruning routines use it.
  void run(const MatchFinder::MatchResult& result) override {
    // Most matches are in system and library headers: skip them before any analysis.
    for (const auto& [id, node] : result.Nodes.getMap())
      if (!in_project(node.getSourceRange().getBegin())) return;
    if (const auto* loop = result.Nodes.getNodeAs<Stmt>("loop")) loops_.push_back(loop);
    if (const auto* function = result.Nodes.getNodeAs<FunctionDecl>("function")) functions_.push_back(function);
    if (const auto* decl = result.Nodes.getNodeAs<DeclaratorDecl>("constant")) constants_.push_back(decl);
    if (const auto* decl = result.Nodes.getNodeAs<DeclaratorDecl>("annotated")) annotated_.push_back(decl);
  }

  std::vector<Site> take() {
    // Annotated declarations first: the one found by use too is then the annotated site.
    for (const DeclaratorDecl* decl : annotated_) on_annotated(decl);
    std::set<const FunctionDecl*> kernels, site_functions;
    std::vector<const Stmt*> rest;
    for (const Stmt* loop : loops_) {
      if (auto kernel = analyze_reduction(loop, context_)) {
        add("distance-kernel", loop, *kernel);
        if (const FunctionDecl* f = function_of(loop)) kernels.insert(f->getCanonicalDecl());
      } else {
        rest.push_back(loop);
      }
    }
    for (const Stmt* loop : rest) {
      std::vector<Named> pools;
      Named visited;
      if (auto neighbors =
              analyze_neighbor_loop(loop, context_, function_annotated(loop, "neighbor-loop"), kernels, pools, visited)) {
        add("neighbor-loop", loop, *neighbors);
        if (const FunctionDecl* f = function_of(loop)) site_functions.insert(f->getCanonicalDecl());
        add_named("visited-set", visited, loop, VisitedSet{visited.variable, visited.field, rewritable_set(visited)});
        for (const Named& pool : pools) add_named("candidate-pool", pool, loop, CandidatePool{pool.variable, pool.field});
        if (const FieldDecl* storage = storage_read_by(neighbors->vector_expr, neighbors->distance_call))
          add_decl("vector-storage", storage, storage->getQualifiedNameAsString(),
                   VectorStorage{storage, rewritable_storage(storage)}, annotation(storage) == "vector-storage");
      } else if (auto pruning = analyze_pruning(loop, context_, kernels)) {
        add("pruning", pruning->outer_loop, *pruning);
        if (const FunctionDecl* f = function_of(loop)) site_functions.insert(f->getCanonicalDecl());
      } else {
        add_annotated_loop(loop);
      }
    }
    SettingUses uses(context_, site_functions);
    for (const FunctionDecl* function : functions_)
      if (!kernels.count(function->getCanonicalDecl())) uses.scan(function);
    for (const DeclaratorDecl* decl : constants_) {
      if (const auto* field = dyn_cast<FieldDecl>(decl); field && field->getInClassInitializer())
        uses.add_flow(field, field->getInClassInitializer());
      if (const auto* var = dyn_cast<VarDecl>(decl); var && !isa<ParmVarDecl>(var) && var->getInit())
        uses.add_flow(var, var->getInit());
      if (const auto* param = dyn_cast<ParmVarDecl>(decl);
          param && param->hasDefaultArg() && !param->hasUnparsedDefaultArg() && !param->hasUninstantiatedDefaultArg())
        uses.add_flow(param, param->getDefaultArg());
    }
    uses.settle();
    for (const DeclaratorDecl* decl : constants_) on_constant(decl, uses);
    add_macros(uses);
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

  // The visited-set rewrite replaces a local std::unordered_set or std::set
  // whose every use is one the replacement supports.
  bool rewritable_set(const Named& visited) {
    const VarDecl* var = visited.variable;
    if (!var || !var->isLocalVarDecl()) return false;
    if (!is_std_template(var->getType(), "unordered_set") && !is_std_template(var->getType(), "set")) return false;
    const auto* f = dyn_cast_or_null<FunctionDecl>(var->getDeclContext());
    bool supported = f && f->hasBody();
    if (supported)
      visit_exprs(f->getBody(), [&](const Expr* e) {
        const auto* ref = dyn_cast<DeclRefExpr>(e);
        if (!ref || ref->getDecl() != var) return;
        // The object of a const method is wrapped in a conversion to const.
        const Stmt* parent = parent_stmt(ref, context_);
        while (parent && isa<ImplicitCastExpr>(parent)) parent = parent_stmt(parent, context_);
        const auto* member = dyn_cast_or_null<MemberExpr>(parent);
        if (!member || !member->getMemberDecl() ||
            !llvm::is_contained(std::initializer_list<llvm::StringRef>{"insert", "count", "contains", "emplace", "reserve", "clear"},
                                member->getMemberDecl()->getName()))
          supported = false;
      });
    return supported;
  }

  // aligned-storage retypes a std::vector<float> member; an aggregate built
  // from a braced list ({..., std::vector<float>{...}}) would not take the new type.
  bool rewritable_storage(const FieldDecl* field) {
    const auto* record = dyn_cast<CXXRecordDecl>(field->getParent());
    if (!is_std_template(field->getType(), "vector", "float") || !record || !record->hasDefinition()) return false;
    if (!record->isAggregate()) return true;
    if (!braced_scanned_) {
      auto scan = [&](const Stmt* s) {
        visit_exprs(s, [&](const Expr* e) {
          if (const auto* list = dyn_cast<InitListExpr>(e))
            if (const CXXRecordDecl* built = list->getType()->getAsCXXRecordDecl()) braced_.insert(built->getCanonicalDecl());
        });
      };
      for (const FunctionDecl* function : functions_) scan(function->getBody());
      for (const DeclaratorDecl* decl : constants_)
        if (const auto* var = dyn_cast<VarDecl>(decl); var && var->getInit()) scan(var->getInit());
      braced_scanned_ = true;
    }
    return !braced_.count(record->getCanonicalDecl());
  }

  template <typename Detail>
  void add_named(const char* kind, const Named& named, const Stmt* where, const Detail& detail, bool marked = false) {
    if (!named) return;
    if (named.field) {
      add_decl(kind, named.field, named.field->getQualifiedNameAsString(), detail, marked);
    } else {
      const auto* f = dyn_cast_or_null<FunctionDecl>(named.variable->getDeclContext());
      if (!f) f = function_of(where);
      std::string scope = f ? qualified(f) : named.variable->getQualifiedNameAsString();
      add_decl(kind, named.variable, scope + "::" + named.variable->getNameAsString(), detail, marked);
    }
  }

  // The outermost loop of a function marked distance-kernel or pruning is a
  // site of that kind where the analysis did not recognise one: found for the
  // report and the policies, not rewritten.
  void add_annotated_loop(const Stmt* loop) {
    const FunctionDecl* f = function_of(loop);
    std::optional<std::string> kind = f ? annotation(f) : std::nullopt;
    if (!kind || (*kind != "distance-kernel" && *kind != "pruning") || !annotated_functions_.insert(f).second) return;
    const Stmt* outermost = loop;
    for (const Stmt* outer = enclosing_loop(loop, context_); outer && function_of(outer) == f;
         outer = enclosing_loop(outer, context_))
      outermost = outer;
    if (*kind == "distance-kernel") {
      DistanceKernel kernel;
      kernel.loop = outermost;
      kernel.rewritable = false;
      add("distance-kernel", outermost, kernel);
    } else {
      PruningRoutine pruning;
      pruning.outer_loop = outermost;
      pruning.rewritable = false;
      add("pruning", outermost, pruning);
    }
  }

  // A declaration marked [[clang::annotate("crinn::<kind>")]] is a site of that kind.
  void on_annotated(const DeclaratorDecl* decl) {
    std::optional<std::string> kind = annotation(decl);
    if (!kind) return;
    const auto* var = dyn_cast<VarDecl>(decl);
    const auto* field = dyn_cast<FieldDecl>(decl);
    Named named{var, field};
    if (*kind == "visited-set") add_named("visited-set", named, nullptr, VisitedSet{var, field, rewritable_set(named)}, true);
    if (*kind == "candidate-pool") add_named("candidate-pool", named, nullptr, CandidatePool{var, field}, true);
    if (*kind == "vector-storage" && field)
      add_decl("vector-storage", field, field->getQualifiedNameAsString(), VectorStorage{field, rewritable_storage(field)}, true);
  }

  void on_constant(const DeclaratorDecl* decl, const SettingUses& uses) {
    bool marked = annotation(decl) == "constant";
    const Expr* init = nullptr;
    std::string name = decl->getQualifiedNameAsString();
    if (const auto* field = dyn_cast<FieldDecl>(decl)) init = field->getInClassInitializer();
    if (const auto* param = dyn_cast<ParmVarDecl>(decl)) {
      init = param->hasDefaultArg() && !param->hasUnparsedDefaultArg() && !param->hasUninstantiatedDefaultArg()
                 ? param->getDefaultArg()
                 : nullptr;
      const auto* function = dyn_cast_or_null<FunctionDecl>(param->getDeclContext());
      if (!function) return;
      name = qualified(function) + "::" + param->getNameAsString();
    } else if (const auto* var = dyn_cast<VarDecl>(decl)) {
      init = var->getInit();
    }
    std::optional<TunableConstant> constant = literal_value(init);
    if (!constant) return;
    constant->declaration = decl;
    if (!marked && (!uses.is_setting(decl) || constant->value <= 0)) return;
    if (const auto* param = dyn_cast<ParmVarDecl>(decl); param && uses.default_never_used(param)) constant->rewritable = false;
    add_decl("constant", decl, name, *constant, marked);
  }

  // `#define NAME <number>` in a project file whose expansions the algorithm reads as a setting.
  void add_macros(const SettingUses& uses) {
    if (!preprocessor_) return;
    const SourceManager& sources = context_.getSourceManager();
    for (const auto& [identifier, state] : preprocessor_->macros()) {
      const MacroInfo* info = preprocessor_->getMacroInfo(identifier);
      if (!info || info->isFunctionLike() || info->getNumTokens() != 1 || !info->getReplacementToken(0).is(tok::numeric_constant))
        continue;
      std::string name = identifier->getName().str();
      if (!uses.is_setting_macro(name) || !in_project(info->getDefinitionLoc())) continue;
      Site site;
      SourceLocation at = info->getDefinitionLoc();
      site.file = file_path(at, sources);
      site.begin_line = site.end_line = sources.getSpellingLineNumber(at);
      site.kind = "constant";
      site.excerpt = "#define " + name + " " +
                     std::string(info->getReplacementToken(0).getLiteralData(), info->getReplacementToken(0).getLength());
      TunableConstant constant;
      constant.value = std::strtod(site.excerpt.c_str() + 9 + name.size(), nullptr);
      constant.rewritable = false;
      site.detail = constant;
      site.id = unique_id("constant:" + name);
      if (!seen_macros_.insert(name).second) continue;
      sites_.push_back(std::move(site));
    }
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
  const Preprocessor* preprocessor_;
  std::vector<const Stmt*> loops_;
  std::vector<const FunctionDecl*> functions_;
  std::vector<const DeclaratorDecl*> constants_, annotated_;
  std::vector<Site> sites_;
  std::set<const void*> seen_;
  std::set<std::string> seen_macros_;
  std::set<const FunctionDecl*> annotated_functions_;
  std::set<const CXXRecordDecl*> braced_;  // records built from a braced list somewhere
  bool braced_scanned_ = false;
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

std::vector<Site> find_sites(ASTContext& context, const FileFilter& in_project, const Preprocessor* preprocessor) {
  Collector collector(context, in_project, preprocessor);
  MatchFinder finder;
  // Template patterns, not each instantiation of them.
  finder.addMatcher(forStmt(unless(isInTemplateInstantiation())).bind("loop"), &collector);
  finder.addMatcher(cxxForRangeStmt(unless(isInTemplateInstantiation())).bind("loop"), &collector);
  finder.addMatcher(whileStmt(unless(isInTemplateInstantiation())).bind("loop"), &collector);
  // An algorithm given a lambda per element (std::for_each, std::all_of).
  finder.addMatcher(callExpr(hasAnyArgument(ignoringParenImpCasts(lambdaExpr())), unless(isInTemplateInstantiation()))
                        .bind("loop"),
                    &collector);
  finder.addMatcher(functionDecl(isDefinition(), unless(isInstantiated())).bind("function"), &collector);
  finder.addMatcher(fieldDecl(hasInClassInitializer(expr()), unless(isInstantiated())).bind("constant"), &collector);
  finder.addMatcher(varDecl(hasInitializer(expr()), unless(hasLocalStorage()), unless(isInstantiated())).bind("constant"),
                    &collector);
  finder.addMatcher(parmVarDecl(hasDefaultArgument(), unless(isInstantiated())).bind("constant"), &collector);
  finder.addMatcher(declaratorDecl(hasAttr(attr::Annotate), unless(isInstantiated())).bind("annotated"), &collector);
  finder.matchAST(context);
  return collector.take();
}

const Expr* node_of_vector_address(const Expr* address, const NeighborLoop& loop, const Stmt* scope) {
  const Expr* e = address->IgnoreParenCasts();
  // Through the accessor the distance call's argument uses.
  const auto* read = loop.vector_expr ? dyn_cast<CallExpr>(loop.vector_expr->IgnoreParenImpCasts()) : nullptr;
  const FunctionDecl* accessor = read && read->getNumArgs() == 1 ? read->getDirectCallee() : nullptr;
  if (const auto* call = dyn_cast<CallExpr>(e); call && accessor) {
    const FunctionDecl* callee = call->getDirectCallee();
    return callee && call->getNumArgs() == 1 && callee->getCanonicalDecl() == accessor->getCanonicalDecl() ? call->getArg(0)
                                                                                                          : nullptr;
  }
  if (!loop.storage || !loop.stride) return nullptr;
  if (loop.offset) return row_node(e, accessor, loop.storage, loop.stride, loop.offset, scope);
  // Float storage: `&storage[node * stride]` or `storage.data() + node * stride`.
  const IndexedRead row = indexed_read(e);
  const auto* member = row.base ? dyn_cast<MemberExpr>(row.base->IgnoreParenImpCasts()) : nullptr;
  if (!member || member->getMemberDecl() != loop.storage || !is_class_invariant(member)) return nullptr;
  return times_stride(row.index, loop.stride);
}

}  // namespace crinn::sites

