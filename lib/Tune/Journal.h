// The run's journal: one JSON record per evaluated candidate, appended and
// fsync'ed before the next candidate starts, so that a run killed at any
// moment (Ctrl-C, kill -9, a crash) resumes losing at most the candidate in
// flight. A torn last line, from a kill in the middle of a write, is dropped
// on reading.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace crinn::tune {

class Journal {
 public:
  // Opens `path` for appending, creating it if needed; throws on failure.
  explicit Journal(const std::string& path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Writes one record as a line and makes it durable.
  void append(const nlohmann::json& record);

  // The complete records of a journal, in order; a missing file has none.
  static std::vector<nlohmann::json> read(const std::string& path);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace crinn::tune
