// Progress and the state line: plain lines in a log, one updating line on a terminal.
#include "Support/Progress.h"

#include <gtest/gtest.h>

#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <functional>
#include <sstream>
#include <vector>

namespace {

TEST(Progress, ALogGetsOneLineAtEachTenth) {
  std::FILE* log = std::tmpfile();
  ASSERT_NE(log, nullptr);
  crinn::support::Progress progress("ground truth (queries)", 1000, log);
  for (int done = 0; done <= 1000; done += 7) progress.update(done, "of set");
  progress.update(1000, "of set");
  progress.finish();
  std::rewind(log);
  std::vector<std::string> lines;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, log)) lines.emplace_back(buffer);
  std::fclose(log);
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_EQ(lines.front().rfind("ground truth (queries):  10% (105/1000) of set, ", 0), 0u) << lines.front();
  EXPECT_EQ(lines.back().rfind("ground truth (queries): 100% (1000/1000) of set, 0 s left\n", 0), 0u) << lines.back();
  for (const std::string& line : lines) EXPECT_EQ(line.find('\033'), std::string::npos);
}

}  // namespace

namespace {

std::string written_to_log(const std::function<void(crinn::support::StatusLine&)>& use) {
  std::FILE* log = std::tmpfile();
  {
    crinn::support::StatusLine line(log);
    use(line);
  }
  std::rewind(log);
  std::string text;
  for (int c; (c = std::fgetc(log)) != EOF;) text += char(c);
  std::fclose(log);
  return text;
}

// Issue 19, section 4: the run's state is one updating line at the foot of a
// terminal, log lines scrolling above it; a log gets the log lines only.
TEST(StatusLine, ALogGetsLinesOnlyATerminalKeepsTheStateLast) {
  EXPECT_EQ(written_to_log([](auto& line) {
              line.show("round 1 of 4");
              line.log("candidate 0: reward 1.2x");
              line.show("round 2 of 4");
            }),
            "candidate 0: reward 1.2x\n");

  int terminal = -1, writer = -1;
  ASSERT_EQ(openpty(&terminal, &writer, nullptr, nullptr, nullptr), 0);
  termios raw;
  tcgetattr(writer, &raw);
  cfmakeraw(&raw);  // no "\n" to "\r\n" translation
  tcsetattr(writer, TCSANOW, &raw);
  std::FILE* out = fdopen(writer, "w");
  {
    crinn::support::StatusLine line(out);
    line.show("round 1 of 4");
    line.log("candidate 0: reward 1.2x");
    line.show("round 2 of 4");
    line.clear();
  }
  std::fclose(out);
  std::string shown;
  char buffer[256];
  for (ssize_t got; (got = read(terminal, buffer, sizeof buffer)) > 0;) shown.append(buffer, size_t(got));
  close(terminal);
  EXPECT_EQ(shown, "\r\033[Kround 1 of 4\r\033[Kcandidate 0: reward 1.2x\nround 1 of 4\r\033[Kround 2 of 4\r\033[K");
}

}  // namespace
