// How tools name the indexes they measure: "[<label>@]<peer or library.so>
// [:key=value,...]", where a peer is one of the libraries built with CRINN
// (the baseline and the peers it is compared against).
#pragma once

#include "Bench/IndexProcess.h"

#include <stdexcept>
#include <string>

namespace crinn::bench {

class IndexSpecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The directory holding the peer libraries of the running tool: <prefix>/lib
// beside its <prefix>/bin.
std::string peer_library_dir();

// Parses an index spec; throws IndexSpecError for an empty spec, an unknown
// peer name or a library that cannot be read.
IndexSpec parse_index_spec(const std::string& text);

}  // namespace crinn::bench
