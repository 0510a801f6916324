// Progress of a long step (ground truth of a big set, a tuning run) on a
// stream: one line rewritten in place on a terminal, else a plain line at each
// tenth, so logs stay readable and a terminal is not flooded.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace crinn::support {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::FILE* out = stderr);
  // `done` of `total` finished; `detail` is shown after the count.
  void update(int64_t done, const std::string& detail = "");
  // Ends the terminal line (a no-op in a log).
  void finish();

 private:
  std::string label_;
  int64_t total_;
  std::FILE* out_;
  bool terminal_;
  int tenths_shown_ = 0;
  bool line_open_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace crinn::support
