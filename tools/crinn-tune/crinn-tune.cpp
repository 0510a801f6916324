// crinn-tune: make an ANNS source tree faster by searching its rewrite space.
#include "Bench/Peers.h"
#include "Data/Registry.h"
#include "Data/Sample.h"
#include "Policy/BuiltinPolicy.h"
#include "Policy/LlmPolicy.h"
#include "Policy/RandomPolicy.h"
#include "Report/ReportPage.h"
#include "Rewrite/SourceTree.h"
#include "Support/AtomicFile.h"
#include "Support/Cpu.h"
#include "Support/Options.h"
#include "Tune/ReportDir.h"
#include "Tune/Tuner.h"

#include "clang/Tooling/CompilationDatabase.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

namespace fs = std::filesystem;
using namespace crinn;

namespace {

const char kUsage[] = R"(usage: crinn-tune --source <tree> --dataset <dataset> --out <report dir> [options]

Searches the rewrite space of an index source tree (one with a CMakeLists.txt
building an index_abi.h library) for the fastest variant that keeps recall,
and writes the report dir: report.html (open it in a browser), history.jsonl
(every candidate), policy.json, plan.json, best/ (the rewritten tree),
best.patch, fixes.yaml (clang-apply-replacements) and the closing comparison
of the original, the best variant and the peers (comparison.txt/json/svg).

  --source <dir>          the tree (with the code its crinn-vendor.txt names copied
                          in, if it has one); its .cpp files are parsed with -std=c++17, or
  -p <build dir>          with the commands of <build dir>/compile_commands.json, whose
                          files under --source are then the tree's sources
  --dataset <d>           as crinn-bench takes it (fashion-mnist-784-euclidean, ...)
  --out <dir>             the report dir
  --resume                continue the run journaled in --out
  --policy <p>            builtin (the default, offline), llm or random; llm needs --llm-url, --llm-model
                          and CRINN_LLM_API_KEY in the environment if the endpoint wants one
                          (no child process sees it)
  --llm-timeout <s>       seconds one request to the endpoint may take (default 120)
  --llm-retries <n>       retries of a request that times out, fails to connect or gets
                          HTTP 429 or 5xx, with backoff from 1 s (default 3); a policy that
                          proposes no plan in 3 rounds in a row stops the run with the cause
                          random: uniform random search over the same space (a yardstick)
  --llm-context <tokens>  the model's context window (default 32768): each prompt fits in it,
                          less 4096 tokens for the reply; every exchange is in llm-transcript.jsonl
  --llm-price <p>         price per 1000 tokens, for the cost per improvement in report.html
                          (default: tokens only)
  --policy-init <file>    start the builtin policy from a saved policy.json
  --iterations <n>        rounds of proposals (default 4)
  --time-budget <t>       stop starting rounds after t (e.g. 600s, 30m, 1h)
  --group <n>             plans per round (default 4)
  --ef <list>             ef sweep (default crinn-bench's)
  --runs <n>              timed runs per point (default 3)
  --compare-runs <n>      timed runs per point of the closing comparison (default 5)
  --max-repetitions <n>   paired runs a would-be best may take beside the best variant while
                          the interval of its ratio straddles 1 (default 128); at the cap
                          the best variant stays
  --queries <n>           time the first n test queries only (default all)
  --tune-sample <n>       tune on n train vectors drawn at random (seeded by --seed, exact
                          ground truth computed for them), then measure the best variants
                          on the whole set: the closing comparison is the whole set's, and
                          confirmation.txt tells whether the sample ranked them right
  --recall-window <lo,hi> reward window (default 0.85,0.95)
  --peer <spec>           an index for the closing comparison, as crinn-bench's
                          --index takes it (hnswlib, faiss-hnsw, <lib.so>...); repeatable
  --library <name>        what the tree builds (default libcrinn_hnsw.so)
  --seed <n>              the builtin or random policy's seed (default 1)
  --executor <e>          where candidates are built and measured: local (the default: here,
                          one at a time) or slurm (each a Slurm job; see docs/guide-slurm.md)
  --parallel <n>          slurm: jobs in flight (default 1)
  --slurm-partition <p>   slurm: the partition jobs go to (default the cluster's)
  --slurm-cpus <n>        slurm: cores a job asks for (default 0: a whole node, --exclusive)
  --slurm-args "<args>"   slurm: more sbatch options, e.g. "--time=30 --constraint=avx2"
  --slurm-node-cache <d>  slurm: a node-local dir for each node's reference build and index
                          cache (default ${TMPDIR:-/tmp}/crinn-node-cache on the node)
)";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The runtime headers rewritten code includes: <prefix>/include beside an
// installed binary, else the source tree's.
std::string include_dir() {
  std::error_code error;
  fs::path exe = fs::read_symlink("/proc/self/exe", error);
  fs::path installed = exe.parent_path().parent_path() / "include";
  if (!error && fs::exists(installed / "crinn" / "index_abi.h")) return installed.string();
  return CRINN_INCLUDE_DIR;
}

// crinn-job, which Slurm jobs run: beside this binary, a path the nodes see
// when crinn-tune is installed on the shared dir or on every node alike.
std::string job_runner() {
  fs::path runner = fs::read_symlink("/proc/self/exe").parent_path() / "crinn-job";
  if (!fs::exists(runner)) throw std::runtime_error(runner.string() + ": missing; --executor slurm needs crinn-job beside crinn-tune");
  return runner.string();
}

// Code a tree's crinn-vendor.txt names to copy in ("<path in the tree>
// <where from>" per line, e.g. a library's headers): a tree that has one is
// tuned as a copy with that code in place, so that the library's own source
// is project code. Every line is checked before anything is copied.
struct VendoredCode {
  std::string into, from;
};

std::vector<VendoredCode> read_vendor_manifest(const std::string& root) {
  std::string manifest = root + "/crinn-vendor.txt";
  std::ifstream in(manifest);
  std::vector<VendoredCode> code;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    std::istringstream fields(line);
    std::string into, from, extra;
    if (!(fields >> into) || into[0] == '#') continue;
    std::string where = manifest + ":" + std::to_string(number) + ": ";
    if (!(fields >> from) || (fields >> extra)) throw std::runtime_error(where + "expected '<path in the tree> <where from>'");
    if (fs::path(into).is_absolute() || into.find("..") != std::string::npos)
      throw std::runtime_error(where + "'" + into + "' is not a path inside the tree");
    if (!fs::exists(from)) throw std::runtime_error(where + from + ": no such file or directory");
    code.push_back({into, from});
  }
  return code;
}

std::string vendored_copy(const std::string& root, const std::vector<VendoredCode>& code, const std::string& copy) {
  fs::remove_all(copy);
  fs::create_directories(fs::path(copy).parent_path());
  fs::copy(root, copy, fs::copy_options::recursive);
  for (const VendoredCode& item : code) {
    fs::create_directories((fs::path(copy) / item.into).parent_path());
    fs::copy(item.from, fs::path(copy) / item.into, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
  return fs::canonical(copy).string();
}

double parse_duration(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  std::string unit = end;
  if (value <= 0 || (unit != "" && unit != "s" && unit != "m" && unit != "h"))
    throw UsageError("--time-budget needs a duration like 600s, 30m or 1h, got '" + text + "'");
  return value * (unit == "m" ? 60 : unit == "h" ? 3600 : 1);
}

int run(int argc, char** argv) {
  std::string source, dataset_spec, out, policy_kind = "builtin", policy_init;
  std::string library = "libcrinn_hnsw.so", build_dir;
  policy::LlmEndpoint endpoint;
  policy::LlmPolicyConfig llm;
  bool resume = false;
  uint64_t seed = 1;
  int64_t queries = 0, tune_sample = 0;
  tune::TuneOptions options;
  options.gates.bench.runs = 3;
  std::string executor = "local";
  bool parallel_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--resume") {
      resume = true;
      continue;
    }
    if (i + 1 >= argc) throw UsageError("option '" + arg + "' needs a value");
    std::string value = argv[++i];
    if (arg == "--source") source = value;
    else if (arg == "--dataset") dataset_spec = value;
    else if (arg == "--out") out = value;
    else if (arg == "-p") build_dir = value;
    else if (arg == "--policy") policy_kind = value;
    else if (arg == "--policy-init") policy_init = value;
    else if (arg == "--llm-url") endpoint.url = value;
    else if (arg == "--llm-model") endpoint.model = value;
    else if (arg == "--llm-timeout") endpoint.timeout_seconds = support::parse_real(arg, value, 0.001, 86400.0);
    else if (arg == "--llm-retries") endpoint.max_attempts = 1 + int(support::parse_integer(arg, value, 0, 100));
    else if (arg == "--llm-context") llm.context_tokens = long(support::parse_integer(arg, value, 8192, 1 << 24));
    else if (arg == "--llm-price") llm.price_per_1k_tokens = support::parse_real(arg, value, 0.0, 1e6);
    else if (arg == "--iterations") options.rounds = int(support::parse_integer(arg, value, 1, 1 << 20));
    else if (arg == "--time-budget") options.time_budget_seconds = parse_duration(value), options.rounds = 1 << 20;
    else if (arg == "--group") options.group_size = int(support::parse_integer(arg, value, 1, 1024));
    else if (arg == "--runs") options.gates.bench.runs = int(support::parse_integer(arg, value, 1, 1000));
    else if (arg == "--compare-runs") options.compare_runs = int(support::parse_integer(arg, value, 1, 1000));
    else if (arg == "--max-repetitions") options.referee.max_repetitions = int(support::parse_integer(arg, value, 1, 1 << 20));
    else if (arg == "--library") library = value;
    else if (arg == "--seed") seed = uint64_t(support::parse_integer(arg, value, 0, std::numeric_limits<int64_t>::max()));
    else if (arg == "--queries") queries = support::parse_integer(arg, value, 1, 1LL << 30);
    else if (arg == "--tune-sample") tune_sample = support::parse_integer(arg, value, 1, 1LL << 34);
    // Where candidates run (issue 20): one block.
    else if (arg == "--executor") executor = value;
    else if (arg == "--parallel") options.slurm.parallel = int(support::parse_integer(arg, value, 1, 4096)), parallel_given = true;
    else if (arg == "--slurm-partition") options.slurm.partition = value;
    else if (arg == "--slurm-cpus") options.slurm.cpus = int(support::parse_integer(arg, value, 0, 4096));
    else if (arg == "--slurm-args") options.slurm.extra_args = value;
    else if (arg == "--slurm-node-cache") options.slurm.node_cache = value;
    else if (arg == "--peer") {
      try {
        options.peers.push_back(bench::parse_index_spec(value));
      } catch (const bench::IndexSpecError& e) {
        throw UsageError(std::string("--peer: ") + e.what());
      }
    }
    else if (arg == "--ef") {
      options.gates.bench.efs.clear();
      std::stringstream list(value);
      for (std::string ef; std::getline(list, ef, ',');) options.gates.bench.efs.push_back(int(support::parse_integer(arg, ef, 1, 1 << 20)));
    } else if (arg == "--recall-window") {
      size_t comma = value.find(',');
      if (comma == std::string::npos) throw UsageError("--recall-window needs <low>,<high>");
      options.gates.bench.recall_low = support::parse_real(arg, value.substr(0, comma), 1e-9, 1.0);
      options.gates.bench.recall_high = support::parse_real(arg, value.substr(comma + 1), 1e-9, 1.0);
    } else {
      throw UsageError("unknown option '" + arg + "'");
    }
  }
  if (source.empty() || dataset_spec.empty() || out.empty()) throw UsageError("--source, --dataset and --out are required");
  if (policy_kind != "builtin" && policy_kind != "llm" && policy_kind != "random")
    throw UsageError("--policy is builtin, llm or random");
  if (executor != "local" && executor != "slurm") throw UsageError("--executor is local or slurm");
  if (executor == "local" && parallel_given) throw UsageError("--parallel needs --executor slurm");
  if (executor == "slurm") {
    options.executor = tune::Executor::Slurm;
    options.slurm.job_runner = job_runner();
  }
  if (!fs::is_directory(source)) throw std::runtime_error(source + ": not a directory");
  {
    // Every candidate copies the tree: a report dir inside it would be copied into itself.
    fs::path tree = fs::canonical(source), report = fs::weakly_canonical(fs::absolute(out));
    auto [end, rest] = std::mismatch(tree.begin(), tree.end(), report.begin(), report.end());
    if (end == tree.end())
      throw std::runtime_error(out + ": --out is inside --source " + tree.string() + "; choose a report dir outside the tree");
  }
  // What the run measures, recorded in run.json; a resume must not change it.
  const bench::BenchConfig& bench = options.gates.bench;
  nlohmann::json measured = {{"--source", fs::canonical(source).string()},
                             {"-p", build_dir},
                             {"--dataset", dataset_spec},
                             {"--queries", queries},
                             // The sample is the seed's: [n, seed].
                             {"--tune-sample", tune_sample > 0 ? nlohmann::json{tune_sample, seed} : nlohmann::json(0)},
                             {"--runs", bench.runs},
                             {"--ef", bench.efs},
                             {"--recall-window", {bench.recall_low, bench.recall_high}},
                             {"--group", options.group_size},
                             {"--library", library},
                             {"--policy", policy_kind}};
  if (resume) tune::check_resume_options(out, measured);
  if (!resume && fs::exists(fs::path(out) / "history.jsonl"))
    throw std::runtime_error(out + ": holds a run already; pass --resume to continue it or choose another --out");

  auto start = std::chrono::steady_clock::now();
  options.log = [&](const std::string& message) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "[%7.1fs] %s\n", elapsed, message.c_str());
  };
  options.out_dir = out;
  options.report_dir_updated = [&out] { report::write_report_html(out); };
  options.run_info = {
      {"source", source}, {"dataset", dataset_spec}, {"policy", policy_kind}, {"seed", seed}, {"options", measured}};
  options.library_name = library;
  options.crinn_include_dir = include_dir();
  // A dataset file named relative to here is opened by jobs that run elsewhere.
  options.dataset_spec = fs::exists(dataset_spec) ? fs::absolute(dataset_spec).string() : dataset_spec;
  options.dataset_queries = queries;
  options.dataset_sample = tune_sample;
  options.dataset_sample_seed = seed;

  // Bad input is found before the report dir is written (but for the copy of
  // a vendoring tree, which the parse reads): the dataset, the vendor
  // manifest, the compilation database, the parse, the policy's state and,
  // in tune(), the journal.
  options.log("loading " + dataset_spec);
  data::Dataset dataset = data::open_dataset(dataset_spec, data::default_cache_dir());
  data::limit_queries(dataset, queries);
  data::Dataset whole_set;
  if (tune_sample > 0) {
    if (tune_sample >= dataset.train.rows)
      throw UsageError("--tune-sample " + std::to_string(tune_sample) + " is not fewer than the " +
                       std::to_string(dataset.train.rows) + " train vectors of " + dataset_spec);
    whole_set = std::move(dataset);
    options.log("tuning on " + std::to_string(tune_sample) + " of the " + std::to_string(whole_set.train.rows) +
                " train vectors (seed " + std::to_string(seed) + "); the closing comparison measures on all of them");
    dataset = data::sample_train(whole_set, tune_sample, seed);
    options.confirmation_dataset = &whole_set;
  }

  std::string root = fs::canonical(source).string();
  if (fs::exists(fs::path(root) / "crinn-vendor.txt")) {
    if (!build_dir.empty()) throw UsageError("-p does not combine with a tree that vendors code (crinn-vendor.txt)");
    root = vendored_copy(root, read_vendor_manifest(root), (fs::path(out) / "work" / "source").string());
    options.log("tuning a copy with vendored code: " + root);
  }
  std::vector<std::string> files;
  std::unique_ptr<clang::tooling::CompilationDatabase> compilations;
  if (!build_dir.empty()) {
    std::string error;
    compilations = clang::tooling::CompilationDatabase::autoDetectFromDirectory(build_dir, error);
    if (!compilations) throw std::runtime_error(build_dir + ": no compile_commands.json here or in a parent directory");
    for (const std::string& file : compilations->getAllFiles())
      if (file.compare(0, root.size() + 1, root + "/") == 0) files.push_back(file);
    if (files.empty()) throw std::runtime_error(build_dir + "/compile_commands.json: no file under " + root);
  } else {
    for (const auto& entry : fs::recursive_directory_iterator(root))
      if (entry.is_regular_file() && entry.path().extension() == ".cpp") files.push_back(entry.path().string());
    compilations = std::make_unique<clang::tooling::FixedCompilationDatabase>(
        root, std::vector<std::string>{"-std=c++17", "-march=native", "-I" + root, "-I" + options.crinn_include_dir});
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  options.log("parsing " + std::to_string(files.size()) + " files of " + root);
  rewrite::SourceTree tree(*compilations, files, root, rewrite::SourceTree::resource_dir(argv[0]));

  const std::vector<schema::SiteRecord> records(tree.sites().begin(), tree.sites().end());
  nlohmann::json sites = nlohmann::json::array();
  for (const schema::SiteRecord& site : records) sites.push_back(schema::to_json(site));
  sites = {{"sites", sites}};
  options.log(std::to_string(tree.sites().size()) + " sites");

  std::unique_ptr<policy::Policy> policy;
  if (policy_kind == "builtin") {
    policy::BuiltinConfig config;
    config.seed = seed;
    policy = std::make_unique<policy::BuiltinPolicy>(schema::offers(records), config);
    if (!policy_init.empty()) {
      std::ifstream in(policy_init);
      try {
        policy->restore(nlohmann::json::parse(in));
      } catch (const std::exception& e) {
        throw std::runtime_error(policy_init + ": not a saved built-in policy (" + e.what() + ")");
      }
    }
  } else if (policy_kind == "random") {
    policy = std::make_unique<policy::RandomPolicy>(schema::offers(records), seed);
  } else {
    if (endpoint.url.empty() || endpoint.model.empty()) throw UsageError("--policy llm needs --llm-url and --llm-model");
    if (const char* key = std::getenv("CRINN_LLM_API_KEY")) endpoint.api_key = key;
    auto validator = [&tree](const policy::Plan& plan) -> std::string {
      try {
        rewrite::validate_plan(plan, "the plan", tree.sites());
        return "";
      } catch (const rewrite::PlanError& e) {
        return e.what();
      }
    };
    endpoint.transcript_path = (fs::path(out) / "llm-transcript.jsonl").string();
    llm.run = {dataset_spec, dataset.train.rows, dataset.test.rows, dataset.train.dim,
               data::metric_name(dataset.metric), support::probe_cpu()};
    policy = std::make_unique<policy::LlmPolicy>(sites, endpoint, validator, llm);
  }

  fs::create_directories(out);
  support::write_file_atomically((fs::path(out) / "sites.json").string(), sites.dump(2) + "\n");
  tune::TuneResult result;
  try {
    result = tune::tune(tree, dataset, *policy, options);
  } catch (const tune::PolicyError& e) {
    throw std::runtime_error("--policy " + policy_kind + ": " + e.what() + " (the report is in " + out +
                             "; continue the run with --resume)");
  }

  // The closing comparison's tables and paired ratios, as comparison.txt holds them.
  std::cout << std::ifstream(fs::path(out) / "comparison.txt").rdbuf();
  std::cout << "\ncrinn-tune: " << result.evaluated << " candidates evaluated";
  for (const auto& [reason, count] : result.failures) std::cout << ", " << count << " " << reason;
  if (result.failed_proposals > 0) std::cout << "; " << result.failed_proposals << " failed proposals";
  std::cout << "\nnoise floor: the unmodified source beside a copy of itself "
            << tune::format_interval(result.noise_floor.aa) << "\n";
  if (result.best_plan.empty()) {
    std::cout << "no candidate beat the unmodified source\n";
  } else {
    // The headline is the closing comparison, measured beside the original
    // now, not the reward the best earned when it won.
    const tune::RatioInterval& closing = result.comparison_ratios.at(1);
    if (closing.repetitions == 0)
      std::cout << "closing comparison: the best variant failed: " << result.comparison.at(1).failure << "\n";
    else
      std::cout << "closing comparison: the best variant " << tune::format_interval(closing)
                << " the unmodified source (QPS-recall area over recall [" << options.gates.bench.recall_low << ", "
                << options.gates.bench.recall_high << "], " << closing.repetitions
                << " paired runs; during the run it measured " << tune::format_interval(result.best) << ")\n";
    std::cout << "best plan: " << (fs::path(out) / "plan.json").string() << ", tree: " << (fs::path(out) / "best").string()
              << ", patch: " << (fs::path(out) / "best.patch").string() << "\n";
  }
  std::cout << "report: " << (fs::path(out) / "report.html").string() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const tune::ResumeError& e) {
    std::cerr << "crinn-tune: error: " << e.what() << "\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "crinn-tune: error: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const support::OptionError& e) {
    std::cerr << "crinn-tune: error: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "crinn-tune: error: " << e.what() << "\n";
    return 1;
  }
}
