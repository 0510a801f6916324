// crinn-bench: measure index libraries side by side on one dataset.
#include "Bench/Benchmark.h"
#include "Bench/Output.h"
#include "Bench/Peers.h"
#include "Data/Registry.h"
#include "Support/AtomicFile.h"
#include "ToolSupport/CommandLine.h"
#include "ToolSupport/RewardOption.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>

namespace {

using llvm::cl::opt;
using crinn::tools::InRange;
using crinn::tools::NumberList;
using crinn::tools::NumberOption;

llvm::cl::OptionCategory Category("crinn-bench options");

const char kOverview[] = R"(measure index libraries side by side on one dataset

Builds each index, sweeps ef over all of them interleaved, and prints recall@k,
QPS (single thread, one query at a time, best of N runs), distance computations
per query, QPS at fixed recalls and the QPS-recall area (reward), with ratios
against the first index. --dataset is required.
)";

opt<std::string> DatasetSpec("dataset", llvm::cl::value_desc("dataset"), llvm::cl::cat(Category),
                             llvm::cl::desc("fashion-mnist-784-euclidean | <file>.hdf5 |\n"
                                            "texmex:base=<f>,query=<f>[,groundtruth=<f>][,metric=<m>] |\n"
                                            "synthetic:n=<n>,queries=<q>,dim=<d>,clusters=<c>,metric=<m>,seed=<s>"));
llvm::cl::list<std::string> IndexTexts("index", llvm::cl::value_desc("spec"), llvm::cl::cat(Category),
                                       llvm::cl::desc("[<label>@]<peer or library.so>[:key=value,...], repeatable;\n"
                                                      "peers: hnsw (the baseline), hnswlib, faiss-hnsw, bruteforce;\n"
                                                      "default: all four"));
NumberList<int> Efs("ef", llvm::cl::CommaSeparated, InRange{1, 1 << 20}, llvm::cl::value_desc("list"),
                    llvm::cl::desc("default 10,12,16,20,24,32,48,64,96,128,192,256"), llvm::cl::cat(Category));
NumberOption<int> Runs("runs", InRange{1, 1000}, llvm::cl::value_desc("n"),
                       llvm::cl::desc("timed runs per point, best reported (default 5)"), llvm::cl::cat(Category));
NumberOption<int> K("k", InRange{1, 1 << 20}, llvm::cl::value_desc("k"), llvm::cl::desc("default 10"),
                    llvm::cl::cat(Category));
NumberList<double> RecallWindow("recall-window", llvm::cl::CommaSeparated, InRange{1e-9, 1.0},
                                llvm::cl::value_desc("lo,hi"), llvm::cl::desc("reward window (default 0.85,0.95)"),
                                llvm::cl::cat(Category));
llvm::cl::opt<crinn::bench::RewardShape> Reward("reward", llvm::cl::value_desc("shape"),
                                                 llvm::cl::desc("the reward over the recall window (default area)"),
                                                 llvm::cl::init(crinn::bench::RewardShape::Area),
                                                 crinn::tools::reward_shapes(), llvm::cl::cat(Category));
NumberOption<long long> Queries("queries", InRange{1LL, 1LL << 30}, llvm::cl::value_desc("n"),
                                llvm::cl::desc("use the first n test queries only"), llvm::cl::cat(Category));
NumberOption<long long> ExactQueries("exact-queries", InRange{1LL, 1LL << 30}, llvm::cl::value_desc("n"),
                                     llvm::cl::desc("queries for indexes that ignore ef (default 1000)"),
                                     llvm::cl::cat(Category));
opt<std::string> JsonPath("json", llvm::cl::value_desc("file"), llvm::cl::desc("every point as JSON"),
                          llvm::cl::cat(Category));
opt<std::string> PlotPath("plot", llvm::cl::value_desc("file"),
                          llvm::cl::desc("QPS-recall plot: .svg, or .html with the tables"), llvm::cl::cat(Category));
opt<std::string> CacheDir("cache-dir", llvm::cl::value_desc("dir"), llvm::cl::cat(Category),
                          llvm::cl::desc("ground-truth cache (default $XDG_CACHE_HOME/crinn)"));
opt<std::string> IndexCache("index-cache", llvm::cl::value_desc("dir"), llvm::cl::cat(Category),
                            llvm::cl::desc("keep each built index in <dir>/<label>-<key>/ and load it\n"
                                           "from there on later runs instead of building (the library\n"
                                           "must save and load); the key is a hash of the library's\n"
                                           "path and bytes, its params and the dataset"));
NumberOption<double> BuildTimeout("build-timeout", InRange{1e-3, 1e7}, llvm::cl::value_desc("s"),
                                  llvm::cl::desc("per index (default 3600)"), llvm::cl::cat(Category));
NumberOption<double> SearchTimeout("search-timeout", InRange{1e-3, 1e7}, llvm::cl::value_desc("s"),
                                   llvm::cl::desc("per pass over the queries (default 600)"), llvm::cl::cat(Category));
NumberOption<long long> MemoryLimit("memory-limit", InRange{64LL, 1LL << 24}, llvm::cl::value_desc("MiB"),
                                    llvm::cl::desc("address space of each index's process (default 16384)"),
                                    llvm::cl::cat(Category));

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The address space this process maps (VmSize), which each index's process,
// a fork of it, starts with.
long mapped_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmSize:", 0) == 0) return std::atol(line.c_str() + 7) / 1024;
  return 0;
}

int run() {
  crinn::bench::BenchConfig config;
  // BenchConfig holds the defaults; each option given replaces its own.
  if (!Efs.empty()) config.efs.assign(Efs.begin(), Efs.end());
  if (Runs.getNumOccurrences()) config.runs = Runs;
  if (K.getNumOccurrences()) config.k = K;
  if (!RecallWindow.empty()) {
    if (RecallWindow.size() != 2) throw UsageError("--recall-window needs <low>,<high>");
    config.recall_low = RecallWindow[0];
    config.recall_high = RecallWindow[1];
    if (config.recall_low >= config.recall_high) throw UsageError("--recall-window needs 0 < low < high <= 1");
  }
  config.reward = Reward;
  if (ExactQueries.getNumOccurrences()) config.exact_queries = ExactQueries;
  if (BuildTimeout.getNumOccurrences()) config.limits.build_timeout_seconds = BuildTimeout;
  if (SearchTimeout.getNumOccurrences()) config.limits.search_timeout_seconds = SearchTimeout;
  if (MemoryLimit.getNumOccurrences()) config.limits.memory_limit_mb = MemoryLimit;
  const std::string& dataset_spec = DatasetSpec;
  const std::string& json_path = JsonPath;
  const std::string& plot_path = PlotPath;
  std::string cache_dir = CacheDir.getNumOccurrences() ? CacheDir.getValue() : crinn::data::default_cache_dir();
  std::vector<std::string> index_texts(IndexTexts.begin(), IndexTexts.end());

  if (dataset_spec.empty()) throw UsageError("--dataset is required");
  if (index_texts.empty()) index_texts = {"hnsw", "hnswlib", "faiss-hnsw", "bruteforce"};
  std::vector<crinn::bench::IndexSpec> indexes;
  for (const std::string& text : index_texts) {
    try {
      indexes.push_back(crinn::bench::parse_index_spec(text));
    } catch (const crinn::bench::IndexSpecError& e) {
      throw UsageError(std::string("--index: ") + e.what());
    }
  }

  // Checked before anything is measured: a run's result must not be lost for want of a place to keep it.
  for (const auto& [option, path] : {std::pair{"--json", json_path}, std::pair{"--plot", plot_path}}) {
    try {
      if (!path.empty()) crinn::support::check_can_write(path);
    } catch (const std::runtime_error& e) {
      throw UsageError(std::string(option) + ": " + e.what());
    }
  }

  auto start = std::chrono::steady_clock::now();
  auto log = [&](const std::string& message) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "[%7.1fs] %s\n", elapsed, message.c_str());
  };

  log("loading " + dataset_spec);
  crinn::data::Dataset dataset = crinn::data::open_dataset(dataset_spec, cache_dir);
  crinn::data::limit_queries(dataset, Queries);
  if (config.k > dataset.truth.k)
    throw crinn::data::DataError(dataset.name, "ground truth has " + std::to_string(dataset.truth.k) +
                                                   " neighbours per query, fewer than k=" + std::to_string(config.k));
  if (long mapped = mapped_mib(); crinn::bench::kMemoryLimitEnforced && mapped >= config.limits.memory_limit_mb)
    throw UsageError("--memory-limit " + std::to_string(config.limits.memory_limit_mb) +
                     ": each index's process starts with the " + std::to_string(mapped) +
                     " MiB crinn-bench maps with the dataset loaded, so no library could load there; give more");
  if (!IndexCache.empty()) {
    std::string train = crinn::data::train_fingerprint(dataset);
    for (crinn::bench::IndexSpec& index : indexes)
      index.index_file = crinn::bench::index_cache_entry(IndexCache, index, train);
  }

  std::vector<crinn::bench::IndexResult> results = crinn::bench::run_benchmark(dataset, indexes, config, log);
  crinn::bench::print_tables(std::cout, dataset, results, config);
  if (!json_path.empty()) crinn::support::write_file_atomically(json_path, crinn::bench::to_json(dataset, results, config));
  if (!plot_path.empty()) {
    bool html = plot_path.size() >= 5 && plot_path.compare(plot_path.size() - 5, 5, ".html") == 0;
    crinn::support::write_file_atomically(plot_path, html ? crinn::bench::to_html(dataset, results, config)
                                                        : crinn::bench::to_svg(dataset, results, config));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (!crinn::tools::parse_command_line(argc, argv, "crinn-bench", Category, kOverview)) return 2;
  try {
    return run();
  } catch (const UsageError& e) {
    std::cerr << "crinn-bench: error: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "crinn-bench: error: " << e.what() << "\n";
    return 1;
  }
}
