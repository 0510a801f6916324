// What the rewrites that switch on only on the query path (quantized-distance,
// flat-graph, multi-entry, adjacency-reorder, adaptive-ef) read off a
// neighbour-loop site: the query, the distance call, the adjacency lists.
#pragma once

#include "Sites/Site.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"

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

// The range-for's adjacency expression as `field[node][layer]...`: a member
// of *this indexed first by the expanded node, then by layer subscripts that
// do not depend on the beam's locals.
struct Adjacency {
  const clang::FieldDecl* field = nullptr;
  std::vector<const clang::Expr*> indices;
  std::string id_type;  // the list's element type
  // `field[<node>][0]...`: node's layer-0 list.
  std::string layer0(const std::string& node) const;
  // `<flag> && (layer) == 0 ...`: the loop reads layer 0 and `flag` holds.
  std::string on_layer0(const std::string& flag, const clang::ASTContext& context) const;
};
std::optional<Adjacency> adjacency_of(const sites::NeighborLoop& loop);

// The adjacency of a neighbor-loop site where a query-path rewrite can add a
// member beside the lists: the site has a query entry, the lists are a member
// of the class of the loop's method, and their declaration ends a line. With
// `needs_distance`, the distance call's query argument must be known too.
std::optional<Adjacency> graph_site(const sites::Site& site, clang::ASTContext& context, bool needs_distance);

}  // namespace crinn::rewrite
