// A rewrite site: a place in ANNS source where a structured rewrite applies,
// as crinn-opt --list-sites reports it and a plan names it. The JSON form is
// the contract with plans, policies and the tuner (docs/plan-schema.md).
#pragma once

#include "Schema/Schema.h"

#include <set>
#include <string>
#include <variant>
#include <vector>

namespace clang {
class BinaryOperator;
class CallExpr;
class Expr;
class FieldDecl;
class FunctionDecl;
class IfStmt;
class Stmt;
class ValueDecl;
class VarDecl;
}  // namespace clang

namespace crinn::sites {

// The reduction loop of a distance kernel: acc += (x - y)^2 or acc += x * y
// over [0, bound), reading x and y by index (a[i]) or by walking pointers (*p++).
struct DistanceKernel {
  enum class Reduction { SquaredL2, Dot } reduction = Reduction::SquaredL2;
  const clang::Stmt* loop = nullptr;
  const clang::VarDecl* induction = nullptr;
  const clang::VarDecl* accumulator = nullptr;
  const clang::Expr* left_base = nullptr;   // a in a[i], or the pointer p in *p
  const clang::Expr* right_base = nullptr;
  const clang::Expr* bound = nullptr;       // trip count
  bool indexed = true;                      // a[i] (true) or *p with p++ (false)
  // The rewrites rebuild the loop from these parts: only where it reads the
  // elements as they are (no cast, no helper call, no *p++ inside the reduction).
  bool rewritable = true;
};

// The loop over a node's adjacency list in a best-first search: it skips
// visited neighbours and computes the distance of the rest.
struct NeighborLoop {
  const clang::Stmt* loop = nullptr;         // range-for or index for
  const clang::Stmt* beam_loop = nullptr;    // the enclosing loop over candidates
  const clang::VarDecl* element = nullptr;   // the neighbour id variable
  const clang::Expr* range = nullptr;        // range-for: the adjacency list
  const clang::VarDecl* index = nullptr;     // index for: the induction variable
  const clang::Stmt* visited_check = nullptr;  // `if (visited) continue;` (a statement of the body)
  const clang::Expr* vector_expr = nullptr;  // the neighbour's vector, as the distance call reads it
  const clang::Expr* expanded_node = nullptr;  // range-for: the node whose list this is
  const clang::CallExpr* candidate_push = nullptr;  // the neighbour entering the candidate pool
  const clang::VarDecl* candidate_pool = nullptr;   // the container candidate_push adds to
  const clang::CallExpr* result_push = nullptr;     // the neighbour entering the result set
  const clang::VarDecl* result_set = nullptr;       // the container result_push adds to
  const clang::CallExpr* distance_call = nullptr;   // the call whose argument is vector_expr
  // Where vector_expr reads: `&storage[node * stride]` or `storage.data() + node * stride`,
  // written in vector_expr or in the accessor it calls; stride is a member or a literal.
  const clang::FieldDecl* storage = nullptr;
  const clang::Expr* stride = nullptr;
  // Or rows of a byte buffer that hold more than the vector (hnswlib's
  // level-0 block): `storage + node * stride + offset`, in bytes. How many
  // rows are stored and the vector's bytes are read off the method that
  // adds one: `memcpy(<row of id>, src, row_bytes)` where `id = count++`;
  // count is a member of *this or of a member it holds (`hdr_.count`).
  const clang::Expr* offset = nullptr;
  const clang::Expr* row_bytes = nullptr;
  const clang::Expr* count = nullptr;
  // The rewrites know a range-for or an index for that computes the distance
  // in its body; other forms (pointer and iterator loops, std::for_each, a
  // gather loop whose distances a later loop computes) are sites to report
  // and annotate, not yet to rewrite.
  bool rewritable = true;
  // An upper layer's greedy walk (no visited test, no pools): not rewritable
  // as a beam, but a rewrite that knows walks (Rewrite::knows_greedy_walks) may apply.
  bool greedy_walk = false;
};

// The RNG / heuristic neighbour selection of graph construction.
struct PruningRoutine {
  const clang::Stmt* outer_loop = nullptr;
  const clang::BinaryOperator* prune_test = nullptr;  // dist(candidate, kept) < dist(candidate, new node)
  const clang::Expr* kept_distance = nullptr;          // its left side
  const clang::BinaryOperator* degree_test = nullptr;  // selected.size() >= bound
  // edge-pruning scales kept_distance: only where a kept flag is cleared.
  bool rewritable = true;
};

// The visited set of a search, whatever it is (a hash set, a bitset, an
// epoch-tag array, a vector<bool>): the local variable or the member that the
// neighbour loop's membership test reads. visited-set replaces a local hash set.
struct VisitedSet {
  const clang::VarDecl* variable = nullptr;
  const clang::FieldDecl* field = nullptr;
  bool rewritable = true;
};

// The member holding the base vectors: the one the neighbour loop's distance
// call reads (or, annotated, any member). aligned-storage replaces a std::vector<float>.
struct VectorStorage {
  const clang::FieldDecl* field = nullptr;
  bool rewritable = true;
};

// The candidate pool or result set of a search (a priority queue, a sorted
// vector, a linear pool, a heap): what the beam loop watches and what the
// neighbour loop inserts a neighbour into.
struct CandidatePool {
  const clang::VarDecl* variable = nullptr;
  const clang::FieldDecl* field = nullptr;
  bool rewritable = false;  // no rewrite of its own yet
};

// A tunable integer or floating constant.
struct TunableConstant {
  const clang::Expr* literal = nullptr;
  const clang::ValueDecl* declaration = nullptr;  // whose type bounds the values it may take
  double value = 0;
  bool integer = true;
  // False for a numeric #define (found, not yet rewritten) and for a default
  // argument that every call passes explicitly (changing it changes nothing).
  bool rewritable = true;
};

// The tree's build: its top CMakeLists.txt, found from the tree rather than
// the AST, where compile-flags sets the flags of every target it defines.
struct BuildScript {
  bool rewritable = true;
};

using SiteDetail = std::variant<DistanceKernel, NeighborLoop, PruningRoutine, VisitedSet, VectorStorage,
                                CandidatePool, TunableConstant, BuildScript>;

// A site with what the rewrites need beyond its record: AST anchors and the
// call graph's view of it.
struct Site : schema::SiteRecord {
  // The functions the query path runs (empty when the call graph is not
  // known), and those only the query path runs that call towards
  // query_entry, so run before anything it sets up.
  std::set<std::string> query_path, before_query_entry;
  SiteDetail detail;  // AST anchors: valid while the translation unit is
};

}  // namespace crinn::sites
