// Which functions the index build can run: a call graph over every
// translation unit of a tree, joined by qualified name, walked from the
// ABI's crinn_index_build. crinn-tune uses it to tell rewrites that change
// the built index (so the index must be rebuilt) from those that change only
// how it is searched (so a cached index serves).
#pragma once

#include <map>
#include <set>
#include <string>

namespace clang {
class ASTContext;
class FunctionDecl;
}

namespace crinn::sites {

// caller -> callees, by qualified name without template arguments. A lambda
// counts as called by the function it is written in, an overrider as called
// wherever the method it overrides is, and a function whose address is taken
// as called where it is taken and by every call through a pointer.
using CallEdges = std::map<std::string, std::set<std::string>>;

// How the graph names a function: qualified, without template arguments.
std::string call_graph_name(const clang::FunctionDecl* function);

// Adds the calls made in `context`'s traversal scope.
void add_call_edges(clang::ASTContext& context, CallEdges& edges);

// Every function reachable from `entry`, `entry` included; empty if no
// function named `entry` has a body in the graph.
std::set<std::string> reachable_from(const CallEdges& edges, const std::string& entry);

}  // namespace crinn::sites
