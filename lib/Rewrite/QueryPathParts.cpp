#include "Rewrite/QueryPathParts.h"

#include "Rewrite/Support.h"
#include "Sites/AstUtil.h"

#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"

#include <memory>

namespace crinn::rewrite {

using namespace clang;

const CXXMethodDecl* method_of(const sites::NeighborLoop& loop, ASTContext& context) {
  return dyn_cast_or_null<CXXMethodDecl>(sites::enclosing_function(loop.loop, context));
}

const Expr* query_argument(const sites::NeighborLoop& loop) {
  if (!loop.distance_call || loop.distance_call->getNumArgs() < 2 || !loop.beam_loop) return nullptr;
  for (unsigned i = 2; i < loop.distance_call->getNumArgs(); ++i)
    if (!sites::is_class_invariant(loop.distance_call->getArg(i))) return nullptr;
  for (unsigned i = 0; i < 2; ++i) {
    const Expr* arg = loop.distance_call->getArg(i);
    if (!sites::references(arg, loop.element) && !sites::references_any_local_except(arg, loop.beam_loop, nullptr))
      return arg;
  }
  return nullptr;
}

std::string distance_text(const sites::NeighborLoop& loop, const std::string& query, const std::string& vector,
                          const ASTContext& context) {
  const Expr* query_arg = query_argument(loop);
  std::string text = sites::source_text(loop.distance_call->getCallee(), context) + "(";
  for (unsigned i = 0; i < loop.distance_call->getNumArgs(); ++i) {
    const Expr* arg = loop.distance_call->getArg(i);
    text += (i ? ", " : "") + (i >= 2 ? sites::source_text(arg, context) : arg == query_arg ? query : vector);
  }
  return text + ")";
}

std::string vector_text(const sites::NeighborLoop& loop, const std::string& node, const ASTContext& context) {
  auto text = substitute(loop.vector_expr, context, {{loop.element, node}});
  if (text) return *text;
  llvm::consumeError(text.takeError());
  return sites::source_text(loop.vector_expr, context);
}

namespace {

// Does `e` carry the loop's distance: the call itself, or a local it initialised?
bool carries_distance(const Expr* e, const sites::NeighborLoop& loop) {
  if (sites::contains(e, loop.distance_call)) return true;
  bool found = false;
  sites::visit_exprs(e, [&](const Expr* inner) {
    const auto* ref = dyn_cast<DeclRefExpr>(inner);
    const auto* local = ref ? dyn_cast<VarDecl>(ref->getDecl()) : nullptr;
    if (local && local->getInit() && sites::contains(local->getInit(), loop.distance_call)) found = true;
  });
  return found;
}

// The values an entry is made of, in the order its type stores them.
std::vector<const Expr*> entry_parts(const Expr* e) {
  e = e->IgnoreImplicit();
  if (const auto* temporary = dyn_cast<MaterializeTemporaryExpr>(e)) e = temporary->getSubExpr()->IgnoreImplicit();
  if (const auto* cast = dyn_cast<CXXFunctionalCastExpr>(e)) e = cast->getSubExpr()->IgnoreImplicit();
  if (const auto* list = dyn_cast<InitListExpr>(e)) return {list->inits().begin(), list->inits().end()};
  if (const auto* construct = dyn_cast<CXXConstructExpr>(e); construct && construct->getNumArgs() == 2)
    return {construct->getArg(0), construct->getArg(1)};
  if (const auto* call = dyn_cast<CallExpr>(e); call && call->getNumArgs() == 2)  // std::make_pair
    return {call->getArg(0), call->getArg(1)};
  return {};
}

// The class of `type`, or of the template a dependent `type` names.
const CXXRecordDecl* record_or_pattern(QualType type) {
  if (const CXXRecordDecl* record = type->getAsCXXRecordDecl()) return record;
  if (const auto* specialization = type->getAs<TemplateSpecializationType>())
    if (const auto* pattern = dyn_cast_or_null<ClassTemplateDecl>(specialization->getTemplateName().getAsTemplateDecl()))
      return pattern->getTemplatedDecl();
  return nullptr;
}

std::optional<QualType> first_type_argument(QualType type) {
  llvm::ArrayRef<TemplateArgument> args;
  if (const auto* specialization = dyn_cast_or_null<ClassTemplateSpecializationDecl>(type->getAsCXXRecordDecl()))
    args = specialization->getTemplateArgs().asArray();
  else if (const auto* dependent = type->getAs<TemplateSpecializationType>())
    args = dependent->template_arguments();
  if (args.empty() || args[0].getKind() != TemplateArgument::Type) return std::nullopt;
  return args[0].getAsType();
}

}  // namespace

std::optional<EntryFields> entry_fields(const sites::NeighborLoop& loop) {
  if (!loop.result_push || !loop.distance_call || !loop.element) return std::nullopt;
  std::vector<const Expr*> parts;
  if (loop.result_push->getNumArgs() == 1) parts = entry_parts(loop.result_push->getArg(0));
  else if (loop.result_push->getNumArgs() == 2) parts = {loop.result_push->getArg(0), loop.result_push->getArg(1)};
  if (parts.size() != 2) return std::nullopt;
  // The entry's type: the container's first template argument, also where
  // both are dependent (hnswlib's priority_queue<std::pair<dist_t, tableint>, ...>).
  QualType container = loop.result_set->getType().getNonReferenceType();
  const CXXRecordDecl* container_record = record_or_pattern(container);
  std::optional<QualType> element = first_type_argument(container);
  if (!container_record || !element || !container_record->isInStdNamespace() ||
      (container_record->getName() != "priority_queue" && container_record->getName() != "vector"))
    return std::nullopt;
  const CXXRecordDecl* entry = record_or_pattern(*element);
  if (!entry) return std::nullopt;
  std::vector<std::string> names;
  for (const FieldDecl* field : entry->fields()) names.push_back(field->getNameAsString());
  if (names.size() != 2) return std::nullopt;
  for (int distance_at = 0; distance_at < 2; ++distance_at)
    if (carries_distance(parts[distance_at], loop) && sites::references(parts[1 - distance_at], loop.element) &&
        !carries_distance(parts[1 - distance_at], loop))
      return EntryFields{names[distance_at], names[1 - distance_at]};
  return std::nullopt;
}

std::optional<VectorDistance> VectorDistance::of(const sites::NeighborLoop& loop, const ASTContext& context) {
  const Expr* query = query_argument(loop);
  if (!query || !loop.vector_expr) return std::nullopt;
  const CallExpr* call = loop.distance_call;
  unsigned query_at = call->getArg(0) == query ? 0 : 1;
  VectorDistance distance;
  if (reads_vector_address(loop)) {
    distance.callee_ = sites::source_text(call->getCallee(), context);
    for (unsigned i = 0; i < call->getNumArgs(); ++i) distance.args_.push_back(i < 2 ? "" : sites::source_text(call->getArg(i), context));
    distance.query_at_ = query_at;
    distance.vector_at_ = 1 - query_at;
    // The loop's own neighbour reads as the loop wrote it.
    distance.vector_of_ = [&loop, &context](const std::string& node) {
      return node == loop.element->getNameAsString() ? sites::source_text(loop.vector_expr, context)
                                                     : vector_text(loop, node, context);
    };
    return distance;
  }
  // Given the id: the method's own call on the query parameter and the vector it reads for the id.
  const auto* method = dyn_cast_or_null<CXXMethodDecl>(call->getDirectCallee());
  const FunctionDecl* body_of = method ? method->getDefinition() : nullptr;
  const CXXMethodDecl* caller = method_of(loop, const_cast<ASTContext&>(context));
  if (!body_of || !body_of->hasBody() || !caller || method->getParent() != caller->getParent() ||
      call->getNumArgs() != 2 || !loop.vector_expr->getType()->isIntegerType())
    return std::nullopt;
  const ParmVarDecl* query_param = body_of->getParamDecl(query_at);
  const ParmVarDecl* id_param = body_of->getParamDecl(1 - query_at);
  std::optional<VectorDistance> found;
  sites::visit_exprs(body_of->getBody(), [&](const Expr* e) {
    const auto* inner = dyn_cast<CallExpr>(e);
    if (found || !inner || inner->getNumArgs() < 2) return;
    int query_slot = -1, vector_slot = -1;
    for (unsigned i = 0; i < inner->getNumArgs(); ++i) {
      const Expr* arg = inner->getArg(i);
      const auto* ref = dyn_cast<DeclRefExpr>(arg->IgnoreParenImpCasts());
      if (ref && ref->getDecl() == query_param) query_slot = int(i);
      else if (sites::references(arg, id_param) && arg->getType()->isPointerType() && vector_slot < 0) vector_slot = int(i);
      else if (!sites::is_class_invariant(arg)) return;
    }
    if (query_slot < 0 || vector_slot < 0) return;
    auto vector = [&context, read = inner->getArg(unsigned(vector_slot)), id_param](const std::string& node) {
      auto text = substitute(read, context, {{id_param, node}});
      if (text) return *text;
      llvm::consumeError(text.takeError());
      return std::string();
    };
    if (vector("crinn_probe").empty()) return;
    VectorDistance d;
    d.callee_ = sites::source_text(inner->getCallee(), context);
    for (unsigned i = 0; i < inner->getNumArgs(); ++i)
      d.args_.push_back(int(i) == query_slot || int(i) == vector_slot ? "" : sites::source_text(inner->getArg(i), context));
    d.query_at_ = unsigned(query_slot);
    d.vector_at_ = unsigned(vector_slot);
    d.vector_of_ = vector;
    found = std::move(d);
  });
  return found;
}

std::string VectorDistance::between(const std::string& a, const std::string& b) const {
  std::string text = callee_ + "(";
  for (unsigned i = 0; i < args_.size(); ++i)
    text += (i ? ", " : "") + (i == query_at_ ? a : i == vector_at_ ? b : args_[i]);
  return text + ")";
}

std::string VectorDistance::vector_of(const std::string& node) const { return vector_of_(node); }

std::string Adjacency::layer0(const std::string& node) const {
  if (by_pointer())
    return "crinn::runtime::IdRun<" + id_type + ">{(" + pointer_of(node) + ") + " + first + ", std::size_t(" +
           end_of(node) + " - " + first + ")}";
  std::string text = field->getNameAsString();
  for (size_t i = 0; i < indices.size(); ++i) text += i == 0 ? "[" + node + "]" : "[0]";
  return text;
}

std::string Adjacency::words(const std::string& node) const {
  return "crinn::runtime::IdRun<" + id_type + ">{" + pointer_of(node) + ", std::size_t(" + end_of(node) + ")}";
}

std::string Adjacency::on_layer0(const std::string& flag, const ASTContext& context) const {
  std::string text = flag;
  for (size_t i = 1; i < indices.size(); ++i) text += " && (" + sites::source_text(indices[i], context) + ") == 0";
  return text;
}

namespace {

std::optional<Adjacency> member_adjacency(const sites::NeighborLoop& loop) {
  if (!loop.range || !loop.expanded_node || !loop.beam_loop) return std::nullopt;
  Adjacency adjacency;
  const Expr* e = loop.range->IgnoreParenImpCasts();
  while (const auto* subscript = dyn_cast<CXXOperatorCallExpr>(e)) {
    if (subscript->getOperator() != OO_Subscript || subscript->getNumArgs() != 2) return std::nullopt;
    adjacency.indices.insert(adjacency.indices.begin(), subscript->getArg(1));
    e = subscript->getArg(0)->IgnoreParenImpCasts();
  }
  const auto* member = dyn_cast<MemberExpr>(e);
  if (!member || !isa<CXXThisExpr>(member->getBase()->IgnoreParenImpCasts()) || adjacency.indices.empty())
    return std::nullopt;
  adjacency.field = dyn_cast<FieldDecl>(member->getMemberDecl());
  if (!adjacency.field || adjacency.indices.front() != loop.expanded_node) return std::nullopt;
  for (size_t i = 1; i < adjacency.indices.size(); ++i)
    if (sites::references_any_local_except(adjacency.indices[i], loop.beam_loop, nullptr)) return std::nullopt;
  const auto* list = dyn_cast_or_null<ClassTemplateSpecializationDecl>(
      loop.range->getType().getCanonicalType()->getAsCXXRecordDecl());
  if (!list || list->getName() != "vector" || list->getTemplateArgs().size() == 0 ||
      !list->getTemplateArgs()[0].getAsType()->isIntegerType())
    return std::nullopt;
  adjacency.id_type = list->getTemplateArgs()[0].getAsType().getAsString();
  adjacency.node_count = adjacency.field->getNameAsString() + ".size()";
  return adjacency;
}

// `p[j]` or `*(p + j)`: the pointer p, if it is a variable.
const VarDecl* list_pointer(const Expr* read, const VarDecl* index) {
  read = read->IgnoreParenImpCasts();
  const Expr *base = nullptr, *offset = nullptr;
  if (const auto* subscript = dyn_cast<ArraySubscriptExpr>(read)) {
    base = subscript->getBase();
    offset = subscript->getIdx();
  } else if (const auto* deref = dyn_cast<UnaryOperator>(read); deref && deref->getOpcode() == UO_Deref) {
    if (const auto* sum = dyn_cast<BinaryOperator>(deref->getSubExpr()->IgnoreParenImpCasts());
        sum && sum->getOpcode() == BO_Add) {
      base = sum->getLHS();
      offset = sum->getRHS();
      if (sites::referenced_var(base) == index) std::swap(base, offset);
    }
  }
  if (!base || sites::referenced_var(offset) != index) return nullptr;
  const VarDecl* pointer = sites::referenced_var(base);
  return pointer && pointer->getType()->isPointerType() ? pointer : nullptr;
}

// Is `var` assigned, incremented or has its address taken in `scope`?
bool written_in(const VarDecl* var, const Stmt* scope) {
  bool written = false;
  sites::visit_exprs(scope, [&](const Expr* e) {
    if (const auto* op = dyn_cast<BinaryOperator>(e); op && op->isAssignmentOp())
      written |= sites::referenced_var(op->getLHS()) == var;
    if (const auto* op = dyn_cast<UnaryOperator>(e); op && (op->isIncrementDecrementOp() || op->getOpcode() == UO_AddrOf))
      written |= sites::referenced_var(op->getSubExpr()) == var;
  });
  return written;
}

// A local of the beam that holds its initial value throughout.
bool fixed_local(const VarDecl* var, const sites::NeighborLoop& loop) {
  return var && var->getInit() && sites::contains(loop.beam_loop, var) && !written_in(var, loop.beam_loop);
}

// How an address computation (a list pointer's initialiser, its count) reads
// the beam's locals: a fixed pointer local stands for its initialiser
// (`tableint* ids = (tableint*)(ll + 1)` with `ll = get_linklist0(...)`), and
// the node is a fixed integer local, or an integer member of one
// (`current.second`), taken from the candidate pool (`candidate_set.top()`),
// so that it is the node being expanded, and not, say, a slot of the pool.
class ListAddress {
 public:
  ListAddress(const sites::NeighborLoop& loop, const ASTContext& context)
      : loop_(loop), context_(context), pool_(loop.candidate_pool) {}

  // Reads `e` only the node, fixed pointers, members and constants? Records the node's spelling.
  bool admits(const Expr* e) {
    bool ok = true;
    walk(e, [&](const Expr* read, Read kind) {
      if (kind == Read::Other) ok = false;
      if (kind == Read::Pointer) ok &= admits(sites::referenced_var(read)->getInit());
      if (kind != Read::Node) return;
      std::string spelling = sites::source_text(read, context_);
      if (node_spelling_.empty()) node_spelling_ = spelling, node_read_ = read;
      ok &= spelling == node_spelling_;
    });
    return ok;
  }

  const Expr* node_read() const { return node_read_; }

  // `e`'s text for another node; empty if it cannot be written (a macro).
  std::string text(const Expr* e, const std::string& node) const {
    std::vector<std::pair<const Expr*, std::string>> replacements;
    bool ok = true;
    walk(e, [&](const Expr* read, Read kind) {
      std::string replacement = "(" + node + ")";
      if (kind == Read::Pointer) {
        std::string init = text(sites::referenced_var(read)->getInit(), node);
        ok &= !init.empty();
        replacement = "(" + init + ")";
      }
      replacements.emplace_back(read, replacement);
    });
    auto written = replace_within(e, context_, replacements);
    if (written && ok) return *written;
    if (!written) llvm::consumeError(written.takeError());
    return "";
  }

 private:
  enum class Read { Node, Pointer, Other };

  // Calls `visit` on each outermost read of a local in `e`, not looking inside it.
  void walk(const Stmt* s, const std::function<void(const Expr*, Read)>& visit) const {
    if (const auto* e = dyn_cast<Expr>(s)) {
      const Expr* bare = e->IgnoreParenImpCasts();
      const Expr* object = bare;
      if (const auto* member = dyn_cast<MemberExpr>(bare)) object = member->getBase()->IgnoreParenImpCasts();
      const auto* ref = dyn_cast<DeclRefExpr>(object);
      if (const auto* var = ref ? dyn_cast<VarDecl>(ref->getDecl()) : nullptr; var && var->hasLocalStorage()) {
        if (object == bare && var->getType()->isPointerType() && fixed_local(var, loop_)) visit(bare, Read::Pointer);
        else if (bare->getType()->isIntegerType() && taken_from_pool(var, 0)) visit(bare, Read::Node);
        else visit(bare, Read::Other);
        return;
      }
    }
    for (const Stmt* child : s->children())
      if (child) walk(child, visit);
  }

  // Is `var` a fixed local whose value comes, through other fixed locals, from the pool?
  bool taken_from_pool(const VarDecl* var, int depth) const {
    if (!pool_ || depth > 4 || !fixed_local(var, loop_)) return false;
    bool taken = false;
    sites::visit_exprs(var->getInit(), [&](const Expr* e) {
      const auto* ref = dyn_cast<DeclRefExpr>(e);
      if (!ref) return;
      if (ref->getDecl() == pool_) taken = true;
      else if (const auto* local = dyn_cast<VarDecl>(ref->getDecl()); local && local->hasLocalStorage())
        taken |= taken_from_pool(local, depth + 1);
    });
    return taken;
  }

  const sites::NeighborLoop& loop_;
  const ASTContext& context_;
  const VarDecl* pool_;
  std::string node_spelling_;
  const Expr* node_read_ = nullptr;
};

std::optional<Adjacency> pointer_adjacency(const sites::NeighborLoop& loop, const ASTContext& context) {
  const auto* index_loop = dyn_cast<ForStmt>(loop.loop);
  // The nodes are counted by the rows of the vectors' storage.
  if (!index_loop || !loop.element || !loop.element->getInit() || !loop.beam_loop || !loop.storage ||
      !(loop.count || (loop.stride && !loop.offset)))
    return std::nullopt;
  sites::LoopShape shape = sites::loop_shape(index_loop);
  if (!shape.induction || !shape.start || !shape.bound || !shape.start->isIntegerConstantExpr(context))
    return std::nullopt;
  const VarDecl* pointer = list_pointer(loop.element->getInit(), shape.induction);
  if (!fixed_local(pointer, loop)) return std::nullopt;
  QualType id = pointer->getType()->getPointeeType();
  if (!id->isIntegerType()) return std::nullopt;
  // The bound, or the initialiser of the fixed local it names.
  const Expr* bound = shape.bound;
  if (const VarDecl* count = sites::referenced_var(bound); count && isa<DeclRefExpr>(bound) && count->hasLocalStorage()) {
    if (!fixed_local(count, loop)) return std::nullopt;
    bound = count->getInit();
  }
  // A list of each node: the pointer is computed from the node; so is the count, or from neither.
  auto address = std::make_shared<ListAddress>(loop, context);
  if (!address->admits(pointer->getInit()) || !address->node_read() || !address->admits(bound)) return std::nullopt;

  Adjacency adjacency;
  adjacency.field = loop.storage;
  adjacency.id_type = id.getUnqualifiedType().getAsString();
  adjacency.pointer = pointer;
  adjacency.node_read = address->node_read();
  adjacency.first = sites::source_text(shape.start, context);
  adjacency.node_count = loop.count ? sites::source_text(loop.count, context)
                                    : loop.storage->getNameAsString() + ".size() / (" +
                                          sites::source_text(loop.stride, context) + ")";
  const Expr* init = pointer->getInit();
  adjacency.pointer_of = [address, init](const std::string& node) { return address->text(init, node); };
  const std::string past_last = shape.inclusive ? " + 1" : "";
  adjacency.end_of = [address, bound, past_last](const std::string& node) {
    std::string text = address->text(bound, node);
    return text.empty() ? text : "(" + text + ")" + past_last;
  };
  if (adjacency.pointer_of("crinn_probe").empty() || adjacency.end_of("crinn_probe").empty()) return std::nullopt;
  return adjacency;
}

}  // namespace

std::optional<Adjacency> adjacency_of(const sites::NeighborLoop& loop, const ASTContext& context) {
  if (loop.range) return member_adjacency(loop);
  return pointer_adjacency(loop, context);
}

}  // namespace crinn::rewrite

namespace crinn::rewrite {

std::optional<Adjacency> graph_site(const sites::Site& site, ASTContext& context, bool needs_distance) {
  const auto* loop = std::get_if<sites::NeighborLoop>(&site.detail);
  if (!loop || site.query_entry.empty() || (needs_distance && !query_argument(*loop))) return std::nullopt;
  auto adjacency = adjacency_of(*loop, context);
  const CXXMethodDecl* method = method_of(*loop, context);
  if (!adjacency || !method || method->getParent() != adjacency->field->getParent() ||
      after_member_line(adjacency->field, context).isInvalid())
    return std::nullopt;
  return adjacency;
}

}  // namespace crinn::rewrite
