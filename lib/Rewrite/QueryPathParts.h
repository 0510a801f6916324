// What the rewrites that switch on only on the query path (quantized-distance,
// flat-graph, multi-entry, adjacency-reorder, adaptive-ef) read off a
// neighbour-loop site: the query, the distance call, the adjacency lists.
#pragma once

#include "Sites/Site.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace crinn::rewrite {

// The method the neighbour loop is in.
const clang::CXXMethodDecl* method_of(const sites::NeighborLoop& loop, clang::ASTContext& context);

// The distance call's argument that is the query, if the call's first two
// arguments are the query and the neighbour's vector and any others are
// members or literals (hnswlib's dist_func_param_).
const clang::Expr* query_argument(const sites::NeighborLoop& loop);

// The distance call's text with its two arguments replaced, in their order.
std::string distance_text(const sites::NeighborLoop& loop, const std::string& query, const std::string& vector,
                          const clang::ASTContext& context);

// The neighbour's vector with the neighbour replaced by `node`.
std::string vector_text(const sites::NeighborLoop& loop, const std::string& node, const clang::ASTContext& context);

// The distance between two vectors, and a node's vector, as the neighbour
// loop's distance call computes them: that call itself when it is given the
// neighbour's vector; when it is given the neighbour's id (a method of the
// loop's class, as Vamana's `distance(q, id)`), the call in its body that
// compares the query with the vector it reads for the id
// (`squared_l2(q, point(id), dim_)`). Its other arguments must be members or
// literals.
class VectorDistance {
 public:
  static std::optional<VectorDistance> of(const sites::NeighborLoop& loop, const clang::ASTContext& context);
  std::string between(const std::string& a, const std::string& b) const;
  std::string vector_of(const std::string& node) const;

 private:
  std::string callee_;
  std::vector<std::string> args_;      // the fixed ones; the two below are left empty
  unsigned query_at_ = 0, vector_at_ = 1;
  std::function<std::string(const std::string&)> vector_of_;
};

// How the result set's entries hold a neighbour's distance and id, read off
// the push that adds one: `{d, id}` or `Cand{d, id}` (fields in declaration
// order), `std::make_pair(d, id)`, `emplace(d, id)` of a pair, in either
// order. The members' names: `first`/`second`, `dist`/`id`. Only for a
// std::priority_queue or std::vector (what crinn::runtime::rerank takes).
struct EntryFields {
  std::string distance, id;
};
std::optional<EntryFields> entry_fields(const sites::NeighborLoop& loop);

// A neighbour loop's adjacency lists, in one of two forms:
// - by member: the range-for's `field[node][layer]...`, a member of *this
//   indexed first by the expanded node, then by layer subscripts that do not
//   depend on the beam's locals, each list a std::vector of ids;
// - by pointer: an index loop reading `p[j]` or `*(p + j)` for j from `first`
//   to a bound, where the local pointer p is initialised once from the
//   expanded node alone (`int* data = (int*) get_linklist0(node)`, through
//   other such pointers too) and the bound is p's count
//   (`getListCount(data)`), so that any node's list can be written down
//   (hnswlib's layer 0). Then `field` is the member the loop's vectors are
//   read from, beside which new members go.
struct Adjacency {
  const clang::FieldDecl* field = nullptr;
  std::vector<const clang::Expr*> indices;  // by member
  std::string id_type;                      // the list's element type
  // By pointer: p and how its initialiser reads the node (`current.second`).
  const clang::VarDecl* pointer = nullptr;
  const clang::Expr* node_read = nullptr;
  std::function<std::string(const std::string&)> pointer_of;  // p's value for another node
  std::function<std::string(const std::string&)> end_of;      // the index one past the list's last, for another node
  std::string first;                                          // the index of the list's first id
  std::string node_count;  // how many nodes have lists: `field.size()`, or the member counting rows
  bool by_pointer() const { return pointer != nullptr; }
  // node's layer-0 list as a container of ids (by pointer: a
  // crinn::runtime::IdRun over them, mutable if p is).
  std::string layer0(const std::string& node) const;
  // By pointer: all that p reads for node, from p[0] up to the list's end.
  std::string words(const std::string& node) const;
  // `<flag> && (layer) == 0 ...`: the loop reads layer 0 and `flag` holds.
  std::string on_layer0(const std::string& flag, const clang::ASTContext& context) const;
};
std::optional<Adjacency> adjacency_of(const sites::NeighborLoop& loop, const clang::ASTContext& context);

// The adjacency of a neighbor-loop site where a query-path rewrite can add a
// member beside the lists: the site has a query entry, the lists are a member
// of the class of the loop's method, and their declaration ends a line. With
// `needs_distance`, the distance call's query argument must be known too.
std::optional<Adjacency> graph_site(const sites::Site& site, clang::ASTContext& context, bool needs_distance);

}  // namespace crinn::rewrite
