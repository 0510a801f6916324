// crinn-tune: make an ANNS source tree faster by searching its rewrite space.
#include "Bench/Peers.h"
#include "Data/Registry.h"
#include "Data/Sample.h"
#include "Policy/LlmPolicy.h"
#include "Policy/SearchPolicies.h"
#include "Report/ReportPage.h"
#include "Rewrite/SourceTree.h"
#include "Support/AtomicFile.h"
#include "Support/Cpu.h"
#include "Support/Progress.h"
#include "ToolSupport/CommandLine.h"
#include "ToolSupport/RewardOption.h"
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

using llvm::cl::opt;
using tools::InRange;
using tools::NumberList;
using tools::NumberOption;

llvm::cl::OptionCategory Category("crinn-tune options");

const char kOverview[] = R"(make an ANNS source tree faster by searching its rewrite space

Searches the rewrite space of an index source tree (one with a CMakeLists.txt
building an index_abi.h library) for the fastest variant that keeps recall,
and writes the report dir: report.html (open it in a browser), history.jsonl
(every candidate), policy.json, plan.json, best/ (the rewritten tree),
best.patch, fixes.yaml (clang-apply-replacements) and the closing comparison
of the original, the best variant and the peers (comparison.txt/json/svg).
--source, --dataset and --out are required.
)";

opt<std::string> Source("source", llvm::cl::value_desc("dir"), llvm::cl::cat(Category),
                        llvm::cl::desc("the tree (with the code its crinn-vendor.txt names copied\n"
                                       "in, if it has one); its .cpp files are parsed with -std=c++17\n"
                                       "unless -p is given"));
opt<std::string> BuildDir("p", llvm::cl::value_desc("build dir"), llvm::cl::cat(Category),
                          llvm::cl::desc("parse the files of <build dir>/compile_commands.json under\n"
                                         "--source, with their own commands"));
opt<std::string> DatasetSpec("dataset", llvm::cl::value_desc("dataset"), llvm::cl::cat(Category),
                             llvm::cl::desc("as crinn-bench takes it (fashion-mnist-784-euclidean, ...)"));
opt<std::string> Out("out", llvm::cl::value_desc("dir"), llvm::cl::desc("the report dir"), llvm::cl::cat(Category));
opt<bool> Resume("resume", llvm::cl::desc("continue the run journaled in --out"), llvm::cl::cat(Category));
opt<std::string> PolicyKind("policy", llvm::cl::init("builtin"), llvm::cl::value_desc("p"), llvm::cl::cat(Category),
                            llvm::cl::desc("builtin (the default, offline), llm, random, evolution or bandit;\n"
                                           "llm needs --llm-url, --llm-model and CRINN_LLM_API_KEY in the\n"
                                           "environment if the endpoint wants one (no child process sees it);\n"
                                           "random (uniform random search), evolution (a (1+lambda) search from\n"
                                           "the best plan) and bandit (OpenTuner's AUC bandit over rewrite\n"
                                           "kinds) search the same space: yardsticks for the built-in one"));
opt<std::string> LlmUrl("llm-url", llvm::cl::value_desc("url"), llvm::cl::cat(Category),
                        llvm::cl::desc("the llm policy's OpenAI-compatible chat completions endpoint"));
opt<std::string> LlmModel("llm-model", llvm::cl::value_desc("name"), llvm::cl::cat(Category),
                          llvm::cl::desc("the model the llm policy asks"));
NumberOption<double> LlmTimeout("llm-timeout", InRange{0.001, 86400.0}, llvm::cl::value_desc("s"),
                                llvm::cl::desc("seconds one request to the endpoint may take (default 120)"),
                                llvm::cl::cat(Category));
NumberOption<int> LlmRetries("llm-retries", InRange{0, 100}, llvm::cl::value_desc("n"), llvm::cl::cat(Category),
                             llvm::cl::desc("retries of a request that times out, fails to connect or gets\n"
                                            "HTTP 429 or 5xx, with backoff from 1 s (default 3); a policy that\n"
                                            "proposes no plan in 3 rounds in a row stops the run with the cause"));
opt<std::string> PolicyInit("policy-init", llvm::cl::value_desc("file"), llvm::cl::cat(Category),
                            llvm::cl::desc("start the policy from a policy.json that a run of the\n"
                                           "same --policy saved (not llm)"));
NumberOption<int> Iterations("iterations", InRange{1, 1 << 20}, llvm::cl::value_desc("n"),
                             llvm::cl::desc("rounds of proposals (default 4)"), llvm::cl::cat(Category));
opt<std::string> TimeBudget("time-budget", llvm::cl::value_desc("t"), llvm::cl::cat(Category),
                            llvm::cl::desc("stop starting rounds after t (e.g. 600s, 30m, 1h); with\n"
                                           "--iterations too, whichever comes first"));
NumberOption<int> Group("group", InRange{1, 1024}, llvm::cl::value_desc("n"),
                        llvm::cl::desc("plans per round (default 4)"), llvm::cl::cat(Category));
NumberList<int> Efs("ef", llvm::cl::CommaSeparated, InRange{1, 1 << 20}, llvm::cl::value_desc("list"),
                    llvm::cl::desc("ef sweep (default crinn-bench's)"), llvm::cl::cat(Category));
NumberOption<int> Runs("runs", InRange{1, 1000}, llvm::cl::value_desc("n"),
                       llvm::cl::desc("timed runs per point (default 3)"), llvm::cl::cat(Category));
NumberOption<int> CompareRuns("compare-runs", InRange{1, 1000}, llvm::cl::value_desc("n"),
                              llvm::cl::desc("timed runs per point of the closing comparison (default 5)"),
                              llvm::cl::cat(Category));
NumberOption<int> MaxRepetitions(
    "max-repetitions", InRange{1, 1 << 20}, llvm::cl::value_desc("n"), llvm::cl::cat(Category),
    llvm::cl::desc("paired runs a would-be best may take beside the best variant while\n"
                   "the interval of its ratio straddles 1 (default 128); at the cap\n"
                   "the best variant stays"));
NumberOption<long long> Queries("queries", InRange{1LL, 1LL << 30}, llvm::cl::value_desc("n"),
                                llvm::cl::desc("time the first n test queries only (default all)"),
                                llvm::cl::cat(Category));
NumberList<double> RecallWindow("recall-window", llvm::cl::CommaSeparated, InRange{1e-9, 1.0},
                                llvm::cl::value_desc("lo,hi"), llvm::cl::desc("reward window (default 0.85,0.95)"),
                                llvm::cl::cat(Category));
llvm::cl::opt<crinn::bench::RewardShape> Reward("reward", llvm::cl::value_desc("shape"),
                                                 llvm::cl::desc("the reward over the recall window (default area)"),
                                                 llvm::cl::init(crinn::bench::RewardShape::Area),
                                                 crinn::tools::reward_shapes(), llvm::cl::cat(Category));
NumberOption<double> MaxBuildRatio(
    "max-build-ratio", InRange{1e-3, 1e6}, llvm::cl::value_desc("x"), llvm::cl::cat(Category),
    llvm::cl::desc("fail a candidate (reason cost) whose index takes longer to build than\n"
                   "x times the original's, measured in the same run (default: no limit)"));
NumberOption<double> MaxMemoryRatio(
    "max-memory-ratio", InRange{1e-3, 1e6}, llvm::cl::value_desc("x"), llvm::cl::cat(Category),
    llvm::cl::desc("fail a candidate (reason cost) whose index holds more than x times\n"
                   "the original's memory, measured in the same run (default: no limit)"));
llvm::cl::list<std::string> Peers("peer", llvm::cl::value_desc("spec"), llvm::cl::cat(Category),
                                  llvm::cl::desc("an index for the closing comparison, as crinn-bench's\n"
                                                 "--index takes it (hnswlib, faiss-hnsw, <lib.so>...); repeatable"));
opt<std::string> Library("library", llvm::cl::init("libcrinn_hnsw.so"), llvm::cl::value_desc("name"),
                         llvm::cl::desc("what the tree builds (default libcrinn_hnsw.so)"), llvm::cl::cat(Category));
NumberOption<long long> Seed("seed", InRange<long long>{0, std::numeric_limits<long long>::max()},
                             llvm::cl::init(1), llvm::cl::value_desc("n"),
                             llvm::cl::desc("the builtin or random policy's seed (default 1)"),
                             llvm::cl::cat(Category));
NumberOption<long long> LlmContext("llm-context", InRange{8192LL, 1LL << 24}, llvm::cl::value_desc("tokens"),
                              llvm::cl::cat(Category),
                              llvm::cl::desc("the model's context window (default 32768): each prompt fits in it,\n"
                                             "less 4096 tokens for the reply; every exchange is in llm-transcript.jsonl"));
NumberOption<double> LlmPrice("llm-price", InRange{0.0, 1e6}, llvm::cl::value_desc("p"), llvm::cl::cat(Category),
                              llvm::cl::desc("price per 1000 tokens, for the cost per improvement in report.html\n"
                                             "(default: tokens only)"));
NumberOption<long long> TuneSample(
    "tune-sample", InRange{1LL, 1LL << 34}, llvm::cl::value_desc("n"), llvm::cl::cat(Category),
    llvm::cl::desc("tune on n train vectors drawn at random (seeded by --seed, exact\n"
                   "ground truth computed for them), then measure the best variants\n"
                   "on the whole set: the closing comparison is the whole set's, and\n"
                   "confirmation.txt tells whether the sample ranked them right"));
NumberOption<int> ConfirmVariants(
    "confirm-variants", InRange{1, 100}, llvm::cl::value_desc("n"), llvm::cl::cat(Category),
    llvm::cl::desc("with --tune-sample: how many variants the closing comparison measures\n"
                   "on the whole set, the best and the next best by their reward on the\n"
                   "sample, those with an index of their own first (default 5; 1: the best\n"
                   "only, no ranking to confirm); one measured faster than the best there,\n"
                   "paired, becomes the result"));

// Where candidates run (issue 20).
// Registered as --crinn-executor, renamed --executor in main() (clang's tooling holds that name).
opt<std::string> ExecutorKind("crinn-executor", llvm::cl::init("local"), llvm::cl::value_desc("e"), llvm::cl::cat(Category),
                              llvm::cl::desc("where candidates are built and measured: local (the default: here,\n"
                                             "one at a time) or slurm (each a Slurm job; see docs/guide-slurm.md)"));
NumberOption<int> Parallel("parallel", InRange{1, 4096}, llvm::cl::value_desc("n"), llvm::cl::cat(Category),
                           llvm::cl::desc("slurm: jobs in flight (default 1)"));
opt<std::string> SlurmPartition("slurm-partition", llvm::cl::value_desc("p"), llvm::cl::cat(Category),
                                llvm::cl::desc("slurm: the partition jobs go to (default the cluster's)"));
NumberOption<int> SlurmCpus("slurm-cpus", InRange{0, 4096}, llvm::cl::value_desc("n"), llvm::cl::cat(Category),
                            llvm::cl::desc("slurm: cores a job asks for (default 0: a whole node, --exclusive)"));
opt<std::string> SlurmArgs("slurm-args", llvm::cl::value_desc("args"), llvm::cl::cat(Category),
                           llvm::cl::desc("slurm: more sbatch options, e.g. \"--time=30 --constraint=avx2\""));
opt<std::string> SlurmNodeCache("slurm-node-cache", llvm::cl::value_desc("dir"), llvm::cl::cat(Category),
                                llvm::cl::desc("slurm: a node-local dir for each node's reference build and index\n"
                                               "cache (default ${TMPDIR:-/tmp}/crinn-node-cache on the node)"));

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

int run(const char* argv0) {
  // TuneOptions holds the defaults, but for 3 runs per point (a candidate is
  // timed often); each option given replaces its own.
  tune::TuneOptions options;
  options.gates.bench.runs = 3;
  if (Runs.getNumOccurrences()) options.gates.bench.runs = Runs;
  if (!Efs.empty()) options.gates.bench.efs.assign(Efs.begin(), Efs.end());
  if (!RecallWindow.empty()) {
    if (RecallWindow.size() != 2) throw UsageError("--recall-window needs <low>,<high>");
    options.gates.bench.recall_low = RecallWindow[0];
    options.gates.bench.recall_high = RecallWindow[1];
  }
  options.gates.bench.reward = Reward;
  if (MaxBuildRatio.getNumOccurrences()) options.gates.max_build_ratio = MaxBuildRatio;
  if (MaxMemoryRatio.getNumOccurrences()) options.gates.max_memory_ratio = MaxMemoryRatio;
  if (TimeBudget.getNumOccurrences()) {
    options.time_budget_seconds = parse_duration(TimeBudget);
    options.rounds = 1 << 20;
  }
  if (Iterations.getNumOccurrences()) options.rounds = Iterations;
  if (Group.getNumOccurrences()) options.group_size = Group;
  if (CompareRuns.getNumOccurrences()) options.compare_runs = CompareRuns;
  if (ConfirmVariants.getNumOccurrences()) {
    if (!TuneSample.getNumOccurrences()) throw UsageError("--confirm-variants needs --tune-sample");
    options.confirm_variants = ConfirmVariants;
  }
  if (MaxRepetitions.getNumOccurrences()) options.referee.max_repetitions = MaxRepetitions;
  for (const std::string& peer : Peers) {
    try {
      options.peers.push_back(bench::parse_index_spec(peer));
    } catch (const bench::IndexSpecError& e) {
      throw UsageError("--peer: " + std::string(e.what()));
    }
  }
  policy::LlmEndpoint endpoint;
  endpoint.url = LlmUrl;
  endpoint.model = LlmModel;
  if (LlmTimeout.getNumOccurrences()) endpoint.timeout_seconds = LlmTimeout;
  if (LlmRetries.getNumOccurrences()) endpoint.max_attempts = 1 + LlmRetries;
  const std::string &source = Source, &dataset_spec = DatasetSpec, &out = Out, &build_dir = BuildDir;
  const std::string &policy_kind = PolicyKind, &policy_init = PolicyInit, &library = Library;
  const bool resume = Resume;
  const uint64_t seed = uint64_t(Seed.getValue());
  const int64_t queries = Queries;
  const int64_t tune_sample = TuneSample;
  policy::LlmPolicyConfig llm;
  if (LlmContext.getNumOccurrences()) llm.context_tokens = long(LlmContext.getValue());
  if (LlmPrice.getNumOccurrences()) llm.price_per_1k_tokens = LlmPrice;
  const std::string& executor = ExecutorKind;
  const bool parallel_given = Parallel.getNumOccurrences() > 0;
  if (parallel_given) options.slurm.parallel = Parallel;
  options.slurm.partition = SlurmPartition;
  if (SlurmCpus.getNumOccurrences()) options.slurm.cpus = SlurmCpus;
  options.slurm.extra_args = SlurmArgs;
  options.slurm.node_cache = SlurmNodeCache;

  if (source.empty() || dataset_spec.empty() || out.empty()) throw UsageError("--source, --dataset and --out are required");
  if (policy_kind != "llm" && !policy::is_search_policy(policy_kind))
    throw UsageError("--policy is builtin, llm, random, evolution or bandit");
  if (policy_kind == "llm" && !policy_init.empty()) throw UsageError("--policy-init is for the policies that save a state, not llm");
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
                             {"--reward", bench::reward_shape_name(bench.reward)},
                             {"--max-build-ratio", options.gates.max_build_ratio},
                             {"--max-memory-ratio", options.gates.max_memory_ratio},
                             {"--group", options.group_size},
                             {"--library", library},
                             {"--policy", policy_kind}};
  if (resume) tune::check_resume_options(out, measured);
  if (!resume && fs::exists(fs::path(out) / "history.jsonl"))
    throw std::runtime_error(out + ": holds a run already; pass --resume to continue it or choose another --out");

  auto start = std::chrono::steady_clock::now();
  support::StatusLine console;
  options.log = [&](const std::string& message) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "[%7.1fs] ", elapsed);
    console.log(stamp + message);
  };
  options.status = [&](const std::string& state) { console.show(state); };
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
  rewrite::SourceTree tree(*compilations, files, root, rewrite::SourceTree::resource_dir(argv0));

  std::vector<schema::SiteRecord> records(tree.sites().begin(), tree.sites().end());
  // The policy searches prefetches of at most one vector's lines; a plan
  // given by hand may still ask for more.
  schema::cap_vector_lines(records, std::size_t(dataset.train.dim) * sizeof(float));
  nlohmann::json sites = nlohmann::json::array();
  for (const schema::SiteRecord& site : records) sites.push_back(schema::to_json(site));
  sites = {{"sites", sites}};
  options.log(std::to_string(tree.sites().size()) + " sites");

  std::unique_ptr<policy::Policy> policy;
  if (policy_kind != "llm") {
    policy = policy::make_search_policy(policy_kind, schema::offers(records), uint64_t(seed));
    if (!policy_init.empty()) {
      std::ifstream in(policy_init);
      try {
        policy->restore(nlohmann::json::parse(in));
      } catch (const std::exception& e) {
        const std::string kind = policy_kind == "builtin" ? "built-in" : policy_kind;
        throw std::runtime_error(policy_init + ": not a saved " + kind + " policy (" + e.what() + ")");
      }
    }
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
               data::metric_name(dataset.metric), support::probe_cpu(),
               bench::describe_reward(options.gates.bench.reward, options.gates.bench.recall_low,
                                      options.gates.bench.recall_high)};
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

  console.clear();
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
                << " the unmodified source ("
                << bench::describe_reward(options.gates.bench.reward, options.gates.bench.recall_low,
                                          options.gates.bench.recall_high)
                << ", " << closing.repetitions
                << " paired runs; during the run it measured " << tune::format_interval(result.best) << ")\n";
    std::cout << "best plan: " << (fs::path(out) / "plan.json").string() << ", tree: " << (fs::path(out) / "best").string()
              << ", patch: " << (fs::path(out) / "best.patch").string() << "\n";
  }
  std::cout << "report: " << (fs::path(out) / "report.html").string() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tools::take_option_name(ExecutorKind, "executor");
  if (!tools::parse_command_line(argc, argv, "crinn-tune", Category, kOverview)) return 2;
  try {
    return run(argv[0]);
  } catch (const tune::ResumeError& e) {
    std::cerr << "crinn-tune: error: " << e.what() << "\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "crinn-tune: error: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "crinn-tune: error: " << e.what() << "\n";
    return 1;
  }
}
