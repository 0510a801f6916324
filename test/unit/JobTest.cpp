#include "Tune/Job.h"
#include "Data/Registry.h"
#include "Data/Sample.h"
#include "Tune/SlurmExecutor.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace crinn::tune {
namespace {

// A node reads back exactly the job the tuner wrote: every field that
// decides what is built and how it is measured.
TEST(JobTest, SpecSurvivesJson) {
  JobSpec spec;
  spec.index = 7;
  spec.tree = "/shared/out/jobs/7/tree";
  spec.reference_tree = "/shared/out/jobs/reference/tree";
  spec.run_key = "0123456789abcdef";
  spec.dataset = "synthetic:n=2000";
  spec.queries = 40;
  spec.crinn_include_dir = "/opt/crinn/include";
  spec.library_name = "libcrinn_hnsw.so";
  spec.build_timeout_seconds = 123.0;
  spec.profile_guided = true;
  spec.preserving = false;
  spec.gates.bench.efs = {10, 20};
  spec.gates.bench.runs = 2;
  spec.gates.bench.recall_low = 0.8;
  spec.gates.bench.recall_high = 0.9;
  spec.gates.bench.limits.build_timeout_seconds = 61.0;
  spec.gates.bench.limits.memory_limit_mb = 999;
  spec.gates.check_ef = 20;
  spec.gates.max_build_ratio = 0.5;
  spec.gates.max_memory_ratio = 1.5;
  spec.index_file = "a.index";
  spec.reference_index_file = "r.index";
  spec.pinned_index_files = {"b.index"};
  spec.candidate = {{"index", 7}, {"round", 1}};

  JobSpec back = job_spec_from_json(nlohmann::json::parse(to_json(spec).dump()));
  EXPECT_EQ(to_json(back), to_json(spec));
  EXPECT_EQ(back.gates.bench.efs, (std::vector<int>{10, 20}));
  EXPECT_EQ(back.gates.bench.limits.memory_limit_mb, 999);
  EXPECT_EQ(back.gates.max_build_ratio, 0.5);
  EXPECT_EQ(back.gates.max_memory_ratio, 1.5);
  EXPECT_TRUE(back.profile_guided);
  EXPECT_FALSE(back.preserving);
}

TEST(JobTest, ResultSurvivesJson) {
  JobResult result;
  result.failure = "recall";
  result.reason = "best recall 0.5";
  result.node = "n12";
  result.build_seconds = 3.5;
  result.measured = true;
  result.to_reference = {0.01, -0.02};
  result.curve = nlohmann::json::array({{{"ef", 10}, {"recall", 0.5}, {"qps", 100.0}}});
  JobResult back = job_result_from_json(nlohmann::json::parse(to_json(result).dump()));
  EXPECT_EQ(to_json(back), to_json(result));
  EXPECT_EQ(back.to_reference, result.to_reference);
}

// Only final states count as a lost job; a requeued or pending one is still Slurm's.
TEST(JobTest, EndedSlurmStates) {
  for (const char* state : {"COMPLETED", "CANCELLED", "NODE_FAIL", "PREEMPTED", "TIMEOUT", "LOST"})
    EXPECT_TRUE(slurm_state_ended(state)) << state;
  for (const char* state : {"PENDING", "RUNNING", "REQUEUED", "COMPLETING", "CONFIGURING", ""})
    EXPECT_FALSE(slurm_state_ended(state)) << state;
}

// Issue 20: the jobs of a --tune-sample run on one node draw the sample and
// its ground truth once; the next job reads the same sample back, and a run
// with other queries gets its own.
TEST(JobTest, ASampleIsDrawnOncePerNode) {
  namespace fs = std::filesystem;
  fs::path node_dir = fs::path(::testing::TempDir()) / "crinn-node-sample";
  fs::remove_all(node_dir);
  fs::create_directories(node_dir);
  JobSpec spec;
  spec.dataset = "synthetic:n=3000,queries=20,dim=8,clusters=5";
  spec.queries = 20;
  spec.sample = 1000;
  spec.sample_seed = 3;
  data::Dataset full = data::open_dataset(spec.dataset, (node_dir / "cache").string());

  data::Dataset drawn = node_sample(full, spec, node_dir);
  auto samples = [&] {
    int count = 0;
    for (const fs::directory_entry& entry : fs::directory_iterator(node_dir))
      count += entry.path().extension() == ".hdf5";
    return count;
  };
  EXPECT_EQ(samples(), 1);
  data::Dataset again = node_sample(full, spec, node_dir);
  EXPECT_EQ(samples(), 1);
  EXPECT_EQ(again.name, data::sample_name(full.name, 1000, 3));
  EXPECT_EQ(again.name, drawn.name);
  ASSERT_EQ(again.train.size(), drawn.train.size());
  EXPECT_TRUE(std::equal(drawn.train.data(), drawn.train.data() + drawn.train.size(), again.train.data()));
  EXPECT_EQ(again.truth.ids, drawn.truth.ids);

  spec.queries = 10;
  data::limit_queries(full, 10);
  EXPECT_EQ(node_sample(full, spec, node_dir).test.rows, 10);
  EXPECT_EQ(samples(), 2);
  fs::remove_all(node_dir);
}

}  // namespace
}  // namespace crinn::tune
