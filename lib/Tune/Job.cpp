#include "Tune/Job.h"

#include "Bench/Metrics.h"
#include "Data/Formats.h"
#include "Data/Registry.h"
#include "Data/Sample.h"
#include "Support/AtomicFile.h"
#include "Support/Hash.h"
#include "Tune/Referee.h"
#include "Verify/Build.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace crinn::tune {

namespace fs = std::filesystem;

namespace {

nlohmann::json gates_json(const verify::GateConfig& gates) {
  const bench::BenchConfig& b = gates.bench;
  return {{"efs", b.efs},
          {"k", b.k},
          {"runs", b.runs},
          {"recall_low", b.recall_low},
          {"recall_high", b.recall_high},
          {"reward", bench::reward_shape_name(b.reward)},
          {"exact_queries", b.exact_queries},
          {"build_timeout_seconds", b.limits.build_timeout_seconds},
          {"search_timeout_seconds", b.limits.search_timeout_seconds},
          {"memory_limit_mb", b.limits.memory_limit_mb},
          {"check_ef", gates.check_ef},
          {"max_build_ratio", gates.max_build_ratio},
          {"max_memory_ratio", gates.max_memory_ratio}};
}

verify::GateConfig gates_from_json(const nlohmann::json& json) {
  verify::GateConfig gates;
  bench::BenchConfig& b = gates.bench;
  b.efs = json.at("efs").get<std::vector<int>>();
  b.k = json.at("k");
  b.runs = json.at("runs");
  b.recall_low = json.at("recall_low");
  b.recall_high = json.at("recall_high");
  // Jobs journaled before rewards had shapes were areas.
  const std::optional<bench::RewardShape> reward = bench::parse_reward_shape(json.value("reward", "area"));
  if (!reward) throw std::runtime_error("unknown reward shape " + json.value("reward", std::string()));
  b.reward = *reward;
  b.exact_queries = json.at("exact_queries");
  b.limits.build_timeout_seconds = json.at("build_timeout_seconds");
  b.limits.search_timeout_seconds = json.at("search_timeout_seconds");
  b.limits.memory_limit_mb = json.at("memory_limit_mb");
  gates.check_ef = json.at("check_ef");
  // Jobs journaled before the cost limits had none.
  gates.max_build_ratio = json.value("max_build_ratio", 0.0);
  gates.max_memory_ratio = json.value("max_memory_ratio", 0.0);
  return gates;
}

verify::BuildOptions build_options(const JobSpec& spec, const data::Dataset& dataset, bool profile_guided) {
  verify::BuildOptions options{spec.crinn_include_dir, spec.library_name, spec.build_timeout_seconds};
  if (profile_guided) options.profile_training = &dataset;
  options.training_limits = spec.gates.bench.limits;
  return options;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The name Slurm gave this node, else the host's.
std::string node_name() {
  if (const char* slurm = std::getenv("SLURMD_NODENAME"); slurm && *slurm) return slurm;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

// Holds an exclusive flock on `path` for its lifetime: two jobs on one node
// build that node's reference once.
class FileLock {
 public:
  explicit FileLock(const fs::path& path) : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0 || flock(fd_, LOCK_EX) != 0) throw std::runtime_error(path.string() + ": cannot lock");
  }
  ~FileLock() {
    if (fd_ >= 0) close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

// The reference library built on this node from spec.reference_tree, once
// per node and run key: later jobs find reference.json and reuse it.
std::string node_reference(const JobSpec& spec, const data::Dataset& dataset, const fs::path& node_dir) {
  FileLock lock(node_dir / "reference.lock");
  fs::path built_record = node_dir / "reference.json";
  if (fs::exists(built_record)) {
    std::string library = nlohmann::json::parse(std::ifstream(built_record)).at("library");
    if (fs::exists(library)) return library;
  }
  verify::BuildResult built =
      verify::build_tree(spec.reference_tree, (node_dir / "reference-build").string(), build_options(spec, dataset, false));
  if (!built.error.empty()) throw std::runtime_error(spec.reference_tree + ": the unmodified source does not build here: " + built.error);
  support::write_file_atomically(built_record, nlohmann::json{{"library", built.library}}.dump() + "\n");
  return built.library;
}

}  // namespace

// On a big set drawing the sample and its ground truth take seconds to
// minutes, which every job would otherwise repeat.
data::Dataset node_sample(const data::Dataset& full, const JobSpec& spec, const fs::path& node_dir) {
  FileLock lock(node_dir / "sample.lock");
  std::string key = support::Hash()
                        .add(spec.dataset)
                        .add(std::to_string(spec.queries))
                        .add(std::to_string(spec.sample))
                        .add(std::to_string(spec.sample_seed))
                        .hex();
  fs::path cached = node_dir / ("sample-" + key + ".hdf5");
  if (fs::exists(cached)) {
    data::Dataset sample = data::load_hdf5(cached.string());
    sample.name = data::sample_name(full.name, spec.sample, spec.sample_seed);
    return sample;
  }
  data::Dataset sample = data::sample_train(full, spec.sample, spec.sample_seed);
  data::save_hdf5(sample, cached.string());
  return sample;
}

nlohmann::json curve_json(const bench::IndexResult& result) {
  nlohmann::json points = nlohmann::json::array();
  for (const bench::EfResult& p : result.points) points.push_back({{"ef", p.ef}, {"recall", p.recall}, {"qps", p.best_qps()}});
  return points;
}

nlohmann::json to_json(const JobSpec& spec) {
  return {{"index", spec.index},
          {"tree", spec.tree},
          {"reference_tree", spec.reference_tree},
          {"run_key", spec.run_key},
          {"dataset", spec.dataset},
          {"queries", spec.queries},
          {"sample", spec.sample},
          {"sample_seed", spec.sample_seed},
          {"crinn_include_dir", spec.crinn_include_dir},
          {"library_name", spec.library_name},
          {"build_timeout_seconds", spec.build_timeout_seconds},
          {"profile_guided", spec.profile_guided},
          {"preserving", spec.preserving},
          {"gates", gates_json(spec.gates)},
          {"index_file", spec.index_file},
          {"reference_index_file", spec.reference_index_file},
          {"pinned_index_files", spec.pinned_index_files},
          {"candidate", spec.candidate}};
}

JobSpec job_spec_from_json(const nlohmann::json& json) {
  JobSpec spec;
  spec.index = json.at("index");
  spec.tree = json.at("tree");
  spec.reference_tree = json.at("reference_tree");
  spec.run_key = json.at("run_key");
  spec.dataset = json.at("dataset");
  spec.queries = json.at("queries");
  spec.sample = json.value("sample", int64_t(0));
  spec.sample_seed = json.value("sample_seed", uint64_t(0));
  spec.crinn_include_dir = json.at("crinn_include_dir");
  spec.library_name = json.at("library_name");
  spec.build_timeout_seconds = json.at("build_timeout_seconds");
  spec.profile_guided = json.at("profile_guided");
  spec.preserving = json.at("preserving");
  spec.gates = gates_from_json(json.at("gates"));
  spec.index_file = json.at("index_file");
  spec.reference_index_file = json.at("reference_index_file");
  spec.pinned_index_files = json.at("pinned_index_files").get<std::vector<std::string>>();
  spec.candidate = json.at("candidate");
  return spec;
}

nlohmann::json to_json(const JobResult& result) {
  return {{"failure", result.failure},
          {"reason", result.reason},
          {"node", result.node},
          {"build_seconds", result.build_seconds},
          {"measured", result.measured},
          {"measure_seconds", result.measure_seconds},
          {"index_loaded", result.index_loaded},
          {"curve", result.curve},
          {"reference_curve", result.reference_curve},
          {"reference_without_reward", result.reference_without_reward},
          {"to_reference", result.to_reference},
          {"library", result.library}};
}

JobResult job_result_from_json(const nlohmann::json& json) {
  JobResult result;
  result.failure = json.at("failure");
  result.reason = json.at("reason");
  result.node = json.at("node");
  result.build_seconds = json.at("build_seconds");
  result.measured = json.at("measured");
  result.measure_seconds = json.at("measure_seconds");
  result.index_loaded = json.at("index_loaded");
  result.curve = json.at("curve");
  result.reference_curve = json.at("reference_curve");
  result.reference_without_reward = json.at("reference_without_reward");
  result.to_reference = json.at("to_reference").get<std::vector<double>>();
  result.library = json.at("library");
  return result;
}

JobResult run_candidate(const JobSpec& spec, const data::Dataset& dataset, const bench::IndexSpec& reference,
                        const IndexCache& cache, const fs::path& build_dir) {
  JobResult result;
  result.node = node_name();
  verify::BuildResult built = verify::build_tree(spec.tree, build_dir.string(), build_options(spec, dataset, spec.profile_guided));
  result.build_seconds = built.seconds;
  if (!built.error.empty()) {
    result.failure = verify::failure_kind(built);
    result.reason = built.error;
    return result;
  }
  result.library = built.library;
  bench::IndexSpec candidate{"candidate", built.library, "", (cache.dir() / spec.index_file).string()};
  std::vector<std::string> pinned = {reference.index_file};
  for (const std::string& file : spec.pinned_index_files) pinned.push_back((cache.dir() / file).string());
  cache.evict_all_but(candidate.index_file, pinned);

  auto start = std::chrono::steady_clock::now();
  verify::Verdict verdict = verify::verify_candidate(dataset, candidate, reference, spec.preserving, spec.gates);
  if (!verdict.timed) {
    result.index_loaded = verdict.candidate.loaded;
    result.failure = verify::failure_name(verdict.failure);
    result.reason = verdict.reason;
    return result;
  }
  const bench::BenchConfig& bench = spec.gates.bench;
  if (bench::auc_reward(verdict.parent.curve(), bench.recall_low, bench.recall_high) <= 0.0) {
    result.reference_without_reward = true;
    return result;
  }
  result.measured = true;
  result.measure_seconds = seconds_since(start);
  result.index_loaded = verdict.candidate.loaded;
  result.curve = curve_json(verdict.candidate);
  result.reference_curve = curve_json(verdict.parent);
  if (verdict.failure != verify::Failure::None) {
    result.failure = verify::failure_name(verdict.failure);
    result.reason = verdict.reason;
    return result;
  }
  result.to_reference = paired_log_ratios(run_rewards(verdict.parent, bench), run_rewards(verdict.candidate, bench));
  return result;
}

void run_job(const fs::path& job_dir, const fs::path& node_cache) {
  JobSpec spec = job_spec_from_json(nlohmann::json::parse(std::ifstream(job_dir / "spec.json")));
  data::Dataset dataset = data::open_dataset(spec.dataset, data::default_cache_dir());
  data::limit_queries(dataset, spec.queries);
  fs::path node_dir = node_cache / node_name() / spec.run_key;
  fs::create_directories(node_dir);
  if (spec.sample > 0) dataset = node_sample(dataset, spec, node_dir);
  IndexCache cache(node_dir / "index-cache", spec.run_key);
  bench::IndexSpec reference{"reference", node_reference(spec, dataset, node_dir), "",
                             (cache.dir() / spec.reference_index_file).string()};
  // Per job, not per candidate: a requeued job must not meet its first attempt's half-built tree.
  fs::path build_dir = node_dir / ("build-" + std::to_string(spec.index) + "-" + std::to_string(getpid()));
  JobResult result = run_candidate(spec, dataset, reference, cache, build_dir);
  // The tuner rebuilds a would-be best where it runs: this node's library is of no use after.
  result.library.clear();
  std::error_code ignored;
  fs::remove_all(build_dir, ignored);
  support::write_file_atomically(job_dir / "result.json", to_json(result).dump(2) + "\n");
}

}  // namespace crinn::tune
