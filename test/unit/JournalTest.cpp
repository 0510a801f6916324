#include "Tune/Journal.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

namespace crinn::tune {
namespace {

std::string temp_path() {
  char pattern[] = "/tmp/crinn-journal-XXXXXX";
  int fd = mkstemp(pattern);
  close(fd);
  unlink(pattern);
  return pattern;
}

TEST(Journal, RecordsSurviveReopening) {
  std::string path = temp_path();
  {
    Journal journal(path);
    journal.append({{"candidate", 1}, {"reward", 1.5}});
    journal.append({{"candidate", 2}, {"failure", "compile"}});
  }
  Journal(path).append({{"candidate", 3}});
  std::vector<nlohmann::json> records = Journal::read(path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1]["failure"], "compile");
  EXPECT_EQ(records[2]["candidate"], 3);
  unlink(path.c_str());
}

TEST(Journal, ATornLastRecordIsDroppedAndTheNextOneIsKept) {
  std::string path = temp_path();
  Journal(path).append({{"candidate", 1}});
  std::ofstream(path, std::ios::app) << "{\"candidate\": 2, \"rew";  // killed mid-write
  EXPECT_EQ(Journal::read(path).size(), 1u);
  Journal(path).append({{"candidate", 3}});
  std::vector<nlohmann::json> records = Journal::read(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1]["candidate"], 3);
  unlink(path.c_str());
}

TEST(Journal, AKilledWriterLosesNothingItHadAppended) {
  std::string path = temp_path();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    Journal journal(path);
    for (int i = 0;; ++i) {
      journal.append({{"candidate", i}});
      if (i == 20) (void)!write(ready[1], "x", 1);
    }
  }
  char byte;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  std::vector<nlohmann::json> records = Journal::read(path);
  ASSERT_GE(records.size(), 21u);
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i]["candidate"], int(i));
  unlink(path.c_str());
}

TEST(Journal, AMissingJournalHasNoRecords) { EXPECT_TRUE(Journal::read("/nonexistent/journal.jsonl").empty()); }

}  // namespace
}  // namespace crinn::tune
