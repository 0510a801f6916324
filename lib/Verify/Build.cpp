#include "Verify/Build.h"

#include "Bench/Benchmark.h"
#include "Data/GroundTruth.h"
#include "Support/ChildProcess.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace crinn::verify {

namespace fs = std::filesystem;

namespace {
// The first line that reads like a compiler or CMake error.
std::string first_error(const std::string& log) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);)
    if (line.find("error:") != std::string::npos || line.find("CMake Error") != std::string::npos) return line;
  return log.empty() ? "no output" : log.substr(0, log.find('\n'));
}
// Whether build_dir holds a CMake cache made for another build or source
// dir (a run dir copied or moved): CMake refuses to configure over it.
bool cache_made_elsewhere(const std::string& tree, const std::string& build_dir) {
  std::ifstream cache(build_dir + "/CMakeCache.txt");
  std::error_code missing;  // a recorded dir that is gone is not the same dir
  for (std::string line; std::getline(cache, line);)
    for (const auto& [key, dir] : {std::pair<std::string, std::string>{"CMAKE_CACHEFILE_DIR:INTERNAL=", build_dir},
                                   {"CMAKE_HOME_DIRECTORY:INTERNAL=", tree}})
      if (line.rfind(key, 0) == 0 && !fs::equivalent(line.substr(key.size()), dir, missing)) return true;
  return false;
}

class Builder {
 public:
  Builder(const std::string& tree, const std::string& build_dir, const BuildOptions& options)
      : tree_(tree), build_dir_(build_dir), options_(options), start_(std::chrono::steady_clock::now()) {}

  BuildResult run() {
    if (cache_made_elsewhere(tree_, build_dir_)) fs::remove_all(build_dir_);
    if (!options_.profile_training) {
      configure_and_build({});
    } else {
      // Profiles of an earlier build in this dir would be read as this one's.
      fs::path profiles = fs::path(build_dir_) / "crinn-profile";
      fs::remove_all(profiles);
      std::string dir = "-DCRINN_PROFILE_DIR=" + profiles.string();
      if (configure_and_build({"-DCRINN_PROFILE=generate", dir}) && train(profiles))
        configure_and_build({"-DCRINN_PROFILE=use", dir});
    }
    result_.seconds = seconds();
    return std::move(result_);
  }

 private:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  // One configure and build; false (with result_.error set) if either fails.
  bool configure_and_build(const std::vector<std::string>& definitions) {
    std::vector<std::string> configure = {"cmake", "-S", tree_, "-B", build_dir_, "-G", "Ninja",
                                          "-DCMAKE_BUILD_TYPE=Release", "-DCRINN_INCLUDE_DIR=" + options_.crinn_include_dir};
    configure.insert(configure.end(), definitions.begin(), definitions.end());
    for (const auto& step : {configure, std::vector<std::string>{"cmake", "--build", build_dir_}}) {
      int status = support::run_with_timeout(step, options_.timeout_seconds - seconds(), result_.log);
      if (status == -1) {
        result_.error = "timeout: the build took longer than " + std::to_string(int(options_.timeout_seconds)) + " s";
        return false;
      }
      if (status != 0) {
        result_.error = "compile: " + first_error(result_.log);
        return false;
      }
    }
    result_.library = build_dir_ + "/" + options_.library_name;
    if (!std::ifstream(result_.library)) {
      result_.error = "compile: the build made no " + options_.library_name;
      return false;
    }
    return true;
  }

  // Builds and searches an index of the instrumented library in a child
  // process with the training limits; its exit writes the profile.
  bool train(const fs::path& profiles) {
    data::Dataset training = profile_training_set(*options_.profile_training);
    bench::BenchConfig config;
    config.efs = {16, 32, 64, 128};
    config.runs = 1;
    config.limits = options_.training_limits;
    bench::IndexSpec instrumented{"profile-training", result_.library, "", ""};
    instrumented.writes_profile = true;
    bench::IndexResult trained = bench::run_benchmark(training, {instrumented}, config, [](auto&) {})[0];
    if (!trained.failure.empty()) {
      result_.error = "profile: the training run failed: " + trained.failure;
      return false;
    }
    std::error_code missing;
    for (const fs::directory_entry& entry : fs::directory_iterator(profiles, missing))
      if (entry.path().extension() == ".gcda" || entry.path().extension() == ".profraw") return true;
    result_.error = "profile: the training run wrote no profile to " + profiles.string() +
                    " (the build is not instrumented: does the tree include the plan's crinn-flags.cmake?)";
    return false;
  }

  const std::string& tree_;
  const std::string& build_dir_;
  const BuildOptions& options_;
  std::chrono::steady_clock::time_point start_;
  BuildResult result_;
};

}  // namespace

BuildResult build_tree(const std::string& tree, const std::string& build_dir, const BuildOptions& options) {
  BuildResult result = Builder(tree, build_dir, options).run();
  if (!result.error.empty()) result.library.clear();
  return result;
}

std::string failure_kind(const BuildResult& result) { return result.error.substr(0, result.error.find(':')); }

data::Dataset profile_training_set(const data::Dataset& dataset, int64_t base_rows, int64_t queries) {
  const data::Matrix& train = dataset.train;
  queries = std::max<int64_t>(1, std::min(queries, train.rows / 5));
  base_rows = std::max<int64_t>(1, std::min(base_rows, train.rows - queries));
  data::Dataset training;
  training.name = dataset.name + "-profile-training";
  training.metric = dataset.metric;
  training.train.dim = training.test.dim = train.dim;
  training.train.rows = base_rows;
  training.train.values.assign(train.data(), train.row(base_rows));
  training.test.rows = std::min(queries, train.rows - base_rows);
  training.test.values.assign(train.row(base_rows), train.row(base_rows + training.test.rows));
  training.truth = data::compute_ground_truth(training, 10);
  return training;
}

}  // namespace crinn::verify
