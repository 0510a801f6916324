#include "Bench/Benchmark.h"
#include "Data/Formats.h"
#include "Data/GroundTruth.h"
#include "Data/Synthetic.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <set>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace crinn::bench {
namespace {

data::Dataset synthetic(data::Metric metric = data::Metric::Euclidean) {
  data::SyntheticSpec spec;
  spec.train = 2000;
  spec.test = 50;
  spec.dim = 16;
  spec.metric = metric;
  data::Dataset dataset = data::make_synthetic(spec);
  dataset.truth = data::compute_ground_truth(dataset, 10);
  return dataset;
}

// The train point furthest from query q: a sure miss among its neighbours.
int64_t furthest_train_point(const data::Dataset& dataset, int64_t q) {
  int64_t furthest = 0;
  double furthest_distance = 0.0;
  for (int64_t i = 0; i < dataset.train.rows; ++i) {
    double d = data::exact_distance(dataset.metric, dataset.test.row(q), dataset.train.row(i), dataset.train.dim);
    if (d > furthest_distance) furthest_distance = d, furthest = i;
  }
  return furthest;
}

IndexSpec library(const std::string& label, const std::string& path, const std::string& params = "") {
  return IndexSpec{label, path, params};
}

const std::string kBaseline = std::string(CRINN_LIBRARY_DIR) + "/libcrinn_hnsw.so";
const std::string kFixtures = CRINN_FIXTURE_DIR;

TEST(ScoreAnswers, ExactAnswersHaveRecallOne) {
  data::Dataset dataset = synthetic();
  std::vector<int64_t> ids(dataset.truth.ids.begin(), dataset.truth.ids.end());
  ScoredAnswers scored = score_answers(dataset, ids, 10, dataset.test.rows);
  EXPECT_EQ(scored.error, "");
  EXPECT_DOUBLE_EQ(scored.recall, 1.0);
}

TEST(ScoreAnswers, RejectsMalformedAnswers) {
  data::Dataset dataset = synthetic();
  std::vector<int64_t> ids(dataset.truth.ids.begin(), dataset.truth.ids.end());
  std::vector<int64_t> bad = ids;
  bad[13] = dataset.train.rows;
  EXPECT_EQ(score_answers(dataset, bad, 10, dataset.test.rows).error,
            "out-of-range answer: query 1: id 2000 is not in 0..1999");
  bad = ids;
  bad[25] = -1;
  EXPECT_EQ(score_answers(dataset, bad, 10, dataset.test.rows).error,
            "wrong-length answer: query 2: returned 5 ids for k=10");
  bad = ids;
  bad[31] = bad[30];
  EXPECT_EQ(score_answers(dataset, bad, 10, dataset.test.rows).error,
            "invalid answer: query 3: id " + std::to_string(bad[30]) + " returned twice");
}

TEST(ScoreAnswers, OneWrongNeighbourCostsOneTenthOfAQuery) {
  data::Dataset dataset = synthetic();
  std::vector<int64_t> ids(dataset.truth.ids.begin(), dataset.truth.ids.end());
  // Replace query 0's 10th neighbour by the train point furthest from it.
  ids[9] = furthest_train_point(dataset, 0);
  double expected = 1.0 - 0.1 / double(dataset.test.rows);
  EXPECT_NEAR(score_answers(dataset, ids, 10, dataset.test.rows).recall, expected, 1e-12);
}

// Ten misses spread over 1,000 queries is a recall of 0.999 exactly: the
// window's top, not a float hair below it (a sum of per-query fractions gives
// 0.99899999...).
TEST(ScoreAnswers, ARecallOfCountedHitsMeetsAWindowTopExactly) {
  data::SyntheticSpec spec;
  spec.train = 2000;
  spec.test = 1000;
  spec.dim = 8;
  data::Dataset dataset = data::make_synthetic(spec);
  dataset.truth = data::compute_ground_truth(dataset, 10);
  std::vector<int64_t> ids(dataset.truth.ids.begin(), dataset.truth.ids.end());
  // Queries 50, 150, ..., 950 get the train point furthest from them as
  // their 10th neighbour: one miss each.
  for (int64_t q = 50; q < dataset.test.rows; q += 100) ids[size_t(q) * 10 + 9] = furthest_train_point(dataset, q);
  ScoredAnswers scored = score_answers(dataset, ids, 10, dataset.test.rows);
  EXPECT_EQ(scored.error, "");
  EXPECT_EQ(scored.recall, 0.999);
}

TEST(IndexProcess, BuildsAndSearchesTheBaselineInAChild) {
  data::Dataset dataset = synthetic();
  IndexProcess process(library("hnsw", kBaseline, "M=8,ef_construction=64"), dataset, ChildLimits());
  ASSERT_TRUE(process.alive());
  BuildOutcome built = process.build();
  ASSERT_EQ(built.error, "");
  EXPECT_TRUE(built.uses_ef);
  EXPECT_GT(built.peak_memory_mb, 0.0);
  SearchOutcome found = process.search(64, 10, dataset.test.rows, true);
  ASSERT_EQ(found.error, "");
  EXPECT_GT(found.distances_per_query, 10.0);
  EXPECT_LT(found.distances_per_query, double(dataset.train.rows));
  ScoredAnswers scored = score_answers(dataset, found.ids, 10, dataset.test.rows);
  EXPECT_EQ(scored.error, "");
  EXPECT_GT(scored.recall, 0.95);
}

TEST(IndexProcess, IndexMemoryCountsWhatTheFirstQueryMade) {
  data::Dataset dataset = synthetic();
  auto index_memory = [&](const std::string& params) {
    IndexProcess process(library("exact", kFixtures + "/fixture_recording.so", params), dataset, ChildLimits());
    BuildOutcome built = process.build();
    EXPECT_EQ(built.error, "");
    EXPECT_LT(built.peak_memory_mb, 32.0);  // the build copies a small set
    SearchOutcome found = process.search(10, 10, 5, false);
    EXPECT_EQ(found.error, "");
    return found.index_memory_mb;
  };
  double plain = index_memory("tag=plain");
  double lazy = index_memory("tag=lazy,lazy_mib=96");
  EXPECT_LT(plain, 32.0);
  EXPECT_GT(lazy, plain + 90.0);
  EXPECT_LT(lazy, plain + 110.0);
}

// A train matrix read in place from its file is paged in before the build,
// as one in memory is: its pages are the dataset's, not the index's (they
// were counted as index memory once train was memory-mapped).
TEST(IndexProcess, IndexMemoryLeavesOutAMappedTrainMatrix) {
  data::SyntheticSpec spec;
  spec.train = 200000;
  spec.test = 5;
  spec.dim = 64;  // 49 MiB of train
  data::Dataset in_memory = data::make_synthetic(spec);
  std::string file = ::testing::TempDir() + "/mapped-" + std::to_string(getpid()) + ".hdf5";
  data::save_hdf5(in_memory, file);
  data::Dataset mapped = data::load_hdf5(file);
  ASSERT_NE(mapped.train.mapped_rows, nullptr);
  auto index_memory = [](const data::Dataset& dataset) {
    IndexProcess process(library("exact", kFixtures + "/fixture_recording.so", "tag=plain"), dataset, ChildLimits());
    EXPECT_EQ(process.build().error, "");
    SearchOutcome found = process.search(10, 10, 5, false);
    EXPECT_EQ(found.error, "");
    return found.index_memory_mb;
  };
  double from_memory = index_memory(in_memory);
  EXPECT_NEAR(index_memory(mapped), from_memory, 8.0);
  std::filesystem::remove(file);
}

TEST(IndexProcess, ACachedIndexIsLoadedInsteadOfBuilt) {
  data::Dataset dataset = synthetic();
  std::string file = ::testing::TempDir() + "/cached-" + std::to_string(getpid()) + ".index";
  std::filesystem::remove_all(file);
  IndexSpec spec{"hnsw", kBaseline, "M=8,ef_construction=64", file};
  std::vector<int64_t> built_ids;
  {
    IndexProcess first(spec, dataset, ChildLimits());
    BuildOutcome built = first.build();
    ASSERT_EQ(built.error, "");
    EXPECT_FALSE(built.loaded);
    built_ids = first.search(32, 10, dataset.test.rows, true).ids;
  }
  ASSERT_EQ(access((file + "/index").c_str(), R_OK), 0) << "the build did not write " << file;
  IndexProcess second(spec, dataset, ChildLimits());
  BuildOutcome loaded = second.build();
  ASSERT_EQ(loaded.error, "");
  EXPECT_TRUE(loaded.loaded);
  EXPECT_EQ(second.search(32, 10, dataset.test.rows, true).ids, built_ids);

  // A cache entry that is not an index is a load failure with the file named.
  { std::ofstream(file + "/index", std::ios::trunc) << "not an index"; }
  IndexProcess third(spec, dataset, ChildLimits());
  std::string error = third.build().error;
  EXPECT_NE(error.find("loading the cached index " + file + " failed: " + file + "/index is not"), std::string::npos) << error;
  std::filesystem::remove_all(file);
}

TEST(IndexProcess, ReportsLibraryErrors) {
  data::Dataset dataset = synthetic();
  IndexProcess unknown_param(library("hnsw", kBaseline, "M=8,colour=red"), dataset, ChildLimits());
  EXPECT_EQ(unknown_param.build().error, "create failed: unknown parameter 'colour'");
  IndexProcess missing(library("none", "/nonexistent/libnone.so"), dataset, ChildLimits());
  EXPECT_NE(missing.build().error.find("/nonexistent/libnone.so"), std::string::npos);
}

TEST(IndexProcess, ACrashIsAFailureAndTheChildIsGone) {
  data::Dataset dataset = synthetic();
  IndexProcess process(library("crash", kFixtures + "/fixture_crash_in_build.so"), dataset, ChildLimits());
  EXPECT_EQ(process.build().error, "crashed during build (signal 11, Segmentation fault)");
  EXPECT_FALSE(process.alive());
  EXPECT_EQ(process.search(10, 10, 5, true).error, "not running");
}

TEST(IndexProcess, AHangIsKilledAtTheTimeLimit) {
  data::Dataset dataset = synthetic();
  ChildLimits limits;
  limits.search_timeout_seconds = 1.0;
  IndexProcess process(library("hang", kFixtures + "/fixture_hang_in_search.so"), dataset, limits);
  ASSERT_EQ(process.build().error, "");
  EXPECT_EQ(process.search(10, 10, 5, true).error, "");  // hangs only from ef 20
  EXPECT_EQ(process.search(20, 10, 5, true).error, "timed out after 1 s during search (ef=20)");
  EXPECT_FALSE(process.alive());
}

// Whether process `pid` has ended (a zombie has), waiting up to 10 s for a
// SIGKILL sent to it to take effect.
bool ends(pid_t pid) {
  for (int i = 0; i < 1000; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string id, name, state;
    if (!(stat >> id >> name >> state) || state == "Z") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Issue 16 case 15: a helper the library forks holds the harness's pipes
// open. The child's crash is seen when the child dies, not when the helper
// exits (it lives longer than the build timeout), and the helper ends with
// the child's process group instead of outliving the harness.
TEST(IndexProcess, AForkedHelperNeitherHidesACrashNorOutlivesIt) {
  data::Dataset dataset = synthetic();
  std::string log = ::testing::TempDir() + "crinn-helper-" + std::to_string(getpid());
  std::filesystem::remove(log);
  setenv("CRINN_FIXTURE_LOG", log.c_str(), 1);
  ChildLimits limits;
  limits.build_timeout_seconds = 30;  // the helper sleeps 60 s
  {
    IndexProcess process(library("helper", kFixtures + "/fixture_crash_after_forking_helper.so"), dataset, limits);
    EXPECT_EQ(process.build().error, "crashed during build (signal 11, Segmentation fault)");
  }
  unsetenv("CRINN_FIXTURE_LOG");
  std::ifstream in(log);
  std::string word;
  pid_t helper = 0;
  ASSERT_TRUE(in >> word >> helper) << log;
  EXPECT_TRUE(ends(helper)) << "helper " << helper << " outlived the index child";
  std::filesystem::remove(log);
}

// The pipes open in this process, by descriptor.
std::set<int> open_pipes() {
  std::set<int> pipes;
  DIR* dir = opendir("/proc/self/fd");
  while (dirent* entry = dir ? readdir(dir) : nullptr) {
    int fd = std::atoi(entry->d_name);
    struct stat info;
    if (fd > STDERR_FILENO && fstat(fd, &info) == 0 && S_ISFIFO(info.st_mode)) pipes.insert(fd);
  }
  if (dir) closedir(dir);
  return pipes;
}

// Issue 16 case 15: the harness's pipes are close-on-exec, so that no program
// run while the child lives (a build tool, a program a library runs) holds
// them open.
TEST(IndexProcess, TheHarnessPipesAreCloseOnExec) {
  data::Dataset dataset = synthetic();
  std::set<int> before = open_pipes();
  IndexProcess process(library("exact", kFixtures + "/fixture_recording.so"), dataset, ChildLimits());
  int harness_pipes = 0;
  for (int fd : open_pipes())
    if (!before.count(fd)) {
      ++harness_pipes;
      EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC) << "descriptor " << fd;
    }
  EXPECT_EQ(harness_pipes, 2);
}

// Issue 16 case 16: the LLM's API key in crinn-tune's environment never
// reaches an index library (a peer copied it into report.html); the rest of
// the environment does.
TEST(IndexProcess, TheChildNeverSeesTheApiKey) {
  data::Dataset dataset = synthetic();
  setenv("CRINN_LLM_API_KEY", "sk-test-secret", 1);
  setenv("CRINN_FIXTURE_PLAIN", "visible", 1);
  const std::string fixture = kFixtures + "/fixture_recording.so";
  IndexProcess secret(library("secret", fixture, "echo_env=CRINN_LLM_API_KEY"), dataset, ChildLimits());
  IndexProcess plain(library("plain", fixture, "echo_env=CRINN_FIXTURE_PLAIN"), dataset, ChildLimits());
  unsetenv("CRINN_LLM_API_KEY");
  unsetenv("CRINN_FIXTURE_PLAIN");
  EXPECT_EQ(secret.build().error, "create failed: CRINN_LLM_API_KEY is not set");
  EXPECT_EQ(plain.build().error, "create failed: CRINN_FIXTURE_PLAIN=visible");
}

TEST(IndexProcess, TheMemoryLimitHoldsRunawayAllocation) {
  // Without the limit the fixture would allocate until the machine has no memory left.
  if (!kMemoryLimitEnforced) GTEST_SKIP() << "no address-space limit under AddressSanitizer (kMemoryLimitEnforced)";
  data::Dataset dataset = synthetic();
  ChildLimits limits;
  limits.memory_limit_mb = 1024;
  IndexProcess process(library("memory", kFixtures + "/fixture_allocate_without_limit.so"), dataset, limits);
  EXPECT_EQ(process.build().error, "build failed: out of memory");
}

TEST(RunBenchmark, AFailingIndexDoesNotStopTheOthers) {
  data::Dataset dataset = synthetic();
  BenchConfig config;
  config.efs = {10, 20, 40};
  config.runs = 2;
  std::vector<IndexResult> results = run_benchmark(
      dataset,
      {library("hnsw", kBaseline), library("crash", kFixtures + "/fixture_crash_in_search.so"),
       library("exact", std::string(CRINN_LIBRARY_DIR) + "/libcrinn_bruteforce.so")},
      config, [](const std::string&) {});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].failure, "");
  ASSERT_EQ(results[0].points.size(), 3u);
  for (const EfResult& p : results[0].points) EXPECT_EQ(p.qps_runs.size(), 2u);
  // Recall does not fall as ef grows on this easy set.
  EXPECT_LE(results[0].points[0].recall, results[0].points[2].recall);

  EXPECT_EQ(results[1].failure, "crashed during search (ef=20) (signal 11, Segmentation fault)");
  ASSERT_EQ(results[1].points.size(), 1u);  // ef 10 was measured before the crash
  EXPECT_DOUBLE_EQ(results[1].points[0].recall, 1.0);

  EXPECT_EQ(results[2].failure, "");
  EXPECT_FALSE(results[2].uses_ef);
  ASSERT_EQ(results[2].points.size(), 1u);
  EXPECT_DOUBLE_EQ(results[2].points[0].recall, 1.0);
  EXPECT_DOUBLE_EQ(results[2].points[0].distances_per_query, double(dataset.train.rows));
}

// The baseline's own ABI: an index saved and loaded answers as before, for
// every metric.
class BaselineAbi : public ::testing::TestWithParam<data::Metric> {};

TEST_P(BaselineAbi, SaveAndLoadKeepAnswers) {
  data::Dataset dataset = synthetic(GetParam());
  void* handle = dlopen(kBaseline.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto create = reinterpret_cast<crinn_index* (*)(int, crinn_metric, const char*)>(dlsym(handle, "crinn_index_create"));
  auto build = reinterpret_cast<int (*)(crinn_index*, const float*, int64_t)>(dlsym(handle, "crinn_index_build"));
  auto search = reinterpret_cast<int (*)(crinn_index*, const float*, int, int, int64_t*)>(dlsym(handle, "crinn_index_search"));
  auto save = reinterpret_cast<int (*)(const crinn_index*, const char*)>(dlsym(handle, "crinn_index_save"));
  auto load = reinterpret_cast<crinn_index* (*)(const char*)>(dlsym(handle, "crinn_index_load"));
  auto destroy = reinterpret_cast<void (*)(crinn_index*)>(dlsym(handle, "crinn_index_destroy"));

  crinn_index* index = create(dataset.train.dim, data::to_abi(dataset.metric), "M=8,ef_construction=100");
  ASSERT_NE(index, nullptr);
  ASSERT_EQ(build(index, dataset.train.data(), dataset.train.rows), 0);
  std::vector<int64_t> before(size_t(dataset.test.rows) * 10), after(before.size());
  for (int64_t q = 0; q < dataset.test.rows; ++q)
    ASSERT_EQ(search(index, dataset.test.row(q), 10, 50, &before[size_t(q) * 10]), 10);
  std::string file = "/tmp/crinn-baseline-" + std::to_string(getpid()) + ".hnsw";
  ASSERT_EQ(save(index, file.c_str()), 0);
  destroy(index);
  crinn_index* loaded = load(file.c_str());
  ASSERT_NE(loaded, nullptr);
  for (int64_t q = 0; q < dataset.test.rows; ++q)
    ASSERT_EQ(search(loaded, dataset.test.row(q), 10, 50, &after[size_t(q) * 10]), 10);
  destroy(loaded);
  unlink(file.c_str());
  EXPECT_EQ(before, after);
  EXPECT_GT(score_answers(dataset, before, 10, dataset.test.rows).recall, 0.95);
  dlclose(handle);
}

INSTANTIATE_TEST_SUITE_P(Metrics, BaselineAbi,
                         ::testing::Values(data::Metric::Euclidean, data::Metric::Angular,
                                           data::Metric::InnerProduct),
                         [](const ::testing::TestParamInfo<data::Metric>& info) {
                           return data::metric_name(info.param);
                         });

}  // namespace
}  // namespace crinn::bench
