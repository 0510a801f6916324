// Progress on a stream: one line rewritten in place on a terminal, plain
// lines in a log, so logs stay readable and a terminal is not flooded.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace crinn::support {

// Progress of a long step (the ground truth of a big set) by count: in a log,
// a line at each tenth.
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

// A run's state kept as the last line of a terminal, with log lines
// scrolling above it; where the stream is not a terminal the state is not
// shown (the log says it) and log lines are written as they are.
class StatusLine {
 public:
  explicit StatusLine(std::FILE* out = stderr);
  ~StatusLine();
  void log(const std::string& line);
  void show(const std::string& state);
  // Clears the state line, before output of another kind follows.
  void clear();

 private:
  std::FILE* out_;
  bool terminal_;
  std::string state_;
};

}  // namespace crinn::support
