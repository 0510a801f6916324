// The optimisation loop of crinn-tune: discover the sites of a source tree,
// measure the unmodified source as the reference and beside a copy of itself
// (the A/A noise floor), then round after round let the policy propose a
// group of plans; apply, build and verify each (a failed gate is a recorded
// failure with a penalty reward, never a stop); reward a candidate by its
// QPS-recall area as a ratio to the reference measured in the same
// interleaved runs, with a confidence interval (Referee); let a would-be best
// meet the best variant in paired repetitions beside the reference until the
// referee calls it; update the policy; journal every candidate so a killed
// run resumes. A proposal the policy fails to make is logged with its cause
// and counted, never a stop, unless the policy makes none for several rounds.
// The loop writes the report dir (ReportDir); rendering it is the caller's.
#pragma once

#include "Data/Dataset.h"
#include "Policy/Policy.h"
#include "Tune/Referee.h"
#include "Tune/SlurmExecutor.h"
#include "Verify/Gates.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace crinn::rewrite {
class SourceTree;
}

namespace crinn::tune {

enum class Executor { Local, Slurm };

// Of a --time-budget, the share one head-to-head may take: a few candidates'
// worth, so that one close call cannot spend the run.
inline constexpr double kContestShareOfBudget = 0.15;

struct TuneOptions {
  std::string out_dir;            // report dir: history.jsonl, policy.json, plan.json, best/, best.patch
  std::string library_name;       // what the tree's CMakeLists.txt builds, e.g. libcrinn_hnsw.so
  std::string crinn_include_dir;  // for building candidates
  int rounds = 4;
  double time_budget_seconds = 0.0;  // 0: no budget, `rounds` decides
  int group_size = 4;
  verify::GateConfig gates;
  double build_timeout_seconds = 900.0;
  std::vector<bench::IndexSpec> peers;  // measured beside the original and the best in the closing comparison
  // Timed runs per point of the closing comparison, each a paired run of the
  // headline's interval: it is measured once, at the end, so it takes more
  // runs than a candidate's first measurement.
  int compare_runs = 5;
  // Decides would-be bests; its max_repetitions bounds a head-to-head, and so
  // does its max_seconds, which a time budget sets to kContestShareOfBudget
  // of itself when it is 0.
  RefereeConfig referee;
  // Paired runs of the reference beside a copy of itself before the first
  // round: the noise every interval of the run includes.
  int noise_floor_runs = 12;
  // The run stops, naming the policy's last failure, after this many rounds
  // in a row in which the policy failed to propose any plan (an LLM endpoint
  // that is down, refuses the key or answers nonsense).
  int max_rounds_without_plan = 3;
  // With --tune-sample: the whole dataset, of which the run tunes on a
  // sample. The closing comparison then measures on it the best variant and
  // the next best (up to confirm_variants in all), and confirmation.txt/json
  // tells whether the sample's ranking of them holds.
  const data::Dataset* confirmation_dataset = nullptr;
  int confirm_variants = 5;
  bench::BenchConfig comparison_config() const {
    bench::BenchConfig config = gates.bench;
    config.runs = std::max(config.runs, compare_runs);
    return config;
  }
  // Where candidates are built and measured: in this process, or each as a
  // Slurm job (SlurmExecutor) that opens the dataset on its node by its
  // crinn-bench spec and query count.
  Executor executor = Executor::Local;
  SlurmConfig slurm;
  std::string dataset_spec;
  int64_t dataset_queries = 0;
  int64_t dataset_sample = 0;  // --tune-sample, with its seed: what a job draws
  uint64_t dataset_sample_seed = 0;
  // Source, dataset, policy...: written to run.json for the report; its
  // "options" are those a resume must repeat (check_resume_options).
  nlohmann::json run_info;
  std::function<void(const std::string&)> log = [](const std::string&) {};
  // The run's state in one line (round, candidates, failures by reason, the
  // best ratio with its interval, ETA), after every candidate and round:
  // crinn-tune keeps it as one updating line at the foot of a terminal.
  std::function<void(const std::string&)> status = [](const std::string&) {};
  // Called after every round and after the closing comparison, when the
  // report dir's files are complete: crinn-tune renders report.html here.
  std::function<void()> report_dir_updated = [] {};
};

struct TuneResult {
  policy::Plan best_plan;  // empty if nothing beat the reference
  RatioInterval best;      // the best variant's reward beside the reference (1 with no best)
  NoiseFloor noise_floor;
  int evaluated = 0;
  std::map<std::string, int> failures;  // by reason
  int failed_proposals = 0;  // proposals the policy could not make, in this process
  // The closing comparison: the original, the best variant (if any) and the
  // peers in one interleaved run; its tables are in comparison.txt.
  std::vector<bench::IndexResult> comparison;
  // Each index of the comparison against the original, paired run by run
  // (repetitions 0 for the original itself and a failed index); the
  // headline is the best variant's.
  std::vector<RatioInterval> comparison_ratios;
  // With a confirmation dataset: the rank correlation of the confirmed
  // variants' rewards on the sample and their closing ratios on the whole set.
  double confirmation_rank_correlation = 0.0;
};

// A policy that proposed no plan round after round (max_rounds_without_plan);
// the message holds the cause of its last failure.
class PolicyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Tunes `tree` (parsed, sites found) on `dataset` with `policy`. With an
// existing history.jsonl in out_dir the run resumes: the candidates already
// evaluated are not evaluated again, and the policy continues from its saved
// state.
TuneResult tune(rewrite::SourceTree& tree, const data::Dataset& dataset, policy::Policy& policy,
                const TuneOptions& options);

}  // namespace crinn::tune
