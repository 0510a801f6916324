// Progress in a log (not a terminal): a plain line at each tenth, no escape codes.
#include "Support/Progress.h"

#include <gtest/gtest.h>

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
