#include "Bench/Peers.h"

#include <unistd.h>

#include <utility>

namespace crinn::bench {

std::string peer_library_dir() {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return "lib";
  std::string path(exe, size_t(n));
  path = path.substr(0, path.rfind('/'));  // bin
  return path.substr(0, path.rfind('/')) + "/lib";
}

IndexSpec parse_index_spec(const std::string& text) {
  static const std::pair<const char*, const char*> peers[] = {
      {"hnsw", "libcrinn_hnsw.so"},
      {"hnswlib", "libcrinn_hnswlib.so"},
      {"faiss-hnsw", "libcrinn_faiss_hnsw.so"},
      {"bruteforce", "libcrinn_bruteforce.so"},
  };
  IndexSpec spec;
  std::string rest = text;
  if (size_t at = rest.find('@'); at != std::string::npos) {
    spec.label = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  if (size_t colon = rest.find(':'); colon != std::string::npos) {
    spec.params = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) throw IndexSpecError("index '" + text + "' names no index");
  spec.library = rest;
  for (const auto& [name, file] : peers)
    if (rest == name) spec.library = peer_library_dir() + "/" + file;
  if (spec.label.empty()) spec.label = rest.substr(rest.rfind('/') + 1);
  if (spec.library.find('/') == std::string::npos)
    throw IndexSpecError("index '" + text + "': not a peer name (hnsw, hnswlib, faiss-hnsw, bruteforce) or a path");
  if (access(spec.library.c_str(), R_OK) != 0) throw IndexSpecError(spec.library + ": cannot open file");
  return spec;
}

}  // namespace crinn::bench
