// The referee of crinn-tune: the statistics that decide whether a candidate
// is faster, as pure functions over measurements. A comparison is a set of
// paired repetitions: run r of an interleaved benchmark measures the
// incumbent and the challenger side by side, so the machine's load of that
// moment falls on both and cancels in their ratio. The ratio of two indexes
// is the geometric mean of their per-run reward ratios, with a bootstrap
// confidence interval whose resampled noise is the comparison's own pooled
// with the A/A noise floor (the reference measured beside a copy of itself):
// one run still gets an honest interval, and no constant margin decides.
#pragma once

#include "Bench/Benchmark.h"

#include <cstdint>
#include <string>
#include <vector>

namespace crinn::tune {

struct RefereeConfig {
  // Two-sided level of the interval at each look. Looks come at doubling
  // repetition counts (next_repetitions), so a challenger is tested a few
  // times; 0.99 a look keeps the A/A wins over all looks under 5 %.
  double confidence = 0.99;
  int bootstrap_samples = 1000;
  // No call before this many paired repetitions: a bootstrap of fewer
  // resamples too few values to show the tails of the noise.
  int min_repetitions = 4;
  // Paired repetitions a comparison may take while its interval straddles 1.
  int max_repetitions = 128;
  // Wall seconds a comparison may take (0: no bound). A repetition is a full
  // sweep of every index, so on a large set the cap of repetitions alone can
  // hold a run on one candidate for most of its budget.
  double max_seconds = 0.0;
  uint64_t seed = 1;  // of the bootstrap: the same measurements give the same interval
};

// A ratio of rewards (challenger over incumbent) with its confidence interval.
struct RatioInterval {
  double ratio = 1.0;  // geometric mean of the paired per-run ratios
  double low = 1.0, high = 1.0;
  int repetitions = 0;  // paired runs behind it
};

// "1.234x [1.101, 1.382]"
std::string format_interval(const RatioInterval& interval);

// The reward (config.reward over its recall window) of each timed run of
// `result`: run r's curve takes run r's QPS at every point. Empty if a point
// lacks a run (a failed index).
std::vector<double> run_rewards(const bench::IndexResult& result, const bench::BenchConfig& config);

// log(challenger[r] / incumbent[r]) for every run r both have, skipping runs
// in which either earned nothing.
std::vector<double> paired_log_ratios(const std::vector<double>& incumbent, const std::vector<double>& challenger);

// The A/A noise floor: the reference beside a copy of itself. Its
// residuals (the log ratios less their mean) are the noise every later
// interval resamples with its own.
struct NoiseFloor {
  RatioInterval aa;                 // the A/A ratio: its interval is the noise a ratio of 1 shows
  double run_sd = 0.0;              // standard deviation of one paired log ratio
  std::vector<double> residuals;
};
NoiseFloor noise_floor(const std::vector<double>& aa_log_ratios, const RefereeConfig& config);

// The ratio of the paired log ratios and its percentile bootstrap interval:
// each bootstrap sample is the observed mean plus the mean of as many
// residuals drawn with replacement from this comparison's own and the noise
// floor's. Throws std::invalid_argument on no log ratios.
RatioInterval ratio_interval(const std::vector<double>& log_ratios, const NoiseFloor& floor,
                             const RefereeConfig& config);

enum class Call {
  ChallengerWins,   // the interval lies above 1
  ChallengerLoses,  // the interval lies below 1
  Inconclusive,     // it straddles 1 at the repetition cap: the incumbent stays
  MoreRepetitions,  // too few repetitions yet, or it straddles 1 below the cap
};
Call decide(const RatioInterval& interval, const RefereeConfig& config);
const char* call_name(Call call);

// How many repetitions to add to a comparison that has `done`: up to twice
// as many (doubling, so few looks), at least min_repetitions in all, and no
// more than the cap leaves.
int next_repetitions(int done, const RefereeConfig& config);

// Of `wanted` repetitions, as many as fit in the seconds the comparison has
// left by its pace so far (`elapsed` seconds for `done` repetitions): all
// without a bound or before a first pace; 0 when none fits, which ends the
// comparison inconclusive.
int affordable_repetitions(int wanted, int done, double elapsed, const RefereeConfig& config);

// Of the runners-up of a sampled tuning, each measured beside the best on
// the whole set (`to_best`: its paired ratio to the best, repetitions 0 if it
// failed), the one that takes the best's place: of those whose interval lies
// above 1, the highest lower bound. -1 when none does: the best stays.
int promoted_runner_up(const std::vector<RatioInterval>& to_best);

// Spearman's rank correlation of two equally long lists (ties take their
// mean rank): whether a ranking on a sample holds on the whole set. NaN for
// fewer than two pairs or a list of equal values.
double rank_correlation(const std::vector<double>& a, const std::vector<double>& b);

// The Mann-Whitney rank-sum test, one-sided: the p-value of "values in `a`
// tend to be larger than in `b`" under the null of one distribution, by the
// normal approximation with the tie correction (fine from ten values each).
// 1 when either list is empty or every value ties.
double rank_sum_p_greater(const std::vector<double>& a, const std::vector<double>& b);

// The chance that a value drawn from `a` exceeds one drawn from `b`, ties
// counting half: Mann-Whitney's U over the number of pairs, which is the area
// under the ROC curve when `a` holds a classifier's scores of the positives
// and `b` of the negatives. NaN when either list is empty.
double probability_greater(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace crinn::tune
