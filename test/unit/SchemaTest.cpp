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

}  // namespace
}  // namespace crinn::schema
