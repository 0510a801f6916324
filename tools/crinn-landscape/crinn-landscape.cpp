// crinn-landscape: fit a surrogate to a recorded landscape and race the
// policies against it (issue 19, "learning shown to be real").
#include "Offline/Race.h"
#include "Offline/Surrogate.h"
#include "Policy/BuiltinPolicy.h"
#include "Policy/SearchPolicies.h"
#include "Support/AtomicFile.h"
#include "ToolSupport/CommandLine.h"
#include "Tune/Referee.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

namespace {

using llvm::cl::opt;
using crinn::tools::InRange;
using crinn::tools::NumberList;
using crinn::tools::NumberOption;

llvm::cl::OptionCategory Category("crinn-landscape options");

const char kOverview[] = R"(race tuning policies on a surrogate of a recorded landscape

Reads the measured plans of one tuning setting (bench/landscape.sh writes them)
and the site listing they were drawn over, fits random forests to their
rewards and failures, prints the forests' held-out rank correlation, then runs
each policy against the surrogate for many seeds and prints the mean reward of
the best plan after each budget of evaluations, with its 95 % interval and a
one-sided rank-sum test of the built-in policy against each other policy.
)";

opt<std::string> Records("records", llvm::cl::value_desc("file.jsonl"), llvm::cl::cat(Category),
                         llvm::cl::desc("the measured plans, one JSON object per line"));
opt<std::string> Sites("sites", llvm::cl::value_desc("sites.json"), llvm::cl::cat(Category),
                       llvm::cl::desc("the site listing the plans were drawn over"));
llvm::cl::list<std::string> Policies("policy", llvm::cl::CommaSeparated, llvm::cl::value_desc("list"),
                                     llvm::cl::cat(Category),
                                     llvm::cl::desc("policies to race (default builtin,random,evolution,bandit)"));
NumberList<int> Budgets("evaluations", llvm::cl::CommaSeparated, InRange{1, 100000}, llvm::cl::value_desc("list"),
                        llvm::cl::cat(Category), llvm::cl::desc("budgets in evaluations (default 20,50,100)"));
NumberOption<int> Seeds("seeds", InRange{2, 100000}, llvm::cl::init(100), llvm::cl::value_desc("n"),
                        llvm::cl::cat(Category), llvm::cl::desc("runs per policy (default 100)"));
NumberOption<int> Group("group", InRange{1, 1000}, llvm::cl::init(4), llvm::cl::value_desc("n"),
                        llvm::cl::cat(Category), llvm::cl::desc("plans per round, as crinn-tune's --group (default 4)"));
NumberOption<int> Folds("folds", InRange{2, 100}, llvm::cl::init(5), llvm::cl::value_desc("n"), llvm::cl::cat(Category),
                        llvm::cl::desc("cross-validation folds for the held-out fit (default 5)"));
llvm::cl::list<std::string> Ablate("ablate", llvm::cl::CommaSeparated, llvm::cl::value_desc("list"), llvm::cl::cat(Category),
                                   llvm::cl::desc("race the built-in policy also without parts of its method, one row\n"
                                                  "each: prior, learning, screening, or several joined by '+'\n"
                                                  "(learning+screening)"));
opt<std::string> PolicyInit("policy-init", llvm::cl::value_desc("file"), llvm::cl::cat(Category),
                            llvm::cl::desc("start the built-in policy from a saved policy.json (transfer)"));
opt<bool> FitOnly("fit-only", llvm::cl::cat(Category), llvm::cl::desc("print the held-out fit, race nothing"));
opt<std::string> TrainPolicy("train-policy", llvm::cl::value_desc("policy.json"), llvm::cl::cat(Category),
                             llvm::cl::desc("learn the built-in policy offline, in one simulated run against the\n"
                                            "surrogate, and write its state (for crinn-tune --policy-init)\n"
                                            "instead of racing"));
NumberOption<int> TrainEvaluations("train-evaluations", InRange{1, 1000000}, llvm::cl::init(200),
                                   llvm::cl::value_desc("n"), llvm::cl::cat(Category),
                                   llvm::cl::desc("plans of the --train-policy run (default 200)"));

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int run() {
  if (Records.empty() || Sites.empty()) throw UsageError("--records and --sites are required");
  const crinn::offline::Landscape landscape = crinn::offline::read_landscape(Records, Sites);
  crinn::offline::RaceConfig config;
  if (!Policies.empty()) config.policies.assign(Policies.begin(), Policies.end());
  for (const std::string& kind : config.policies)
    if (!crinn::policy::is_search_policy(kind))
      throw UsageError("--policy: '" + kind + "' is none of builtin, random, evolution, bandit");
  for (const std::string& parts : Ablate) {
    if (std::find(config.policies.begin(), config.policies.end(), "builtin") == config.policies.end())
      throw UsageError("--ablate: the race has no built-in policy to take parts out of");
    try {
      crinn::policy::ablated(crinn::policy::BuiltinConfig(), parts);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--ablate: ") + e.what());
    }
    config.ablations.push_back(parts);
  }
  if (!Budgets.empty()) config.budgets.assign(Budgets.begin(), Budgets.end());
  config.seeds = Seeds;
  config.group = Group;
  config.noise_sd = landscape.noise_sd;
  if (!PolicyInit.empty()) {
    std::ifstream in(PolicyInit);
    if (!in) throw std::runtime_error(PolicyInit + ": cannot be read");
    try {
      config.builtin_init = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
      throw std::runtime_error(PolicyInit + ": not JSON (" + e.what() + ")");
    }
  }

  crinn::offline::ForestConfig forest;
  const crinn::offline::HeldOut fit = crinn::offline::cross_validate(landscape, Folds, forest);
  std::printf("%s: %zu plans (%d passed, %d failed) over %zu options; measurement noise %.1f %% a run\n",
              landscape.setting.c_str(), landscape.plans.size(), fit.passed, fit.failed, landscape.offers.size(),
              100.0 * landscape.noise_sd);
  std::printf("held out (%d folds): rank correlation of reward %.3f; failure ROC area %.3f, Brier score %.4f "
              "(%.4f by the base rate)\n",
              int(Folds), fit.rank_correlation, fit.failure_auc, fit.failure_brier, fit.base_rate_brier);
  if (FitOnly) return 0;

  const crinn::offline::Surrogate surrogate(landscape, forest);
  if (!TrainPolicy.empty()) {
    const nlohmann::json state = crinn::offline::train_builtin(surrogate, landscape.offers, TrainEvaluations,
                                                               config.group, config.noise_sd, 1, config.builtin_init);
    crinn::support::write_file_atomically(TrainPolicy.getValue(), state.dump(2) + "\n");
    std::printf("built-in policy learned over %d simulated evaluations%s: %s\n", int(TrainEvaluations),
                config.builtin_init ? " from --policy-init" : "", TrainPolicy.c_str());
    return 0;
  }
  const std::vector<crinn::offline::RaceScores> scores = crinn::offline::race(surrogate, landscape.offers, config);
  std::map<int, const crinn::offline::RaceScores*> builtin;
  for (const auto& s : scores)
    if (s.policy == "builtin") builtin[s.budget] = &s;
  std::printf("\nbest reward after n evaluations, mean of %d seeds (surrogate, group %d)%s\n", config.seeds, config.group,
              config.builtin_init ? "; built-in policy from --policy-init" : "");
  int width = 10;
  for (const auto& s : scores) width = std::max(width, int(s.policy.size()));
  std::printf("%-6s %-*s %10s  %-18s %s\n", "n", width, "policy", "mean", "95% interval", "p (builtin > it)");
  for (int budget : config.budgets)
    for (const auto& s : scores) {
      if (s.budget != budget) continue;
      char p[32] = "-";
      if (s.policy != "builtin" && builtin.count(budget))
        std::snprintf(p, sizeof p, "%.3g", crinn::tune::rank_sum_p_greater(builtin[budget]->best, s.best));
      std::printf("%-6d %-*s %9.3fx  [%.3f, %.3f]     %s\n", budget, width, s.policy.c_str(), s.mean, s.low, s.high, p);
    }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (!crinn::tools::parse_command_line(argc, argv, "crinn-landscape", Category, kOverview)) return 2;
  try {
    return run();
  } catch (const UsageError& e) {
    std::cerr << "crinn-landscape: error: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "crinn-landscape: error: " << e.what() << "\n";
    return 1;
  }
}
