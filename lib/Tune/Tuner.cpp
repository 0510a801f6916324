#include "Tune/Tuner.h"

#include "Bench/Metrics.h"
#include "Bench/Output.h"
#include "Rewrite/Plan.h"
#include "Rewrite/SourceTree.h"
#include "Rewrite/UnifiedDiff.h"
#include "Support/AtomicFile.h"
#include "Tune/IndexCache.h"
#include "Tune/Job.h"
#include "Tune/PairedRuns.h"
#include "Tune/ReportDir.h"
#include "Verify/Build.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
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

nlohmann::json interval_json(const RatioInterval& interval) {
  return {{"ratio", interval.ratio}, {"low", interval.low}, {"high", interval.high}, {"repetitions", interval.repetitions}};
}

// "1.234x [1.101, 1.382] over 6 paired runs"
std::string interval_text(const RatioInterval& interval) {
  return format_interval(interval) + " over " + std::to_string(interval.repetitions) + " paired runs";
}

// The closing comparison of `indexes` (the original first) in one
// interleaved run, each paired run by run with the original, into `result`.
void closing_comparison(const data::Dataset& dataset, const std::vector<bench::IndexSpec>& indexes,
                        const TuneOptions& options, const NoiseFloor& floor, TuneResult& result) {
  bench::BenchConfig config = options.comparison_config();
  result.comparison = bench::run_benchmark(dataset, indexes, config, options.log);
  result.comparison_ratios = ratios_to_first(result.comparison, floor, config, options.referee);
}

// comparison.{txt,json,svg} of the closing comparison in `result`. The
// table's "x reward" compares best-of-runs curves; the paired ratios, the
// headline, cancel the load of each moment.
void write_comparison(const data::Dataset& dataset, const TuneOptions& options, const NoiseFloor& floor,
                      const ReportDir& dir, const TuneResult& result) {
  bench::BenchConfig config = options.comparison_config();
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

TuneOptions with_contest_bound(TuneOptions options) {
  if (options.referee.max_seconds <= 0.0 && options.time_budget_seconds > 0.0)
    options.referee.max_seconds = kContestShareOfBudget * options.time_budget_seconds;
  return options;
}

class Run {
 public:
  Run(rewrite::SourceTree& tree, const data::Dataset& dataset, policy::Policy& policy, const TuneOptions& options)
      : tree_(tree),
        dataset_(dataset),
        policy_(policy),
        options_(with_contest_bound(options)),
        dir_(options.out_dir),
        run_key_(IndexCache::run_key(tree.root(), dataset, options.library_name)),
        cache_(dir_.work("index-cache"), run_key_) {}

  TuneResult run() {
    // Checked before anything is written or built: a damaged journal stops a resume at once.
    std::vector<nlohmann::json> journaled = dir_.journaled();
    // A resumed run's noise floor, read before run.json is written again.
    std::optional<nlohmann::json> resumed = journaled.empty() ? std::nullopt : dir_.previous_run_info();
    write_run_info();
    build_reference();
    settle_noise_floor(resumed);
    resume(journaled);
    std::optional<nlohmann::json> unfinished_round;
    if (options_.executor == Executor::Slurm) unfinished_round = start_slurm();
    else unfinished_round = unfinished_local_round();
    // Opened (so created) before the first proposal: the report of a run
    // whose policy never proposes a plan reads an empty journal.
    dir_.open_journal();
    auto start = std::chrono::steady_clock::now();
    int rounds_without_plan = 0;
    for (int round = next_round_; round < options_.rounds; ++round) {
      double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (options_.time_budget_seconds > 0 && elapsed > options_.time_budget_seconds) break;
      std::vector<policy::Proposal> proposals;
      if (unfinished_round) {
        // The round a kill interrupted, as it was proposed: its plans, and the policy as it was after proposing them.
        proposals = proposals_from_json(unfinished_round->at("proposals"));
        policy_.restore(unfinished_round->at("policy"));
        unfinished_round.reset();
      } else {
        proposals = policy_.propose(history_, options_.group_size);
        write_round(round, proposals);
      }
      std::vector<policy::Evaluated> group;
      std::string policy_failure;
      for (const policy::Proposal& proposal : proposals) {
        if (proposal.failure.empty()) continue;
        ++result_.failed_proposals;
        policy_failure = proposal.failure;
        options_.log("round " + std::to_string(round + 1) + ": the policy proposed no plan: " + proposal.failure);
      }
      if (slurm_) {
        group = evaluate_on_slurm(proposals, round);
      } else {
        // A resumed round keeps the candidates a kill left journaled (they
        // were evaluated in proposal order) and evaluates the rest.
        int first = int(history_.size());
        while (first > 0 && round_of_[size_t(first - 1)] == round) --first;
        group.assign(history_.begin() + first, history_.end());
        size_t evaluated_before = group.size();
        for (const policy::Proposal& proposal : proposals) {
          if (!proposal.failure.empty()) continue;
          if (evaluated_before > 0) {
            --evaluated_before;
            continue;
          }
          group.push_back(evaluate(proposal, round));
          history_.push_back(group.back());
          round_of_.push_back(round);
          options_.status(progress(round, int(group.size()), start));
        }
      }
      rounds_without_plan = group.empty() && !policy_failure.empty() ? rounds_without_plan + 1 : 0;
      policy_.update(group, history_);
      dir_.write_json("policy.json", policy_.state());
      if (slurm_) job_events_->append({{"event", "round_done"}, {"round", round}});
      options_.report_dir_updated();
      const std::string state = progress(round, options_.group_size, start);
      options_.log(state);
      options_.status(state);
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
  std::string progress(int round, int in_round, std::chrono::steady_clock::time_point start) const {
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
    // Rounds done in this process, the current one in part.
    double done = round - next_round_ + double(in_round) / std::max(1, options_.group_size);
    double left = options_.time_budget_seconds > 0 ? options_.time_budget_seconds - elapsed
                  : done > 0                       ? elapsed / done * (options_.rounds - next_round_ - done)
                                                   : 0.0;
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
    info["reward"] = bench::reward_shape_name(bench.reward);
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
    std::vector<RatioInterval> on_sample;
    if (confirmed.size() > 1) on_sample = remeasure_on_sample(indexes, confirmed.size());
    options_.log("closing comparison of " + std::to_string(indexes.size()) + " indexes on " + measured_on.name);
    closing_comparison(measured_on, indexes, options_, result_.noise_floor, result_);
    if (confirmed.size() > 1) promote_runner_up(confirmed, on_sample);
    write_comparison(measured_on, options_, result_.noise_floor, dir_, result_);
    if (!confirmed.empty()) write_confirmation(confirmed, on_sample);
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
  // Plans that build an index of their own come first: what a sample can
  // mislead is the graph (a degree that holds recall on fewer vectors), and a
  // runner-up that searches the best's index differs from it on the whole set
  // about as it did on the sample.
  std::vector<Confirmed> build_runners_up(std::vector<bench::IndexSpec>& indexes) {
    std::vector<Confirmed> confirmed = {{best_candidate_, result_.best.ratio}};
    std::vector<int> by_reward;
    for (int i = 0; i < int(history_.size()); ++i)
      if (!history_[size_t(i)].failed && i != best_candidate_) by_reward.push_back(i);
    std::stable_sort(by_reward.begin(), by_reward.end(),
                     [&](int x, int y) { return history_[size_t(x)].reward > history_[size_t(y)].reward; });
    std::set<std::string> indexes_taken = {index_file(result_.best_plan)};
    std::vector<int> order, same_index;
    for (int candidate : by_reward)
      (indexes_taken.insert(index_file(history_[size_t(candidate)].plan)).second ? order : same_index).push_back(candidate);
    order.insert(order.end(), same_index.begin(), same_index.end());
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

  // The sample can mislead (a sparser graph holds recall on fewer vectors),
  // so the whole set has the last word: a runner-up measured faster than the
  // best beside it there (paired, its interval above 1) becomes the result,
  // with the best's files, plan and library, and the tables call it "best".
  void promote_runner_up(std::vector<Confirmed>& confirmed, std::vector<RatioInterval>& on_sample) {
    std::vector<bench::IndexResult> versus_best(result_.comparison.begin() + 1,
                                                result_.comparison.begin() + 1 + long(confirmed.size()));
    const std::vector<RatioInterval> to_best =
        ratios_to_first(versus_best, result_.noise_floor, options_.comparison_config(), options_.referee);
    const int promoted = promoted_runner_up(to_best);
    if (promoted < 1) return;
    const size_t at = size_t(promoted) + 1;  // in the comparison, after the original
    const int former = best_candidate_, candidate = confirmed[size_t(promoted)].candidate;
    promotion_ = {{"candidate", candidate}, {"over", former}, {"ratio_to_former_best", interval_json(to_best[size_t(promoted)])}};
    promotion_line_ = "candidate " + std::to_string(candidate) + " beside the best (candidate " + std::to_string(former) +
                      ") on the whole set: " + interval_text(to_best[size_t(promoted)]) + ": it becomes the result";
    options_.log(promotion_line_);
    std::swap(result_.comparison[1], result_.comparison[at]);
    result_.comparison[1].spec.label = "best";
    result_.comparison[at].spec.label = "candidate-" + std::to_string(former);
    std::swap(result_.comparison_ratios[1], result_.comparison_ratios[at]);
    std::swap(confirmed[0], confirmed[size_t(promoted)]);
    std::swap(on_sample[1], on_sample[at]);  // runners-up are always measured again on the sample
    result_.best_plan = history_[size_t(candidate)].plan;
    result_.best = on_sample[1];
    best_candidate_ = candidate;
    dir_.keep_best_library(result_.comparison[1].spec.library, options_.library_name);
    write_best(tree_.apply(rewrite::validate_plan(result_.best_plan, "history.jsonl", tree_.sites())));
  }

  // The confirmed variants measured again on the sample beside the original,
  // in one interleaved run as long as the whole set's. Their rewards during
  // tuning came from shorter runs against whichever best stood then, so a
  // ranking holds or not only between measurements made alike.
  std::vector<RatioInterval> remeasure_on_sample(const std::vector<bench::IndexSpec>& indexes, size_t variants) {
    const std::vector<bench::IndexSpec> on_sample(indexes.begin(), indexes.begin() + 1 + long(variants));
    options_.log("the " + std::to_string(variants) + " confirmed variants on the sample " + dataset_.name +
                 ", beside the original");
    const bench::BenchConfig config = options_.comparison_config();
    const std::vector<bench::IndexResult> results = bench::run_benchmark(dataset_, on_sample, config, options_.log);
    return ratios_to_first(results, result_.noise_floor, config, options_.referee);
  }

  // confirmation.txt/json: each confirmed variant's reward during tuning, its
  // paired ratio on the sample measured again (`on_sample`, original first;
  // empty for the best alone) and on the whole set; the rank correlation of
  // the two measured alike; and of the pairs whose sample intervals do not
  // overlap, how many keep their order on the whole set.
  void write_confirmation(const std::vector<Confirmed>& confirmed, const std::vector<RatioInterval>& on_sample_ratios) {
    std::vector<double> on_sample, on_whole;
    std::vector<RatioInterval> sample_kept;
    nlohmann::json variants = nlohmann::json::array();
    std::ostringstream text;
    text << "Tuned on " << dataset_.name << " (" << dataset_.train.rows << " train vectors), confirmed on "
         << options_.confirmation_dataset->name << " (" << options_.confirmation_dataset->train.rows << "):\n";
    for (size_t i = 0; i < confirmed.size(); ++i) {
      const RatioInterval& whole = result_.comparison_ratios.at(i + 1);  // after the original
      const std::string& label = result_.comparison.at(i + 1).spec.label;
      nlohmann::json entry = {{"index", label}, {"candidate", confirmed[i].candidate},
                              {"tuning_reward", confirmed[i].sample_reward}};
      char tuning[32];
      std::snprintf(tuning, sizeof tuning, "%.3fx", confirmed[i].sample_reward);
      text << "  " << label << std::string(std::max<size_t>(1, 14 - label.size()), ' ') << "tuning " << tuning;
      // Without a re-measure (the best alone), the tuning's reward is the sample's side.
      RatioInterval sample{confirmed[i].sample_reward, confirmed[i].sample_reward, confirmed[i].sample_reward, 0};
      if (!on_sample_ratios.empty()) {
        sample = on_sample_ratios.at(i + 1);
        entry["sample"] = sample.repetitions == 0 ? nlohmann::json(nullptr) : interval_json(sample);
        text << ", sample " << (sample.repetitions == 0 ? std::string("failed") : format_interval(sample));
      }
      text << ", whole set ";
      if (whole.repetitions == 0) {
        entry["whole_set"] = nullptr;
        text << "failed: " << result_.comparison.at(i + 1).failure << "\n";
      } else {
        entry["whole_set"] = interval_json(whole);
        text << interval_text(whole) << "\n";
        if (on_sample_ratios.empty() || sample.repetitions > 0) {
          on_sample.push_back(sample.ratio);
          on_whole.push_back(whole.ratio);
          sample_kept.push_back(sample);
        }
      }
      variants.push_back(entry);
    }
    result_.confirmation_rank_correlation = rank_correlation(on_sample, on_whole);
    char line[160];
    std::snprintf(line, sizeof line, "Spearman rank correlation of the sample's ranking and the whole set's: %.2f (%zu variants)",
                  result_.confirmation_rank_correlation, on_sample.size());
    text << line << "\n";
    options_.log(line);
    // A rank correlation over variants the sample cannot tell apart measures
    // noise; the pairs it does tell apart are the ranking's claim.
    int separated = 0, kept = 0;
    if (!on_sample_ratios.empty()) {
      for (size_t a = 0; a < sample_kept.size(); ++a)
        for (size_t b = 0; b < sample_kept.size(); ++b)
          if (sample_kept[a].low > sample_kept[b].high) {
            ++separated;
            kept += on_whole[a] > on_whole[b];
          }
      std::snprintf(line, sizeof line, "Pairs the sample tells apart (intervals disjoint): %d; in the same order on the whole set: %d",
                    separated, kept);
      text << line << "\n";
      options_.log(line);
    }
    if (!promotion_.is_null()) text << promotion_line_ << "\n";
    dir_.write_text("confirmation.txt", text.str());
    nlohmann::json json = {{"sample", dataset_.name},
                           {"promoted", promotion_},
                           {"whole_set", options_.confirmation_dataset->name},
                           {"variants", variants},
                           {"pairs_separated_on_sample", separated},
                           {"pairs_kept_on_whole_set", kept},
                           {"rank_correlation", std::isnan(result_.confirmation_rank_correlation)
                                                    ? nlohmann::json(nullptr)
                                                    : nlohmann::json(result_.confirmation_rank_correlation)}};
    dir_.write_json("confirmation.json", json);
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
    if (!measured.built) return;
    if (measured.loaded) {  // a resumed run: the policy's saved state has the cost, the cache the build's time
      reference_build_seconds_ = std::max(measured.index_build_seconds, 0.0);
      return;
    }
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
      round_of_.push_back(record.value("round", 0));
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

  // The gates a candidate is measured with.
  verify::GateConfig candidate_gates() const {
    verify::GateConfig gates = options_.gates;
    // A candidate whose build is far slower than the reference's (large
    // construction constants) is a timeout, not a stall of the whole run;
    // with a build-time limit, one well past that limit is stopped there,
    // as the cost gate fails it however it ends.
    if (reference_build_seconds_ > 0.0) {
      double limit = kBuildLimitFactor * reference_build_seconds_;
      if (gates.max_build_ratio > 0.0) limit = std::min(limit, kCostOverrun * gates.max_build_ratio * reference_build_seconds_);
      gates.bench.limits.build_timeout_seconds =
          std::min(gates.bench.limits.build_timeout_seconds, std::max(kMinBuildLimit, limit));
    }
    return gates;
  }

  // A would-be best (its reward beside the reference above the best's) meets
  // the incumbent (the best variant, or the reference while there is none)
  // head to head, and becomes the best only if the referee calls it the
  // winner. Returns its reward beside the reference, over all its runs:
  // measured directly, never scaled from the incumbent's.
  Scored contend(const std::function<bench::IndexSpec()>& challenger, const std::vector<double>& to_reference,
                 nlohmann::json& record) {
    RatioInterval reward = interval(to_reference);
    if (reward.ratio <= (result_.best_plan.empty() ? 1.0 : result_.best.ratio)) return {reward, false};
    bench::IndexSpec candidate = challenger();
    std::optional<bench::IndexSpec> best;
    if (!result_.best_plan.empty()) best = bench::IndexSpec{"best", best_library(), "", best_index_file_};
    HeadToHead contest = head_to_head(dataset_, reference_, best ? &*best : nullptr, candidate, to_reference,
                                      result_.noise_floor, options_.gates.bench, options_.referee);
    if (!contest.failure.empty()) options_.log("failed in a head-to-head: " + contest.failure);
    record["beside_incumbent"] = interval_json(contest.versus);
    record["beside_incumbent"]["incumbent"] = best ? best_candidate_ : -1;
    record["beside_incumbent"]["call"] = call_name(contest.call);
    if (contest.out_of_time) record["beside_incumbent"]["out_of_time"] = true;
    options_.log("candidate " + std::to_string(history_.size()) + " beside " +
                 (best ? "the best (candidate " + std::to_string(best_candidate_) + ")" : "the unmodified source") +
                 ": " + interval_text(contest.versus) + ": " + call_name(contest.call) +
                 (contest.out_of_time ? " (out of its time)" : ""));
    return {interval(contest.to_reference), contest.call == Call::ChallengerWins};
  }

  // A proposal made ready to build: its journal record so far and its plan
  // applied; `invalid` says why it could not be (the candidate's failure).
  struct Prepared {
    int index = 0;
    policy::Proposal proposal;
    nlohmann::json record;
    schema::Plan plan;
    std::vector<rewrite::RewrittenFile> files;
    std::string cached_index;
    std::string diff;  // what the policy sees of its code (policy_diff)
    bool preserving = true;
    std::string invalid;
  };

  Prepared prepare(const policy::Proposal& proposal, int round, int index) {
    Prepared p;
    p.index = index;
    p.proposal = proposal;
    p.record = {{"index", index}, {"round", round}, {"parent", proposal.parent}, {"plan", schema::to_json(proposal.plan)}};
    if (!proposal.explanation.empty()) p.record["explanation"] = proposal.explanation;
    try {
      p.plan = rewrite::validate_plan(proposal.plan, "proposal", tree_.sites());
      p.files = tree_.apply(p.plan);
      p.diff = policy_diff(tree_.root(), p.files);
      p.cached_index = index_file(p.plan);
    } catch (const std::exception& e) {
      p.invalid = e.what();
      return p;
    }
    for (const schema::PlanEntry& entry : p.plan)
      for (const sites::Site& site : tree_.sites())
        if (site.id == entry.site && site.option(entry.rewrite))
          p.preserving &= !schema::changes_results(*site.option(entry.rewrite), &entry.params);
    p.record["preserves_results"] = p.preserving;
    return p;
  }

  // The job of building `tree` (the candidate's rewritten tree) and measuring it beside the reference.
  JobSpec job_spec(const Prepared& p, const fs::path& tree, const fs::path& reference_tree) const {
    JobSpec spec;
    spec.index = p.index;
    spec.tree = tree.string();
    spec.reference_tree = reference_tree.string();
    spec.run_key = run_key_;
    spec.dataset = options_.dataset_spec;
    spec.queries = options_.dataset_queries;
    spec.sample = options_.dataset_sample;
    spec.sample_seed = options_.dataset_sample_seed;
    spec.crinn_include_dir = options_.crinn_include_dir;
    spec.library_name = options_.library_name;
    spec.build_timeout_seconds = options_.build_timeout_seconds;
    spec.profile_guided = schema::profile_guided(p.plan);
    spec.preserving = p.preserving;
    spec.gates = candidate_gates();
    spec.index_file = fs::path(p.cached_index).filename().string();
    spec.reference_index_file = fs::path(reference_.index_file).filename().string();
    if (!best_index_file_.empty()) spec.pinned_index_files = {fs::path(best_index_file_).filename().string()};
    spec.candidate = p.record;
    return spec;
  }

  // Here, in this process: built in work/<index>, beside this process's reference and index cache.
  policy::Evaluated evaluate(const policy::Proposal& proposal, int round) {
    Prepared p = prepare(proposal, round, int(history_.size()));
    if (!p.invalid.empty()) return conclude(p, JobResult{}, {});
    fs::path dir = dir_.work(std::to_string(p.index));
    write_tree(tree_.root(), p.files, dir / "tree");
    JobResult result = run_candidate(job_spec(p, dir / "tree", dir_.work("reference") / "tree"), dataset_, reference_,
                                     cache_, dir / "build");
    policy::Evaluated evaluated = conclude(p, result, [&] { return result.library; });
    fs::remove_all(dir);
    return evaluated;
  }

  // Journals a candidate from its job's result; a would-be best meets the
  // incumbent here, with the library `library` gives (built on demand).
  policy::Evaluated conclude(Prepared& p, const JobResult& result, const std::function<std::string()>& library) {
    policy::Evaluated evaluated{p.proposal.plan, 0.0, true, p.proposal.parent};
    evaluated.diff = p.diff;
    nlohmann::json& record = p.record;
    int index = p.index;
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
    if (!p.invalid.empty()) return finish("invalid", p.invalid);
    if (result.reference_without_reward) throw no_reward_in_window();
    if (slurm_ && !result.node.empty()) record["node"] = result.node;
    if (result.failure != "executor") record["build_seconds"] = result.build_seconds;
    if (!result.measured) return finish(result.failure, result.reason);
    record["measure_seconds"] = result.measure_seconds;
    record["index_loaded"] = result.index_loaded;
    record["curve"] = result.curve;
    record["reference_curve"] = result.reference_curve;
    if (result.failure != "none") return finish(result.failure, result.reason);

    std::string built;
    auto challenger_library = [&] {
      if (built.empty()) built = library();
      return built;
    };
    auto contest_start = std::chrono::steady_clock::now();
    Scored scored = contend([&] { return bench::IndexSpec{"candidate", challenger_library(), "", p.cached_index}; },
                            result.to_reference, record);
    record["measure_seconds"] =
        result.measure_seconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - contest_start).count();
    record["reward_low"] = scored.reward.low;
    record["reward_high"] = scored.reward.high;
    record["repetitions"] = scored.reward.repetitions;
    record["became_best"] = scored.became_best;
    evaluated.reward = scored.reward.ratio;
    evaluated.failed = false;
    if (scored.became_best) {
      result_.best = scored.reward;
      result_.best_plan = p.proposal.plan;
      best_index_file_ = p.cached_index;
      best_candidate_ = index;
    }
    // The journal first: a kill before the best's files are all written
    // leaves a journal whose best resume() writes again (ReportDir::best_is).
    finish("none", "");
    if (scored.became_best) {
      dir_.keep_best_library(challenger_library(), options_.library_name);
      write_best(p.files);
    }
    return evaluated;
  }

  // Absolute: a job runs in its own dir, on another machine, and reads these paths there.
  fs::path jobs_dir() const { return fs::absolute(dir_.file("jobs")); }
  fs::path job_dir(int index) const { return jobs_dir() / std::to_string(index); }

  // Opens the Slurm executor and its event journal; returns the round a kill
  // interrupted (its proposals and the policy's state after making them), if
  // there is one.
  std::optional<nlohmann::json> start_slurm() {
    fs::path jobs = jobs_dir();
    fs::create_directories(jobs);
    // The tree every node builds its reference from, written once: a resumed
    // run must not rewrite it under a job still reading it.
    if (!fs::exists(jobs / "reference")) {
      fs::path staging = support::make_staging_directory(jobs / "reference");
      write_tree(tree_.root(), {}, staging / "tree");
      support::replace_directory(staging, jobs / "reference");
    }
    std::vector<Journal::Record> events = Journal::read((jobs / "jobs.jsonl").string());
    job_events_.emplace((jobs / "jobs.jsonl").string());
    slurm_.emplace(options_.slurm, [this](const nlohmann::json& event) { job_events_->append(event); }, options_.log);
    int last_round = last_round_written(), last_done = -1;
    for (const Journal::Record& event : events) {
      const nlohmann::json& e = event.value;
      if (e.at("event") == "round_done") last_done = std::max(last_done, e.at("round").get<int>());
      if (e.at("event") == "submitted") submissions_[e.at("index").get<int>()] = {e.at("job_id").get<std::string>(), e.at("attempt").get<int>()};
      if (e.at("event") == "result") collected_.insert(e.at("index").get<int>());
    }
    if (last_round < 0 || last_round <= last_done) return std::nullopt;
    next_round_ = last_round;
    return read_json_file(dir_.file("rounds/" + std::to_string(last_round) + ".json"));
  }

  // The highest round whose proposals were written (write_round), -1 for none.
  int last_round_written() const {
    int last = -1;
    if (!fs::exists(dir_.file("rounds"))) return last;
    for (const auto& entry : fs::directory_iterator(dir_.file("rounds"))) {
      const std::string stem = entry.path().stem().string();
      if (entry.path().extension() == ".json" && !stem.empty() && stem.size() < 9 &&
          std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; }))
        last = std::max(last, std::stoi(stem));
    }
    return last;
  }

  // The round a kill cut short in a local run: its file holds more plans
  // than the journal has candidates of that round. Resumed from its
  // proposals and the policy's state after making them, so that the round's
  // update of the policy sees the whole group.
  std::optional<nlohmann::json> unfinished_local_round() {
    int last = last_round_written();
    if (last < 0) return std::nullopt;
    nlohmann::json round = read_json_file(dir_.file("rounds/" + std::to_string(last) + ".json"));
    long planned = 0;
    for (const nlohmann::json& proposal : round.at("proposals")) planned += proposal.at("failure").get<std::string>().empty();
    long journaled = std::count(round_of_.begin(), round_of_.end(), last);
    if (journaled >= planned) return std::nullopt;
    next_round_ = last;
    options_.log("continuing round " + std::to_string(last + 1) + " after " + std::to_string(journaled) + " of its " +
                 std::to_string(planned) + " candidates");
    return round;
  }

  // Before anything of the round starts: what a resume continues it from.
  void write_round(int round, const std::vector<policy::Proposal>& proposals) {
    nlohmann::json list = nlohmann::json::array();
    for (const policy::Proposal& proposal : proposals)
      list.push_back({{"plan", schema::to_json(proposal.plan)},
                      {"parent", proposal.parent},
                      {"failure", proposal.failure},
                      {"explanation", proposal.explanation}});
    fs::create_directories(dir_.file("rounds"));
    dir_.write_json("rounds/" + std::to_string(round) + ".json", {{"proposals", list}, {"policy", policy_.state()}});
  }

  static std::vector<policy::Proposal> proposals_from_json(const nlohmann::json& list) {
    std::vector<policy::Proposal> proposals;
    for (const nlohmann::json& item : list)
      proposals.push_back({schema::plan_from_json(item.at("plan"), "rounds"), item.at("parent").get<int>(),
                           item.at("failure").get<std::string>(), item.value("explanation", "")});
    return proposals;
  }

  // The round's candidates as Slurm jobs, up to --parallel in flight; each
  // is journaled as soon as its result and those of all candidates before it
  // are in (the journal keeps index order). Candidates of a resumed round
  // that were journaled already are kept; a job an earlier process submitted
  // is reattached to, or its result collected. Returns the round's evaluations.
  std::vector<policy::Evaluated> evaluate_on_slurm(const std::vector<policy::Proposal>& proposals, int round) {
    int first = int(history_.size());
    while (first > 0 && round_of_[first - 1] == round) --first;
    std::vector<Prepared> prepared;
    for (const policy::Proposal& proposal : proposals)
      if (proposal.failure.empty()) prepared.push_back(prepare(proposal, round, first + int(prepared.size())));
    std::map<int, JobResult> results;
    std::vector<bool> started(prepared.size(), false);
    for (size_t i = 0; i < prepared.size(); ++i) {
      Prepared& p = prepared[i];
      if (p.index < int(history_.size()) || !p.invalid.empty()) {
        started[i] = true;
        continue;
      }
      auto submitted = submissions_.find(p.index);
      if (submitted == submissions_.end()) continue;
      started[i] = true;
      if (fs::exists(job_dir(p.index) / "result.json")) {
        results[p.index] = job_result_from_json(read_json_file(job_dir(p.index) / "result.json"));
        if (!collected_.count(p.index))
          job_events_->append({{"event", "result"}, {"index", p.index}, {"job_id", submitted->second.first},
                               {"failure", results[p.index].failure}});
      } else {
        slurm_->reattach(p.index, job_dir(p.index), submitted->second.first, submitted->second.second);
      }
    }
    for (size_t next = 0; next < prepared.size();) {
      Prepared& p = prepared[next];
      if (p.index < int(history_.size())) {
        ++next;
        continue;
      }
      for (size_t i = 0; i < prepared.size() && slurm_->in_flight() < size_t(slurm_->parallel()); ++i) {
        if (started[i]) continue;
        started[i] = true;
        submit(prepared[i]);
      }
      if (p.invalid.empty() && !results.count(p.index)) {
        auto [index, result] = slurm_->next_result();
        results[index] = result;
        continue;
      }
      const JobResult& result = results[p.index];
      fs::path dir = dir_.work(std::to_string(p.index));
      history_.push_back(conclude(p, result, [&] { return build_here(p, dir); }));
      round_of_.push_back(round);
      std::error_code ignored;
      fs::remove_all(dir, ignored);
      fs::remove_all(job_dir(p.index) / "tree", ignored);
      ++next;
    }
    return std::vector<policy::Evaluated>(history_.begin() + first, history_.end());
  }

  void submit(const Prepared& p) {
    fs::path dir = job_dir(p.index);
    fs::remove_all(dir);
    write_tree(tree_.root(), p.files, dir / "tree");
    dir_.write_json("jobs/" + std::to_string(p.index) + "/spec.json",
                    to_json(job_spec(p, dir / "tree", jobs_dir() / "reference" / "tree")));
    slurm_->submit(p.index, dir);
  }

  // A would-be best from a node, built again here for its head-to-head: the
  // node's library may use instructions this machine lacks.
  std::string build_here(const Prepared& p, const fs::path& dir) {
    write_tree(tree_.root(), p.files, dir / "tree");
    verify::BuildResult built = verify::build_tree((dir / "tree").string(), (dir / "build").string(), build_options(p.plan));
    if (!built.error.empty())
      throw std::runtime_error("candidate " + std::to_string(p.index) + " built on its node but not here: " + built.error);
    return built.library;
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
  const TuneOptions options_;  // a copy: the contest bound is filled in (with_contest_bound)
  ReportDir dir_;
  std::string run_key_;  // IndexCache::run_key, also what nodes key their caches by
  IndexCache cache_;
  // With --executor slurm: the executor, jobs/jobs.jsonl (every submission,
  // end and result), and each candidate's last submission (job id, attempt)
  // as that journal holds it.
  std::optional<SlurmExecutor> slurm_;
  std::optional<Journal> job_events_;
  std::map<int, std::pair<std::string, int>> submissions_;
  std::set<int> collected_;  // candidates whose result that journal holds
  bench::IndexSpec reference_;
  std::vector<double> floor_log_ratios_;  // the A/A run's, kept in run.json for a resume
  std::string best_index_file_;  // the best variant's cached index, which head-to-heads load
  int best_candidate_ = -1;      // its index in the journal
  nlohmann::json promotion_;     // a runner-up that the whole set made the result (promote_runner_up); null for none
  std::string promotion_line_;
  double reference_build_seconds_ = 0.0;  // its index build (recorded beside a cached one); 0 when unknown
  static constexpr double kBuildLimitFactor = 4.0, kMinBuildLimit = 60.0, kCostOverrun = 1.5;
  std::vector<policy::Evaluated> history_;
  std::vector<int> round_of_;  // each history_ entry's round
  int next_round_ = 0;
  TuneResult result_;
};

}  // namespace

TuneResult tune(rewrite::SourceTree& tree, const data::Dataset& dataset, policy::Policy& policy,
                const TuneOptions& options) {
  return Run(tree, dataset, policy, options).run();
}

}  // namespace crinn::tune
