#include "Report/ReportPage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace crinn::report {
namespace {

namespace fs = std::filesystem;

class ReportPage : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("report-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::string render() { return render_report_html(dir_.string()); }

  fs::path dir_;
};

const char kSimd[] = R"({"site":"distance-kernel:l2","rewrite":"simd-distance","params":{"width":256}})";
const char kPrefetch[] = R"({"site":"neighbor-loop:search","rewrite":"prefetch-insertion","params":{"distance":2}})";

std::string record(int index, const std::string& plan, const std::string& failure, double reward,
                   const std::string& reason = "") {
  return R"({"index":)" + std::to_string(index) + R"(,"round":0,"plan":{"plan":[)" + plan + R"(]},"failure":")" +
         failure + R"(","reason":")" + reason + R"(","reward":)" + std::to_string(reward) + "}\n";
}

TEST_F(ReportPage, HeadlinesTheClosingComparisonWithItsInterval) {
  // Candidate 1 measured higher beside the reference but did not beat candidate 0 head to head.
  write("history.jsonl",
        std::string(R"({"index":0,"round":0,"plan":{"plan":[)") + kSimd +
            R"(]},"failure":"none","reason":"","reward":1.5,"reward_low":1.4,"reward_high":1.6,"became_best":true})" +
            "\n" + R"({"index":1,"round":0,"plan":{"plan":[)" + kPrefetch +
            R"(]},"failure":"none","reason":"","reward":1.6,"reward_low":1.5,"reward_high":1.7,"became_best":false})" +
            "\n");
  write("run.json", R"({"recall_low":0.9,"recall_high":0.99,"noise_floor":{"aa":{"ratio":1.01,"low":0.95,"high":1.07,"repetitions":12}}})");
  std::string page = render();
  EXPECT_NE(page.find("best reward so far 1.500x [1.400, 1.600] the unmodified source"), std::string::npos);
  EXPECT_NE(page.find("Noise floor: the unmodified source beside a copy of itself measured 1.010x [0.950, 1.070]."),
            std::string::npos);
  EXPECT_NE(page.find("candidate 1, round 1: reward 1.600x [1.500, 1.700]"), std::string::npos);
  EXPECT_NE(page.find("class=\"interval\""), std::string::npos);

  write("comparison.json", R"({"paired_ratios":[{"index":"best","ratio":1.45,"low":1.3,"high":1.6,"repetitions":5}]})");
  page = render();
  EXPECT_NE(page.find("closing comparison: the best variant 1.450x [1.300, 1.600] the unmodified source (area under the "
                      "QPS-recall curve over recall@10 in [0.9, 0.99], 5 paired runs interleaved with it)."),
            std::string::npos);
  EXPECT_EQ(page.find("best reward so far"), std::string::npos);
}

TEST_F(ReportPage, ShowsEachBestEntrysEffectAndEveryFailure) {
  write("history.jsonl", record(0, kSimd, "none", 1.5) + record(1, kPrefetch, "none", 1.1) +
                             record(2, std::string(kSimd) + "," + kPrefetch, "none", 1.9) +
                             record(3, kPrefetch, "crash", 0.0, "crashed during build (signal 11, <Segmentation fault>)"));
  write("plan.json", std::string(R"({"plan":[)") + kSimd + "," + kPrefetch + "]}");
  write("run.json", R"({"source":"baselines/hnsw","dataset":"fm","policy":"builtin","recall_low":0.95,"recall_high":0.999})");
  write("best.patch", "--- a/hnsw.cpp\n+++ b/hnsw.cpp\n");
  std::string page = render();
  EXPECT_NE(page.find("<title>crinn-tune: baselines/hnsw on fm</title>"), std::string::npos);
  // A journal of an older crinn-tune: the highest reward was the best, without an interval.
  EXPECT_NE(page.find("4 candidates evaluated, 3 passed every gate; best reward so far 1.900x the unmodified source"),
            std::string::npos);
  // simd-distance: with it 1.5 and 1.9 (median 1.7), without it 1.1.
  EXPECT_NE(page.find("simd-distance at distance-kernel:l2 (width=256)</code></td><td>1.700x (2)</td><td>1.100x (1)"),
            std::string::npos);
  EXPECT_NE(page.find("prefetch-insertion at neighbor-loop:search (distance=2)</code></td><td>1.500x (2)</td>"
                      "<td>1.500x (1)"),
            std::string::npos);
  // The failure, its reason escaped.
  EXPECT_NE(page.find("<td>3</td><td>crash</td><td>crashed during build (signal 11, &lt;Segmentation fault&gt;)"),
            std::string::npos);
  EXPECT_EQ(page.find("<Segmentation"), std::string::npos);
  // Three candidates plotted, one failure cross.
  size_t circles = 0;
  for (size_t at = page.find("class=\"candidate\""); at != std::string::npos; at = page.find("class=\"candidate\"", at + 1))
    ++circles;
  EXPECT_EQ(circles, 3u);
  EXPECT_NE(page.find("class=\"failure\""), std::string::npos);
  EXPECT_NE(page.find("No closing comparison yet"), std::string::npos);
}

TEST_F(ReportPage, NoWinnerAndNoFailure) {
  write("history.jsonl", record(0, kSimd, "none", 0.8));
  std::string page = render();
  EXPECT_NE(page.find("No candidate beat the unmodified source."), std::string::npos);
  EXPECT_NE(page.find("No candidate failed a gate."), std::string::npos);
}

// Issue 16 case 17: a run whose LLM policy proposed nothing has an empty
// journal, and its report says why the proposals failed.
TEST_F(ReportPage, ShowsWhyTheLlmPolicysProposalsFailed) {
  write("history.jsonl", "");
  write("run.json", R"({"policy":"llm"})");
  write("policy.json", R"({"kind":"llm","failed_proposals":3,"last_failure":"the endpoint answered HTTP <401>",)"
                       R"("usage":{"requests":3,"retries":0,"prompt_tokens":0,"completion_tokens":0}})");
  std::string page = render();
  EXPECT_NE(page.find("0 candidates evaluated"), std::string::npos);
  EXPECT_NE(page.find("3 proposals failed; the last: the endpoint answered HTTP &lt;401&gt;."), std::string::npos)
      << page;
}

// Issue 19: the model's reasons stay with each plan, and its tokens are
// weighed against what they bought.
TEST_F(ReportPage, ShowsTheModelsReasoningAndItsCostPerImprovement) {
  write("history.jsonl",
        std::string(R"({"index":0,"round":0,"plan":{"plan":[)") + kSimd +
            R"(]},"failure":"none","reason":"","reward":1.5,"became_best":true,"explanation":"SIMD <wins>"})" + "\n" +
            record(1, kPrefetch, "recall", 0.0, "recall 0.80 at ef 80") +
            R"({"index":2,"round":1,"plan":{"plan":[)" + kPrefetch +
            R"(]},"failure":"none","reason":"","reward":1.8,"became_best":true,"explanation":"prefetch hides misses"})" +
            "\n");
  write("run.json", R"({"policy":"llm"})");
  write("policy.json", R"({"kind":"llm","prompt_budget_tokens":8500,"largest_prompt_tokens":4100,)"
                       R"("price_per_1k_tokens":0.01,"usage":{"requests":3,"retries":0,"prompt_tokens":15000,)"
                       R"("completion_tokens":5000,"estimated_replies":1}})");
  std::string page = render();
  EXPECT_NE(page.find("15000 prompt and 5000 completion tokens (1 replies without usage counted at 4 characters a "
                      "token), cost 0.2000; 10000 tokens, cost 0.1000 per improvement (2 candidates became the best). "
                      "Prompts of up to 4100 tokens, within a budget of 8500."),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<td>0</td><td>1.500x</td><td><code>simd-distance at distance-kernel:l2 (width=256)</code></td>"
                      "<td>SIMD &lt;wins&gt;</td>"),
            std::string::npos);
  EXPECT_NE(page.find("<td>prefetch hides misses</td>"), std::string::npos);
  // Candidate 1 gave no reason: it has no row.
  EXPECT_EQ(page.find("<tr><td>1</td><td>recall</td><td><code>"), std::string::npos);
}

TEST_F(ReportPage, UnreadableInputIsAnErrorNamingTheFile) {
  EXPECT_THROW(render(), std::runtime_error);  // no history.jsonl
  write("history.jsonl", record(0, kSimd, "none", 1.2));
  write("plan.json", "{not json");
  try {
    write_report_html(dir_.string());
    FAIL() << "a malformed plan.json was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("plan.json: not valid JSON"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ / "report.html"));
}

}  // namespace
}  // namespace crinn::report
