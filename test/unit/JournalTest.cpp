#include "Tune/Journal.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <string>

namespace crinn::tune {
namespace {

std::string temp_path() {
  char pattern[] = "/tmp/crinn-journal-XXXXXX";
  int fd = mkstemp(pattern);
  close(fd);
  unlink(pattern);
  return pattern;
}

TEST(Journal, TheBestIsTheLastWinnerOrInAnOlderJournalEachHigherReward) {
  auto candidate = [](double reward, const char* failure = "none") {
    return nlohmann::json{{"reward", reward}, {"failure", failure}};
  };
  EXPECT_EQ(best_records({candidate(1.2), candidate(1.1), candidate(0.0, "crash"), candidate(1.5)}),
            (std::vector<size_t>{0, 3}));
  nlohmann::json won = candidate(1.3), lost = candidate(1.6);
  won["became_best"] = true;
  lost["became_best"] = false;  // measured higher beside the reference, but lost its head-to-head
  EXPECT_EQ(best_records({candidate(1.2), won, lost}), (std::vector<size_t>{0, 1}));
}

TEST(Journal, RecordsSurviveReopening) {
  std::string path = temp_path();
  {
    Journal journal(path);
    journal.append({{"candidate", 1}, {"reward", 1.5}});
    journal.append({{"candidate", 2}, {"failure", "compile"}});
  }
  Journal(path).append({{"candidate", 3}});
  std::vector<Journal::Record> records = Journal::read(path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].value["failure"], "compile");
  EXPECT_EQ(records[2].value["candidate"], 3);
  EXPECT_EQ(records[2].line, 3);
  unlink(path.c_str());
}

TEST(Journal, ATornLastRecordIsDroppedAndTheNextOneIsKept) {
  std::string path = temp_path();
  Journal(path).append({{"candidate", 1}});
  std::ofstream(path, std::ios::app) << "{\"candidate\": 2, \"rew";  // killed mid-write
  EXPECT_EQ(Journal::read(path).size(), 1u);
  Journal(path).append({{"candidate", 3}});
  std::vector<Journal::Record> records = Journal::read(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].value["candidate"], 3);
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
  std::vector<Journal::Record> records = Journal::read(path);
  ASSERT_GE(records.size(), 21u);
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].value["candidate"], int(i));
  unlink(path.c_str());
}

TEST(Journal, AMissingJournalHasNoRecords) { EXPECT_TRUE(Journal::read("/nonexistent/journal.jsonl").empty()); }

// The message of the JournalError that reading `path` as crinn-tune's history throws, or "".
std::string candidates_error(const std::string& path) {
  try {
    read_candidates(path);
  } catch (const JournalError& e) {
    return e.what();
  }
  return "";
}

nlohmann::json candidate(int index) {
  return {{"index", index}, {"round", 0}, {"parent", -1}, {"plan", {{"plan", nlohmann::json::array()}}},
          {"failure", "none"}, {"reason", ""}, {"reward", 1.25}};
}

// Issue 16 case 18: a garbage line in the middle was dropped silently, and the
// next candidate took the index of the one after it.
TEST(Journal, AGarbageLineInTheMiddleIsAnErrorNamingItsLine) {
  std::string path = temp_path();
  Journal(path).append(candidate(0));
  std::ofstream(path, std::ios::app) << "xyz garbage\n";
  Journal(path).append(candidate(1));
  EXPECT_EQ(candidates_error(path), path + ":2: not a JSON record: syntax error while parsing value - invalid literal; "
                                           "last read: 'x'");
  unlink(path.c_str());
}

// Issue 16 case 18: valid JSON that is not a candidate record was a bare nlohmann error on --resume.
TEST(Journal, ARecordThatIsNotACandidateIsAnErrorNamingItsLineAndField) {
  nlohmann::json reward_as_text = candidate(1);
  reward_as_text["reward"] = "1.25";
  struct Case {
    std::string line, error;
  } cases[] = {
      {"{}", ":2: 'index' is null, not an integer"},
      {"42", ":2: expected a candidate record (an object), got 42"},
      {reward_as_text.dump(), ":2: 'reward' is \"1.25\", not a number >= 0"},
      {"{\"index\": 1, \"round\": 0, \"plan\": {\"plan\": [{\"site\": 3}]}}",
       ":2: a plan entry is {\"site\":3}, not {\"site\": ..., \"rewrite\": ...}"},
      {"{\"index\": 1, \"reward\": 1e400}", ":2: not a JSON record: number overflow parsing '1e400'"},
  };
  for (const Case& c : cases) {
    std::string path = temp_path();
    Journal(path).append(candidate(0));
    std::ofstream(path, std::ios::app) << c.line << "\n";
    EXPECT_EQ(candidates_error(path), path + c.error) << c.line;
    unlink(path.c_str());
  }
}

// Issue 16 case 18: with a record lost, the next candidate would reuse an index.
TEST(Journal, AMissingCandidateIsAnErrorSoNoIndexIsReused) {
  std::string path = temp_path();
  Journal journal(path);
  journal.append(candidate(0));
  journal.append(candidate(2));
  EXPECT_EQ(candidates_error(path),
            path + ":2: 'index' is 2 where candidate 1 comes (a record is missing or out of order)");
  unlink(path.c_str());
}

TEST(Journal, ATornRecordBetweenCandidatesIsSkipped) {
  std::string path = temp_path();
  Journal(path).append(candidate(0));
  std::ofstream(path, std::ios::app) << candidate(1).dump().substr(0, 30);  // killed mid-write
  Journal(path).append(candidate(1));
  ASSERT_EQ(read_candidates(path).size(), 2u);
  unlink(path.c_str());
}

}  // namespace
}  // namespace crinn::tune
