#include "Bench/Benchmark.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <memory>
#include <unordered_set>

namespace crinn::bench {

namespace {

// A failure as the table, the log, the JSON and crinn-tune's journal show it:
// its first line that is not blank, at most kMaxFailureBytes of it, in valid
// UTF-8, never empty (an empty failure reads as success). A library's own
// message may be 64 KiB of many lines in any encoding.
std::string failure_line(const std::string& message) {
  constexpr size_t kMaxFailureBytes = 300;
  const char* blank = " \t\r\n";
  size_t start = std::min(message.find_first_not_of(blank), message.size());
  size_t length = message.find_last_not_of(blank) + 1;  // without trailing blanks (0 when all are)
  if (start >= length) return "failed with an empty message";
  size_t end = std::min({message.find('\n', start), length, start + kMaxFailureBytes});
  while (end > start && end < length && (static_cast<unsigned char>(message[end]) & 0xC0) == 0x80)
    --end;  // not inside a UTF-8 character
  std::string line = message.substr(start, end - start);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  if (end < length) line += " [... " + std::to_string(length - end) + " more bytes]";
  // A byte that is not UTF-8 becomes U+FFFD, which JSON can hold.
  return nlohmann::json::parse(nlohmann::json(line).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .get<std::string>();
}

// A failure for want of memory, with the limit the index's process runs
// under: the likelier cause than the machine's memory, which glibc's loader
// does not name ("failed to map segment from shared object").
std::string naming_memory_limit(const std::string& failure, int64_t limit_mb) {
  for (const char* sign : {"failed to map segment", "cannot map zero-fill pages", "Cannot allocate memory",
                           "out of memory", "bad_alloc"})
    if (failure.find(sign) != std::string::npos)
      return failure + " (the index's process may map at most " + std::to_string(limit_mb) + " MiB of address space)";
  return failure;
}

}  // namespace

double EfResult::best_qps() const {
  return qps_runs.empty() ? 0.0 : *std::max_element(qps_runs.begin(), qps_runs.end());
}

double EfResult::median_qps() const {
  if (qps_runs.empty()) return 0.0;
  std::vector<double> sorted = qps_runs;
  std::sort(sorted.begin(), sorted.end());
  size_t mid = sorted.size() / 2;
  return sorted.size() % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
}

double EfResult::spread() const {
  if (qps_runs.size() < 2) return 0.0;
  auto [low, high] = std::minmax_element(qps_runs.begin(), qps_runs.end());
  return (*high - *low) / median_qps();
}

std::vector<CurvePoint> IndexResult::curve() const {
  std::vector<CurvePoint> curve;
  for (const EfResult& p : points) curve.push_back({p.recall, p.best_qps()});
  return curve;
}

ScoredAnswers score_answers(const data::Dataset& dataset, const std::vector<int64_t>& ids, int k, int64_t queries) {
  ScoredAnswers scored;
  if (ids.size() != size_t(queries) * size_t(k)) {
    scored.error = "returned " + std::to_string(ids.size()) + " ids for " + std::to_string(queries) + " queries";
    return scored;
  }
  const data::GroundTruth& truth = dataset.truth;
  int64_t hits = 0;
  std::vector<double> distances;
  std::unordered_set<int64_t> seen;
  for (int64_t q = 0; q < queries; ++q) {
    distances.clear();
    seen.clear();
    for (int i = 0; i < k; ++i) {
      int64_t id = ids[size_t(q * k + i)];
      std::string where = "query " + std::to_string(q) + ": ";
      if (id == -1) {
        scored.error = "wrong-length answer: " + where + "returned " + std::to_string(i) + " ids for k=" + std::to_string(k);
        return scored;
      }
      if (id < 0 || id >= dataset.train.rows) {
        scored.error = "out-of-range answer: " + where + "id " + std::to_string(id) + " is not in 0.." +
                       std::to_string(dataset.train.rows - 1);
        return scored;
      }
      if (!seen.insert(id).second) {
        scored.error = "invalid answer: " + where + "id " + std::to_string(id) + " returned twice";
        return scored;
      }
      distances.push_back(data::exact_distance(dataset.metric, dataset.test.row(q), dataset.train.row(id),
                                               dataset.train.dim));
    }
    hits += hits_at_k(&truth.distances[size_t(q) * truth.k], k, distances);
  }
  scored.recall = queries > 0 ? double(hits) / (double(queries) * k) : 0.0;
  return scored;
}

std::vector<IndexResult> run_benchmark(const data::Dataset& dataset, const std::vector<IndexSpec>& indexes,
                                       const BenchConfig& config, const ProgressLog& log,
                                       const AfterBuilds& after_builds) {
  std::vector<IndexResult> results(indexes.size());
  std::vector<std::unique_ptr<IndexProcess>> processes;
  for (size_t i = 0; i < indexes.size(); ++i) {
    results[i].spec = indexes[i];
    processes.push_back(std::make_unique<IndexProcess>(indexes[i], dataset, config.limits));
  }

  for (size_t i = 0; i < indexes.size(); ++i) {
    IndexResult& result = results[i];
    log("building " + result.spec.label);
    if (!processes[i]->alive()) {
      result.failure = "could not start a child process";
      continue;
    }
    BuildOutcome built = processes[i]->build();
    result.build_seconds = built.seconds;
    result.peak_memory_mb = built.peak_memory_mb;
    result.uses_ef = built.uses_ef;
    result.loaded = built.loaded;
    result.index_build_seconds = built.index_build_seconds;
    if (!built.error.empty()) {
      result.failure = naming_memory_limit(failure_line(built.error), config.limits.memory_limit_mb);
      log(result.spec.label + " failed: " + result.failure);
      continue;
    }
    result.built = true;
    // An index that ignores ef is measured once per run, at the first ef.
    for (int ef : config.efs) {
      EfResult point;
      point.ef = result.uses_ef ? ef : 0;
      point.queries = result.uses_ef ? dataset.test.rows : std::min(config.exact_queries, dataset.test.rows);
      result.points.push_back(point);
      if (!result.uses_ef) break;
    }
  }

  if (after_builds && !after_builds(results)) return results;
  for (int run = 0; run < config.runs; ++run) {
    log("run " + std::to_string(run + 1) + " of " + std::to_string(config.runs));
    for (size_t e = 0; e < config.efs.size(); ++e) {
      // Every other run goes through the indexes in reverse: whichever index
      // searches second after another (cache, clock) is not always the same
      // one, so a paired ratio carries no order bias (an A/A pair measured
      // 1.025x [1.014, 1.036] in one fixed order).
      for (size_t position = 0; position < indexes.size(); ++position) {
        size_t i = run % 2 == 0 ? position : indexes.size() - 1 - position;
        IndexResult& result = results[i];
        if (!result.built || !result.failure.empty() || e >= result.points.size()) continue;
        EfResult& point = result.points[e];
        SearchOutcome outcome = processes[i]->search(config.efs[e], config.k, point.queries, run == 0);
        if (outcome.error.empty() && run == 0) {
          ScoredAnswers scored = score_answers(dataset, outcome.ids, config.k, point.queries);
          outcome.error = scored.error;
          point.recall = scored.recall;
          point.distances_per_query = outcome.distances_per_query;
          if (config.efs[e] == config.keep_ids_ef) point.ids = std::move(outcome.ids);
        }
        if (!outcome.error.empty()) {
          result.failure = naming_memory_limit(failure_line(outcome.error), config.limits.memory_limit_mb);
          // Points measured in earlier runs stand; the rest are dropped.
          result.points.erase(std::remove_if(result.points.begin(), result.points.end(),
                                             [](const EfResult& p) { return p.qps_runs.empty(); }),
                              result.points.end());
          log(result.spec.label + " failed: " + result.failure);
          continue;
        }
        point.qps_runs.push_back(double(point.queries) / std::max(outcome.seconds, 1e-9));
        result.index_memory_mb = std::max(result.index_memory_mb, outcome.index_memory_mb);
      }
    }
  }
  return results;
}

}  // namespace crinn::bench
