#include "Support/Progress.h"

#include <unistd.h>

#include <algorithm>

namespace crinn::support {

Progress::Progress(std::string label, int64_t total, std::FILE* out)
    : label_(std::move(label)), total_(std::max<int64_t>(total, 1)), out_(out), terminal_(isatty(fileno(out)) == 1) {}

void Progress::update(int64_t done, const std::string& detail) {
  done = std::clamp<int64_t>(done, 0, total_);
  const int tenths = int(done * 10 / total_);
  if (!terminal_ && tenths <= tenths_shown_) return;
  tenths_shown_ = tenths;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double left = done > 0 ? elapsed * double(total_ - done) / double(done) : 0.0;
  std::fprintf(out_, "%s%s: %3d%% (%lld/%lld)%s%s, %.0f s left%s", terminal_ ? "\r\033[K" : "", label_.c_str(),
               int(done * 100 / total_), (long long)done, (long long)total_, detail.empty() ? "" : " ",
               detail.c_str(), left, terminal_ ? "" : "\n");
  std::fflush(out_);
  line_open_ = terminal_;
}

void Progress::finish() {
  if (line_open_) std::fputc('\n', out_);
  line_open_ = false;
}

StatusLine::StatusLine(std::FILE* out) : out_(out), terminal_(isatty(fileno(out)) == 1) {}

StatusLine::~StatusLine() {
  if (terminal_ && !state_.empty()) std::fputc('\n', out_);
}

void StatusLine::log(const std::string& line) {
  std::fprintf(out_, "%s%s\n%s", terminal_ ? "\r\033[K" : "", line.c_str(), terminal_ ? state_.c_str() : "");
  std::fflush(out_);
}

void StatusLine::clear() {
  if (terminal_ && !state_.empty()) std::fputs("\r\033[K", out_);
  state_.clear();
}

void StatusLine::show(const std::string& state) {
  if (!terminal_) return;
  state_ = state;
  std::fprintf(out_, "\r\033[K%s", state_.c_str());
  std::fflush(out_);
}

}  // namespace crinn::support
