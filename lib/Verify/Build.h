// Builds a candidate: a (rewritten) index source tree with its own
// CMakeLists.txt, configured and compiled in a child process group with a
// time limit, so a candidate that does not compile is a recorded failure with
// the compiler's first error, never a stop of the run.
#pragma once

#include <string>

namespace crinn::verify {

struct BuildOptions {
  std::string crinn_include_dir;  // passed as CRINN_INCLUDE_DIR
  std::string library_name;       // the shared library the tree builds, e.g. libcrinn_hnsw.so
  double timeout_seconds = 600.0;
};

struct BuildResult {
  std::string error;    // empty on success: "compile: <first error line>" or "timeout: ..."
  std::string library;  // the built library's path
  std::string log;      // the build's output, for reports
  double seconds = 0.0;
};

BuildResult build_tree(const std::string& tree, const std::string& build_dir, const BuildOptions& options);

}  // namespace crinn::verify
