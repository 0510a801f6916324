#include "Tune/Tuner.h"

#include "Bench/Metrics.h"
#include "Bench/Output.h"
#include "Rewrite/Plan.h"
#include "Rewrite/SourceTree.h"
#include "Rewrite/UnifiedDiff.h"
#include "Support/AtomicFile.h"
#include "Tune/IndexCache.h"
#include "Tune/PairedRuns.h"
#include "Tune/ReportDir.h"
#include "Verify/Build.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
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

std::string patch_of(const std::string& root, const std::vector<rewrite::RewrittenFile>& files) {
  std::string patch;
  for (const rewrite::RewrittenFile& file : files)
    patch += rewrite::unified_diff(file.original, file.rewritten, fs::relative(file.path, root).string(), file.created);
  return patch;
}

// What a policy sees of a candidate's code: its patch, cut to this size
// (a rewrite of a large file must not fill a history of thousands).
constexpr size_t kPolicyDiffLimit = 8192;

std::string policy_diff(const std::string& root, const std::vector<rewrite::RewrittenFile>& files) {
  std::string patch = patch_of(root, files);
  if (patch.size() <= kPolicyDiffLimit) return patch;
  return patch.substr(0, patch.rfind('\n', kPolicyDiffLimit) + 1) + "[... the rest of the patch is cut]\n";
}

nlohmann::json curve_json(const bench::IndexResult& result) {
  nlohmann::json points = nlohmann::json::array();
  for (const bench::EfResult& p : result.points) points.push_back({{"ef", p.ef}, {"recall", p.recall}, {"qps", p.best_qps()}});
  return points;
}

nlohmann::json interval_json(const RatioInterval& interval) {
  return {{"ratio", interval.ratio}, {"low", interval.low}, {"high", interval.high}, {"repetitions", interval.repetitions}};
}

// "1.234x [1.101, 1.382] over 6 paired runs"
std::string interval_text(const RatioInterval& interval) {
  return format_interval(interval) + " over " + std::to_string(interval.repetitions) + " paired runs";
}

// The closing comparison of `indexes` (the original first) in one
// interleaved run, each paired run by run with the original, into `result`
// and comparison.{txt,json,svg}. The table's "x reward" compares best-of-runs
// curves; the paired ratios, the headline, cancel the load of each moment.
void closing_comparison(const data::Dataset& dataset, const std::vector<bench::IndexSpec>& indexes,
                        const TuneOptions& options, const NoiseFloor& floor, const ReportDir& dir, TuneResult& result) {
  bench::BenchConfig config = options.comparison_config();
  result.comparison = bench::run_benchmark(dataset, indexes, config, options.log);
  result.comparison_ratios = ratios_to_first(result.comparison, floor, config, options.referee);
  nlohmann::json ratios = nlohmann::json::array();
  std::ostringstream tables;
  bench::print_tables(tables, dataset, result.comparison, config);
  tables << "\nReward ratios to the original, paired run by run (geometric mean, " << 100.0 * options.referee.confidence
         << " % bootstrap interval including the noise floor: the original beside a copy of itself measured "
         << format_interval(floor.aa) << "); unlike the table's best-of-runs x reward, the headline:\n";
  for (size_t i = 1; i < result.comparison.size(); ++i) {
    const std::string& label = result.comparison[i].spec.label;
    const RatioInterval& ratio = result.comparison_ratios[i];
    if (ratio.repetitions == 0) {
      tables << "  " << label << ": failed\n";
      continue;
    }
    nlohmann::json entry = interval_json(ratio);
    entry["index"] = label;
    ratios.push_back(entry);
    tables << "  " << label << std::string(std::max<size_t>(1, 14 - label.size()), ' ') << interval_text(ratio) << "\n";
  }
  nlohmann::json comparison = nlohmann::json::parse(bench::to_json(dataset, result.comparison, config));
  comparison["paired_ratios"] = ratios;
  dir.write_text("comparison.txt", tables.str());
  dir.write_json("comparison.json", comparison);
  dir.write_text("comparison.svg", bench::to_svg(dataset, result.comparison, config));
}

// A candidate's reward beside the reference, over all its paired runs, and
// whether it became the best.
struct Scored {
  RatioInterval reward;
  bool became_best = false;
};

class Run {
 public:
  Run(rewrite::SourceTree& tree, const data::Dataset& dataset, policy::Policy& policy, const TuneOptions& options)
      : tree_(tree),
        dataset_(dataset),
        policy_(policy),
        options_(options),
        dir_(options.out_dir),
        cache_(dir_.work("index-cache"), IndexCache::run_key(tree.root(), dataset, options.library_name)) {}

  TuneResult run() {
    // Checked before anything is written or built: a damaged journal stops a resume at once.
    std::vector<nlohmann::json> journaled = dir_.journaled();
    // A resumed run's noise floor, read before run.json is written again.
    std::optional<nlohmann::json> resumed = journaled.empty() ? std::nullopt : dir_.previous_run_info();
    write_run_info();
    build_reference();
    settle_noise_floor(resumed);
    resume(journaled);
    // Opened (so created) before the first proposal: the report of a run
    // whose policy never proposes a plan reads an empty journal.
    dir_.open_journal();
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
      dir_.write_json("policy.json", policy_.state());
      options_.report_dir_updated();
      options_.log(progress(round, start));
      if (rounds_without_plan >= options_.max_rounds_without_plan)
        throw PolicyError("no usable plan in " + std::to_string(rounds_without_plan) +
                          " rounds in a row; the last failure: " + policy_failure);
    }
    result_.evaluated = int(history_.size());
    // Always a plan to build with (crinn_optimize): empty when nothing won.
    if (!fs::exists(dir_.file("plan.json"))) dir_.write_json("plan.json", schema::to_json(schema::Plan{}));
    compare();
    options_.report_dir_updated();
    return result_;
  }

 private:
  // "round 2 of 4: 8 candidates, 1 failed proposals, failures: compile 1, recall 2; best 1.49x [1.38, 1.61]; ETA 3m10s"
  std::string progress(int round, std::chrono::steady_clock::time_point start) const {
    std::string line = "round " + std::to_string(round + 1) + " of " +
                       (options_.time_budget_seconds > 0 ? std::string("the budget") : std::to_string(options_.rounds)) +
                       ": " + std::to_string(history_.size()) + " candidates";
    if (result_.failed_proposals > 0) line += ", " + std::to_string(result_.failed_proposals) + " failed proposals";
    if (!result_.failures.empty()) {
      line += ", failures:";
      for (const auto& [reason, count] : result_.failures) line += " " + reason + " " + std::to_string(count);
    }
    line += result_.best_plan.empty() ? "; best 1.000x (the unmodified source)" : "; best " + format_interval(result_.best);
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
  // loads the reference's. The key is the code those entries write (the
  // files they rewrite, as rewritten), so an entry that writes what is there
  // already (a constant set to its current value) keys as the reference.
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
    return cache_.file_for(code);
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
    if (!floor_log_ratios_.empty())
      info["noise_floor"] = {{"aa", interval_json(result_.noise_floor.aa)},
                             {"run_sd", result_.noise_floor.run_sd},
                             {"log_ratios", floor_log_ratios_}};
    dir_.write_json("run.json", info);
  }

  // The reward of each run of `result` in the window.
  std::vector<double> rewards(const bench::IndexResult& result) const {
    return run_rewards(result, options_.gates.bench.recall_low, options_.gates.bench.recall_high);
  }

  // The ratio of paired runs with its interval; a reward of 0 without any.
  RatioInterval interval(const std::vector<double>& log_ratios) const {
    if (log_ratios.empty()) return {0.0, 0.0, 0.0, 0};
    return ratio_interval(log_ratios, result_.noise_floor, options_.referee);
  }

  // Before the first round, the reference beside a copy of itself in one
  // interleaved run: how far apart two equal indexes measure on this machine
  // now. A resumed run keeps the floor its journal's rewards were measured with.
  void settle_noise_floor(const std::optional<nlohmann::json>& resumed) {
    if (resumed && resumed->contains("noise_floor")) {
      floor_log_ratios_ = resumed->at("noise_floor").at("log_ratios").get<std::vector<double>>();
    } else {
      try {
        floor_log_ratios_ = aa_log_ratios(dataset_, reference_, options_.gates.bench, options_.noise_floor_runs);
      } catch (const std::runtime_error& e) {
        throw std::runtime_error(tree_.root() + ": the unmodified source " + e.what());
      }
    }
    result_.noise_floor = noise_floor(floor_log_ratios_, options_.referee);
    char spread[64];
    std::snprintf(spread, sizeof spread, "; one run's ratio spreads %.1f %%", 100.0 * result_.noise_floor.run_sd);
    options_.log("noise floor: the unmodified source beside a copy of itself " + interval_text(result_.noise_floor.aa) +
                 spread);
    write_run_info();
  }

  std::runtime_error no_reward_in_window() const {
    return std::runtime_error("the unmodified source earns no reward in the window [" +
                              std::to_string(options_.gates.bench.recall_low) + ", " +
                              std::to_string(options_.gates.bench.recall_high) + "]: choose a window it reaches");
  }

  // The library of the best variant, kept for the head-to-heads and the
  // closing comparison; after a resume in a dir whose copy is gone, rebuilt from best/.
  std::string best_library() {
    fs::path kept = dir_.best_library(options_.library_name);
    if (fs::exists(kept)) return kept.string();
    verify::BuildResult built =
        verify::build_tree(dir_.file("best").string(), dir_.work("best-build").string(), build_options(result_.best_plan));
    if (!built.error.empty()) throw std::runtime_error(dir_.file("best").string() + ": no longer builds: " + built.error);
    dir_.keep_best_library(built.library, options_.library_name);
    return kept.string();
  }

  // How a tree of `plan` is built: a profile-guided plan trains on this run's dataset.
  verify::BuildOptions build_options(const schema::Plan& plan) const {
    verify::BuildOptions build{options_.crinn_include_dir, options_.library_name, options_.build_timeout_seconds};
    if (schema::profile_guided(plan)) build.profile_training = &dataset_;
    build.training_limits = options_.gates.bench.limits;
    return build;
  }

  // The before/after table: the original, the best variant and the peers;
  // on a confirmation dataset, the next best variants too.
  void compare() {
    // Built afresh, not loaded from the cache, so that the table shows build time and memory.
    std::vector<bench::IndexSpec> indexes = {{"original", reference_.library, "", ""}};
    std::vector<Confirmed> confirmed;
    if (!result_.best_plan.empty()) {
      indexes.push_back({"best", best_library(), "", ""});
      if (options_.confirmation_dataset) confirmed = build_runners_up(indexes);
    }
    for (const bench::IndexSpec& peer : options_.peers) indexes.push_back(peer);
    const data::Dataset& measured_on = options_.confirmation_dataset ? *options_.confirmation_dataset : dataset_;
    options_.log("closing comparison of " + std::to_string(indexes.size()) + " indexes on " + measured_on.name);
    closing_comparison(measured_on, indexes, options_, result_.noise_floor, dir_, result_);
    if (!confirmed.empty()) write_confirmation(confirmed);
    for (size_t i = 1; i < confirmed.size(); ++i) fs::remove_all(dir_.work("confirm-" + std::to_string(confirmed[i].candidate)));
  }

  // A variant measured on the whole set beside the best: its journal index
  // and its reward on the sample.
  struct Confirmed {
    int candidate;
    double sample_reward;
  };

  // The best variant and the distinct plans that earned the next highest
  // rewards on the sample, up to confirm_variants in all, built afresh and
  // added to `indexes` after "best". Returns them all, the best first.
  std::vector<Confirmed> build_runners_up(std::vector<bench::IndexSpec>& indexes) {
    std::vector<Confirmed> confirmed = {{best_candidate_, result_.best.ratio}};
    std::vector<int> order;
    for (int i = 0; i < int(history_.size()); ++i)
      if (!history_[size_t(i)].failed && i != best_candidate_) order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](int x, int y) { return history_[size_t(x)].reward > history_[size_t(y)].reward; });
    std::vector<std::string> plans_taken = {schema::to_json(result_.best_plan).dump()};
    for (int candidate : order) {
      if (int(confirmed.size()) >= options_.confirm_variants) break;
      const schema::Plan& plan = history_[size_t(candidate)].plan;
      std::string key = schema::to_json(plan).dump();
      if (std::find(plans_taken.begin(), plans_taken.end(), key) != plans_taken.end()) continue;
      plans_taken.push_back(key);
      fs::path dir = dir_.work("confirm-" + std::to_string(candidate));
      write_tree(tree_.root(), tree_.apply(rewrite::validate_plan(plan, "history.jsonl", tree_.sites())), dir / "tree");
      verify::BuildResult built = verify::build_tree((dir / "tree").string(), (dir / "build").string(), build_options(plan));
      if (!built.error.empty()) {
        options_.log("candidate " + std::to_string(candidate) + " no longer builds, not confirmed: " + built.error);
        continue;
      }
      indexes.insert(indexes.begin() + int(confirmed.size()) + 1,
                     bench::IndexSpec{"candidate-" + std::to_string(candidate), built.library, "", ""});
      confirmed.push_back({candidate, history_[size_t(candidate)].reward});
    }
    return confirmed;
  }

  // confirmation.txt/json: each confirmed variant's reward on the sample
  // beside its closing ratio on the whole set, and their rank correlation.
  void write_confirmation(const std::vector<Confirmed>& confirmed) {
    std::vector<double> on_sample, on_whole;
    nlohmann::json variants = nlohmann::json::array();
    std::ostringstream text;
    text << "Tuned on " << dataset_.name << " (" << dataset_.train.rows << " train vectors), confirmed on "
         << options_.confirmation_dataset->name << " (" << options_.confirmation_dataset->train.rows << "):\n";
    for (size_t i = 0; i < confirmed.size(); ++i) {
      const RatioInterval& whole = result_.comparison_ratios.at(i + 1);  // after the original
      const std::string& label = result_.comparison.at(i + 1).spec.label;
      nlohmann::json entry = {{"index", label}, {"candidate", confirmed[i].candidate},
                              {"sample_reward", confirmed[i].sample_reward}};
      char sample[32];
      std::snprintf(sample, sizeof sample, "%.3fx", confirmed[i].sample_reward);
      text << "  " << label << std::string(std::max<size_t>(1, 14 - label.size()), ' ') << "sample " << sample
           << ", whole set ";
      if (whole.repetitions == 0) {
        entry["whole_set"] = nullptr;
        text << "failed: " << result_.comparison.at(i + 1).failure << "\n";
      } else {
        entry["whole_set"] = interval_json(whole);
        text << interval_text(whole) << "\n";
        on_sample.push_back(confirmed[i].sample_reward);
        on_whole.push_back(whole.ratio);
      }
      variants.push_back(entry);
    }
    result_.confirmation_rank_correlation = rank_correlation(on_sample, on_whole);
    char line[160];
    std::snprintf(line, sizeof line, "Spearman rank correlation of the sample's ranking and the whole set's: %.2f (%zu variants)",
                  result_.confirmation_rank_correlation, on_sample.size());
    text << line << "\n";
    dir_.write_text("confirmation.txt", text.str());
    nlohmann::json json = {{"sample", dataset_.name},
                           {"whole_set", options_.confirmation_dataset->name},
                           {"variants", variants},
                           {"rank_correlation", std::isnan(result_.confirmation_rank_correlation)
                                                    ? nlohmann::json(nullptr)
                                                    : nlohmann::json(result_.confirmation_rank_correlation)}};
    dir_.write_json("confirmation.json", json);
    options_.log(line);
  }

  void build_reference() {
    fs::path dir = dir_.work("reference");
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

  // The journal's candidates, and its best (best_records): the last winner,
  // worth its reward beside the reference (an older crinn-tune's
  // "first_reward", where it scaled the reward it ranked by).
  void resume(const std::vector<nlohmann::json>& journaled) {
    for (const nlohmann::json& record : journaled) {
      policy::Evaluated e;
      e.plan = schema::plan_from_json(record.at("plan"), "history.jsonl");
      e.reward = record.at("reward");
      e.failed = record.at("failure") != "none";
      e.parent = record.value("parent", -1);
      if (e.failed) e.failure_reason = record.at("failure").get<std::string>() + ": " + record.value("reason", "");
      if (record.at("failure") != "invalid")
        e.diff = policy_diff(tree_.root(), tree_.apply(rewrite::validate_plan(e.plan, "history.jsonl", tree_.sites())));
      history_.push_back(e);
      next_round_ = std::max(next_round_, record.value("round", 0) + 1);
      if (e.failed) ++result_.failures[record.at("failure").get<std::string>()];
    }
    std::vector<size_t> bests = best_records(journaled);
    if (!bests.empty()) {
      const nlohmann::json& record = journaled[bests.back()];
      double ratio = record.value("first_reward", record.at("reward").get<double>());
      result_.best = {ratio, record.value("reward_low", ratio), record.value("reward_high", ratio),
                      record.value("repetitions", 0)};
      result_.best_plan = history_[bests.back()].plan;
      best_candidate_ = int(bests.back());
    }
    if (!result_.best_plan.empty()) {
      schema::Plan best = rewrite::validate_plan(result_.best_plan, "history.jsonl", tree_.sites());
      best_index_file_ = index_file(best);
      if (!dir_.best_is(schema::to_json(result_.best_plan))) {
        // The journal names a best whose files a kill cut short: written again from its plan.
        std::error_code ignored;
        fs::remove_all(dir_.work("best-library"), ignored);
        write_best(tree_.apply(best));
      }
    }
    if (!history_.empty() && fs::exists(dir_.file("policy.json"))) {
      try {
        policy_.restore(read_json_file(dir_.file("policy.json")));
      } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(dir_.file("policy.json").string() + ": not a policy state (" + e.what() + ")");
      }
    }
    if (!history_.empty()) options_.log("resuming after " + std::to_string(history_.size()) + " candidates");
  }

  // Measures `candidate` beside the reference in one interleaved run and
  // applies the gates; with the log ratios of its paired runs (none if it failed).
  std::pair<verify::Verdict, std::vector<double>> measure(const bench::IndexSpec& candidate, bool preserving) {
    verify::GateConfig gates = options_.gates;
    // A candidate whose build is far slower than the reference's (large
    // construction constants) is a timeout, not a stall of the whole run.
    if (reference_build_seconds_ > 0.0)
      gates.bench.limits.build_timeout_seconds = std::min(
          gates.bench.limits.build_timeout_seconds, std::max(kMinBuildLimit, kBuildLimitFactor * reference_build_seconds_));
    verify::Verdict verdict = verify::verify_candidate(dataset_, candidate, reference_, preserving, gates);
    if (bench::auc_reward(verdict.parent.curve(), gates.bench.recall_low, gates.bench.recall_high) <= 0.0)
      throw no_reward_in_window();
    if (verdict.failure != verify::Failure::None) return {verdict, {}};
    return {verdict, paired_log_ratios(rewards(verdict.parent), rewards(verdict.candidate))};
  }

  // A would-be best (its reward beside the reference above the best's) meets
  // the incumbent (the best variant, or the reference while there is none)
  // head to head, and becomes the best only if the referee calls it the
  // winner. Returns its reward beside the reference, over all its runs:
  // measured directly, never scaled from the incumbent's.
  Scored contend(const bench::IndexSpec& candidate, const std::vector<double>& to_reference, nlohmann::json& record) {
    RatioInterval reward = interval(to_reference);
    if (reward.ratio <= (result_.best_plan.empty() ? 1.0 : result_.best.ratio)) return {reward, false};
    std::optional<bench::IndexSpec> best;
    if (!result_.best_plan.empty()) best = bench::IndexSpec{"best", best_library(), "", best_index_file_};
    HeadToHead contest = head_to_head(dataset_, reference_, best ? &*best : nullptr, candidate, to_reference,
                                      result_.noise_floor, options_.gates.bench, options_.referee);
    if (!contest.failure.empty()) options_.log("failed in a head-to-head: " + contest.failure);
    record["beside_incumbent"] = interval_json(contest.versus);
    record["beside_incumbent"]["incumbent"] = best ? best_candidate_ : -1;
    record["beside_incumbent"]["call"] = call_name(contest.call);
    options_.log("candidate " + std::to_string(history_.size()) + " beside " +
                 (best ? "the best (candidate " + std::to_string(best_candidate_) + ")" : "the unmodified source") +
                 ": " + interval_text(contest.versus) + ": " + call_name(contest.call));
    return {interval(contest.to_reference), contest.call == Call::ChallengerWins};
  }

  policy::Evaluated evaluate(const policy::Proposal& proposal, int round) {
    int index = int(history_.size());
    policy::Evaluated evaluated{proposal.plan, 0.0, true, proposal.parent};
    nlohmann::json record = {{"index", index}, {"round", round}, {"parent", proposal.parent},
                             {"plan", schema::to_json(proposal.plan)}};
    if (!proposal.explanation.empty()) record["explanation"] = proposal.explanation;
    auto finish = [&](const std::string& failure, const std::string& reason) {
      record["failure"] = failure;
      record["reason"] = reason;
      record["reward"] = evaluated.reward;
      if (failure != "none") {
        ++result_.failures[failure];
        evaluated.failure_reason = failure + ": " + reason;
      }
      dir_.journal(record);
      std::string timing;
      if (record.contains("measure_seconds"))
        timing = " (compiled in " + std::to_string(int(record["build_seconds"].get<double>())) + " s, index " +
                 (record["index_loaded"].get<bool>() ? "loaded from the cache" : "built") + ", measured in " +
                 std::to_string(int(record["measure_seconds"].get<double>())) + " s)";
      std::string reward =
          failure == "none" ? "reward " + format_interval({evaluated.reward, record["reward_low"].get<double>(),
                                                           record["reward_high"].get<double>(), 0})
                            : failure + ": " + reason;
      options_.log("candidate " + std::to_string(index) + ": " + reward + timing);
      return evaluated;
    };

    schema::Plan plan;
    std::vector<rewrite::RewrittenFile> files;
    std::string cached_index;
    try {
      plan = rewrite::validate_plan(proposal.plan, "proposal", tree_.sites());
      files = tree_.apply(plan);
      evaluated.diff = policy_diff(tree_.root(), files);
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

    fs::path dir = dir_.work(std::to_string(index));
    write_tree(tree_.root(), files, dir / "tree");
    verify::BuildResult built =
        verify::build_tree((dir / "tree").string(), (dir / "build").string(), build_options(plan));
    record["build_seconds"] = built.seconds;
    if (!built.error.empty()) {
      fs::remove_all(dir);
      return finish(verify::failure_kind(built), built.error);
    }

    bench::IndexSpec candidate{"candidate", built.library, "", cached_index};
    cache_.evict_all_but(candidate.index_file, {reference_.index_file, best_index_file_});
    auto measure_start = std::chrono::steady_clock::now();
    auto [verdict, to_reference] = measure(candidate, preserving);
    auto measured_for = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - measure_start).count(); };
    record["measure_seconds"] = measured_for();
    record["index_loaded"] = verdict.candidate.loaded;
    record["curve"] = curve_json(verdict.candidate);
    record["reference_curve"] = curve_json(verdict.parent);
    if (verdict.failure != verify::Failure::None) {
      fs::remove_all(dir);
      return finish(verify::failure_name(verdict.failure), verdict.reason);
    }
    Scored scored = contend(candidate, to_reference, record);
    record["measure_seconds"] = measured_for();
    record["reward_low"] = scored.reward.low;
    record["reward_high"] = scored.reward.high;
    record["repetitions"] = scored.reward.repetitions;
    record["became_best"] = scored.became_best;
    evaluated.reward = scored.reward.ratio;
    evaluated.failed = false;
    if (scored.became_best) {
      result_.best = scored.reward;
      result_.best_plan = proposal.plan;
      best_index_file_ = cached_index;
      best_candidate_ = index;
    }
    // The journal first: a kill before the best's files are all written
    // leaves a journal whose best resume() writes again (ReportDir::best_is).
    finish("none", "");
    if (scored.became_best) {
      dir_.keep_best_library(built.library, options_.library_name);
      write_best(files);
    }
    fs::remove_all(dir);
    return evaluated;
  }

  void write_best(const std::vector<rewrite::RewrittenFile>& files) {
    dir_.write_best([&](const fs::path& staging) { write_tree(tree_.root(), files, staging); },
                    patch_of(tree_.root(), files),
                    rewrite::fixes_yaml(files, files.empty() ? tree_.root() : files.front().path),
                    schema::to_json(result_.best_plan));
  }

  rewrite::SourceTree& tree_;
  const data::Dataset& dataset_;
  policy::Policy& policy_;
  const TuneOptions& options_;
  ReportDir dir_;
  IndexCache cache_;
  bench::IndexSpec reference_;
  std::vector<double> floor_log_ratios_;  // the A/A run's, kept in run.json for a resume
  std::string best_index_file_;  // the best variant's cached index, which head-to-heads load
  int best_candidate_ = -1;      // its index in the journal
  double reference_build_seconds_ = 0.0;  // its index build; 0 when it was loaded
  static constexpr double kBuildLimitFactor = 4.0, kMinBuildLimit = 60.0;
  std::vector<policy::Evaluated> history_;
  int next_round_ = 0;
  TuneResult result_;
};

}  // namespace

TuneResult tune(rewrite::SourceTree& tree, const data::Dataset& dataset, policy::Policy& policy,
                const TuneOptions& options) {
  return Run(tree, dataset, policy, options).run();
}

}  // namespace crinn::tune
