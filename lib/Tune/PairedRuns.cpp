#include "Tune/PairedRuns.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace crinn::tune {

namespace {

std::vector<double> rewards(const bench::IndexResult& result, const bench::BenchConfig& config) {
  return run_rewards(result, config);
}

// The ratio of the paired runs with its interval; none without any.
RatioInterval interval(const std::vector<double>& log_ratios, const NoiseFloor& floor, const RefereeConfig& referee) {
  return log_ratios.empty() ? RatioInterval{0.0, 0.0, 0.0, 0} : ratio_interval(log_ratios, floor, referee);
}

void append(std::vector<double>& to, const std::vector<double>& more) { to.insert(to.end(), more.begin(), more.end()); }

}  // namespace

std::vector<double> aa_log_ratios(const data::Dataset& dataset, const bench::IndexSpec& reference,
                                  bench::BenchConfig config, int runs) {
  config.runs = runs;
  bench::IndexSpec copy = reference;
  copy.label += " copy";
  std::vector<bench::IndexResult> results = bench::run_benchmark(dataset, {reference, copy}, config, [](auto&) {});
  for (const bench::IndexResult& result : results)
    if (!result.failure.empty()) throw std::runtime_error("fails beside a copy of itself: " + result.failure);
  std::vector<double> ratios = paired_log_ratios(rewards(results[0], config), rewards(results[1], config));
  if (ratios.empty())
    throw std::runtime_error("earns no reward in the window [" + std::to_string(config.recall_low) + ", " +
                             std::to_string(config.recall_high) + "]: choose a window it reaches");
  return ratios;
}

HeadToHead head_to_head(const data::Dataset& dataset, const bench::IndexSpec& reference,
                        const bench::IndexSpec* incumbent, const bench::IndexSpec& challenger,
                        std::vector<double> to_reference, const NoiseFloor& floor, bench::BenchConfig config,
                        const RefereeConfig& referee) {
  HeadToHead contest;
  contest.to_reference = std::move(to_reference);
  std::vector<double> to_best;
  std::vector<double>& to_incumbent = incumbent ? to_best : contest.to_reference;
  std::vector<bench::IndexSpec> indexes = {reference, challenger};
  if (incumbent) indexes.insert(indexes.begin() + 1, *incumbent);
  auto start = std::chrono::steady_clock::now();
  int repetitions_here = 0;
  while ((contest.call = decide(interval(to_incumbent, floor, referee), referee)) == Call::MoreRepetitions) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    config.runs = affordable_repetitions(next_repetitions(int(to_incumbent.size()), referee), repetitions_here,
                                         elapsed, referee);
    if (config.runs == 0) {
      contest.call = Call::Inconclusive;
      contest.out_of_time = true;
      break;
    }
    repetitions_here += config.runs;
    std::vector<bench::IndexResult> results = bench::run_benchmark(dataset, indexes, config, [](auto&) {});
    auto failed = std::find_if(results.begin(), results.end(), [](const auto& r) { return !r.failure.empty(); });
    if (failed != results.end()) {
      contest.failure = failed->spec.label + ": " + failed->failure;
      contest.call = Call::Inconclusive;
      break;
    }
    size_t before = to_incumbent.size();
    std::vector<double> challenger_runs = rewards(results.back(), config);
    append(contest.to_reference, paired_log_ratios(rewards(results.front(), config), challenger_runs));
    if (incumbent) append(to_best, paired_log_ratios(rewards(results[1], config), challenger_runs));
    if (to_incumbent.size() == before) {
      contest.call = Call::Inconclusive;  // runs without a reward to pair: nothing more to decide on
      break;
    }
  }
  contest.versus = interval(to_incumbent, floor, referee);
  return contest;
}

std::vector<RatioInterval> ratios_to_first(const std::vector<bench::IndexResult>& results, const NoiseFloor& floor,
                                           const bench::BenchConfig& config, const RefereeConfig& referee) {
  std::vector<RatioInterval> ratios(results.size());
  std::vector<double> first = results.empty() ? std::vector<double>{} : rewards(results[0], config);
  for (size_t i = 1; i < results.size(); ++i)
    if (results[i].failure.empty())
      ratios[i] = interval(paired_log_ratios(first, rewards(results[i], config)), floor, referee);
  return ratios;
}

}  // namespace crinn::tune
