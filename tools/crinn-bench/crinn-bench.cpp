// crinn-bench: measure index libraries side by side on one dataset.
#include "Bench/Benchmark.h"
#include "Bench/Output.h"
#include "Bench/Peers.h"
#include "Data/Registry.h"
#include "Support/AtomicFile.h"
#include "Support/Options.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace {

const char kUsage[] = R"(usage: crinn-bench --dataset <dataset> [options]

Builds each index, sweeps ef over all of them interleaved, and prints recall@k,
QPS (single thread, one query at a time, best of N runs), distance computations
per query, QPS at fixed recalls and the QPS-recall area (reward), with ratios
against the first index.

  --dataset <d>          fashion-mnist-784-euclidean | <file>.hdf5 |
                         texmex:base=<f>,query=<f>[,groundtruth=<f>][,metric=<m>] |
                         synthetic:n=<n>,queries=<q>,dim=<d>,clusters=<c>,metric=<m>,seed=<s>
  --index <spec>         [<label>@]<peer or library.so>[:key=value,...], repeatable;
                         peers: hnsw (the baseline), hnswlib, faiss-hnsw, bruteforce;
                         default: all four
  --ef <list>            default 10,12,16,20,24,32,48,64,96,128,192,256
  --runs <n>             timed runs per point, best reported (default 5)
  --k <k>                default 10
  --recall-window <lo,hi>  reward window (default 0.85,0.95)
  --queries <n>          use the first n test queries only
  --exact-queries <n>    queries for indexes that ignore ef (default 1000)
  --json <file>          every point as JSON
  --plot <file>          QPS-recall plot: .svg, or .html with the tables
  --cache-dir <dir>      ground-truth cache (default $XDG_CACHE_HOME/crinn)
  --index-cache <dir>    keep each built index in <dir>/<label>-<key>/ and load it
                         from there on later runs instead of building (the library
                         must save and load); the key is a hash of the library's
                         path and bytes, its params and the dataset
  --build-timeout <s>    per index (default 3600)
  --search-timeout <s>   per pass over the queries (default 600)
  --memory-limit <MiB>   address space of each index's process (default 16384)
)";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using crinn::support::parse_integer;
using crinn::support::parse_real;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream stream(s);
  for (std::string part; std::getline(stream, part, sep);) parts.push_back(part);
  return parts;
}

// The address space this process maps (VmSize), which each index's process,
// a fork of it, starts with.
long mapped_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmSize:", 0) == 0) return std::atol(line.c_str() + 7) / 1024;
  return 0;
}

int run(int argc, char** argv) {
  crinn::bench::BenchConfig config;
  std::string dataset_spec, json_path, plot_path, index_cache, cache_dir = crinn::data::default_cache_dir();
  std::vector<std::string> index_texts;
  long queries = 0;

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (arg.rfind("--", 0) != 0 || i + 1 >= argc) throw UsageError("unexpected argument '" + arg + "'");
    std::string value = argv[++i];
    if (arg == "--dataset") dataset_spec = value;
    else if (arg == "--index") index_texts.push_back(value);
    else if (arg == "--ef") {
      config.efs.clear();
      for (const std::string& ef : split(value, ',')) config.efs.push_back(int(parse_integer(arg, ef, 1, 1 << 20)));
      if (config.efs.empty()) throw UsageError("--ef needs at least one value");
    } else if (arg == "--runs") config.runs = int(parse_integer(arg, value, 1, 1000));
    else if (arg == "--k") config.k = int(parse_integer(arg, value, 1, 1 << 20));
    else if (arg == "--recall-window") {
      std::vector<std::string> ends = split(value, ',');
      if (ends.size() != 2) throw UsageError("--recall-window needs <low>,<high>");
      config.recall_low = parse_real(arg, ends[0], 1e-9, 1.0);
      config.recall_high = parse_real(arg, ends[1], 1e-9, 1.0);
      if (config.recall_low >= config.recall_high || config.recall_high > 1.0)
        throw UsageError("--recall-window needs 0 < low < high <= 1");
    } else if (arg == "--queries") queries = parse_integer(arg, value, 1, 1LL << 30);
    else if (arg == "--exact-queries") config.exact_queries = parse_integer(arg, value, 1, 1LL << 30);
    else if (arg == "--json") json_path = value;
    else if (arg == "--plot") plot_path = value;
    else if (arg == "--cache-dir") cache_dir = value;
    else if (arg == "--index-cache") index_cache = value;
    else if (arg == "--build-timeout") config.limits.build_timeout_seconds = parse_real(arg, value, 1e-3, 1e7);
    else if (arg == "--search-timeout") config.limits.search_timeout_seconds = parse_real(arg, value, 1e-3, 1e7);
    else if (arg == "--memory-limit") config.limits.memory_limit_mb = parse_integer(arg, value, 64, 1LL << 24);
    else throw UsageError("unknown option '" + arg + "'");
  }
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
  crinn::data::limit_queries(dataset, queries);
  if (config.k > dataset.truth.k)
    throw crinn::data::DataError(dataset.name, "ground truth has " + std::to_string(dataset.truth.k) +
                                                   " neighbours per query, fewer than k=" + std::to_string(config.k));
  if (long mapped = mapped_mib(); crinn::bench::kMemoryLimitEnforced && mapped >= config.limits.memory_limit_mb)
    throw UsageError("--memory-limit " + std::to_string(config.limits.memory_limit_mb) +
                     ": each index's process starts with the " + std::to_string(mapped) +
                     " MiB crinn-bench maps with the dataset loaded, so no library could load there; give more");
  if (!index_cache.empty()) {
    std::string train = crinn::data::train_fingerprint(dataset);
    for (crinn::bench::IndexSpec& index : indexes)
      index.index_file = crinn::bench::index_cache_entry(index_cache, index, train);
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
  try {
    return run(argc, argv);
  } catch (const crinn::support::OptionError& e) {
    std::cerr << "crinn-bench: error: " << e.what() << "\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "crinn-bench: error: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "crinn-bench: error: " << e.what() << "\n";
    return 1;
  }
}
