// Builds a candidate: a (rewritten) index source tree with its own
// CMakeLists.txt, configured and compiled in a child process group with a
// time limit, so a candidate that does not compile is a recorded failure with
// the compiler's first error, never a stop of the run. A profile-guided plan
// (compile-flags' profile_guided) is built twice around a training run.
#pragma once

#include "Bench/IndexProcess.h"
#include "Data/Dataset.h"

#include <string>

namespace crinn::verify {

struct BuildOptions {
  std::string crinn_include_dir;  // passed as CRINN_INCLUDE_DIR
  std::string library_name;       // the shared library the tree builds, e.g. libcrinn_hnsw.so
  double timeout_seconds = 600.0;
  // Set for a profile-guided plan: the dataset whose train vectors train the
  // instrumented build (never its test queries), and the training's limits.
  const data::Dataset* profile_training = nullptr;
  bench::ChildLimits training_limits;
};

struct BuildResult {
  // Empty on success, else "<kind>: <cause>" with kind compile, timeout or
  // profile (the training run failed or wrote no profile).
  std::string error;
  std::string library;  // the built library's path
  std::string log;      // the build's output, for reports
  double seconds = 0.0;
};

BuildResult build_tree(const std::string& tree, const std::string& build_dir, const BuildOptions& options);

// "compile", "timeout" or "profile": how a failed build is journaled.
std::string failure_kind(const BuildResult& result);

// What a profile-guided build trains on: an index of up to `base_rows` of the
// dataset's train vectors, searched with up to `queries` further train
// vectors held out of it (with their exact neighbours), so that the measured
// test queries are never the ones the profile was made with.
data::Dataset profile_training_set(const data::Dataset& dataset, int64_t base_rows = 10000, int64_t queries = 500);

}  // namespace crinn::verify
