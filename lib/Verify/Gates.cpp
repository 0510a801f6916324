#include "Verify/Gates.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace crinn::verify {

const char* failure_name(Failure failure) {
  switch (failure) {
    case Failure::None: return "none";
    case Failure::Compile: return "compile";
    case Failure::Crash: return "crash";
    case Failure::Timeout: return "timeout";
    case Failure::Mismatch: return "mismatch";
    case Failure::Recall: return "recall";
    case Failure::Cost: return "cost";
  }
  return "?";
}

namespace {
const bench::EfResult* point_at(const bench::IndexResult& result, int ef) {
  for (const bench::EfResult& p : result.points)
    if (p.ef == ef) return &p;
  return nullptr;
}
std::string times_text(double ratio) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3gx", ratio);
  return text;
}
// A build stopped by its time limit where that limit is already past the
// build-time limit: over it, however long the build would have taken.
std::string build_stopped_past_limit(const bench::IndexResult& candidate, const bench::IndexResult& parent,
                                     const GateConfig& config) {
  const double timeout = config.bench.limits.build_timeout_seconds;
  if (candidate.built || candidate.failure.find("timed out") == std::string::npos || config.max_build_ratio <= 0.0 ||
      parent.index_build_seconds <= 0.0 || timeout < config.max_build_ratio * parent.index_build_seconds)
    return "";
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.0f", timeout);
  return "its index build was stopped at " + std::string(seconds) + " s, " + times_text(timeout / parent.index_build_seconds) +
         " the parent's, over the limit of " + times_text(config.max_build_ratio);
}
}  // namespace

std::string cost_over_limit(const bench::IndexResult& candidate, const bench::IndexResult& parent,
                            const GateConfig& config) {
  if (config.max_build_ratio > 0.0 && parent.index_build_seconds > 0.0 && candidate.index_build_seconds >= 0.0) {
    double ratio = candidate.index_build_seconds / parent.index_build_seconds;
    if (ratio > config.max_build_ratio)
      return "its index build took " + times_text(ratio) + " the parent's, over the limit of " +
             times_text(config.max_build_ratio);
  }
  if (config.max_memory_ratio > 0.0 && parent.index_memory_mb > 0.0) {
    double ratio = candidate.index_memory_mb / parent.index_memory_mb;
    if (ratio > config.max_memory_ratio)
      return "its index holds " + times_text(ratio) + " the parent's memory, over the limit of " +
             times_text(config.max_memory_ratio);
  }
  return "";
}

Verdict verify_candidate(const data::Dataset& dataset, const bench::IndexSpec& candidate,
                         const bench::IndexSpec& parent, bool result_preserving, const GateConfig& config) {
  bench::BenchConfig bench = config.bench;
  if (std::find(bench.efs.begin(), bench.efs.end(), config.check_ef) == bench.efs.end())
    bench.efs.push_back(config.check_ef);
  std::sort(bench.efs.begin(), bench.efs.end());
  bench.keep_ids_ef = config.check_ef;
  // A candidate that did not build leaves nothing to time; before any
  // search its memory is not measured yet, so only its build time can be over.
  bool candidate_built = true;
  std::string build_cost;
  auto judge_builds = [&](std::vector<bench::IndexResult>& built) {
    candidate_built = built[1].built;
    if (built[0].built && candidate_built) build_cost = cost_over_limit(built[1], built[0], config);
    return candidate_built && build_cost.empty();
  };
  std::vector<bench::IndexResult> results =
      bench::run_benchmark(dataset, {parent, candidate}, bench, [](auto&) {}, judge_builds);

  Verdict verdict;
  verdict.parent = results[0];
  verdict.candidate = results[1];
  verdict.timed = candidate_built && build_cost.empty();
  if (!build_cost.empty()) {
    verdict.failure = Failure::Cost;
    verdict.reason = build_cost;
    return verdict;
  }
  const bench::IndexResult& measured = verdict.candidate;
  if (std::string stopped = build_stopped_past_limit(measured, verdict.parent, config); !stopped.empty()) {
    verdict.failure = Failure::Cost;
    verdict.reason = stopped;
    return verdict;
  }
  if (!measured.failure.empty()) {
    verdict.failure = measured.failure.find("timed out") != std::string::npos ? Failure::Timeout : Failure::Crash;
    verdict.reason = measured.failure;
    return verdict;
  }
  if (result_preserving) {
    const bench::EfResult* mine = point_at(measured, config.check_ef);
    const bench::EfResult* theirs = point_at(verdict.parent, config.check_ef);
    if (!mine || !theirs || mine->ids.empty() || theirs->ids.empty()) {
      verdict.failure = Failure::Mismatch;
      verdict.reason = "no answers at ef=" + std::to_string(config.check_ef) + " to compare with the parent's";
      return verdict;
    }
    for (size_t i = 0; i < mine->ids.size(); ++i)
      if (mine->ids[i] != theirs->ids[i]) {
        verdict.failure = Failure::Mismatch;
        verdict.reason = "answers differ from the parent's at ef=" + std::to_string(config.check_ef) + ", query " +
                         std::to_string(i / size_t(bench.k)) + ", rank " + std::to_string(i % size_t(bench.k));
        return verdict;
      }
  }
  double best_recall = 0.0;
  for (const bench::EfResult& p : measured.points) best_recall = std::max(best_recall, p.recall);
  if (best_recall < config.bench.recall_high) {
    verdict.failure = Failure::Recall;
    // Four decimals, or more where four would print the two as equal (0.99898 against 0.999).
    char mine_text[32], top_text[32];
    for (int digits = 4; digits <= 8; ++digits) {
      std::snprintf(mine_text, sizeof mine_text, "%.*f", digits, best_recall);
      std::snprintf(top_text, sizeof top_text, "%.*f", digits, config.bench.recall_high);
      if (std::string(mine_text) != top_text) break;
    }
    verdict.reason = std::string("best recall ") + mine_text + " in the sweep is below the window's top " + top_text;
    return verdict;
  }
  if (std::string over = cost_over_limit(measured, verdict.parent, config); !over.empty()) {
    verdict.failure = Failure::Cost;
    verdict.reason = over;
  }
  return verdict;
}

}  // namespace crinn::verify
