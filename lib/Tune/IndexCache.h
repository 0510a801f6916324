// The index cache of a tuning run (<report dir>/work/index-cache): building
// an index is often the larger part of measuring a candidate, and most
// candidates build the same index as the reference or as an earlier
// candidate, since most rewrites change only the query path. An index is
// keyed by the code that builds it; the caller names that code (the files
// the plan's index-changing entries rewrite, as rewritten).
#pragma once

#include "Data/Dataset.h"

#include <filesystem>
#include <string>
#include <vector>

namespace crinn::tune {

class IndexCache {
 public:
  // `run_key` is what every index of the run shares (run_key below).
  IndexCache(std::filesystem::path dir, std::string run_key);

  // What every index of the run is built from besides the plan: the dataset
  // (train set and metric), the library and every file of the unmodified
  // tree, so that a report dir whose cache holds another dataset's or an
  // edited tree's indexes builds its own.
  static std::string run_key(const std::string& tree_root, const data::Dataset& dataset, const std::string& library);

  // The index file of the code `code` builds ("" for the unmodified
  // source's); stable across runs, so that a resumed run finds its cache.
  std::string file_for(const std::string& code) const;

  // Marks `used` as just used, then removes all but the few most recently
  // used indexes and the `pinned` ones: on a large dataset each is hundreds of MB.
  void evict_all_but(const std::string& used, const std::vector<std::string>& pinned) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::string run_key_;
};

}  // namespace crinn::tune
