// The runtime helpers the query-path rewrites call: quantized codes and
// re-ranking, the flat graph, entry points, nearest-first lists, the best-k watch.
#include <crinn/runtime/flat_graph.h>
#include <crinn/runtime/quantized.h>
#include <crinn/runtime/query_path.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include <limits>
#include <random>
#include <thread>

namespace crinn::runtime {
namespace {

float l2(const float* a, const float* b, std::size_t dim) {
  float sum = 0;
  for (std::size_t d = 0; d < dim; ++d) sum += (a[d] - b[d]) * (a[d] - b[d]);
  return sum;
}

// The index's distance as the rewrite hands it to the codes.
auto squared_l2(std::size_t dim) {
  return [dim](const float* a, const float* b) { return l2(a, b, dim); };
}

// An inner-product index's distance, likewise.
auto one_minus_dot(std::size_t dim) {
  return [dim](const float* a, const float* b) {
    float dot = 0;
    for (std::size_t d = 0; d < dim; ++d) dot += a[d] * b[d];
    return 1.0f - dot;
  };
}

std::vector<float> random_data(std::size_t n, std::size_t dim, unsigned seed, bool whole_numbers) {
  std::mt19937 rng(seed);
  std::vector<float> data(n * dim);
  for (float& x : data) x = whole_numbers ? float(rng() % 256) : std::uniform_real_distribution<float>(-1, 1)(rng);
  // Every dimension spans the same range, so one step fits all.
  for (std::size_t d = 0; d < dim; ++d) data[d] = whole_numbers ? 0 : -1, data[dim + d] = whole_numbers ? 255 : 1;
  return data;
}

TEST(QuantizedCodes, Sq8OfWholeNumbersIsExact) {
  const std::size_t n = 300, dim = 37;  // not a multiple of the SIMD width: the tail runs too
  std::vector<float> data = random_data(n, dim, 1, true);
  QuantizedCodes<8> codes;
  auto exact = [&](const float* a, const float* b) { return l2(a, b, dim); };
  QuantizedScope<8> scope(codes, data.data(), n, dim, 1, exact);
  ASSERT_TRUE(codes.active());
  ASSERT_TRUE(codes.begin_query(&data[5 * dim]));
  for (std::size_t i = 0; i < n; ++i) EXPECT_FLOAT_EQ(codes.distance(i), l2(&data[5 * dim], &data[i * dim], dim)) << i;
}

// Levels 0-15 on a step of 1 are exact in four bits, past the 16-dimension
// SIMD blocks, for both metrics: the inner product reads each dimension's
// level back from its half byte, so packing them in the wrong order shows.
TEST(QuantizedCodes, Sq4OfWholeNumbersIsExact) {
  const std::size_t n = 300, dim = 37;
  std::vector<float> data(n * dim);
  std::mt19937 rng(5);
  for (float& x : data) x = float(rng() % 16);
  for (std::size_t d = 0; d < dim; ++d) data[d] = 0, data[dim + d] = 15;
  auto inner = one_minus_dot(dim);
  QuantizedCodes<4> by_l2, by_dot;
  QuantizedScope<4> l2_scope(by_l2, data.data(), n, dim, 1, squared_l2(dim));
  QuantizedScope<4> dot_scope(by_dot, data.data(), n, dim, 1, inner);
  const float* query = &data[9 * dim];
  ASSERT_TRUE(by_l2.begin_query(query) && by_dot.begin_query(query));
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_FLOAT_EQ(by_l2.distance(i), l2(query, &data[i * dim], dim)) << i;
    EXPECT_FLOAT_EQ(by_dot.distance(i), inner(query, &data[i * dim])) << i;
  }
}

// Rows that hold more than the vector (hnswlib keeps links before it and a
// label after it in one block) give the same codes as the bare vectors.
TEST(QuantizedCodes, ReadsVectorsInsideLongerRows) {
  const std::size_t n = 120, dim = 20, row = 27, lead = 5;
  std::vector<float> data = random_data(n, dim, 4, false);
  std::vector<float> rows(n * row, 1e9f);  // what is not the vector must not be read
  for (std::size_t i = 0; i < n; ++i) std::copy(&data[i * dim], &data[(i + 1) * dim], &rows[i * row + lead]);
  auto exact = [&](const float* a, const float* b) { return l2(a, b, dim); };
  QuantizedCodes<8> bare, inside;
  QuantizedScope<8> bare_scope(bare, data.data(), n, dim, 1, exact);
  QuantizedScope<8> inside_scope(inside, rows.data() + lead, n, dim, row, 1, exact);
  ASSERT_TRUE(bare.begin_query(&data[7 * dim]) && inside.begin_query(&data[7 * dim]));
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(inside.distance(i), bare.distance(i)) << i;
}

TEST(QuantizedCodes, Sq4StaysWithinItsStep) {
  const std::size_t n = 200, dim = 64;
  std::vector<float> data = random_data(n, dim, 2, false);
  QuantizedCodes<4> codes;
  QuantizedScope<4> scope(codes, data.data(), n, dim, 1, [&](const float* a, const float* b) { return l2(a, b, dim); });
  std::vector<float> query(dim);
  std::mt19937 rng(3);
  for (float& x : query) x = std::uniform_real_distribution<float>(-1, 1)(rng);
  ASSERT_TRUE(codes.begin_query(query.data()));
  const float step = 2.0f / 15.0f;
  for (std::size_t i = 0; i < n; ++i) {
    float exact = std::sqrt(l2(query.data(), &data[i * dim], dim));
    // Each coordinate moves by at most half a step, the query's and the node's.
    EXPECT_NEAR(std::sqrt(codes.distance(i)), exact, step * std::sqrt(float(dim))) << i;
  }
}

TEST(QuantizedCodes, CalibratesToTheIndexsInnerProduct) {
  const std::size_t n = 100, dim = 19;  // past the 8-float SIMD blocks
  std::vector<float> data = random_data(n, dim, 4, false);
  auto inner = one_minus_dot(dim);
  QuantizedCodes<8> codes;
  QuantizedScope<8> scope(codes, data.data(), n, dim, 1, inner);
  ASSERT_TRUE(codes.begin_query(&data[7 * dim]));
  for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(codes.distance(i), inner(&data[7 * dim], &data[i * dim]), 0.05) << i;
}

// FP16 rows give both metrics within FP16's precision (a relative error of
// 2^-11 per coordinate), past the SIMD blocks' tails.
TEST(QuantizedCodes, HalfRowsKeepBothMetricsToFp16Precision) {
  const std::size_t n = 150, dim = 37;
  std::vector<float> data = random_data(n, dim, 6, false);
  auto dot = [&](const float* a, const float* b) {
    float sum = 0;
    for (std::size_t d = 0; d < dim; ++d) sum += a[d] * b[d];
    return sum;
  };
  auto euclidean = [&](const float* a, const float* b) { return l2(a, b, dim); };
  auto one_minus_dot = [&](const float* a, const float* b) { return 1.0f - dot(a, b); };
  QuantizedCodes<8> by_l2, by_dot;
  by_l2.use_half_rows();
  by_dot.use_half_rows();
  QuantizedScope<8> l2_scope(by_l2, data.data(), n, dim, 1, euclidean);
  QuantizedScope<8> dot_scope(by_dot, data.data(), n, dim, 1, one_minus_dot);
  const float* query = &data[9 * dim];
  ASSERT_TRUE(by_l2.begin_query(query) && by_dot.begin_query(query));
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = &data[i * dim];
    EXPECT_NEAR(by_l2.half_distance(i), euclidean(query, row), 2e-3f * (1.0f + euclidean(query, row))) << i;
    EXPECT_NEAR(by_dot.half_distance(i), one_minus_dot(query, row), 2e-3f * (1.0f + std::fabs(dot(query, row)))) << i;
  }
}

TEST(QuantizedCodes, OutsideAScopeTheLoopKeepsExactDistances) {
  std::vector<float> data = random_data(10, 4, 5, true);
  QuantizedCodes<8> codes;
  {
    QuantizedScope<8> scope(codes, data.data(), 10, 4, 1, squared_l2(4));
    EXPECT_TRUE(codes.active());
  }
  EXPECT_FALSE(codes.begin_query(data.data()));
  // Too few vectors to train on: the scope leaves the codes off.
  QuantizedCodes<8> untrained;
  QuantizedScope<8> scope(untrained, data.data(), 10, 4, 64, squared_l2(4));
  EXPECT_FALSE(untrained.active());
}

TEST(QuantizedCodes, ADistanceThatIsNeitherMetricLeavesTheCodesOff) {
  std::vector<float> data = random_data(10, 4, 5, true);
  QuantizedCodes<8> codes;
  QuantizedScope<8> scope(codes, data.data(), 10, 4, 1, [](const float*, const float*) { return 0.0f; });
  EXPECT_FALSE(codes.active());
}

// Storage the rewrite cannot read whole: the dimension is probed through the
// distance, the first queries run exact while the vectors they reach are
// sampled (only inside a scope), and codes are made per node once trained.
TEST(QuantizedCodes, ReachedNodesTrainThenRunOnCodes) {
  const std::size_t n = 300, dim = 24;
  std::vector<float> data = random_data(n, dim, 9, true);
  QuantizedCodes<8> codes;
  auto exact = squared_l2(dim);
  for (std::size_t i = 0; i < n; ++i) codes.observe(i, &data[i * dim], 0.0f);  // the build: not sampled
  {
    QuantizedScope<8> first(codes, 200, exact);
    EXPECT_FALSE(codes.active());
    for (std::size_t i = 0; i < 150; ++i) EXPECT_EQ(codes.observe(i, &data[i * dim], 7.0f), 7.0f);
  }
  {
    QuantizedScope<8> second(codes, 200, exact);
    EXPECT_FALSE(codes.active());  // 150 sampled of 200
    for (std::size_t i = 100; i < n; ++i) codes.observe(i, &data[i * dim], 0.0f);
  }
  QuantizedScope<8> third(codes, 200, exact);
  ASSERT_TRUE(codes.active());
  ASSERT_TRUE(codes.begin_query(&data[0]));
  // Whole numbers 0..255 in every dimension: the codes are exact.
  for (std::size_t i = 0; i < n; i += 17)
    EXPECT_FLOAT_EQ(codes.distance(i, &data[i * dim]), exact(&data[0], &data[i * dim]));
}

// Rewrites of one loop compose at run time: while the codes are in use they
// are the query's NodeReader, so prefetching written for vectors fetches codes.
TEST(QuantizedCodes, InUseTheyAreWhatPrefetchingReads) {
  const std::size_t n = 300, dim = 24;
  std::vector<float> data = random_data(n, dim, 9, true);
  QuantizedCodes<8> codes;
  auto exact = squared_l2(dim);
  EXPECT_EQ(query_node_reader(), nullptr);
  {
    QuantizedScope<8> too_few(codes, data.data(), n, dim, n + 1, exact);  // not trained yet
    EXPECT_EQ(query_node_reader(), nullptr);
  }
  {
    QuantizedScope<8> scope(codes, data.data(), n, dim, 1, exact);
    ASSERT_TRUE(codes.active());
    EXPECT_EQ(query_node_reader(), &codes);
    {
      QuantizedCodes<4> inner_codes;
      QuantizedScope<4> inner(inner_codes, data.data(), n, dim, 1, exact);
      EXPECT_EQ(query_node_reader(), &inner_codes);
    }
    EXPECT_EQ(query_node_reader(), &codes);
  }
  EXPECT_EQ(query_node_reader(), nullptr);
}

TEST(PrefetchNode, AsksTheInstalledReaderForIdsAndFetchesVectorsOtherwise) {
  struct Recorder : NodeReader {
    void prefetch(std::size_t node, int lines) const override { asked.emplace_back(node, lines); }
    mutable std::vector<std::pair<std::size_t, int>> asked;
  } recorder;
  float vector[16] = {};
  prefetch_node<2, 3>(7, vector);  // no reader: the vector's lines, nothing recorded
  query_node_reader() = &recorder;
  prefetch_node<2, 3>(7, vector);
  prefetch_node<4, 3>(std::uint32_t(9), vector);
  struct Neighbour { int id; } not_an_id{5};
  prefetch_node<2, 3>(not_an_id, vector);  // not an id: its vector, whatever reader is installed
  query_node_reader() = nullptr;
  EXPECT_EQ(recorder.asked, (std::vector<std::pair<std::size_t, int>>{{7, 2}, {9, 4}}));
}

// The calibration times whole queries, so queries whose time depends on the
// shape they ran with make it keep the fastest arm; before and while it
// runs, a loop outside a trial uses the plan's own shape. A thread of its
// own gives the test a fresh (thread-local) calibration.
TEST(PrefetchCalibration, KeepsTheShapeWhoseQueriesRanFastest) {
  std::thread([] {
    PrefetchCalibration& calibration = PrefetchCalibration::here();
    EXPECT_EQ(calibration.shape(4, 2).distance, 4u);
    EXPECT_EQ(calibration.shape(4, 2).lines, 2);
    int queries = 0;
    while (!calibration.calibrated()) {
      PrefetchTrial trial;
      PrefetchTrial nested;  // a query entry reached again: not a trial of its own
      const PrefetchShape shape = calibration.shape(4, 2);
      // Distance 8 and one line is fast; everything else is slow.
      const auto spin = std::chrono::microseconds(shape.distance == 8 && shape.lines == 1 ? 20 : 300);
      for (auto until = std::chrono::steady_clock::now() + spin; std::chrono::steady_clock::now() < until;) {
      }
      ++queries;
    }
    EXPECT_EQ(queries, PrefetchCalibration::kArms * (PrefetchCalibration::kRounds + 1));
    EXPECT_EQ(calibration.shape(4, 2).distance, 8u);
    EXPECT_EQ(calibration.shape(4, 2).lines, 1);
    EXPECT_EQ(calibration.shape(1, 1).distance, 2u);  // the chosen arm scales every loop's plan
  }).join();
}

// Round robin gives each arm other queries: here the arm of distance and
// lines halved (arm 0) gets queries of four expansions, every other arm
// queries of one. Its expansions are the fastest, its queries the slowest;
// the calibration goes by the expansion.
TEST(PrefetchCalibration, ComparesArmsPerExpansionNotPerQuery) {
  std::thread([] {
    PrefetchCalibration& calibration = PrefetchCalibration::here();
    int queries = 0;
    while (!calibration.calibrated()) {
      PrefetchTrial trial;
      const PrefetchShape first = calibration.shape(4, 2);  // each call is one expansion
      const bool halved = first.distance == 2 && first.lines == 1;
      for (int expansion = 1; expansion < (halved ? 4 : 1); ++expansion) calibration.shape(4, 2);
      const auto spin = std::chrono::microseconds(halved ? 4 * 60 : 200);
      for (auto until = std::chrono::steady_clock::now() + spin; std::chrono::steady_clock::now() < until;) {
      }
      ++queries;
    }
    EXPECT_EQ(calibration.shape(4, 2).distance, 2u);
    EXPECT_EQ(calibration.shape(4, 2).lines, 1);
  }).join();
}

TEST(PrefetchCalibration, TiesKeepThePlansShape) {
  PrefetchCalibration calibration;
  for (int arm = 0; arm < PrefetchCalibration::kArms; ++arm) calibration.record(arm, 1.0);
  EXPECT_EQ(calibration.fastest(), PrefetchCalibration::kArms / 2);
  calibration.record(0, 0.5);  // one fast query of two: its median is still the slow one
  EXPECT_EQ(calibration.fastest(), PrefetchCalibration::kArms / 2);
  calibration.record(0, 0.5);
  EXPECT_EQ(calibration.fastest(), 0);
}

TEST(PrefetchNode, TakesItsLinesAtRunTime) {
  struct Recorder : NodeReader {
    void prefetch(std::size_t node, int lines) const override { asked.emplace_back(node, lines); }
    mutable std::vector<std::pair<std::size_t, int>> asked;
  } recorder;
  float vector[64] = {};
  prefetch_node_lines<3>(7, vector, 4);  // no reader: the vector's lines
  query_node_reader() = &recorder;
  prefetch_node_lines<3>(7, vector, 3);
  query_node_reader() = nullptr;
  EXPECT_EQ(recorder.asked, (std::vector<std::pair<std::size_t, int>>{{7, 3}}));
}

TEST(Indexed, PrefetchAheadFetchesEveryElementOnceAndAheadOfItsUse) {
  const std::vector<int> list = {10, 11, 12, 13, 14, 15, 16, 17};
  std::vector<int> fetched;
  for (auto it = indexed(list); it.valid(); it.next()) {
    it.prefetch_ahead(3, [&](int id) { fetched.push_back(id); });
    // By the time an element is used it was fetched, three elements early once the walk is under way.
    EXPECT_NE(std::find(fetched.begin(), fetched.end(), it.get()), fetched.end());
  }
  EXPECT_EQ(fetched, list);
  const std::vector<int> short_list = {1, 2};
  fetched.clear();
  for (auto it = indexed(short_list); it.valid(); it.next()) it.prefetch_ahead(5, [&](int id) { fetched.push_back(id); });
  EXPECT_EQ(fetched, short_list);
}

TEST(QuantizedCodes, ADimensionPastTheProbeLeavesTheCodesOff) {
  QuantizedCodes<8> codes;
  auto reads_everything = [](const float* a, const float* b) {
    float sum = 0.0f;
    for (std::size_t d = 0; d < (std::size_t(1) << 14); ++d) sum += (a[d] - b[d]) * (a[d] - b[d]);
    return sum;
  };
  for (int i = 0; i < 3; ++i) {
    QuantizedScope<8> scope(codes, 2, reads_everything);
    EXPECT_FALSE(codes.active());
  }
}

TEST(MappedAllocator, GrowsPastTheMappedSizeKeepingItsContents) {
  std::vector<uint8_t, crinn::runtime::MappedAllocator<uint8_t>> bytes;
  for (std::size_t i = 0; i < (std::size_t(3) << 20); ++i) bytes.push_back(uint8_t(i * 7));
  bool same = true;
  for (std::size_t i = 0; i < bytes.size(); ++i) same = same && bytes[i] == uint8_t(i * 7);
  EXPECT_TRUE(same);
  bytes.resize(10);
  bytes.shrink_to_fit();  // back below 1 MiB: from malloc again
  EXPECT_EQ(bytes[9], uint8_t(63));
}

// The VmFlags of the mapping that holds `address`, from /proc/self/smaps.
std::string mapping_flags(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  auto at = reinterpret_cast<uintptr_t>(address);
  while (std::getline(smaps, line)) {
    unsigned long begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &begin, &end) == 2 && line.find(' ') > line.find('-'))
      inside = at >= begin && at < end;
    else if (inside && line.rfind("VmFlags:", 0) == 0)
      return line;
  }
  return "";
}

TEST(MappedAllocator, HugePagesAreAdvisedAndKeepTheContents) {
  std::vector<uint8_t, crinn::runtime::MappedAllocator<uint8_t>> bytes(std::size_t(4) << 20);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = uint8_t(i * 7);
  EXPECT_EQ(mapping_flags(bytes.data()).find(" hg"), std::string::npos);
  crinn::runtime::use_huge_pages(bytes);
  EXPECT_TRUE(bytes.get_allocator().huge_pages);
  bool same = true;
  for (std::size_t i = 0; i < bytes.size(); ++i) same = same && bytes[i] == uint8_t(i * 7);
  EXPECT_TRUE(same);
  // The kernel records the advice on the mapping (where it has transparent huge pages at all).
  if (std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled"))
    EXPECT_NE(mapping_flags(bytes.data()).find(" hg"), std::string::npos) << mapping_flags(bytes.data());
  bytes.resize(bytes.size() * 2);  // a growth keeps the allocator, and so the advice
  EXPECT_TRUE(bytes.get_allocator().huge_pages);
}

TEST(AlignedAllocator, LargeBlocksWithHugePagesStartOnOneAndAreAdvised) {
  std::vector<float, AlignedAllocator<float, 64, true>> vectors(std::size_t(4) << 20, 1.5f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(vectors.data()) % (std::size_t(1) << 21), 0u);
  if (std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled"))
    EXPECT_NE(mapping_flags(vectors.data()).find(" hg"), std::string::npos) << mapping_flags(vectors.data());
  EXPECT_EQ(vectors.back(), 1.5f);
  std::vector<float, AlignedAllocator<float, 64, true>> small(100);  // below 2 MiB: aligned as asked only
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small.data()) % 64, 0u);
  std::vector<float, AlignedAllocator<float, 64>> plain(std::size_t(4) << 20);
  EXPECT_EQ(mapping_flags(plain.data()).find(" hg"), std::string::npos);
}

TEST(Rerank, GivesTheBestTheirExactDistances) {
  std::priority_queue<std::pair<float, int>> results;  // the furthest on top
  for (int id = 0; id < 6; ++id) results.emplace(float(id), id);
  // Exact distances reverse the order of the best three.
  rerank(results, 3, [](int id) { return id < 3 ? 10.0f - float(id) : float(id); });
  std::vector<int> order;
  for (; !results.empty(); results.pop()) order.insert(order.begin(), results.top().second);
  EXPECT_EQ(order, (std::vector<int>{3, 4, 5, 2, 1, 0}));
}

// Prefetching the re-ranked vectors ahead changes no answer, and asks for
// the vector of every re-ranked entry and of no other.
TEST(Rerank, PrefetchesTheReRankedVectorsAhead) {
  std::vector<std::vector<float>> rows(6, std::vector<float>(40, 1.0f));
  for (std::size_t ahead : {0, 1, 2, 8}) {
    std::priority_queue<std::pair<float, int>> results;
    for (int id = 0; id < 6; ++id) results.emplace(float(id), id);
    std::vector<int> asked;
    auto vector = [&](int id) -> const std::vector<float>& {
      asked.push_back(id);
      return rows[std::size_t(id)];
    };
    rerank(results, 3, prefetched_exact(ahead, 40 * sizeof(float), vector,
                                        [](int id) { return id < 3 ? 10.0f - float(id) : float(id); }));
    std::vector<int> order;
    for (; !results.empty(); results.pop()) order.insert(order.begin(), results.top().second);
    EXPECT_EQ(order, (std::vector<int>{3, 4, 5, 2, 1, 0})) << "ahead " << ahead;
    std::sort(asked.begin(), asked.end());
    EXPECT_EQ(asked, ahead == 0 ? std::vector<int>{} : (std::vector<int>{0, 1, 2})) << "ahead " << ahead;
  }
}

TEST(Rerank, ReadsTheFieldsOfOtherEntries) {
  struct Hit {
    float dist;
    int id;
  };
  std::vector<Hit> results = {{2.0f, 7}, {1.0f, 8}, {3.0f, 9}};
  rerank(results, 2, [](int id) { return id == 8 ? 5.0f : 0.5f; }, [](Hit& hit) -> float& { return hit.dist; },
         [](const Hit& hit) { return hit.id; });
  EXPECT_EQ(results[0].id, 7);
  EXPECT_FLOAT_EQ(results[0].dist, 0.5f);
  EXPECT_EQ(results[1].id, 9);
  EXPECT_EQ(results[2].id, 8);
}

TEST(RerankErrors, WideUntilWarmThenTheQuantileOfWhatWasSeen) {
  RerankErrors errors;
  for (std::size_t i = 0; i < RerankErrors::kWarmUp - 1; ++i) errors.observe(0.001f);
  errors.update(0.99);
  EXPECT_EQ(errors.bound(), 1.0f);
  EXPECT_TRUE(errors.explores());
  // 1,000 errors spread evenly up to 0.01, and negative ones (code
  // distances that underestimate), which never need a wider re-rank.
  for (int i = 1; i <= 1000; ++i) errors.observe(0.01f * float(i) / 1000.0f);
  for (int i = 0; i < 100; ++i) errors.observe(-0.5f);
  errors.observe(std::numeric_limits<float>::infinity());  // a k-th distance of 0: the widest bin
  errors.update(0.99);
  EXPECT_GT(errors.bound(), 0.0099f * 0.99f);
  EXPECT_LT(errors.bound(), 0.0099f * 1.2f);  // within a bin (10^(1/16) = 1.155)
  EXPECT_FALSE(errors.explores());
}

// Code distances off by up to 50 % of the exact ones: a fixed re-rank of
// the best 10 by code loses true neighbours; the widening one finds nearly
// all while computing far fewer exact distances than the whole pool.
TEST(Rerank, WideningFollowsTheCodesError) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> noise(-0.5f, 0.5f);
  std::size_t found_fixed = 0, found_widening = 0, exact_calls = 0, queries = 0;
  for (int query = 0; query < 600; ++query) {
    std::vector<std::pair<float, int>> fixed, widening;
    std::vector<float> exact_of(200);
    for (int id = 0; id < 200; ++id) {
      exact_of[std::size_t(id)] = float(id + 1);
      const float code = float(id + 1) * (1.0f + noise(rng));
      fixed.emplace_back(code, id);
      widening.emplace_back(code, id);
    }
    auto exact = [&](int id) { return exact_of[std::size_t(id)]; };
    std::size_t calls = 0;
    rerank(fixed, 10, exact);
    rerank_widening(widening, 1, 10, 0.999, [&](int id) {
      ++calls;
      return exact(id);
    });
    if (query < 100) continue;  // past the warm-up
    ++queries;
    exact_calls += calls;
    for (int i = 0; i < 10; ++i) {
      found_fixed += fixed[std::size_t(i)].second < 10;
      found_widening += widening[std::size_t(i)].second < 10;
    }
  }
  const double recall_fixed = double(found_fixed) / double(10 * queries);
  const double recall_widening = double(found_widening) / double(10 * queries);
  EXPECT_LT(recall_fixed, 0.95) << recall_fixed;
  EXPECT_GT(recall_widening, 0.995) << recall_widening;
  // About 30 a query when narrow (codes up to 1.5 x the 10th distance), the
  // whole pool one query in 32.
  EXPECT_LT(double(exact_calls) / double(queries), 60.0);
}

TEST(FlatGraph, RowsHoldTheListsAndFollowEdits) {
  std::vector<std::vector<int>> lists = {{1, 2}, {0}, {0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, {}};
  FlatGraph<int> graph;
  {
    FlatGraphScope<int> scope(graph, lists.size(), [&](std::size_t i) -> const auto& { return lists[i]; });
    ASSERT_TRUE(graph.active());
    for (std::size_t i = 0; i < lists.size(); ++i) {
      IdSpan<int> row = graph.neighbors(i);
      EXPECT_EQ(std::vector<int>(row.begin(), row.end()), lists[i]);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(graph.row(i)) % 64, 0u);  // rows start on cache lines
    }
  }
  EXPECT_FALSE(graph.active());
  std::swap(lists[0][0], lists[0][1]);
  graph_edits().fetch_add(1);
  FlatGraphScope<int> scope(graph, lists.size(), [&](std::size_t i) -> const auto& { return lists[i]; });
  EXPECT_EQ(graph.neighbors(0)[0], 2);
}

// hnswlib's layer 0: per node, a count word and then the ids, read through
// a pointer. The verbatim rows copy exactly those words, with a spare one
// after the widest list, so a loop pointed at a row reads what it read before.
TEST(FlatGraph, VerbatimRowsKeepWhatAPointerReads) {
  std::vector<std::vector<int>> words = {{2, 7, 9}, {0}, {3, 1, 2, 3}};
  FlatGraph<int> graph;
  FlatGraphScope<int> scope(graph, words.size(), [&](std::size_t i) { return IdRun<int>{words[i].data(), words[i].size()}; },
                            RowLayout::kVerbatim);
  ASSERT_TRUE(graph.active());
  for (std::size_t i = 0; i < words.size(); ++i) {
    int* row = graph.words(i);
    EXPECT_EQ(std::vector<int>(row, row + words[i].size()), words[i]);
    EXPECT_EQ(row[words[i].size()], 0);  // the spare word past the list
    EXPECT_EQ(reinterpret_cast<uintptr_t>(row) % 64, 0u);
  }
}

TEST(QueryPath, ScopesNest) {
  EXPECT_FALSE(on_query_path());
  {
    QueryPathScope outer;
    {
      QueryPathScope inner;
      EXPECT_TRUE(on_query_path());
    }
    EXPECT_TRUE(on_query_path());
  }
  EXPECT_FALSE(on_query_path());
}

TEST(EntryPoints, SpreadOutOrHighestDegree) {
  // Points on a line: farthest-point sampling from 0 picks the far end next.
  std::vector<int> degree = {1, 5, 2, 9, 3};
  EntryPoints<int> spread, busiest;
  spread.sync(5, 3, EntryPoints<int>::kSpreadOut, [](int a, int b) { return float((a - b) * (a - b)); },
              [&](std::size_t i) { return degree[i]; });
  EXPECT_EQ(spread.nodes(), (std::vector<int>{0, 4, 2}));
  busiest.sync(5, 2, EntryPoints<int>::kHighDegree, [](int, int) { return 0.0f; }, [&](std::size_t i) { return degree[i]; });
  EXPECT_EQ(busiest.nodes(), (std::vector<int>{3, 1}));
}

TEST(NearestFirst, SortsEachListByDistanceToItsNode) {
  std::vector<std::vector<int>> lists = {{3, 1, 2}, {0, 3}, {3, 0}, {2}};
  auto distance = [](std::size_t a, int b) { return float((int(a) - b) * (int(a) - b)); };
  uint64_t edits = graph_edits().load();
  NearestFirst sorter;
  sorter.sync(lists.size(), [&](std::size_t i) -> auto& { return lists[i]; }, distance);
  EXPECT_EQ(lists[0], (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(lists[1], (std::vector<int>{0, 3}));
  EXPECT_EQ(lists[2], (std::vector<int>{3, 0}));
  EXPECT_EQ(graph_edits().load(), edits + 1);
  sorter.sync(lists.size(), [&](std::size_t i) -> auto& { return lists[i]; }, distance);  // same size: done once
  EXPECT_EQ(graph_edits().load(), edits + 1);
}

TEST(NearestFirst, SortsListsInTheIndexsOwnMemory) {
  // Two lists in one block, each a count and then the ids, as hnswlib keeps them.
  std::vector<int> block = {3, 3, 1, 2, /* node 1 */ 2, 3, 0};
  auto list_of = [&](std::size_t i) { int* at = &block[i == 0 ? 0 : 4]; return IdRun<int>{at + 1, std::size_t(at[0])}; };
  auto distance = [](std::size_t a, int b) { return float((int(a) - b) * (int(a) - b)); };
  NearestFirst sorter;
  sorter.sync(2, list_of, distance);
  EXPECT_EQ(block, (std::vector<int>{3, 1, 2, 3, 2, 0, 3}));  // counts stay; ids sorted by distance to the node
}

TEST(BestKWatch, ConvergesAfterAWindowWithoutChange) {
  BestKWatch watch(2);
  watch.offer(5.0f);
  EXPECT_FALSE(watch.converged(1, 4));  // improved
  watch.offer(9.0f);                    // fills the best two: a change
  EXPECT_FALSE(watch.converged(1, 4));
  watch.offer(10.0f);  // worse than both: no change
  EXPECT_FALSE(watch.converged(1, 4));  // one stale expansion
  EXPECT_TRUE(watch.converged(1, 4));   // two
  watch.offer(1.0f);
  EXPECT_FALSE(watch.converged(1, 4));
}

TEST(BestKWatch, AResultSetStillFillingIsNeverConverged) {
  BestKWatch watch(1);
  watch.offer(1.0f);
  EXPECT_FALSE(watch.converged(0, 1));
  // Each expansion adds results worse than the best one: the best k stay,
  // but the set grows, so the search goes on.
  for (std::size_t held = 2; held <= 10; ++held) {
    watch.offer(2.0f);
    EXPECT_FALSE(watch.converged(0, held)) << held << " results held";
  }
  // An expansion that found nothing new while no result was ever trimmed:
  // the set may still be filling (a bound of 10 or more), so the search goes
  // on. It used to stop here and answer fewer than k.
  EXPECT_FALSE(watch.converged(0, 10));
  watch.offer(3.0f);                    // pushed and trimmed: the set is at its bound
  EXPECT_TRUE(watch.converged(0, 10));  // full and unchanged
}

TEST(StallWatch, StopsAfterItsPatienceOnceFullAndPastTheMinimum) {
  StallWatch watch(/*patience=*/2, /*min_expansions=*/4, /*min_inserts=*/1);
  EXPECT_FALSE(watch.stalled(1));  // the first expansion is never checked
  watch.inserted();
  watch.inserted();  // one of the two trimmed: the set is at its bound of 2
  EXPECT_FALSE(watch.stalled(2));
  EXPECT_FALSE(watch.stalled(2));  // one expansion without a result
  EXPECT_FALSE(watch.stalled(2));  // two, but only four expansions made
  EXPECT_TRUE(watch.stalled(2));
}

TEST(StallWatch, NeverStopsAResultSetThatMayStillBeFilling) {
  // Expansions that find nothing new while no result was ever trimmed: the
  // set may be filling towards its bound, and a stop would answer fewer than k.
  StallWatch watch(1, 0, 1);
  EXPECT_FALSE(watch.stalled(1));
  watch.inserted();
  for (int expansion = 0; expansion < 10; ++expansion) EXPECT_FALSE(watch.stalled(2)) << expansion;
  // Where the result set is not known, it is taken as full.
  StallWatch blind(1, 0, 1);
  EXPECT_FALSE(blind.stalled());
  EXPECT_TRUE(blind.stalled());
}

TEST(StallWatch, GrowthIsProgressWhenMoreInsertsAreAsked) {
  StallWatch watch(1, 0, /*min_inserts=*/3);
  EXPECT_FALSE(watch.stalled(1));
  watch.inserted();
  EXPECT_FALSE(watch.stalled(2));  // one result, but the set grew
  watch.inserted();
  EXPECT_TRUE(watch.stalled(2));  // one result, trimmed: full and short of 3
}

}  // namespace
}  // namespace crinn::runtime
