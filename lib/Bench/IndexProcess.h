// One index library, loaded and driven in a child process of its own, so that
// a crash, a hang or runaway memory in untrusted index code becomes a failure
// report instead of the end of the run. The child is forked after the dataset
// is loaded and shares it copy-on-write; it answers commands over pipes. It
// leads a process group of its own: processes the library forks are killed
// with it and cannot hide its death by holding the pipes open.
#pragma once

#include "Data/Dataset.h"

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace crinn::bench {

namespace detail {
struct Command;  // the wire format of the parent's commands
struct Reply;    // and of the child's answers (Bench/ChildReply.h)
}

struct IndexSpec {
  std::string label;    // how tables and plots name it
  std::string library;  // path of the shared library implementing index_abi.h
  std::string params;   // "key=value,..." for crinn_index_create
  // If set, a cache of the built index: a directory whose "index" is loaded
  // (crinn_index_load) instead of building when it exists, else written
  // (crinn_index_save) after the build, side files included.
  std::string index_file;
  // Built with -fprofile-generate (compile-flags' profile-guided training):
  // the child runs the library's destructors before it exits, which is where
  // the profile is written. Other libraries are left alone at exit.
  bool writes_profile = false;
};

// Where `spec`'s index built on the dataset of `train_fingerprint`
// (data::train_fingerprint) is cached in `cache_dir`: <cache_dir>/<label>-<key>,
// the key a hash of everything the index depends on (the library's path and
// bytes, the params, the metric and train set), so that two indexes of one
// label, a rebuilt library or another dataset never load an index not theirs.
std::string index_cache_entry(const std::string& cache_dir, const IndexSpec& spec, const std::string& train_fingerprint);

struct ChildLimits {
  double build_timeout_seconds = 3600.0;
  double search_timeout_seconds = 600.0;  // for one pass over the queries
  int64_t memory_limit_mb = 16384;        // address space of the child
};

// AddressSanitizer reserves terabytes of address space for its shadow memory
// when the process starts, so a process built with it (-DCRINN_SANITIZE=ON)
// cannot live under an address-space limit: there the child runs without
// one and ChildLimits::memory_limit_mb is not enforced.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kMemoryLimitEnforced = false;
#else
inline constexpr bool kMemoryLimitEnforced = true;
#endif

struct BuildOutcome {
  std::string error;  // empty on success
  double seconds = 0.0;
  double peak_memory_mb = 0.0;  // resident memory the build added at its peak
  bool uses_ef = true;
  bool loaded = false;  // from IndexSpec::index_file: seconds and memory are the load's
  // How long the index took to build: `seconds` for a build, the time
  // recorded beside a cached index for a load, negative if none was recorded.
  double index_build_seconds = -1.0;
};

struct SearchOutcome {
  std::string error;  // empty on success
  double seconds = 0.0;
  double distances_per_query = 0.0;  // negative if the library does not count
  // Resident memory the index holds after the pass, above the child's before
  // its build or load: what it made at its first query (quantized codes, a
  // flat copy of the graph) included, the build's temporaries not.
  double index_memory_mb = 0.0;
  std::vector<int64_t> ids;  // queries x k, -1 where fewer than k came back
};

class IndexProcess {
 public:
  IndexProcess(IndexSpec spec, const data::Dataset& dataset, ChildLimits limits);
  ~IndexProcess();
  IndexProcess(const IndexProcess&) = delete;
  IndexProcess& operator=(const IndexProcess&) = delete;

  BuildOutcome build();
  // Runs the first `queries` test rows one at a time, timing the whole pass.
  SearchOutcome search(int ef, int k, int64_t queries, bool return_ids);

  bool alive() const { return pid_ > 0; }
  const IndexSpec& spec() const { return spec_; }

 private:
  // Sends a command and reads the reply (with at most `expected_ids` ids into
  // `ids`); on death, timeout or a malformed reply the child is reaped and
  // the returned message says what happened.
  std::string exchange(detail::Command command, double timeout_seconds, const std::string& what, detail::Reply& reply,
                       std::string& error_text, std::vector<int64_t>* ids, uint64_t expected_ids);
  std::string reap(const std::string& what);
  // Whether the child has exited, its status kept (waits for nothing).
  bool child_exited();
  // Kills the child's process group, the helpers it forked included, and
  // collects the child's exit status.
  void end_process_group();

  IndexSpec spec_;
  ChildLimits limits_;
  pid_t pid_ = -1;  // also the id of its process group
  bool exited_ = false;
  int exit_status_ = 0;
  int to_child_ = -1;
  int from_child_ = -1;
  int64_t sequence_ = 0;  // of the last command sent
};

}  // namespace crinn::bench
