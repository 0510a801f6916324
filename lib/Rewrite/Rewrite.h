// The rewrite catalogue: one class per structured rewrite, in the manner of
// one clang-tidy check per class, each in its folder lib/Rewrite/<Kind>/ and
// on its line of Registry.def. A rewrite says whether (and with which
// parameters) it applies at a site, and turns a site plus parameters into a
// Clang Transformer rule: a matcher for the site's AST node and the edits.
#pragma once

#include "Sites/Site.h"

#include "clang/Tooling/Transformer/RewriteRule.h"
#include "llvm/Support/Error.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace clang {
class ASTContext;
}

namespace crinn::rewrite {

// Validated parameters, defaults filled in. Rewrites of one loop that share
// work (loop-fission's gather prefetching what quantized-distance's loop
// reads) agree through runtime objects, not through each other's parameters.
class Params {
 public:
  using Values = schema::ParamValues;
  Params() = default;
  explicit Params(Values values) : values_(std::move(values)) {}
  double get(const std::string& name) const { return values_.at(name); }
  long get_int(const std::string& name) const { return long(values_.at(name)); }
  const Values& values() const { return values_; }

 private:
  Values values_;
};

class BuildRewrite;

class Rewrite {
 public:
  virtual ~Rewrite() = default;
  virtual const char* name() const = 0;
  // A rewrite of the build rather than the C++ (compile-flags): Clang does
  // not parse CMake, so it writes its files itself instead of a rule.
  virtual const BuildRewrite* as_build() const { return nullptr; }
  // Offered at a greedy walk's neighbour loop too (sites::NeighborLoop::greedy_walk),
  // which only needs the loop over a list and the neighbour's vector.
  virtual bool knows_greedy_walks() const { return false; }
  // What this rewrite offers at `site`, or nothing if it does not apply there.
  virtual std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const = 0;
  virtual llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params& params,
                                                               clang::ASTContext& context) const = 0;
};

// What a build rewrite changes: lines appended to a file of the build, or
// a file it adds (`created`, with `text` its whole content).
struct BuildFileEdit {
  std::string path;
  std::string text;
  bool created = false;
};

// A rewrite whose site is the tree's build (sites::BuildScript). The AST of
// no translation unit holds its site, so no rule is ever asked of it.
class BuildRewrite : public Rewrite {
 public:
  const BuildRewrite* as_build() const final { return this; }
  llvm::Expected<clang::transformer::RewriteRule> rule(const sites::Site& site, const Params&,
                                                       clang::ASTContext&) const final {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s edits the build at %s, not C++", name(),
                                   site.id.c_str());
  }
  virtual llvm::Expected<std::vector<BuildFileEdit>> build_edits(const sites::Site& site, const Params& params) const = 0;
};

// Every rewrite, in the order of Registry.def.
const std::vector<std::unique_ptr<Rewrite>>& catalogue();
const Rewrite* find_rewrite(const std::string& name);

// Fills each site's `rewrites` with the options the catalogue offers there.
void attach_options(std::vector<sites::Site>& sites, clang::ASTContext& context);

}  // namespace crinn::rewrite
