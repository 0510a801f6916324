// The optimisation loop of crinn-tune: discover the sites of a source tree,
// measure the unmodified source as the reference, then round after round let
// the policy propose a group of plans; apply, build and verify each (a failed
// gate is a recorded failure with a penalty reward, never a stop); reward a
// candidate by its QPS-recall area as a ratio to the reference measured in
// the same interleaved run; measure a contender for the best again beside the
// best variant itself, twice before it takes the best's place; update the
// policy; journal every candidate so a killed run resumes. A proposal the
// policy fails to make is logged with its cause and counted, never a stop,
// unless the policy makes none for several rounds.
#pragma once

#include "Data/Dataset.h"
#include "Policy/Policy.h"
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
  // Timed runs per point of the closing comparison: it is measured once, so
  // it takes more runs than a candidate (whose would-be wins are re-measured).
  int compare_runs = 5;
  // A candidate whose ratio to the reference is within this fraction of the
  // best's own is a contender: the machine's load moves rewards by 10-20 %
  // between hours, so it is measured again beside the best variant, and its
  // reward becomes the best's times its ratio there.
  double contender_margin = 0.2;
  // The run stops, naming the policy's last failure, after this many rounds
  // in a row in which the policy failed to propose any plan (an LLM endpoint
  // that is down, refuses the key or answers nonsense).
  int max_rounds_without_plan = 3;
  bench::BenchConfig comparison_config() const {
    bench::BenchConfig config = gates.bench;
    config.runs = std::max(config.runs, compare_runs);
    return config;
  }
  // Source, dataset, policy...: written to run.json for the report; its
  // "options" are those a resume must repeat (check_resume_options).
  nlohmann::json run_info;
  std::function<void(const std::string&)> log = [](const std::string&) {};
};

struct TuneResult {
  policy::Plan best_plan;  // empty if nothing beat the reference
  double best_reward = 1.0;
  int evaluated = 0;
  std::map<std::string, int> failures;  // by reason
  int failed_proposals = 0;  // proposals the policy could not make, in this process
  // The closing comparison: the original, the best variant (if any) and the
  // peers in one interleaved run; its tables are in comparison.txt.
  std::vector<bench::IndexResult> comparison;
};

// A policy that proposed no plan round after round (max_rounds_without_plan);
// the message holds the cause of its last failure.
class PolicyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A --resume whose options differ from those of the run it continues.
class ResumeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Before a --resume writes anything: `options` (option name -> value, the
// options that decide what the run measures: source, dataset, queries, runs,
// ef list, recall window...) must equal those the run in `out_dir` recorded
// in run.json, or a ResumeError names the first that differs; a journal and
// an index cache of one dataset would otherwise be continued on another.
void check_resume_options(const std::string& out_dir, const nlohmann::json& options);

// Tunes `tree` (parsed, sites found) on `dataset` with `policy`. With an
// existing history.jsonl in out_dir the run resumes: the candidates already
// evaluated are not evaluated again, and the policy continues from its saved
// state. The report dir ends with report.html (lib/Report), rewritten after
// every round and after the closing comparison.
TuneResult tune(rewrite::SourceTree& tree, const data::Dataset& dataset, policy::Policy& policy,
                const TuneOptions& options);

}  // namespace crinn::tune
