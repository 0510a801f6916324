// Measuring indexes side by side for the referee: interleaved crinn-bench
// runs in which run r of every index is one paired repetition, so that the
// machine's load of that moment cancels in their ratio.
#pragma once

#include "Bench/Benchmark.h"
#include "Tune/Referee.h"

#include <string>
#include <vector>

namespace crinn::tune {

// The A/A test: `reference` beside a copy of itself in `runs` paired runs;
// the log ratios of their rewards in config's recall window. Throws
// std::runtime_error ("fails beside a copy of itself: ...", "earns no
// reward in the window ...") to follow the name of the source.
std::vector<double> aa_log_ratios(const data::Dataset& dataset, const bench::IndexSpec& reference,
                                  bench::BenchConfig config, int runs);

struct HeadToHead {
  std::vector<double> to_reference;  // the challenger's paired log ratios to the reference, all its runs
  RatioInterval versus;              // the challenger over the incumbent
  Call call = Call::Inconclusive;
  std::string failure;  // "<index>: <why>" if an index failed in a repetition (the incumbent stays)
  bool out_of_time = false;  // inconclusive because the referee's max_seconds left no room for more
};

// Repetitions of the challenger beside the reference and the incumbent (the
// reference itself when `incumbent` is null: then the challenger's earlier
// runs `to_reference` count toward the call), as many as the referee asks
// for (next_repetitions) until it calls one or the other, or until its
// time bound leaves no room for more (affordable_repetitions).
HeadToHead head_to_head(const data::Dataset& dataset, const bench::IndexSpec& reference,
                        const bench::IndexSpec* incumbent, const bench::IndexSpec& challenger,
                        std::vector<double> to_reference, const NoiseFloor& floor, bench::BenchConfig config,
                        const RefereeConfig& referee);

// Each result's paired ratio to the first's (a closing comparison's
// original), with its interval; repetitions 0 for the first itself and for
// an index that failed.
std::vector<RatioInterval> ratios_to_first(const std::vector<bench::IndexResult>& results, const NoiseFloor& floor,
                                           const bench::BenchConfig& config, const RefereeConfig& referee);

}  // namespace crinn::tune
