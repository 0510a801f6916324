#include "Data/GroundTruth.h"
#include "Data/Synthetic.h"
#include "Verify/Build.h"
#include "Verify/Gates.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace crinn::verify {
namespace {

class BuildTree : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/crinn-verify-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ASSERT_EQ(std::system(("cp -r " CRINN_SOURCE_DIR "/baselines/hnsw " + dir_ + "/tree").c_str()), 0);
    options_.crinn_include_dir = CRINN_SOURCE_DIR "/include";
    options_.library_name = "libcrinn_hnsw.so";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::string dir_;
  BuildOptions options_;
};

TEST_F(BuildTree, BuildsTheBaselineTree) {
  BuildResult built = build_tree(dir_ + "/tree", dir_ + "/build", options_);
  EXPECT_EQ(built.error, "");
  EXPECT_EQ(built.library, dir_ + "/build/libcrinn_hnsw.so");
  EXPECT_GT(built.seconds, 0.0);
}

// A copied or moved run dir (crinn-tune --resume on a copy) holds build
// dirs whose CMake caches name where they were made; CMake refuses them.
TEST_F(BuildTree, ABuildDirMovedFromElsewhereIsBuiltAfresh) {
  ASSERT_EQ(build_tree(dir_ + "/tree", dir_ + "/build", options_).error, "");
  ASSERT_EQ(std::system(("mv " + dir_ + "/build " + dir_ + "/moved").c_str()), 0);
  BuildResult built = build_tree(dir_ + "/tree", dir_ + "/moved", options_);
  EXPECT_EQ(built.error, "");
  EXPECT_EQ(built.library, dir_ + "/moved/libcrinn_hnsw.so");
}

// Issue 16 case 16: cmake and what the build runs (compilers, crinn-opt)
// never see the LLM's API key in crinn-tune's environment.
TEST_F(BuildTree, TheBuildNeverSeesTheApiKey) {
  std::ofstream(dir_ + "/tree/CMakeLists.txt")
      << "cmake_minimum_required(VERSION 3.16)\nproject(environment NONE)\n"
         "message(STATUS \"configure sees CRINN_LLM_API_KEY='$ENV{CRINN_LLM_API_KEY}'\")\n"
         "add_custom_target(show_environment ALL COMMAND ${CMAKE_COMMAND} -E environment)\n";
  setenv("CRINN_LLM_API_KEY", "sk-test-secret", 1);
  BuildResult built = build_tree(dir_ + "/tree", dir_ + "/build", options_);
  unsetenv("CRINN_LLM_API_KEY");
  EXPECT_NE(built.log.find("configure sees CRINN_LLM_API_KEY=''"), std::string::npos) << built.log;
  EXPECT_NE(built.log.find("PATH="), std::string::npos) << built.log;  // the build step printed its environment
  EXPECT_EQ(built.log.find("sk-test-secret"), std::string::npos) << built.log;
}

TEST_F(BuildTree, ACompileErrorIsAFailureWithTheCompilersMessage) {
  std::ofstream(dir_ + "/tree/hnsw.cpp", std::ios::app) << "\nint broken( {\n";
  BuildResult built = build_tree(dir_ + "/tree", dir_ + "/build", options_);
  EXPECT_EQ(built.error.rfind("compile: ", 0), 0u) << built.error;
  EXPECT_NE(built.error.find("hnsw.cpp"), std::string::npos) << built.error;
  EXPECT_NE(built.error.find("error:"), std::string::npos) << built.error;
  EXPECT_NE(built.log.find("error:"), std::string::npos);
}

TEST_F(BuildTree, ABuildPastItsTimeLimitIsKilled) {
  options_.timeout_seconds = 0.05;
  BuildResult built = build_tree(dir_ + "/tree", dir_ + "/build", options_);
  EXPECT_EQ(built.error.rfind("timeout: ", 0), 0u) << built.error;
}

// compile-flags' profile_guided, end to end: crinn-opt writes the plan's
// crinn-flags.cmake into a copy of the baseline; the instrumented build
// trains on train vectors held out of a sample index, writes its profile,
// and the library built again with it runs.
TEST_F(BuildTree, AProfileGuidedPlanBuildsAroundATrainingRun) {
  std::ofstream(dir_ + "/plan.json")
      << R"({"plan": [{"site": "build:CMakeLists.txt", "rewrite": "compile-flags", "params": {"profile_guided": 1}}]})";
  ASSERT_EQ(std::system((std::string(CRINN_TOOLS_DIR) + "/crinn-opt --plan " + dir_ + "/plan.json -o " + dir_ +
                         "/pgo " + dir_ + "/tree/hnsw.cpp " + dir_ + "/tree/crinn_index.cpp -- -std=c++17 -I" +
                         CRINN_SOURCE_DIR "/include 2>/dev/null")
                            .c_str()),
            0);
  data::SyntheticSpec spec;
  spec.train = 3000;
  data::Dataset dataset = data::make_synthetic(spec);
  options_.profile_training = &dataset;
  BuildResult built = build_tree(dir_ + "/pgo", dir_ + "/build", options_);
  ASSERT_EQ(built.error, "") << built.log;
  EXPECT_EQ(std::system(("grep -q '^CRINN_PROFILE:STRING=use$' " + dir_ + "/build/CMakeCache.txt").c_str()), 0);
  EXPECT_EQ(std::system(("ls " + dir_ + "/build/crinn-profile/*.gcda >/dev/null 2>&1 || ls " + dir_ +
                         "/build/crinn-profile/*.profraw >/dev/null 2>&1")
                            .c_str()),
            0);
  dataset.truth = data::compute_ground_truth(dataset, 10);
  bench::BenchConfig config;
  config.efs = {64};
  config.runs = 1;
  bench::IndexResult measured = bench::run_benchmark(dataset, {{"pgo", built.library, "", ""}}, config, [](auto&) {})[0];
  EXPECT_EQ(measured.failure, "");
  EXPECT_GT(measured.points.at(0).recall, 0.9);
}

// A tree that does not build instrumented (no crinn-flags.cmake) writes no
// profile: the plan's build is a recorded failure that says so, not a
// build without the profile.
TEST_F(BuildTree, AProfileGuidedBuildWithoutAProfileIsARecordedFailure) {
  data::Dataset dataset = data::make_synthetic({});
  options_.profile_training = &dataset;
  BuildResult built = build_tree(dir_ + "/tree", dir_ + "/build", options_);
  EXPECT_EQ(failure_kind(built), "profile") << built.error;
  EXPECT_NE(built.error.find("wrote no profile"), std::string::npos) << built.error;
  EXPECT_EQ(built.library, "");
}

TEST(ProfileTrainingSet, HoldsOutItsQueriesFromItsIndexAndNeverUsesTheTestSet) {
  data::SyntheticSpec spec;
  spec.train = 1000;
  data::Dataset dataset = data::make_synthetic(spec);
  data::Dataset training = profile_training_set(dataset, 600, 100);
  EXPECT_EQ(training.train.rows, 600);
  EXPECT_EQ(training.test.rows, 100);
  EXPECT_EQ(training.truth.k, 10);
  EXPECT_TRUE(std::equal(training.test.values.begin(), training.test.values.end(), dataset.train.row(600)));
  // A small train set keeps a fifth for queries.
  data::Dataset small = profile_training_set(dataset, 10000, 500);
  EXPECT_EQ(small.test.rows, 200);
  EXPECT_EQ(small.train.rows, 800);
}

class Gates : public ::testing::Test {
 protected:
  void SetUp() override {
    data::SyntheticSpec spec;
    spec.train = 2000;
    spec.test = 60;
    spec.dim = 16;
    dataset_ = data::make_synthetic(spec);
    dataset_.truth = data::compute_ground_truth(dataset_, 10);
    config_.bench.efs = {10, 40, 160};
    config_.bench.runs = 1;
    config_.bench.recall_low = 0.9;
    config_.bench.recall_high = 0.99;
    config_.bench.limits.search_timeout_seconds = 2.0;
    config_.check_ef = 40;
  }
  static bench::IndexSpec library(const std::string& label, const std::string& path, const std::string& params = "") {
    return bench::IndexSpec{label, path, params};
  }

  data::Dataset dataset_;
  GateConfig config_;
  const std::string baseline_ = std::string(CRINN_LIBRARY_DIR) + "/libcrinn_hnsw.so";
};

TEST_F(Gates, TheSameCodePassesEveryGate) {
  Verdict verdict = verify_candidate(dataset_, library("candidate", baseline_), library("parent", baseline_), true, config_);
  EXPECT_EQ(verdict.failure, Failure::None) << verdict.reason;
  EXPECT_EQ(verdict.candidate.points.size(), 3u);
}

TEST_F(Gates, CrashAndHangAreRecordedFailures) {
  Verdict crash = verify_candidate(dataset_, library("crash", std::string(CRINN_FIXTURE_DIR) + "/fixture_crash_in_build.so"),
                                   library("parent", baseline_), false, config_);
  EXPECT_EQ(crash.failure, Failure::Crash);
  EXPECT_EQ(crash.reason, "crashed during build (signal 11, Segmentation fault)");
  EXPECT_STREQ(failure_name(crash.failure), "crash");
  Verdict hang = verify_candidate(dataset_, library("hang", std::string(CRINN_FIXTURE_DIR) + "/fixture_hang_in_search.so"),
                                  library("parent", baseline_), false, config_);
  EXPECT_EQ(hang.failure, Failure::Timeout);
  EXPECT_EQ(hang.reason, "timed out after 2 s during search (ef=40)");
}

TEST_F(Gates, AResultPreservingCandidateMustAnswerAsItsParent) {
  // A different graph (M=4) answers differently at ef=40: not result-preserving.
  Verdict verdict = verify_candidate(dataset_, library("candidate", baseline_, "M=4"), library("parent", baseline_), true,
                                     config_);
  EXPECT_EQ(verdict.failure, Failure::Mismatch);
  EXPECT_EQ(verdict.reason.rfind("answers differ from the parent's at ef=40, query ", 0), 0u) << verdict.reason;
  // The same candidate, declared result-changing, is judged by recall alone.
  EXPECT_EQ(verify_candidate(dataset_, library("candidate", baseline_, "M=4"), library("parent", baseline_), false,
                             config_).failure,
            Failure::None);
}

TEST_F(Gates, RecallBelowTheWindowsTopFails) {
  config_.bench.efs = {10};
  config_.check_ef = 10;
  config_.bench.recall_high = 0.9999;
  Verdict verdict = verify_candidate(dataset_, library("candidate", baseline_, "M=2,ef_construction=4"),
                                     library("parent", baseline_), false, config_);
  EXPECT_EQ(verdict.failure, Failure::Recall);
  EXPECT_EQ(verdict.reason.rfind("best recall 0.", 0), 0u) << verdict.reason;
  // A top just above the recall reached is printed with the digits that tell them apart.
  config_.bench.recall_high = verdict.candidate.points.front().recall + 1e-6;
  verdict = verify_candidate(dataset_, library("candidate", baseline_, "M=2,ef_construction=4"),
                             library("parent", baseline_), false, config_);
  ASSERT_EQ(verdict.failure, Failure::Recall);
  std::istringstream words(verdict.reason);
  std::string best, top, word;
  words >> word >> word >> best;
  while (words >> word) top = word;
  EXPECT_NE(best, top) << verdict.reason;
}

TEST(CostGate, FailsPastEachLimitAndOnlyThere) {
  bench::IndexResult parent, candidate;
  parent.index_build_seconds = 10.0;
  parent.index_memory_mb = 100.0;
  candidate.index_build_seconds = 19.0;
  candidate.index_memory_mb = 149.0;
  GateConfig config;
  EXPECT_EQ(cost_over_limit(candidate, parent, config), "") << "no limits set";
  config.max_build_ratio = 2.0;
  config.max_memory_ratio = 1.5;
  EXPECT_EQ(cost_over_limit(candidate, parent, config), "");
  candidate.index_build_seconds = 21.0;
  EXPECT_EQ(cost_over_limit(candidate, parent, config), "its index build took 2.1x the parent's, over the limit of 2x");
  candidate.index_build_seconds = 19.0;
  candidate.index_memory_mb = 151.0;
  EXPECT_EQ(cost_over_limit(candidate, parent, config),
            "its index holds 1.51x the parent's memory, over the limit of 1.5x");
  // An unknown build time (an index cached before times were recorded) is not judged.
  candidate.index_memory_mb = 100.0;
  candidate.index_build_seconds = 1000.0;
  parent.index_build_seconds = -1.0;
  EXPECT_EQ(cost_over_limit(candidate, parent, config), "");
}

TEST_F(Gates, AnIndexCostlierThanTheLimitFailsWithReasonCost) {
  // A larger efConstruction builds the same graph shape far more slowly.
  config_.max_build_ratio = 1.5;
  Verdict verdict = verify_candidate(dataset_, library("candidate", baseline_, "ef_construction=2000"),
                                     library("parent", baseline_, "ef_construction=20"), false, config_);
  ASSERT_EQ(verdict.failure, Failure::Cost) << verdict.reason;
  EXPECT_STREQ(failure_name(verdict.failure), "cost");
  EXPECT_EQ(verdict.reason.rfind("its index build took ", 0), 0u) << verdict.reason;
  EXPECT_GT(verdict.candidate.index_build_seconds, 1.5 * verdict.parent.index_build_seconds);
  // Failed on its build, before any timed run: neither index was searched.
  EXPECT_FALSE(verdict.timed);
  for (const bench::IndexResult* result : {&verdict.candidate, &verdict.parent})
    for (const bench::EfResult& point : result->points) EXPECT_TRUE(point.qps_runs.empty());
  // Over the memory limit only, it fails after the timed runs.
  config_.max_build_ratio = 0.0;
  config_.max_memory_ratio = 0.001;
  verdict = verify_candidate(dataset_, library("candidate", baseline_, "ef_construction=40"),
                             library("parent", baseline_, "ef_construction=20"), false, config_);
  ASSERT_GT(verdict.parent.index_memory_mb, 0.0) << "2,000 vectors and their graph hold a few hundred KiB";
  EXPECT_EQ(verdict.failure, Failure::Cost) << verdict.reason;
  EXPECT_EQ(verdict.reason.rfind("its index holds ", 0), 0u) << verdict.reason;
  EXPECT_TRUE(verdict.timed);
}

TEST_F(Gates, ABuildStoppedPastTheBuildLimitIsACostNotATimeout) {
  config_.max_build_ratio = 2.0;
  config_.bench.limits.build_timeout_seconds = 2.0;
  const std::string hang = std::string(CRINN_FIXTURE_DIR) + "/fixture_hang_in_build.so";
  Verdict verdict = verify_candidate(dataset_, library("hang", hang), library("parent", baseline_, "ef_construction=20"),
                                     false, config_);
  ASSERT_GT(verdict.parent.index_build_seconds, 0.0);
  ASSERT_LT(2.0 * verdict.parent.index_build_seconds, 2.0) << "the parent builds 2,000 vectors in well under a second";
  EXPECT_EQ(verdict.failure, Failure::Cost) << verdict.reason;
  EXPECT_EQ(verdict.reason.rfind("its index build was stopped at 2 s, ", 0), 0u) << verdict.reason;
  EXPECT_FALSE(verdict.timed) << "nothing of the candidate to time";
  for (const bench::EfResult& point : verdict.parent.points) EXPECT_TRUE(point.qps_runs.empty());
  // Without a build-time limit the same stop is a timeout.
  config_.max_build_ratio = 0.0;
  verdict = verify_candidate(dataset_, library("hang", hang), library("parent", baseline_), false, config_);
  EXPECT_EQ(verdict.failure, Failure::Timeout) << verdict.reason;
  EXPECT_EQ(verdict.reason, "timed out after 2 s during build");
}

TEST_F(Gates, ALoadedIndexReportsItsBuildsTimeNotItsLoads) {
  char pattern[] = "/tmp/crinn-cost-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::string cache = std::string(pattern) + "/index";
  bench::IndexSpec cached{"cached", baseline_, "ef_construction=400", cache};
  bench::IndexResult built = bench::run_benchmark(dataset_, {cached}, config_.bench, [](auto&) {})[0];
  bench::IndexResult loaded = bench::run_benchmark(dataset_, {cached}, config_.bench, [](auto&) {})[0];
  std::system(("rm -rf " + std::string(pattern)).c_str());
  ASSERT_TRUE(built.failure.empty() && loaded.failure.empty()) << built.failure << loaded.failure;
  ASSERT_FALSE(built.loaded);
  ASSERT_TRUE(loaded.loaded);
  EXPECT_EQ(built.index_build_seconds, built.build_seconds);
  EXPECT_DOUBLE_EQ(loaded.index_build_seconds, built.build_seconds);
  EXPECT_LT(loaded.build_seconds, built.build_seconds) << "loading is faster than building";
}

}  // namespace
}  // namespace crinn::verify
