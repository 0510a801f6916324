#include "Schema/Schema.h"

#include <gtest/gtest.h>

namespace crinn::schema {
namespace {

SiteRecord build_site() {
  SiteRecord site;
  site.id = "build:CMakeLists.txt";
  site.kind = kBuildSiteKind;
  site.rewrites = {compile_flags_option()};
  return site;
}

// compile-flags changes answers, and so the built index, only through fast_math.
TEST(CompileFlags, OnlyFastMathChangesResultsAndTheBuiltIndex) {
  SiteRecord site = build_site();
  const RewriteOption& option = site.rewrites.front();
  ParamValues exact = {{"fast_math", 0}, {"no_math_errno", 1}, {"unroll_loops", 1}, {"profile_guided", 1}};
  ParamValues reassociating = {{"fast_math", 1}, {"no_math_errno", 1}, {"unroll_loops", 0}, {"profile_guided", 0}};
  EXPECT_FALSE(changes_results(option, &exact));
  EXPECT_FALSE(changes_built_index(site, option, &exact));
  EXPECT_TRUE(changes_results(option, &reassociating));
  EXPECT_TRUE(changes_built_index(site, option, &reassociating));
  // Whatever the parameters, it need not rebuild the index.
  EXPECT_FALSE(offers({site}).front().rebuilds_index);
}

TEST(CompileFlags, FlagsThatSurviveALaterO3) {
  EXPECT_EQ(compile_flags({{"fast_math", 1}, {"no_math_errno", 1}, {"unroll_loops", 1}}).flags(),
            (std::vector<std::string>{"-fassociative-math", "-fno-signed-zeros", "-fno-trapping-math", "-fno-math-errno",
                                      "-funroll-loops"}));
  EXPECT_EQ(compile_flags({{"fast_math", 2}, {"no_math_errno", 0}}).flags(), std::vector<std::string>{"-ffast-math"});
  EXPECT_TRUE(compile_flags({}).flags().empty());
}

TEST(CompileFlags, AProfileGuidedPlanIsKnownByItsEntry) {
  PlanEntry flags{"build:CMakeLists.txt", kCompileFlags, {{"profile_guided", 1}}};
  PlanEntry other{"neighbor-loop:f", "prefetch-insertion", {{"profile_guided", 1}}};
  EXPECT_TRUE(profile_guided({other, flags}));
  EXPECT_FALSE(profile_guided({other}));
  flags.params["profile_guided"] = 0;
  EXPECT_FALSE(profile_guided({flags}));
}

TEST(CompileFlags, TheResultsSwitchRoundTripsThroughJson) {
  SiteRecord site = site_from_json(to_json(build_site()));
  ASSERT_EQ(site.rewrites.size(), 1u);
  EXPECT_EQ(site.rewrites.front().results_switch, "fast_math");
  EXPECT_EQ(site.rewrites.front().param("fast_math")->max, 2);
  EXPECT_EQ(site.rewrites.front().param("no_math_errno")->default_value, 1);
}

// Integer choices are written as integers (the LLM's prompt showed
// [0.0,256.0]) and read back as the same values.
TEST(SiteJson, IntegerChoicesAreWrittenAsIntegers) {
  SiteRecord site = build_site();
  site.rewrites.front().params.push_back(ParamRange{"lines", true, 0, 256, 0, {0, 64, 256}, "cache lines"});
  nlohmann::json json = to_json(site);
  EXPECT_EQ(json["rewrites"][0]["params"]["lines"]["choices"].dump(), "[0,64,256]");
  EXPECT_EQ(site_from_json(json).rewrites.front().param("lines")->choices, (std::vector<double>{0, 64, 256}));
}

// A tuner on 128-float vectors (8 lines) searches prefetches of at most 8
// lines; other ranges, and line ranges with choices, are left alone.
TEST(CapVectorLines, LineRangesStopAtOneVector) {
  SiteRecord site;
  site.id = "neighbor-loop:search";
  site.kind = "neighbor-loop";
  ParamRange lines{"lines", true, 1, 64, 16, {}, "lines"};
  lines.vector_lines = true;
  ParamRange distance{"distance", true, 1, 16, 2, {}, "ahead"};
  ParamRange chosen{"lines", true, 0, 64, 0, {0, 64}, "lines"};
  chosen.vector_lines = true;
  site.rewrites = {RewriteOption{"prefetch-insertion", {lines, distance}, true, ""},
                   RewriteOption{"other", {chosen}, true, ""}};
  std::vector<SiteRecord> sites = {site_from_json(to_json(site))};  // the flag survives the catalogue's JSON
  cap_vector_lines(sites, 128 * sizeof(float));
  const RewriteOption& prefetch = sites[0].rewrites[0];
  EXPECT_EQ(prefetch.param("lines")->max, 8);
  EXPECT_EQ(prefetch.param("lines")->default_value, 8);
  EXPECT_EQ(prefetch.param("lines")->values().back(), 8);
  EXPECT_EQ(prefetch.param("distance")->max, 16);
  EXPECT_EQ(sites[0].rewrites[1].param("lines")->max, 64);
  cap_vector_lines(sites, 4 * sizeof(float));  // a vector within one line
  EXPECT_EQ(sites[0].rewrites[0].param("lines")->max, 1);
  std::vector<SiteRecord> wide = {site};
  cap_vector_lines(wide, 784 * sizeof(float));  // 49 lines: the default stays
  EXPECT_EQ(wide[0].rewrites[0].param("lines")->max, 49);
  EXPECT_EQ(wide[0].rewrites[0].param("lines")->default_value, 16);
}

}  // namespace
}  // namespace crinn::schema
