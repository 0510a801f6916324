// The run's journal: one JSON record per evaluated candidate, appended and
// fsync'ed before the next candidate starts, so that a run killed at any
// moment (Ctrl-C, kill -9, a crash) resumes losing at most the candidate in
// flight. A torn line, from a kill in the middle of a write, is dropped on
// reading; any other line that is not JSON is an error naming its line.
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace crinn::tune {

// A journal that cannot be read back as it was written: "<file>:<line>: <what is wrong>".
struct JournalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Journal {
 public:
  // Opens `path` for appending, creating it if needed; throws on failure.
  explicit Journal(const std::string& path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Writes one record as a line and makes it durable.
  void append(const nlohmann::json& record);

  struct Record {
    int line;  // in the file, from 1, for error messages
    nlohmann::json value;
  };

  // The complete records of a journal, in order; a missing file has none.
  // Throws JournalError on a line that is neither JSON nor a torn record.
  static std::vector<Record> read(const std::string& path);

 private:
  std::string path_;
  int fd_ = -1;
};

// The candidate records of crinn-tune's history.jsonl, each checked for the
// fields that --resume and the report read (index, round, parent, plan,
// reward, failure; if present first_reward, reward_low, reward_high,
// became_best): a record that lacks one or holds the wrong type is a
// JournalError naming its line. The n-th record must be candidate
// n, so a lost or reordered record can never make a new candidate reuse an
// index.
std::vector<nlohmann::json> read_candidates(const std::string& path);

// The positions of the candidates that became the best, in order: those
// whose head-to-head the referee called for them ("became_best"), or in a
// journal of an older crinn-tune, each reward above every earlier one.
std::vector<size_t> best_records(const std::vector<nlohmann::json>& candidates);

}  // namespace crinn::tune
