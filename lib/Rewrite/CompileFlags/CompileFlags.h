#pragma once

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

// compile-flags (the build site): the flags every target of the tree is
// compiled with, written to a generated crinn-flags.cmake that the top
// CMakeLists.txt includes last, so that they follow the tree's own flags.
// Float reassociation (fast_math) may change answers; the other flags keep
// them (docs/rewrites.md, compile-flags).
class CompileFlags : public BuildRewrite {
 public:
  const char* name() const override { return schema::kCompileFlags; }
  std::optional<schema::RewriteOption> option_for(const sites::Site& site, clang::ASTContext& context) const override;
  llvm::Expected<std::vector<BuildFileEdit>> build_edits(const sites::Site& site, const Params& params) const override;
};

}  // namespace crinn::rewrite
