// A source tree parsed with Clang: its translation units, the rewrite sites
// in its files, and plans applied to it. crinn-opt is a command line over
// this class; crinn-tune uses it directly.
#pragma once

#include "Rewrite/ChangeSet.h"
#include "Rewrite/Plan.h"
#include "Sites/Site.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace clang {
class ASTUnit;
namespace tooling {
class CompilationDatabase;
}
}  // namespace clang

namespace crinn::rewrite {

class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SourceTree {
 public:
  // Parses every source with its compile command (function bodies of system
  // headers skipped: no site is there); clang's diagnostics go to stderr and a
  // source that does not parse is a ParseError. Sites are those in files
  // under `root`.
  SourceTree(const clang::tooling::CompilationDatabase& compilations, const std::vector<std::string>& sources,
             const std::string& root, const std::string& resource_dir);
  ~SourceTree();

  const std::string& root() const { return root_; }
  // Every site once (a header's sites are found in each unit that includes it).
  const std::vector<sites::Site>& sites() const { return catalogue_; }

  // Every file under root the parse read (sources and project headers), sorted:
  // what a build system's depfile lists for a rewrite of this tree.
  const std::vector<std::string>& project_files() const { return project_files_; }

  // Whether the rewritten files say what was applied to them: a line
  // `// crinn-opt: applied <rewrite> at <site>` (`#` in CMake) at the end of each site's
  // file, by which a plan applied to its own output is refused.
  enum class Record { InFiles, Nothing };

  // Applies a validated plan; a ConflictError names two entries that overlap,
  // a PlanError an entry whose rewrite (or one editing the same code) the
  // site's file records as applied already.
  std::vector<RewrittenFile> apply(const schema::Plan& plan, Record record = Record::InFiles);

  // The record line in `file`: a `#` comment in the build's CMake files.
  static std::string applied_record(const schema::PlanEntry& entry, const std::string& file);

  // The directory that holds all the sources.
  static std::string common_parent(const std::vector<std::string>& sources);
  // Clang's builtin headers: beside the binary (argv0) when installed with
  // them, else those of the LLVM CRINN was built with.
  static std::string resource_dir(const char* argv0);

 private:
  std::string root_;
  std::vector<std::unique_ptr<clang::ASTUnit>> units_;
  std::vector<std::vector<sites::Site>> unit_sites_;
  std::vector<sites::Site> catalogue_;
  std::vector<std::string> project_files_;
};

}  // namespace crinn::rewrite
