// One candidate's evaluation as a job: build its rewritten tree, measure it
// beside the reference in one interleaved run and apply the gates. The tuner
// runs it in its own process (the local executor) or writes it to a job dir
// that a cluster node runs (crinn-job, the Slurm executor): the spec and the
// result are JSON, so that the node needs neither Clang nor the policy.
// A failure (compile, crash, recall...) is a result, never an exception.
#pragma once

#include "Bench/Benchmark.h"
#include "Data/Dataset.h"
#include "Tune/IndexCache.h"
#include "Verify/Gates.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace crinn::tune {

struct JobSpec {
  int index = 0;                 // the candidate's index in the journal
  std::string tree;              // the candidate's rewritten tree
  std::string reference_tree;    // the unmodified tree (what a node builds its reference from)
  std::string run_key;           // IndexCache::run_key: what a node's caches are keyed by
  std::string dataset;           // as crinn-bench takes it
  int64_t queries = 0;           // timed test queries, 0 for all
  // --tune-sample: the train vectors the run tunes on, drawn on the node as
  // the tuner drew them (data::sample_train with this seed); 0 for all.
  int64_t sample = 0;
  uint64_t sample_seed = 0;
  std::string crinn_include_dir;
  std::string library_name;
  double build_timeout_seconds = 900.0;
  bool profile_guided = false;   // trains the build on the dataset's train vectors
  bool preserving = true;        // answers must equal the reference's (a gate)
  verify::GateConfig gates;
  // Cache file names (IndexCache::file_for, without the directory): the
  // candidate's index, the reference's, and those eviction must keep.
  std::string index_file, reference_index_file;
  std::vector<std::string> pinned_index_files;
  nlohmann::json candidate;      // what the tuner journals about it (plan, round, parent): kept for --resume
};

nlohmann::json to_json(const JobSpec& spec);
JobSpec job_spec_from_json(const nlohmann::json& json);

struct JobResult {
  std::string failure = "none";  // or compile, timeout, profile, crash, mismatch, recall, executor
  std::string reason;
  std::string node;              // where it ran
  double build_seconds = 0.0;
  bool measured = false;         // it got as far as the interleaved run
  double measure_seconds = 0.0;
  bool index_loaded = false;
  nlohmann::json curve, reference_curve;  // (ef, recall, qps) per point
  // The reference earned no reward in the recall window: the run's window
  // is wrong, which stops the run rather than failing the candidate.
  bool reference_without_reward = false;
  std::vector<double> to_reference;  // the paired log ratios of its rewards to the reference's
  std::string library;               // the built library (where the job ran)
};

nlohmann::json to_json(const JobResult& result);
JobResult job_result_from_json(const nlohmann::json& json);

nlohmann::json curve_json(const bench::IndexResult& result);

// Builds spec.tree into build_dir and measures it beside `reference` (built
// already; its index in `cache`), loading and saving indexes in `cache`.
JobResult run_candidate(const JobSpec& spec, const data::Dataset& dataset, const bench::IndexSpec& reference,
                        const IndexCache& cache, const std::filesystem::path& build_dir);

// What crinn-job does on a node: reads <job_dir>/spec.json, builds the
// reference once per node and code (under node_cache/<node>/<run key>, by
// one job at a time), runs the candidate beside it and writes
// <job_dir>/result.json atomically. Throws only when it cannot run at all
// (no spec, a reference that does not build): the executor then sees a job
// without a result.
void run_job(const std::filesystem::path& job_dir, const std::filesystem::path& node_cache);

// The sample of `full` that spec asks for (--tune-sample), with its ground
// truth: drawn by the first job on a node and kept in node_dir, read back by
// the jobs after it.
data::Dataset node_sample(const data::Dataset& full, const JobSpec& spec, const std::filesystem::path& node_dir);

}  // namespace crinn::tune
