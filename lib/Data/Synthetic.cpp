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

Matrix sample(Gaussian& gaussian, const std::vector<double>& centers, int clusters, int64_t rows, int dim) {
  Matrix m;
  m.rows = rows;
  m.dim = dim;
  m.values.resize(size_t(rows) * dim);
  for (int64_t r = 0; r < rows; ++r) {
    const double* center = &centers[size_t(gaussian.below(uint64_t(clusters))) * dim];
    for (int d = 0; d < dim; ++d) m.values[size_t(r) * dim + d] = float(center[d] + gaussian.next());
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
        {"n", 1LL << 34}, {"queries", 1LL << 30}, {"dim", 1 << 16}, {"clusters", 1 << 24}, {"seed", LLONG_MAX}};
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
    else spec.seed = uint64_t(number);
  }
  return spec;
}

std::string synthetic_name(const SyntheticSpec& spec) {
  return "synthetic-n" + std::to_string(spec.train) + "-q" + std::to_string(spec.test) + "-d" +
         std::to_string(spec.dim) + "-c" + std::to_string(spec.clusters) + "-" + metric_name(spec.metric) + "-s" +
         std::to_string(spec.seed);
}

Dataset make_synthetic(const SyntheticSpec& spec) {
  Gaussian gaussian(spec.seed);
  // Centres spread well beyond the unit noise so that clusters are distinct.
  std::vector<double> centers(size_t(spec.clusters) * spec.dim);
  for (double& c : centers) c = 4.0 * gaussian.next();

  Dataset dataset;
  dataset.name = synthetic_name(spec);
  dataset.metric = spec.metric;
  dataset.train = sample(gaussian, centers, spec.clusters, spec.train, spec.dim);
  dataset.test = sample(gaussian, centers, spec.clusters, spec.test, spec.dim);
  return dataset;
}

}  // namespace crinn::data
