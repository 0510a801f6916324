#include "Data/Synthetic.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <iterator>
#include <random>

namespace crinn::data {
namespace {

// Box-Muller over mt19937_64, whose output the standard fixes.
class Gaussian {
 public:
  explicit Gaussian(uint64_t seed) : engine_(seed) {}
  double next() {
    double u1 = (double(engine_() >> 11) + 1.0) / 9007199254740993.0;  // (0, 1]
    double u2 = double(engine_() >> 11) / 9007199254740992.0;          // [0, 1)
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  uint64_t below(uint64_t n) { return engine_() % n; }

 private:
  std::mt19937_64 engine_;
};

// How a spec's points are drawn around their centres.
struct Clusters {
  int dim = 0;
  std::vector<double> centers;     // clusters x dim
  std::vector<double> directions;  // clusters x intrinsic x dim; empty: isotropic
  int intrinsic = 0;
  std::vector<double> cumulative;  // cluster weights summed; empty: equally likely

  size_t pick(Gaussian& gaussian) const {
    size_t count = centers.size() / size_t(dim);
    if (cumulative.empty()) return size_t(gaussian.below(count));
    double u = double(gaussian.below(uint64_t(1) << 53)) / 9007199254740992.0 * cumulative.back();
    return std::min(count - 1, size_t(std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin()));
  }
};

Clusters make_clusters(Gaussian& gaussian, const SyntheticSpec& spec) {
  Clusters clusters;
  clusters.dim = spec.dim;
  clusters.intrinsic = spec.intrinsic;
  // Centres spread well beyond the unit noise so that clusters are distinct.
  clusters.centers.resize(size_t(spec.clusters) * spec.dim);
  for (double& c : clusters.centers) c = 4.0 * gaussian.next();
  if (spec.intrinsic == 0) return clusters;
  // Random Gaussian directions are nearly orthogonal in many dimensions; the
  // j-th is scaled by 1/sqrt(j+1) so that a few directions dominate, and the
  // whole spread matches the isotropic default's (about sqrt(dim)).
  double norm = 0;
  for (int j = 0; j < spec.intrinsic; ++j) norm += 1.0 / (j + 1);
  clusters.directions.resize(size_t(spec.clusters) * spec.intrinsic * spec.dim);
  for (int c = 0; c < spec.clusters; ++c)
    for (int j = 0; j < spec.intrinsic; ++j)
      for (int d = 0; d < spec.dim; ++d)
        clusters.directions[(size_t(c) * spec.intrinsic + j) * spec.dim + d] =
            gaussian.next() / std::sqrt((j + 1) * norm);
  clusters.cumulative.resize(size_t(spec.clusters));
  double total = 0;
  for (int c = 0; c < spec.clusters; ++c) clusters.cumulative[size_t(c)] = total += 1.0 / (c + 1);
  return clusters;
}

Matrix sample(Gaussian& gaussian, const Clusters& clusters, int64_t rows) {
  const int dim = clusters.dim;
  Matrix m;
  m.rows = rows;
  m.dim = dim;
  m.values.resize(size_t(rows) * dim);
  std::vector<double> point(static_cast<size_t>(dim));
  for (int64_t r = 0; r < rows; ++r) {
    size_t c = clusters.pick(gaussian);
    const double* center = &clusters.centers[c * dim];
    if (clusters.intrinsic == 0) {
      for (int d = 0; d < dim; ++d) point[size_t(d)] = center[d] + gaussian.next();
    } else {
      for (int d = 0; d < dim; ++d) point[size_t(d)] = center[d] + 0.1 * gaussian.next();
      for (int j = 0; j < clusters.intrinsic; ++j) {
        double z = gaussian.next();
        const double* direction = &clusters.directions[(c * clusters.intrinsic + size_t(j)) * dim];
        for (int d = 0; d < dim; ++d) point[size_t(d)] += z * direction[d];
      }
    }
    for (int d = 0; d < dim; ++d) m.values[size_t(r) * dim + d] = float(point[size_t(d)]);
  }
  return m;
}

}  // namespace

SyntheticSpec parse_synthetic_spec(const std::string& text) {
  SyntheticSpec spec;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(pos, end - pos);
    pos = end + 1;
    size_t eq = item.find('=');
    if (eq == std::string::npos) throw DataError("synthetic:" + text, "'" + item + "' is not key=value");
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "metric") {
      try {
        spec.metric = parse_metric(value);
      } catch (const std::invalid_argument& e) {
        throw DataError("synthetic:" + text, e.what());
      }
      continue;
    }
    // Each key's largest value: far past any set one machine holds, and within what the generator's types hold.
    static const std::pair<const char*, long long> numeric_keys[] = {
        {"n", 1LL << 34}, {"queries", 1LL << 30}, {"dim", 1 << 16}, {"clusters", 1 << 24}, {"intrinsic", 1 << 16},
        {"seed", LLONG_MAX}};
    auto known = std::find_if(std::begin(numeric_keys), std::end(numeric_keys),
                              [&](const auto& k) { return key == k.first; });
    if (known == std::end(numeric_keys)) throw DataError("synthetic:" + text, "unknown key '" + key + "'");
    char* rest = nullptr;
    errno = 0;
    long long number = std::strtoll(value.c_str(), &rest, 10);
    if (value.empty() || *rest != '\0' || number <= 0)
      throw DataError("synthetic:" + text, "'" + key + "' needs a positive integer, got '" + value + "'");
    if (errno == ERANGE || number > known->second)
      throw DataError("synthetic:" + text, "'" + key + "' = " + value + " is past its limit " + std::to_string(known->second));
    if (key == "n") spec.train = number;
    else if (key == "queries") spec.test = number;
    else if (key == "dim") spec.dim = int(number);
    else if (key == "clusters") spec.clusters = int(number);
    else if (key == "intrinsic") spec.intrinsic = int(number);
    else spec.seed = uint64_t(number);
  }
  if (spec.intrinsic > spec.dim)
    throw DataError("synthetic:" + text, "'intrinsic' = " + std::to_string(spec.intrinsic) + " is past 'dim' = " +
                                             std::to_string(spec.dim));
  return spec;
}

std::string synthetic_name(const SyntheticSpec& spec) {
  return "synthetic-n" + std::to_string(spec.train) + "-q" + std::to_string(spec.test) + "-d" +
         std::to_string(spec.dim) + "-c" + std::to_string(spec.clusters) +
         (spec.intrinsic ? "-i" + std::to_string(spec.intrinsic) : std::string()) + "-" + metric_name(spec.metric) + "-s" +
         std::to_string(spec.seed);
}

Dataset make_synthetic(const SyntheticSpec& spec) {
  Gaussian gaussian(spec.seed);
  Clusters clusters = make_clusters(gaussian, spec);

  Dataset dataset;
  dataset.name = synthetic_name(spec);
  dataset.metric = spec.metric;
  dataset.train = sample(gaussian, clusters, spec.train);
  dataset.test = sample(gaussian, clusters, spec.test);
  return dataset;
}

}  // namespace crinn::data
