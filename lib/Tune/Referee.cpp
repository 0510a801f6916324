#include "Tune/Referee.h"

#include "Bench/Metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>

namespace crinn::tune {

namespace {

double mean(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
}

// The values less their mean: the noise around what they measure. Scaled by
// sqrt(n / (n - 1)), since values spread about their own mean less than
// about the truth; unscaled, a few runs' interval is too narrow.
std::vector<double> residuals_of(const std::vector<double>& values) {
  double centre = mean(values);
  double scale = values.size() > 1 ? std::sqrt(double(values.size()) / double(values.size() - 1)) : 1.0;
  std::vector<double> residuals;
  for (double value : values) residuals.push_back((value - centre) * scale);
  return residuals;
}

// splitmix64, each output giving two draws by Lemire's multiply-shift: fast
// enough for a thousand bootstrap samples a look, and the same draws with
// every standard library (std::uniform_int_distribution is not).
class Draws {
 public:
  explicit Draws(uint64_t seed) : state_(seed) {}
  // Uniform in [0, n), for n < 2^32.
  size_t below(size_t n) {
    if (!spare_) {
      bits_ = next();
      spare_ = true;
      return size_t(((bits_ & 0xffffffffULL) * n) >> 32);
    }
    spare_ = false;
    return size_t(((bits_ >> 32) * n) >> 32);
  }

 private:
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_, bits_ = 0;
  bool spare_ = false;
};

}  // namespace

std::string format_interval(const RatioInterval& interval) {
  char text[80];
  std::snprintf(text, sizeof text, "%.3fx [%.3f, %.3f]", interval.ratio, interval.low, interval.high);
  return text;
}

std::vector<double> run_rewards(const bench::IndexResult& result, const bench::BenchConfig& config) {
  size_t runs = result.points.empty() ? 0 : result.points.front().qps_runs.size();
  for (const bench::EfResult& point : result.points) runs = std::min(runs, point.qps_runs.size());
  std::vector<double> rewards;
  for (size_t run = 0; run < runs; ++run) {
    std::vector<bench::CurvePoint> curve;
    for (const bench::EfResult& point : result.points) curve.push_back({point.recall, point.qps_runs[run]});
    rewards.push_back(bench::window_reward(curve, config.recall_low, config.recall_high, config.reward));
  }
  return rewards;
}

std::vector<double> paired_log_ratios(const std::vector<double>& incumbent, const std::vector<double>& challenger) {
  std::vector<double> ratios;
  for (size_t run = 0; run < std::min(incumbent.size(), challenger.size()); ++run)
    if (incumbent[run] > 0.0 && challenger[run] > 0.0) ratios.push_back(std::log(challenger[run] / incumbent[run]));
  return ratios;
}

NoiseFloor noise_floor(const std::vector<double>& aa_log_ratios, const RefereeConfig& config) {
  NoiseFloor floor;
  floor.aa = ratio_interval(aa_log_ratios, NoiseFloor{}, config);
  floor.residuals = residuals_of(aa_log_ratios);
  double squares = 0.0;
  for (double residual : floor.residuals) squares += residual * residual;
  floor.run_sd = floor.residuals.empty() ? 0.0 : std::sqrt(squares / double(floor.residuals.size()));
  return floor;
}

RatioInterval ratio_interval(const std::vector<double>& log_ratios, const NoiseFloor& floor,
                             const RefereeConfig& config) {
  if (log_ratios.empty()) throw std::invalid_argument("ratio_interval: no paired measurements");
  double centre = mean(log_ratios);
  std::vector<double> pool = residuals_of(log_ratios);
  pool.insert(pool.end(), floor.residuals.begin(), floor.residuals.end());

  Draws draws(config.seed);
  std::vector<double> means(size_t(std::max(config.bootstrap_samples, 1)));
  for (double& sample : means) {
    double sum = 0.0;
    for (size_t i = 0; i < log_ratios.size(); ++i) sum += pool[draws.below(pool.size())];
    sample = centre + sum / double(log_ratios.size());
  }
  std::sort(means.begin(), means.end());
  auto quantile = [&](double q) { return means[size_t(std::lround(q * double(means.size() - 1)))]; };
  double tail = (1.0 - config.confidence) / 2.0;
  return {std::exp(centre), std::exp(quantile(tail)), std::exp(quantile(1.0 - tail)), int(log_ratios.size())};
}

Call decide(const RatioInterval& interval, const RefereeConfig& config) {
  if (interval.repetitions < std::min(config.min_repetitions, config.max_repetitions)) return Call::MoreRepetitions;
  if (interval.low > 1.0) return Call::ChallengerWins;
  if (interval.high < 1.0) return Call::ChallengerLoses;
  return interval.repetitions >= config.max_repetitions ? Call::Inconclusive : Call::MoreRepetitions;
}

int promoted_runner_up(const std::vector<RatioInterval>& to_best) {
  int promoted = -1;
  for (int i = 0; i < int(to_best.size()); ++i) {
    const RatioInterval& r = to_best[size_t(i)];
    if (r.repetitions > 0 && r.low > 1.0 && (promoted < 0 || r.low > to_best[size_t(promoted)].low)) promoted = i;
  }
  return promoted;
}

const char* call_name(Call call) {
  switch (call) {
    case Call::ChallengerWins: return "wins";
    case Call::ChallengerLoses: return "loses";
    case Call::Inconclusive: return "inconclusive";
    case Call::MoreRepetitions: return "needs more repetitions";
  }
  return "?";
}

int next_repetitions(int done, const RefereeConfig& config) {
  int target = std::min(std::max(2 * done, config.min_repetitions), config.max_repetitions);
  return std::max(0, target - done);
}

int affordable_repetitions(int wanted, int done, double elapsed, const RefereeConfig& config) {
  if (config.max_seconds <= 0.0 || done <= 0) return wanted;
  double per_repetition = elapsed / double(done);
  double left = config.max_seconds - elapsed;
  if (left <= 0.0) return 0;
  return per_repetition <= 0.0 ? wanted : std::min(wanted, int(left / per_repetition));
}

namespace {

std::vector<double> mean_ranks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return values[x] < values[y]; });
  std::vector<double> ranks(values.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    for (size_t t = i; t <= j; ++t) ranks[order[t]] = double(i + j) / 2.0 + 1.0;
    i = j + 1;
  }
  return ranks;
}

// Mann-Whitney's U of `a` against `b`: the pairs (x of a, y of b) with x > y,
// ties counting half, from the ranks of the pooled values.
double u_statistic(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> pooled(a);
  pooled.insert(pooled.end(), b.begin(), b.end());
  const std::vector<double> ranks = mean_ranks(pooled);
  const double n1 = double(a.size());
  double rank_sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) rank_sum += ranks[i];
  return rank_sum - n1 * (n1 + 1.0) / 2.0;
}

}  // namespace

double rank_correlation(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size() || a.size() < 2) return std::nan("");
  const std::vector<double> ra = mean_ranks(a), rb = mean_ranks(b);
  const double mean = double(a.size() + 1) / 2.0;
  double cov = 0.0, va = 0.0, vb = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    cov += (ra[i] - mean) * (rb[i] - mean);
    va += (ra[i] - mean) * (ra[i] - mean);
    vb += (rb[i] - mean) * (rb[i] - mean);
  }
  if (va == 0.0 || vb == 0.0) return std::nan("");
  return cov / std::sqrt(va * vb);
}

double rank_sum_p_greater(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) return 1.0;
  const double n1 = double(a.size()), n2 = double(b.size()), n = n1 + n2;
  const double u = u_statistic(a, b);
  // Ties shrink the variance by the sum of t^3 - t over groups of t equal values.
  std::vector<double> sorted(a);
  sorted.insert(sorted.end(), b.begin(), b.end());
  std::sort(sorted.begin(), sorted.end());
  double ties = 0.0;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    const double t = double(j - i);
    ties += t * t * t - t;
    i = j;
  }
  const double variance = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
  if (variance <= 0.0) return 1.0;
  // With the continuity correction.
  const double z = (u - n1 * n2 / 2.0 - 0.5) / std::sqrt(variance);
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

double probability_greater(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) return std::nan("");
  return u_statistic(a, b) / (double(a.size()) * double(b.size()));
}

}  // namespace crinn::tune
