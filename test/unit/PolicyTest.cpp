#include "Policy/BanditPolicy.h"
#include "Policy/BuiltinPolicy.h"
#include "Policy/EvolutionPolicy.h"
#include "Policy/RandomPolicy.h"
#include "Policy/SearchPolicies.h"

#include "SiteListing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <random>
#include <set>

namespace crinn::policy {
namespace {

nlohmann::json param(const char* type, double min, double max, double default_value) {
  return {{"type", type}, {"min", min}, {"max", max}, {"default", default_value}, {"doc", ""}};
}

// A site catalogue shaped like crinn-opt's for a small HNSW.
nlohmann::json catalogue() {
  auto rewrite = [](const char* name, bool preserves, nlohmann::json params) {
    return nlohmann::json{{"rewrite", name}, {"preserves_results", preserves}, {"params", params}};
  };
  nlohmann::json width = param("int", 0, 512, 512);
  width["choices"] = {0, 256, 512};
  nlohmann::json sites = nlohmann::json::array();
  sites.push_back({{"id", "distance-kernel:l2"}, {"kind", "distance-kernel"},
                   {"rewrites", {rewrite("simd-distance", false, {{"width", width}}),
                                 rewrite("loop-unroll", false, {{"unroll", param("int", 1, 16, 4)},
                                                                {"accumulators", param("int", 1, 8, 1)}})}}});
  sites.push_back({{"id", "neighbor-loop:search"}, {"kind", "neighbor-loop"},
                   {"rewrites", {rewrite("prefetch-insertion", true, {{"distance", param("int", 1, 16, 2)},
                                                                       {"lines", param("int", 1, 64, 4)}}),
                                 rewrite("early-termination", false, {{"patience", param("int", 1, 256, 16)}})}}});
  sites.push_back({{"id", "visited-set:search::visited"}, {"kind", "visited-set"},
                   {"rewrites", {rewrite("visited-set", true, {{"layout", param("int", 0, 1, 0)}})}}});
  sites.push_back({{"id", "pruning:select"}, {"kind", "pruning"},
                   {"rewrites", {rewrite("edge-pruning", false, {{"alpha", param("float", 0.7, 1.6, 1.0)}})}}});
  sites.push_back({{"id", "constant:Params::M"}, {"kind", "constant"},
                   {"rewrites", {rewrite("constant-tuning", false, {{"value", param("int", 4, 64, 16)}})}}});
  return {{"sites", sites}};
}

using test::offers_of;

const PlanEntry* find(const Plan& plan, const std::string& rewrite) {
  for (const PlanEntry& e : plan)
    if (e.rewrite == rewrite) return &e;
  return nullptr;
}

// A made-up speed landscape with structure to learn: some rewrites help,
// some hurt, parameters matter, and two rewrites of one kernel conflict.
Evaluated evaluate(const Plan& plan) {
  Evaluated e;
  e.plan = plan;
  const PlanEntry* simd = find(plan, "simd-distance");
  const PlanEntry* unroll = find(plan, "loop-unroll");
  if (simd && unroll) {
    e.failed = true;
    e.reward = 0.0;
    return e;
  }
  double r = 1.0;
  if (simd) r += simd->params.at("width") == 512 ? 0.8 : simd->params.at("width") == 256 ? 0.4 : 0.0;
  if (unroll) r += 0.1 * unroll->params.at("accumulators") / 8;
  if (find(plan, "visited-set")) r += 0.5;
  if (const PlanEntry* p = find(plan, "prefetch-insertion")) {
    double d = p->params.at("distance");
    r += (d >= 2 && d <= 4 ? 0.3 : 0.0) + (p->params.at("lines") >= 8 ? 0.2 : 0.0);
  }
  if (find(plan, "early-termination")) r -= 0.6;
  if (const PlanEntry* p = find(plan, "edge-pruning")) r += p->params.at("alpha") < 0.9 ? -0.4 : 0.05;
  if (const PlanEntry* c = find(plan, "constant-tuning")) r += c->params.at("value") >= 12 && c->params.at("value") <= 24 ? 0.1 : -0.3;
  e.reward = r;
  return e;
}

double best_after(Policy& policy, int rounds, int group_size) {
  std::vector<Evaluated> history;
  double best = 1.0;
  for (int round = 0; round < rounds; ++round) {
    std::vector<Evaluated> group;
    for (const Proposal& proposal : policy.propose(history, group_size)) {
      Evaluated e = evaluate(proposal.plan);
      e.parent = proposal.parent;
      group.push_back(e);
      history.push_back(e);
      if (!e.failed) best = std::max(best, e.reward);
    }
    policy.update(group, history);
  }
  return best;
}

TEST(Space, ReadsTheSiteCatalogue) {
  std::vector<Offer> options = offers_of(catalogue());
  ASSERT_EQ(options.size(), 7u);
  EXPECT_EQ(options[0].feature(), "distance-kernel/simd-distance");
  EXPECT_EQ(options[0].params[0].values(), (std::vector<double>{0, 256, 512}));
  EXPECT_EQ(options[4].params[0].values(), (std::vector<double>{0, 1}));
  // A wide range: 8 spread values plus the default.
  std::vector<double> patience = options[3].params[0].values();
  EXPECT_EQ(patience.front(), 1);
  EXPECT_EQ(patience.back(), 256);
  EXPECT_NE(std::find(patience.begin(), patience.end(), 16.0), patience.end());
}

TEST(Space, SpreadsARangeFromOffLogarithmically) {
  ParamRange rerank{"rerank", true, 0, 512, 16, {}};
  EXPECT_EQ(rerank.values(), (std::vector<double>{0, 1, 3, 8, 16, 23, 64, 181, 512}));
}

// Issue 16 fuzzing (fuzz target site_json): an integer range of huge values
// hung, stepping v += 1 where that no longer changes v.
TEST(Space, AnIntegerRangeOfHugeValuesHasValues) {
  ParamRange huge{"value", true, 1e17, 1e17, 1e17, {}};
  EXPECT_EQ(huge.values(), (std::vector<double>{1e17}));
}

TEST(Space, KnowsWhichOptionsRebuildTheIndex) {
  auto site = [](const char* id, bool reached_by_build, nlohmann::json rewrite) {
    rewrite["params"] = nlohmann::json::object();
    return nlohmann::json{{"id", id}, {"kind", "k"}, {"reached_by_build", reached_by_build}, {"rewrites", {rewrite}}};
  };
  nlohmann::json sites = {
      {"sites",
       {site("kernel", true, {{"rewrite", "simd-distance"}, {"preserves_results", false}}),
        site("loop", true, {{"rewrite", "prefetch-insertion"}, {"preserves_results", true}}),
        site("query-kernel", false, {{"rewrite", "simd-distance"}, {"preserves_results", false}}),
        site("loop2", true, {{"rewrite", "adaptive-ef"}, {"preserves_results", false}, {"changes_build", false}}),
        site("loop3", true,
             {{"rewrite", "quantized-distance"}, {"preserves_results", false}, {"changes_build", false},
              {"build_switch", "build"}})}}};
  std::vector<Offer> options = offers_of(sites);
  ASSERT_EQ(options.size(), 5u);
  EXPECT_TRUE(options[0].rebuilds_index);
  EXPECT_FALSE(options[1].rebuilds_index);  // same values, same index
  EXPECT_FALSE(options[2].rebuilds_index);  // the build never runs it
  EXPECT_FALSE(options[3].rebuilds_index);  // kept out of the build
  EXPECT_FALSE(options[4].rebuilds_index);  // only through its switch
  EXPECT_EQ(options[4].build_switch, "build");
}

TEST(Space, KeepsOneOptionPerExclusiveGroupOfASite) {
  auto option = [](const char* site, const char* rewrite, bool replaces, const char* group) {
    Offer o;
    o.site = site;
    o.rewrite = rewrite;
    o.replaces_site = replaces;
    o.exclusive_group = group;
    return o;
  };
  std::vector<Offer> options = {option("loop", "loop-fission", false, "loop-range"),
                                        option("loop", "flat-graph", false, "loop-range"),
                                        option("loop", "prefetch-insertion", false, ""),
                                        option("other-loop", "flat-graph", false, "loop-range"),
                                        option("kernel", "simd-distance", true, ""),
                                        option("kernel", "loop-unroll", true, "")};
  std::mt19937_64 rng(3);
  std::set<std::string> kept_in_range;
  for (int trial = 0; trial < 20; ++trial) {
    Plan plan = {{"loop", "loop-fission", {}},       {"loop", "flat-graph", {}},      {"loop", "prefetch-insertion", {}},
                 {"other-loop", "flat-graph", {}}, {"kernel", "simd-distance", {}}, {"kernel", "loop-unroll", {}}};
    drop_exclusive_conflicts(plan, options, rng);
    ASSERT_EQ(plan.size(), 4u);  // one of each pair; the ungrouped and the other site's stay
    EXPECT_TRUE(find(plan, "prefetch-insertion"));
    int range = 0;
    for (const PlanEntry& e : plan)
      if (e.site == "loop" && (e.rewrite == "loop-fission" || e.rewrite == "flat-graph")) ++range, kept_in_range.insert(e.rewrite);
    EXPECT_EQ(range, 1);
    EXPECT_TRUE(std::any_of(plan.begin(), plan.end(), [](const PlanEntry& e) { return e.site == "other-loop"; }));
  }
  EXPECT_EQ(kept_in_range.size(), 2u);  // either may be the one kept
}

TEST(Space, PlansRoundTripAsJson) {
  Plan plan = {{"distance-kernel:l2", "simd-distance", {{"width", 256}}}, {"pruning:select", "edge-pruning", {{"alpha", 1.1}}}};
  nlohmann::json json = schema::to_json(plan);
  EXPECT_EQ(json["plan"][0]["params"]["width"], 256);
  EXPECT_EQ(schema::plan_from_json(json, "the test"), plan);
  Plan reversed(plan.rbegin(), plan.rend());
  EXPECT_EQ(schema::plan_key(reversed), schema::plan_key(plan));
}

// Issue 16 fuzzing (fuzz target llm_reply): a whole-number parameter past
// int64 (an LLM's 1e300) was converted to int64, which is undefined.
TEST(Space, AWholeNumberPastInt64StaysADouble) {
  Plan plan = {{"neighbor-loop:search", "prefetch-insertion", {{"distance", 1e300}, {"locality", -9.3e18}}}};
  nlohmann::json params = schema::to_json(plan)["plan"][0]["params"];
  EXPECT_TRUE(params["distance"].is_number_float());
  EXPECT_EQ(params["distance"].get<double>(), 1e300);
  EXPECT_TRUE(params["locality"].is_number_float());
  EXPECT_EQ(schema::plan_from_json(schema::to_json(plan), "the test"), plan);
}

TEST(BuiltinPolicy, ProposesNewValidPlans) {
  std::vector<Offer> options = offers_of(catalogue());
  BuiltinPolicy policy(options, BuiltinConfig());
  std::vector<Evaluated> history;
  std::set<std::string> keys;
  for (int round = 0; round < 4; ++round) {
    std::vector<Proposal> group = policy.propose(history, 6);
    ASSERT_EQ(group.size(), 6u);
    for (const Proposal& p : group) {
      EXPECT_FALSE(p.plan.empty());
      EXPECT_TRUE(keys.insert(schema::plan_key(p.plan)).second) << "proposed twice: " << schema::plan_key(p.plan);
      for (const PlanEntry& entry : p.plan) {
        auto option = std::find_if(options.begin(), options.end(), [&](const Offer& o) {
          return o.site == entry.site && o.rewrite == entry.rewrite;
        });
        ASSERT_NE(option, options.end());
        for (const ParamRange& range : option->params) {
          std::vector<double> values = range.values();
          EXPECT_NE(std::find(values.begin(), values.end(), entry.params.at(range.name)), values.end());
        }
      }
      Evaluated e = evaluate(p.plan);
      e.parent = p.parent;
      history.push_back(e);
    }
    policy.update(std::vector<Evaluated>(history.end() - 6, history.end()), history);
  }
}

// A child changes one parameter of an option it inherits and keeps the
// others, and half of such changes step to a neighbouring value: the best
// plan with one value moved is a likely child, not a lucky joint draw.
TEST(BuiltinPolicy, ChangesOneParameterAtATimeOftenByAStep) {
  std::vector<Offer> options = offers_of(catalogue());
  BuiltinConfig config;
  config.mutations = 1.0;
  config.fresh_share = 0.0;
  BuiltinPolicy policy(options, config);
  Plan parent = {{"distance-kernel:l2", "loop-unroll", {{"unroll", 4}, {"accumulators", 4}}},
                 {"visited-set:search::visited", "visited-set", {{"layout", 1}}}};
  std::vector<Evaluated> history = {{parent, 10.0, false, -1}};
  int unroll_changed = 0, accumulators_kept = 0, stepped = 0;
  for (int round = 0; round < 400; ++round)
    for (const Proposal& p : policy.propose(history, 8)) {
      const PlanEntry* unroll = find(p.plan, "loop-unroll");
      if (p.parent != 0 || !unroll || unroll->params.at("unroll") == 4) continue;
      ++unroll_changed;
      accumulators_kept += unroll->params.at("accumulators") == 4;
      stepped += unroll->params.at("unroll") == 3 || unroll->params.at("unroll") == 5;
    }
  ASSERT_GT(unroll_changed, 100);
  EXPECT_GT(double(accumulators_kept) / unroll_changed, 0.7);  // a joint redraw keeps it 1 in 8
  EXPECT_GT(double(stepped) / unroll_changed, 0.5);            // a draw alone: 2 in 7
}

TEST(BuiltinPolicy, LearnsWhatHelpsAndWhatHurts) {
  std::vector<Offer> options = offers_of(catalogue());
  BuiltinPolicy policy(options, BuiltinConfig());
  best_after(policy, 12, 6);
  // Measured against where the prior started them (visited-set higher).
  BuiltinPolicy fresh(options, BuiltinConfig());
  const Offer& visited = options[4];
  const Offer& early = options[3];
  double visited_gain = policy.inclusion_probability(visited) - fresh.inclusion_probability(visited);
  double early_gain = policy.inclusion_probability(early) - fresh.inclusion_probability(early);
  EXPECT_LT(early_gain, 0.0);
  EXPECT_GT(visited_gain, early_gain);
}

TEST(BuiltinPolicy, StartsFromWhatAChoiceCostsAndRisks) {
  std::vector<Offer> options = offers_of(catalogue());
  Offer search_only = options[3];
  search_only.site = "neighbor-loop:query-only";
  search_only.rebuilds_index = false;
  Offer quantized;
  quantized.site = "neighbor-loop:search";
  quantized.site_kind = "neighbor-loop";
  quantized.rewrite = "quantized-distance";
  quantized.preserves_results = false;
  quantized.build_switch = "build";
  quantized.params = {{"build", true, 0, 50000, 0, {0, 500, 5000, 50000}}};
  options.push_back(search_only);
  options.push_back(quantized);
  BuiltinPolicy policy(options, BuiltinConfig());
  EXPECT_NEAR(policy.inclusion_probability(options[4]), 0.731, 0.001);  // visited-set: preserves results
  EXPECT_NEAR(policy.inclusion_probability(options[3]), 0.269, 0.001);  // early termination in the build
  EXPECT_NEAR(policy.inclusion_probability(search_only), 0.5, 0.001);
  // Half the draws of the build switch keep the reference's build.
  int drawn = 0, kept_build = 0;
  for (const Proposal& p : policy.propose({}, 400))
    if (const PlanEntry* q = find(p.plan, "quantized-distance")) ++drawn, kept_build += q->params.at("build") == 0;
  ASSERT_GT(drawn, 100);
  EXPECT_NEAR(double(kept_build) / drawn, 0.5, 0.1);
}

// An ablation takes out the parts it names and nothing else: without the
// prior every option starts at even chances, without learning the policy
// ends where it started, without screening no model picks among draws.
TEST(BuiltinPolicy, AnAblationTakesOutTheNamedParts) {
  std::vector<Offer> options = offers_of(catalogue());
  const BuiltinConfig full;
  const BuiltinConfig without = ablated(full, "prior+learning+screening");
  EXPECT_FALSE(without.cost_prior);
  EXPECT_EQ(without.learning_rate, 0.0);
  EXPECT_EQ(without.screened, 1);
  const BuiltinConfig no_learning = ablated(full, "learning");
  EXPECT_TRUE(no_learning.cost_prior);
  EXPECT_EQ(no_learning.screened, full.screened);
  BuiltinPolicy even(options, ablated(full, "prior"));
  EXPECT_NEAR(even.inclusion_probability(options[4]), 0.5, 1e-9);  // visited-set, 0.731 with the prior
  BuiltinPolicy frozen(options, no_learning);
  best_after(frozen, 6, 4);
  BuiltinPolicy fresh(options, full);
  for (const Offer& option : options)
    EXPECT_DOUBLE_EQ(frozen.inclusion_probability(option), fresh.inclusion_probability(option)) << option.rewrite;
  EXPECT_THROW(ablated(full, "learning+memory"), std::invalid_argument);
  EXPECT_THROW(ablated(full, ""), std::invalid_argument);
}

// A rebuild is only as unlikely as it is dear: on a small set a build costs
// a fraction of an evaluation, and the prior stays near even chances.
TEST(BuiltinPolicy, WeighsAnIndexRebuildByWhatItCosts) {
  std::vector<Offer> options = offers_of(catalogue());
  const Offer& rebuilds = options[3];  // early termination in the build
  ASSERT_TRUE(rebuilds.rebuilds_index);
  BuiltinPolicy policy(options, BuiltinConfig());
  policy.observe_rebuild_cost(0.1);
  EXPECT_NEAR(policy.inclusion_probability(rebuilds), 1.0 / (1.0 + std::exp(0.1)), 1e-6);
  EXPECT_NEAR(policy.inclusion_probability(options[4]), 0.731, 0.001);  // preserves results: no cost
  policy.observe_rebuild_cost(4.0);
  EXPECT_NEAR(policy.inclusion_probability(rebuilds), 0.269, 0.001);  // capped at 1:e against

  policy.observe_rebuild_cost(0.3);
  BuiltinPolicy restored(options, BuiltinConfig());
  restored.restore(policy.state());
  EXPECT_NEAR(restored.inclusion_probability(rebuilds), policy.inclusion_probability(rebuilds), 1e-12);
}

TEST(BuiltinPolicy, BeatsRandomSearchAtEqualBudget) {
  std::vector<Offer> options = offers_of(catalogue());
  double learned = 0.0, random = 0.0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    BuiltinConfig config;
    config.seed = seed;
    BuiltinPolicy policy(options, config);
    learned += best_after(policy, 8, 6);
    RandomPolicy uniform(options, seed);
    random += best_after(uniform, 8, 6);
  }
  std::cout << "best reward after 48 evaluations, mean of 5 seeds: builtin " << learned / 5 << ", random " << random / 5
            << "\n";
  EXPECT_GT(learned, random);
}

// Once enough plans have passed, children screened by forests of reward and
// failure (expected improvement) find better plans in as many evaluations
// than the same policy's children unscreened.
TEST(BuiltinPolicy, ScreeningByAModelFindsBetterPlansSooner) {
  std::vector<Offer> options = offers_of(catalogue());
  double screened = 0.0, unscreened = 0.0;
  const int seeds = 20;
  for (uint64_t seed = 1; seed <= uint64_t(seeds); ++seed) {
    BuiltinConfig config;
    config.seed = seed;
    BuiltinPolicy with_model(options, config);
    screened += best_after(with_model, 6, 4);
    config.screened = 1;
    BuiltinPolicy without_model(options, config);
    unscreened += best_after(without_model, 6, 4);
  }
  std::cout << "best reward after 24 evaluations, mean of " << seeds << " seeds: screened " << screened / seeds
            << ", unscreened " << unscreened / seeds << "\n";
  EXPECT_GT(screened, unscreened);
}

TEST(RandomPolicy, DrawsNewPlansAndResumesItsSequence) {
  std::vector<Offer> options = offers_of(catalogue());
  RandomPolicy policy(options, 7);
  std::vector<Evaluated> history;
  for (const Proposal& p : policy.propose({}, 6)) history.push_back({p.plan, 1.0, false, -1});
  std::set<std::string> keys;
  for (const Evaluated& e : history) keys.insert(schema::plan_key(e.plan));
  EXPECT_EQ(keys.size(), history.size());
  RandomPolicy resumed(options, 99);
  resumed.restore(nlohmann::json::parse(policy.state().dump()));
  std::vector<Proposal> next = policy.propose(history, 3), again = resumed.propose(history, 3);
  for (size_t i = 0; i < next.size(); ++i) {
    EXPECT_EQ(next[i].plan, again[i].plan);
    EXPECT_EQ(keys.count(schema::plan_key(next[i].plan)), 0u);
  }
  EXPECT_THROW(resumed.restore({{"kind", "builtin"}}), std::invalid_argument);
}

// Weights learned on another setting (--policy-init) can make an option all
// but impossible here; until some plan of this run has had it, each group's
// first plan still draws it at the floor chance, and then the weights rule.
TEST(BuiltinPolicy, DrawsAnOptionNoPlanHasHadAtTheFloorChance) {
  std::vector<Offer> options = offers_of(catalogue());
  const Offer& visited = options[4];
  BuiltinPolicy policy(options, BuiltinConfig());
  nlohmann::json state = policy.state();
  state["weights"]["include:" + visited.feature()] = {-8.0};
  policy.restore(state);
  ASSERT_LT(policy.inclusion_probability(visited), 0.01);
  auto first_plans_with_visited = [&](const std::vector<Evaluated>& history) {
    int with = 0;
    for (int group = 0; group < 400; ++group) with += find(policy.propose(history, 1).at(0).plan, "visited-set") != nullptr;
    return with;
  };
  const Plan without = {{"neighbor-loop:search", "prefetch-insertion", {{"distance", 2}, {"lines", 4}}}};
  EXPECT_NEAR(first_plans_with_visited({evaluate(without)}), 100, 30);
  const Plan with = {{"visited-set:search::visited", "visited-set", {{"layout", 0}}}};
  EXPECT_LT(first_plans_with_visited({evaluate(without), evaluate(with)}), 10);
}

TEST(BuiltinPolicy, StateRestoresTheSameProposals) {
  std::vector<Offer> options = offers_of(catalogue());
  BuiltinPolicy trained(options, BuiltinConfig());
  best_after(trained, 4, 6);
  nlohmann::json state = trained.state();
  BuiltinPolicy a(options, BuiltinConfig()), b(options, BuiltinConfig());
  a.restore(state);
  b.restore(nlohmann::json::parse(state.dump()));
  std::vector<Proposal> pa = a.propose({}, 5), pb = b.propose({}, 5);
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_EQ(pa[i].plan, pb[i].plan);
  EXPECT_DOUBLE_EQ(a.inclusion_probability(options[0]), trained.inclusion_probability(options[0]));
  EXPECT_THROW(a.restore({{"kind", "llm"}}), std::invalid_argument);
}

TEST(Space, AMutationChangesAFewDecisionsOfItsParent) {
  std::vector<Offer> options = offers_of(catalogue());
  std::mt19937_64 rng(3);
  const Plan parent = {{"neighbor-loop:search", "prefetch-insertion", {{"distance", 2}, {"lines", 4}}},
                       {"visited-set:search::visited", "visited-set", {{"layout", 0}}}};
  int changed_entries = 0;
  for (int i = 0; i < 200; ++i) {
    Plan child = mutate(parent, options, rng);
    EXPECT_NE(schema::plan_key(child), schema::plan_key(parent));
    std::set<std::string> before, after;
    for (const PlanEntry& e : parent) before.insert(schema::plan_key({e}));
    for (const PlanEntry& e : child) after.insert(schema::plan_key({e}));
    std::vector<std::string> differ;
    std::set_symmetric_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(differ));
    changed_entries += int(differ.size());
  }
  // About one decision in ten changes, at least one: a child differs from its
  // parent in an entry or two on average (a changed value counts twice, the
  // old entry and the new), not in most of its options.
  EXPECT_GT(changed_entries / 200.0, 1.0);
  EXPECT_LT(changed_entries / 200.0, 4.0);
}

TEST(EvolutionPolicy, ProposesChildrenOfTheBestPassedPlan) {
  std::vector<Offer> options = offers_of(catalogue());
  EvolutionPolicy policy(options, 5);
  // Nothing passed yet: random plans, with no parent.
  for (const Proposal& p : policy.propose({}, 4)) EXPECT_EQ(p.parent, -1);
  std::vector<Evaluated> history = {
      {{{"visited-set:search::visited", "visited-set", {{"layout", 1}}}}, 1.5, false, -1},
      {{{"neighbor-loop:search", "early-termination", {{"patience", 16}}}}, 3.0, true, -1},
      {{{"constant:Params::M", "constant-tuning", {{"value", 16}}}}, 1.2, false, -1}};
  for (const Proposal& p : policy.propose(history, 6)) {
    EXPECT_EQ(p.parent, 0);  // the failed plan's reward does not count
    EXPECT_NE(schema::plan_key(p.plan), schema::plan_key(history[0].plan));
  }
  EvolutionPolicy resumed(options, 99);
  resumed.restore(nlohmann::json::parse(policy.state().dump()));
  std::vector<Proposal> next = policy.propose(history, 3), again = resumed.propose(history, 3);
  for (size_t i = 0; i < next.size(); ++i) EXPECT_EQ(next[i].plan, again[i].plan);
  EXPECT_THROW(resumed.restore({{"kind", "random"}}), std::invalid_argument);
}

TEST(BanditPolicy, TriesEveryArmThenFavoursTheOneThatImproves) {
  std::vector<Offer> options = offers_of(catalogue());
  BanditConfig config;
  config.seed = 2;
  BanditPolicy policy(options, config);
  // Seven rewrites in the catalogue: the first seven proposals try each once.
  std::vector<Evaluated> history;
  std::set<std::string> tried;
  std::vector<Proposal> first = policy.propose(history, 7);
  for (const Proposal& p : first) {
    ASSERT_EQ(p.plan.size(), 1u);
    tried.insert(p.plan[0].rewrite);
  }
  EXPECT_EQ(tried.size(), 7u);
  // Only visited-set beats the best so far.
  std::vector<Evaluated> group;
  for (const Proposal& p : first) group.push_back({p.plan, p.plan[0].rewrite == "visited-set" ? 1.5 : 0.9, false, -1});
  history = group;
  policy.update(group, history);
  EXPECT_GT(policy.score("visited-set"), policy.score("early-termination"));
  EXPECT_NEAR(policy.score("early-termination"), policy.score("constant-tuning"), 1e-12);
  // The next proposals edit the best plan (the visited-set one).
  for (const Proposal& p : policy.propose(history, 3)) EXPECT_EQ(history[size_t(p.parent)].plan[0].rewrite, "visited-set");
  BanditPolicy resumed(options, config);
  resumed.restore(nlohmann::json::parse(policy.state().dump()));
  EXPECT_DOUBLE_EQ(resumed.score("visited-set"), policy.score("visited-set"));
}

TEST(SearchPolicies, AreMadeByName) {
  std::vector<Offer> options = offers_of(catalogue());
  for (const char* kind : kSearchPolicies) {
    std::unique_ptr<Policy> policy = make_search_policy(kind, options, 1);
    ASSERT_TRUE(policy) << kind;
    EXPECT_EQ(policy->propose({}, 2).size(), 2u) << kind;
  }
  EXPECT_FALSE(make_search_policy("llm", options, 1));
}

}  // namespace
}  // namespace crinn::policy
