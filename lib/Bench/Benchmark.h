// A benchmark run: build every index, then sweep ef over all of them
// interleaved (run r of every ef and every index before run r+1) so that the
// noise of a shared machine falls on all indexes alike.
#pragma once

#include "Bench/IndexProcess.h"
#include "Bench/Metrics.h"
#include "Data/Dataset.h"

#include <functional>
#include <string>
#include <vector>

namespace crinn::bench {

struct BenchConfig {
  std::vector<int> efs = {10, 12, 16, 20, 24, 32, 48, 64, 96, 128, 192, 256};
  int k = 10;
  int runs = 5;
  double recall_low = 0.85;
  double recall_high = 0.95;
  RewardShape reward = RewardShape::Area;
  int64_t exact_queries = 1000;  // queries given to indexes that ignore ef (brute force)
  int keep_ids_ef = 0;           // if in efs, the answers at this ef are kept (EfResult::ids)
  ChildLimits limits;
};

struct EfResult {
  int ef = 0;  // 0 for indexes that ignore ef
  int64_t queries = 0;
  double recall = 0.0;
  double distances_per_query = 0.0;  // negative if the library does not count
  std::vector<double> qps_runs;
  std::vector<int64_t> ids;  // queries x k answers, at BenchConfig::keep_ids_ef only

  double best_qps() const;
  double median_qps() const;
  double spread() const;  // (max - min) / median of the runs
};

struct IndexResult {
  IndexSpec spec;
  std::string failure;  // empty unless the index failed; earlier points stay valid
  bool built = false;
  double build_seconds = 0.0;
  double peak_memory_mb = 0.0;   // added during the build, at its peak
  double index_memory_mb = 0.0;  // held after the queries (SearchOutcome), the largest seen
  bool loaded = false;  // from a cached index file: build_seconds is the load time
  double index_build_seconds = -1.0;  // the build's time even when loaded; negative if unknown
  bool uses_ef = true;
  std::vector<EfResult> points;

  std::vector<CurvePoint> curve() const;  // (recall, best QPS) per point
};

using ProgressLog = std::function<void(const std::string&)>;

// Called once every index is built (or has failed), before the timed runs;
// it may fail an index (its `failure`), and returning false skips the runs.
using AfterBuilds = std::function<bool(std::vector<IndexResult>&)>;

std::vector<IndexResult> run_benchmark(const data::Dataset& dataset, const std::vector<IndexSpec>& indexes,
                                       const BenchConfig& config, const ProgressLog& log,
                                       const AfterBuilds& after_builds = {});

// Recall@k of one pass, or an error if an answer is malformed (fewer than k
// ids, an id outside the train set, the same id twice).
struct ScoredAnswers {
  std::string error;
  double recall = 0.0;
};
ScoredAnswers score_answers(const data::Dataset& dataset, const std::vector<int64_t>& ids, int k, int64_t queries);

}  // namespace crinn::bench
