#include "Tune/Tuner.h"

#include "Bench/Metrics.h"
#include "Bench/Output.h"
#include "Report/ReportPage.h"
#include "Rewrite/Plan.h"
#include "Rewrite/SourceTree.h"
#include "Rewrite/UnifiedDiff.h"
#include "Support/AtomicFile.h"
#include "Support/Hash.h"
#include "Tune/Journal.h"
#include "Verify/Build.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace crinn::tune {

namespace fs = std::filesystem;

namespace {

// The source tree with the rewritten files in place of the originals.
void write_tree(const std::string& root, const std::vector<rewrite::RewrittenFile>& files, const fs::path& dest) {
  fs::remove_all(dest);
  fs::create_directories(dest.parent_path());
  fs::copy(root, dest, fs::copy_options::recursive);
  for (const rewrite::RewrittenFile& file : files)
    support::write_file_atomically(dest / fs::relative(file.path, root), file.rewritten);
}

// A JSON file of the report dir; a damaged one is named, with what is wrong.
nlohmann::json read_json_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot read");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": not valid JSON (" + e.what() + ")");
  }
}

std::string patch_of(const std::string& root, const std::vector<rewrite::RewrittenFile>& files) {
  std::string patch;
  for (const rewrite::RewrittenFile& file : files)
    patch += rewrite::unified_diff(file.original, file.rewritten, fs::relative(file.path, root).string(), file.created);
  return patch;
}

nlohmann::json curve_json(const bench::IndexResult& result) {
  nlohmann::json points = nlohmann::json::array();
  for (const bench::EfResult& p : result.points) points.push_back({{"ef", p.ef}, {"recall", p.recall}, {"qps", p.best_qps()}});
  return points;
}

class Run {
 public:
  Run(rewrite::SourceTree& tree, const data::Dataset& dataset, policy::Policy& policy, const TuneOptions& options)
      : tree_(tree),
        dataset_(dataset),
        policy_(policy),
        options_(options),
        out_(options.out_dir),
        run_cache_key_(run_cache_key(tree, dataset, options)) {
    fs::create_directories(out_ / "work");
  }

  TuneResult run() {
    // Checked before anything is written or built: a damaged journal stops a resume at once.
    std::vector<nlohmann::json> journaled = read_candidates((out_ / "history.jsonl").string());
    write_run_info();
    build_reference();
    resume(journaled);
    // Opened (so created) before the first proposal: the report of a run
    // whose policy never proposes a plan reads an empty journal.
    journal_.emplace((out_ / "history.jsonl").string());
    auto start = std::chrono::steady_clock::now();
    int rounds_without_plan = 0;
    for (int round = next_round_; round < options_.rounds; ++round) {
      double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (options_.time_budget_seconds > 0 && elapsed > options_.time_budget_seconds) break;
      std::vector<policy::Proposal> proposals = policy_.propose(history_, options_.group_size);
      std::vector<policy::Evaluated> group;
      std::string policy_failure;
      for (const policy::Proposal& proposal : proposals) {
        if (!proposal.failure.empty()) {
          ++result_.failed_proposals;
          policy_failure = proposal.failure;
          options_.log("round " + std::to_string(round + 1) + ": the policy proposed no plan: " + proposal.failure);
          continue;
        }
        group.push_back(evaluate(proposal, round));
        history_.push_back(group.back());
      }
      rounds_without_plan = group.empty() && !policy_failure.empty() ? rounds_without_plan + 1 : 0;
      policy_.update(group, history_);
      support::write_file_atomically(out_ / "policy.json", policy_.state().dump(2) + "\n");
      report::write_report_html(out_.string());
      options_.log(progress(round, start));
      if (rounds_without_plan >= options_.max_rounds_without_plan)
        throw PolicyError("no usable plan in " + std::to_string(rounds_without_plan) +
                          " rounds in a row; the last failure: " + policy_failure);
    }
    result_.evaluated = int(history_.size());
    // Always a plan to build with (crinn_optimize): empty when nothing won.
    if (!fs::exists(out_ / "plan.json")) support::write_file_atomically(out_ / "plan.json", schema::to_json(schema::Plan{}).dump(2) + "\n");
    compare();
    report::write_report_html(out_.string());
    return result_;
  }

 private:
  // "round 2 of 4: 8 candidates, 1 failed proposals, failures: compile 1, recall 2; best 1.49x; ETA 3m10s"
  std::string progress(int round, std::chrono::steady_clock::time_point start) const {
    char best[32];
    std::snprintf(best, sizeof best, "%.3fx", result_.best_reward);
    std::string line = "round " + std::to_string(round + 1) + " of " +
                       (options_.time_budget_seconds > 0 ? std::string("the budget") : std::to_string(options_.rounds)) +
                       ": " + std::to_string(history_.size()) + " candidates";
    if (result_.failed_proposals > 0) line += ", " + std::to_string(result_.failed_proposals) + " failed proposals";
    if (!result_.failures.empty()) {
      line += ", failures:";
      for (const auto& [reason, count] : result_.failures) line += " " + reason + " " + std::to_string(count);
    }
    line += "; best " + std::string(best);
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int done = round + 1 - next_round_;
    double left = options_.time_budget_seconds > 0 ? options_.time_budget_seconds - elapsed
                                                   : elapsed / done * (options_.rounds - round - 1);
    if (left > 0) line += "; ETA " + std::to_string(int(left) / 60) + "m" + std::to_string(int(left) % 60) + "s";
    return line;
  }

  // Two candidates whose entries that change the built index
  // (schema::changes_built_index) write the same code build the same index,
  // and the second loads the first's; a candidate without such entries
  // loads the reference's. The key is the code those entries write (the files they rewrite, as
  // rewritten), so an entry that writes what is there already (a constant
  // set to its current value) keys as the reference; beside it, what every
  // index of the run shares (run_cache_key).
  std::string index_file(const schema::Plan& plan) {
    schema::Plan relevant;
    for (const schema::PlanEntry& entry : plan)
      for (const sites::Site& site : tree_.sites())
        if (site.id == entry.site && site.option(entry.rewrite) &&
            schema::changes_built_index(site, *site.option(entry.rewrite), &entry.params))
          relevant.push_back(entry);
    std::string code;
    if (!relevant.empty())
      for (const rewrite::RewrittenFile& file : tree_.apply(relevant, rewrite::SourceTree::Record::Nothing))
        if (file.rewritten != file.original) code += fs::relative(file.path, tree_.root()).string() + "\n" + file.rewritten;
    // Stable across runs, so that a resumed run finds its cache.
    std::string name = support::Hash().add(run_cache_key_).add(code).hex() + ".index";
    return (out_ / "work" / "index-cache" / name).string();
  }

  // What every index of the run is built from besides the plan: the dataset
  // (train set and metric), the library and every file of the unmodified
  // tree, so that a run in a report dir whose cache holds another dataset's
  // or an edited tree's indexes builds its own.
  static std::string run_cache_key(const rewrite::SourceTree& tree, const data::Dataset& dataset,
                                   const TuneOptions& options) {
    support::Hash hash;
    hash.add(data::train_fingerprint(dataset)).add(options.library_name);
    std::vector<fs::path> files;
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(tree.root()))
      if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) hash.add(fs::relative(file, tree.root()).string()).add_file(file.string());
    return hash.hex();
  }

  // Keeps the reference's index, the best variant's and the few most
  // recently used others: on a large dataset each is hundreds of MB.
  void evict_indexes(const fs::path& keep) {
    constexpr size_t kKept = 6;
    fs::path cache = keep.parent_path();
    fs::create_directories(cache);
    std::error_code ignored;
    if (fs::exists(keep)) fs::last_write_time(keep, fs::file_time_type::clock::now(), ignored);
    std::vector<fs::directory_entry> files;
    for (const fs::directory_entry& entry : fs::directory_iterator(cache))
      if (entry.path().extension() == ".index") files.push_back(entry);
    if (files.size() <= kKept) return;
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
      return a.last_write_time() > b.last_write_time();
    });
    for (size_t i = kKept; i < files.size(); ++i)
      if (files[i].path() != keep && files[i].path() != reference_.index_file && files[i].path() != best_index_file_)
        fs::remove_all(files[i].path(), ignored);
  }

  void write_run_info() {
    nlohmann::json info = options_.run_info;
    const bench::BenchConfig& bench = options_.gates.bench;
    info["recall_low"] = bench.recall_low;
    info["recall_high"] = bench.recall_high;
    info["efs"] = bench.efs;
    info["runs"] = bench.runs;
    info["group"] = options_.group_size;
    info["queries"] = dataset_.test.rows;
    support::write_file_atomically(out_ / "run.json", info.dump(2) + "\n");
  }

  // The library of the best variant, kept for the closing comparison; after a
  // resume in a dir whose copy is gone, rebuilt from best/.
  std::string best_library() {
    fs::path kept = out_ / "work" / "best-library" / options_.library_name;
    if (fs::exists(kept)) return kept.string();
    verify::BuildResult built = verify::build_tree((out_ / "best").string(), (out_ / "work" / "best-build").string(),
                                                   build_options(result_.best_plan));
    if (!built.error.empty()) throw std::runtime_error((out_ / "best").string() + ": no longer builds: " + built.error);
    keep_best_library(built.library);
    return kept.string();
  }

  void keep_best_library(const std::string& library) {
    fs::path kept = out_ / "work" / "best-library" / options_.library_name;
    fs::create_directories(kept.parent_path());
    fs::path temporary = support::temporary_path_for(kept);
    fs::copy_file(library, temporary);
    support::commit_temporary(temporary, kept);
  }

  // How a tree of `plan` is built: a profile-guided plan trains on this run's dataset.
  verify::BuildOptions build_options(const schema::Plan& plan) const {
    verify::BuildOptions build{options_.crinn_include_dir, options_.library_name, options_.build_timeout_seconds};
    if (schema::profile_guided(plan)) build.profile_training = &dataset_;
    build.training_limits = options_.gates.bench.limits;
    return build;
  }

  // The before/after table: the original, the best variant and the peers in one interleaved run.
  void compare() {
    // Built afresh, not loaded from the cache, so that the table shows build time and memory.
    std::vector<bench::IndexSpec> indexes = {{"original", reference_.library, "", ""}};
    if (!result_.best_plan.empty()) indexes.push_back({"best", best_library(), "", ""});
    for (const bench::IndexSpec& peer : options_.peers) indexes.push_back(peer);
    options_.log("closing comparison of " + std::to_string(indexes.size()) + " indexes");
    bench::BenchConfig config = options_.comparison_config();
    result_.comparison = bench::run_benchmark(dataset_, indexes, config, options_.log);
    std::ostringstream tables;
    bench::print_tables(tables, dataset_, result_.comparison, config);
    support::write_file_atomically(out_ / "comparison.txt", tables.str());
    support::write_file_atomically(out_ / "comparison.json", bench::to_json(dataset_, result_.comparison, config));
    support::write_file_atomically(out_ / "comparison.svg", bench::to_svg(dataset_, result_.comparison, config));
  }

  void build_reference() {
    fs::path dir = out_ / "work" / "reference";
    write_tree(tree_.root(), {}, dir / "tree");
    verify::BuildResult built = verify::build_tree((dir / "tree").string(), (dir / "build").string(), build_options({}));
    if (!built.error.empty()) throw std::runtime_error(tree_.root() + ": the unmodified source does not build: " + built.error);
    reference_ = bench::IndexSpec{"reference", built.library, "", index_file({})};
    observe_rebuild_cost(built.seconds);
  }

  // Builds the reference's index (into the cache, which every candidate that
  // keeps its build loads from) and searches it once, to tell the policy what
  // a candidate that builds its own index costs: the build, against a
  // compile and two searches (the candidate's and the reference's).
  void observe_rebuild_cost(double compile_seconds) {
    auto start = std::chrono::steady_clock::now();
    bench::IndexResult measured = bench::run_benchmark(dataset_, {reference_}, options_.gates.bench, [](auto&) {})[0];
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!measured.failure.empty()) throw std::runtime_error(tree_.root() + ": the unmodified source fails: " + measured.failure);
    if (!measured.built || measured.loaded) return;  // a resumed run: the policy's saved state has it
    reference_build_seconds_ = measured.build_seconds;
    double search_seconds = std::max(seconds - measured.build_seconds, 0.0);
    double cost = measured.build_seconds / std::max(compile_seconds + 2.0 * search_seconds, 1e-3);
    char line[200];
    std::snprintf(line, sizeof line,
                  "reference: compiled in %.1f s, index built in %.1f s, searched in %.1f s: an index rebuild costs "
                  "%.2f evaluations",
                  compile_seconds, measured.build_seconds, search_seconds, cost);
    options_.log(line);
    policy_.observe_rebuild_cost(cost);
  }

  void resume(const std::vector<nlohmann::json>& journaled) {
    for (const nlohmann::json& record : journaled) {
      policy::Evaluated e;
      e.plan = schema::plan_from_json(record.at("plan"), "history.jsonl");
      e.reward = record.at("reward");
      e.failed = record.at("failure") != "none";
      e.parent = record.value("parent", -1);
      history_.push_back(e);
      next_round_ = std::max(next_round_, record.value("round", 0) + 1);
      if (e.failed) ++result_.failures[record.at("failure").get<std::string>()];
      else if (e.reward > result_.best_reward) {
        result_.best_reward = e.reward;
        result_.best_plan = e.plan;
        best_beside_reference_ = beside_reference(record, e.reward);
      }
    }
    if (!result_.best_plan.empty())
      best_index_file_ =
          index_file(rewrite::validate_plan(result_.best_plan, "history.jsonl", tree_.sites()));
    if (!result_.best_plan.empty() && !best_files_current()) {
      // The journal names a best whose files a kill cut short: written again from its plan.
      std::error_code ignored;
      fs::remove_all(out_ / "work" / "best-library", ignored);
      write_best(tree_.apply(rewrite::validate_plan(result_.best_plan, "history.jsonl", tree_.sites())));
    }
    if (!history_.empty() && fs::exists(out_ / "policy.json")) {
      try {
        policy_.restore(read_json_file(out_ / "policy.json"));
      } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error((out_ / "policy.json").string() + ": not a policy state (" + e.what() + ")");
      }
    }
    if (!history_.empty()) options_.log("resuming after " + std::to_string(history_.size()) + " candidates");
  }

  // Measures candidate against the reference; returns the reward ratio.
  std::pair<verify::Verdict, double> measure(const bench::IndexSpec& candidate, bool preserving) {
    verify::GateConfig gates = options_.gates;
    // A candidate whose build is far slower than the reference's (large
    // construction constants) is a timeout, not a stall of the whole run.
    if (reference_build_seconds_ > 0.0)
      gates.bench.limits.build_timeout_seconds = std::min(
          gates.bench.limits.build_timeout_seconds, std::max(kMinBuildLimit, kBuildLimitFactor * reference_build_seconds_));
    verify::Verdict verdict = verify::verify_candidate(dataset_, candidate, reference_, preserving, gates);
    double low = options_.gates.bench.recall_low, high = options_.gates.bench.recall_high;
    double reference = bench::auc_reward(verdict.parent.curve(), low, high);
    if (reference <= 0.0)
      throw std::runtime_error("the unmodified source earns no reward in the window [" + std::to_string(low) + ", " +
                               std::to_string(high) + "]: choose a window it reaches");
    return {verdict, verdict.failure == verify::Failure::None
                         ? bench::auc_reward(verdict.candidate.curve(), low, high) / reference
                         : 0.0};
  }

  // The candidate's QPS-recall area as a ratio to the best variant's, the
  // two measured in one interleaved run; nothing if the best failed there.
  std::optional<double> ratio_to_best(const bench::IndexSpec& candidate) {
    bench::IndexSpec best{"best", best_library(), "", best_index_file_};
    const bench::BenchConfig& config = options_.gates.bench;
    std::vector<bench::IndexResult> results = bench::run_benchmark(dataset_, {best, candidate}, config, [](auto&) {});
    if (!results[0].failure.empty()) {
      options_.log("the best variant failed beside a contender: " + results[0].failure);
      return std::nullopt;
    }
    if (!results[1].failure.empty()) return 0.0;
    return bench::auc_reward(results[1].curve(), config.recall_low, config.recall_high) /
           bench::auc_reward(results[0].curve(), config.recall_low, config.recall_high);
  }

  // What a journaled candidate measured beside the reference: a contender's
  // reward is its ratio to the best, scaled.
  static double beside_reference(const nlohmann::json& record, double reward) {
    return record.contains("ratios_to_best") ? record.at("first_reward").get<double>() : reward;
  }

  // A reward measured beside the reference only is not trusted to rank a
  // candidate against the best. Before there is a best variant, a would-be
  // best is measured again beside the reference and keeps the lower ratio.
  // After, who contends is decided like for like (the candidate's ratio to
  // the reference against the best's own), and a contender is measured
  // beside the best: its reward is the best's times its ratio there, with no
  // hour's drift between the best's measurement and its own. A winner must
  // be faster there by more than the noise twice (no lucky winners); within
  // the noise it is worth at most the best, since a chain of near-ties won
  // by noise would inflate the best's reward step by step.
  double contend(const bench::IndexSpec& candidate, bool preserving, double reward, nlohmann::json& record) {
    if (result_.best_plan.empty()) {
      if (reward <= result_.best_reward) return reward;
      record["first_reward"] = reward;
      auto [again, second] = measure(candidate, preserving);
      return again.failure == verify::Failure::None ? std::min(reward, second) : 0.0;
    }
    if (reward < (1.0 - options_.contender_margin) * best_beside_reference_) return reward;
    nlohmann::json ratios = nlohmann::json::array();
    std::optional<double> ratio = ratio_to_best(candidate);
    if (!ratio) return reward;
    ratios.push_back(*ratio);
    if (*ratio > 1.0 + kWinMargin) {
      std::optional<double> again = ratio_to_best(candidate);
      if (!again) return reward;
      ratios.push_back(*again);
      ratio = std::min(*ratio, *again);
    }
    record["first_reward"] = reward;
    record["ratios_to_best"] = ratios;
    char line[120];
    std::snprintf(line, sizeof line, "candidate %zu beside the best: %.3fx", history_.size(), *ratio);
    options_.log(line);
    return result_.best_reward * (*ratio > 1.0 + kWinMargin ? *ratio : std::min(*ratio, 1.0));
  }

  policy::Evaluated evaluate(const policy::Proposal& proposal, int round) {
    int index = int(history_.size());
    policy::Evaluated evaluated{proposal.plan, 0.0, true, proposal.parent};
    nlohmann::json record = {{"index", index}, {"round", round}, {"parent", proposal.parent},
                             {"plan", schema::to_json(proposal.plan)}};
    auto finish = [&](const std::string& failure, const std::string& reason) {
      record["failure"] = failure;
      record["reason"] = reason;
      record["reward"] = evaluated.reward;
      if (failure != "none") ++result_.failures[failure];
      journal_->append(record);
      std::string timing;
      if (record.contains("measure_seconds"))
        timing = " (compiled in " + std::to_string(int(record["build_seconds"].get<double>())) + " s, index " +
                 (record["index_loaded"].get<bool>() ? "loaded from the cache" : "built") + ", measured in " +
                 std::to_string(int(record["measure_seconds"].get<double>())) + " s)";
      char reward[32];
      std::snprintf(reward, sizeof reward, "%.3fx", evaluated.reward);
      options_.log("candidate " + std::to_string(index) + ": " +
                   (failure == "none" ? "reward " + std::string(reward) : failure + ": " + reason) + timing);
      return evaluated;
    };

    schema::Plan plan;
    std::vector<rewrite::RewrittenFile> files;
    std::string cached_index;
    try {
      plan = rewrite::validate_plan(proposal.plan, "proposal", tree_.sites());
      files = tree_.apply(plan);
      cached_index = index_file(plan);
    } catch (const std::exception& e) {
      return finish("invalid", e.what());
    }
    bool preserving = true;
    for (const schema::PlanEntry& entry : plan)
      for (const sites::Site& site : tree_.sites())
        if (site.id == entry.site && site.option(entry.rewrite))
          preserving &= !schema::changes_results(*site.option(entry.rewrite), &entry.params);
    record["preserves_results"] = preserving;

    fs::path dir = out_ / "work" / std::to_string(index);
    write_tree(tree_.root(), files, dir / "tree");
    verify::BuildResult built =
        verify::build_tree((dir / "tree").string(), (dir / "build").string(), build_options(plan));
    record["build_seconds"] = built.seconds;
    if (!built.error.empty()) {
      fs::remove_all(dir);
      return finish(verify::failure_kind(built), built.error);
    }

    bench::IndexSpec candidate{"candidate", built.library, "", cached_index};
    evict_indexes(candidate.index_file);
    auto measure_start = std::chrono::steady_clock::now();
    auto [verdict, reward] = measure(candidate, preserving);
    auto measured_for = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - measure_start).count(); };
    record["measure_seconds"] = measured_for();
    record["index_loaded"] = verdict.candidate.loaded;
    record["curve"] = curve_json(verdict.candidate);
    record["reference_curve"] = curve_json(verdict.parent);
    if (verdict.failure != verify::Failure::None) {
      fs::remove_all(dir);
      return finish(verify::failure_name(verdict.failure), verdict.reason);
    }
    reward = contend(candidate, preserving, reward, record);
    record["measure_seconds"] = measured_for();
    evaluated.reward = reward;
    evaluated.failed = false;
    bool became_best = reward > result_.best_reward;
    if (became_best) {
      result_.best_reward = reward;
      result_.best_plan = proposal.plan;
      best_index_file_ = cached_index;
      best_beside_reference_ = beside_reference(record, reward);
    }
    // The journal first: a kill before the best's files are all written
    // leaves a journal whose best resume() writes again (best_files_current).
    finish("none", "");
    if (became_best) {
      keep_best_library(built.library);
      write_best(files);
    }
    fs::remove_all(dir);
    return evaluated;
  }

  // The best variant's files: best/ (replaced in one rename), its patch and
  // fixes, and plan.json last, which marks them complete.
  void write_best(const std::vector<rewrite::RewrittenFile>& files) {
    fs::path staging = support::make_staging_directory(out_ / "best");
    write_tree(tree_.root(), files, staging);
    support::replace_directory(staging, out_ / "best");
    support::write_file_atomically(out_ / "best.patch", patch_of(tree_.root(), files));
    support::write_file_atomically(out_ / "fixes.yaml", rewrite::fixes_yaml(files, files.empty() ? tree_.root() : files.front().path));
    support::write_file_atomically(out_ / "plan.json", schema::to_json(result_.best_plan).dump(2) + "\n");
  }

  bool best_files_current() const {
    if (!fs::exists(out_ / "plan.json") || !fs::exists(out_ / "best")) return false;
    try {
      return read_json_file(out_ / "plan.json") == schema::to_json(result_.best_plan);
    } catch (const std::exception&) {
      return false;
    }
  }

  rewrite::SourceTree& tree_;
  const data::Dataset& dataset_;
  policy::Policy& policy_;
  const TuneOptions& options_;
  fs::path out_;
  std::string run_cache_key_;
  bench::IndexSpec reference_;
  std::string best_index_file_;  // the best variant's cached index, which contenders are measured beside
  double best_beside_reference_ = 1.0;  // the best's reward as it measured beside the reference
  double reference_build_seconds_ = 0.0;  // its index build; 0 when it was loaded
  static constexpr double kBuildLimitFactor = 4.0, kMinBuildLimit = 60.0;
  // The noise of a ratio beside the best: on Fashion-MNIST (1,000 queries,
  // best of 2) one candidate's two ratios differ by 0.03 typically.
  static constexpr double kWinMargin = 0.03;
  std::optional<Journal> journal_;  // history.jsonl, open from the first round on
  std::vector<policy::Evaluated> history_;
  int next_round_ = 0;
  TuneResult result_;
};

}  // namespace

void check_resume_options(const std::string& out_dir, const nlohmann::json& options) {
  fs::path run_file = fs::path(out_dir) / "run.json";
  if (!fs::exists(run_file)) {
    if (fs::exists(fs::path(out_dir) / "history.jsonl"))
      throw ResumeError(run_file.string() + ": missing, so the run's options cannot be compared with these; start a new --out");
    return;
  }
  nlohmann::json run = read_json_file(run_file);
  if (!run.is_object() || !run.contains("options") || !run["options"].is_object())
    throw ResumeError(run_file.string() + ": records no options to compare --resume with (an older crinn-tune wrote it); "
                                          "start a new --out");
  auto shown = [](const nlohmann::json& value) { return value.is_string() ? "'" + value.get<std::string>() + "'" : value.dump(); };
  for (const auto& [name, value] : options.items()) {
    const nlohmann::json& recorded = run["options"].contains(name) ? run["options"][name] : nlohmann::json();
    if (recorded != value)
      throw ResumeError(name + ": " + shown(value) + " differs from " + shown(recorded) + ", what the run in " + out_dir +
                        " measured with; resume with the run's options or choose another --out");
  }
}

TuneResult tune(rewrite::SourceTree& tree, const data::Dataset& dataset, policy::Policy& policy,
                const TuneOptions& options) {
  return Run(tree, dataset, policy, options).run();
}

}  // namespace crinn::tune
