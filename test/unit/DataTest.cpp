#include "Data/Formats.h"
#include "Data/GroundTruth.h"
#include "Data/Registry.h"
#include "Data/Sample.h"
#include "Data/Synthetic.h"

#include <gtest/gtest.h>

#include <hdf5.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <numeric>

namespace crinn::data {
namespace {

class DataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/crinn-data-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

// Runs `load` and returns the DataError message it must throw.
template <typename Load>
std::string error_of(Load load) {
  try {
    load();
  } catch (const DataError& e) {
    return e.what();
  }
  return "(no error)";
}

template <typename T>
void write_record(std::ofstream& out, const std::vector<T>& values) {
  int32_t dim = int32_t(values.size());
  out.write(reinterpret_cast<const char*>(&dim), sizeof dim);
  out.write(reinterpret_cast<const char*>(values.data()), std::streamsize(values.size() * sizeof(T)));
}

Dataset small_dataset(Metric metric = Metric::Euclidean) {
  SyntheticSpec spec;
  spec.train = 600;
  spec.test = 30;
  spec.dim = 12;
  spec.metric = metric;
  return make_synthetic(spec);
}

TEST_F(DataTest, FvecsRoundTrip) {
  std::ofstream out(path("a.fvecs"), std::ios::binary);
  write_record<float>(out, {1, 2, 3});
  write_record<float>(out, {4, 5, 6});
  out.close();
  Matrix m = load_fvecs(path("a.fvecs"));
  EXPECT_EQ(m.rows, 2);
  EXPECT_EQ(m.dim, 3);
  EXPECT_EQ(m.values, (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST_F(DataTest, BvecsBecomeFloats) {
  std::ofstream out(path("a.bvecs"), std::ios::binary);
  write_record<uint8_t>(out, {0, 128, 255});
  out.close();
  Matrix m = load_bvecs(path("a.bvecs"));
  EXPECT_EQ(m.values, (std::vector<float>{0, 128, 255}));
}

TEST_F(DataTest, IvecsKeepsEachList) {
  std::ofstream out(path("a.ivecs"), std::ios::binary);
  write_record<int32_t>(out, {7, 8});
  write_record<int32_t>(out, {9, 10});
  out.close();
  auto lists = load_ivecs(path("a.ivecs"));
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(lists[1], (std::vector<int32_t>{9, 10}));
}

TEST_F(DataTest, TexmexErrorsNameFileAndProblem) {
  EXPECT_EQ(error_of([&] { load_fvecs(path("none.fvecs")); }), path("none.fvecs") + ": cannot open file");

  std::ofstream truncated(path("t.fvecs"), std::ios::binary);
  write_record<float>(truncated, {1, 2, 3});
  int32_t dim = 3;
  float half = 1.0f;
  truncated.write(reinterpret_cast<const char*>(&dim), sizeof dim);
  truncated.write(reinterpret_cast<const char*>(&half), sizeof half);
  truncated.close();
  EXPECT_EQ(error_of([&] { load_fvecs(path("t.fvecs")); }),
            path("t.fvecs") + ": truncated vector 1: its dimension 3 needs 12 bytes, 4 follow");

  std::ofstream mixed(path("m.fvecs"), std::ios::binary);
  write_record<float>(mixed, {1, 2, 3});
  write_record<float>(mixed, {1, 2});
  mixed.close();
  EXPECT_EQ(error_of([&] { load_fvecs(path("m.fvecs")); }),
            path("m.fvecs") + ": vector 1 has dimension 2, expected 3");

  std::ofstream(path("empty.fvecs")).close();
  EXPECT_EQ(error_of([&] { load_fvecs(path("empty.fvecs")); }), path("empty.fvecs") + ": holds no vectors");
}

// IDX images: a big-endian header (magic 0x803, count, rows, cols), then bytes.
std::string idx_bytes(uint32_t magic, uint32_t count, uint32_t rows, uint32_t cols, size_t pixels) {
  std::string bytes;
  for (uint32_t v : {magic, count, rows, cols})
    for (int shift = 24; shift >= 0; shift -= 8) bytes += char((v >> shift) & 0xff);
  for (size_t i = 0; i < pixels; ++i) bytes += char(i % 251);
  return bytes;
}

TEST_F(DataTest, IdxImagesPlainAndGzipped) {
  std::string bytes = idx_bytes(0x803, 3, 2, 2, 12);
  std::ofstream(path("plain-idx3-ubyte"), std::ios::binary) << bytes;
  gzFile gz = gzopen(path("packed-idx3-ubyte.gz").c_str(), "wb");
  gzwrite(gz, bytes.data(), unsigned(bytes.size()));
  gzclose(gz);

  for (const char* name : {"plain-idx3-ubyte", "packed-idx3-ubyte.gz"}) {
    Matrix m = load_idx_images(path(name));
    EXPECT_EQ(m.rows, 3) << name;
    EXPECT_EQ(m.dim, 4) << name;
    EXPECT_EQ(m.values[5], 5.0f) << name;
    EXPECT_EQ(m.values[11], 11.0f) << name;
  }
}

TEST_F(DataTest, IdxErrors) {
  std::ofstream(path("labels"), std::ios::binary) << idx_bytes(0x801, 3, 2, 2, 12);
  EXPECT_EQ(error_of([&] { load_idx_images(path("labels")); }),
            path("labels") + ": not an IDX file of unsigned-byte images (magic 2049)");
  std::ofstream(path("short"), std::ios::binary) << idx_bytes(0x803, 3, 2, 2, 7);
  EXPECT_EQ(error_of([&] { load_idx_images(path("short")); }),
            path("short") + ": header declares 3 images of 2 x 2 pixels (12 bytes), but 7 bytes follow it");
}

// Issue 16, case 12: sizes from a header are checked against the file and the
// limits of a dataset before anything of their size is allocated (a 16-byte
// IDX file made 1 GB, bigger claims a bare std::bad_alloc).
TEST_F(DataTest, IdxDeclaredSizesAreCheckedFirst) {
  std::ofstream(path("header-only"), std::ios::binary) << idx_bytes(0x803, 10000, 28, 28, 0);
  EXPECT_EQ(error_of([&] { load_idx_images(path("header-only")); }),
            path("header-only") + ": header declares 10000 images of 28 x 28 pixels (7840000 bytes), but 0 bytes follow it");

  std::string header = idx_bytes(0x803, 4000000, 28, 28, 0);
  gzFile gz = gzopen(path("header-only.gz").c_str(), "wb");
  gzwrite(gz, header.data(), unsigned(header.size()));
  gzclose(gz);
  EXPECT_NE(error_of([&] { load_idx_images(path("header-only.gz")); })
                .find(": header declares 4000000 images of 28 x 28 pixels (3136000000 bytes), but its "),
            std::string::npos);

  // 65536 x 65536 wrapped to 0 in 32 bits ("holds no images").
  std::ofstream(path("wide"), std::ios::binary) << idx_bytes(0x803, 1, 65536, 65536, 16);
  EXPECT_EQ(error_of([&] { load_idx_images(path("wide")); }),
            path("wide") + ": header declares images of 65536 x 65536 pixels, more than the 16777216 values a row may have");
  std::ofstream(path("many"), std::ios::binary) << idx_bytes(0x803, 0xffffffffu, 1, 1, 16);
  EXPECT_EQ(error_of([&] { load_idx_images(path("many")); }),
            path("many") + ": header declares 4294967295 images, more than 2147483647");
}

// Issue 16 fuzzing (fuzz target hdf5_loader): libhdf5 looped forever reading
// the 'distance' attribute of a file with a corrupt global heap, so
// crinn-bench never returned; on another it asked for 36 GB.
TEST_F(DataTest, Hdf5AttributesThatLibhdf5ChokesOnAreErrors) {
  const std::string findings = std::string(CRINN_SOURCE_DIR) + "/test/fuzz/findings/hdf5_loader/";
  const std::string hangs = findings + "hangs-in-H5HG_read";
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(error_of([&] { load_hdf5(hangs); }),
            hangs + ": reading attribute 'distance' took more than 5 s: libhdf5 loops on some corrupt files");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 8.0);
  const std::string allocates = findings + "allocates-36GB-in-H5T__conv_vlen";
  EXPECT_EQ(error_of([&] { load_hdf5(allocates); }), allocates + ": cannot read attribute 'distance'");
}

// Issue 16 fuzzing (fuzz target idx_loader): the pixels per image of two
// 32-bit sizes overflowed a signed 64-bit product, which is undefined.
TEST_F(DataTest, IdxLargestImageSizesDoNotOverflow) {
  std::ofstream(path("widest"), std::ios::binary) << idx_bytes(0x803, 1, 0xffffffffu, 0xffffffffu, 16);
  EXPECT_EQ(error_of([&] { load_idx_images(path("widest")); }),
            path("widest") + ": header declares images of 4294967295 x 4294967295 pixels, more than the 16777216 "
                             "values a row may have");
}

// Issue 16, case 12: a vector's dimension is checked against the bytes left
// in the file before a buffer of that size is made.
TEST_F(DataTest, TexmexDimensionIsCheckedAgainstTheFile) {
  std::ofstream huge(path("huge.fvecs"), std::ios::binary);
  int32_t dim = 1 << 24;
  huge.write(reinterpret_cast<const char*>(&dim), sizeof dim);
  huge.close();
  EXPECT_EQ(error_of([&] { load_fvecs(path("huge.fvecs")); }),
            path("huge.fvecs") + ": truncated vector 0: its dimension 16777216 needs 67108864 bytes, 0 follow");
  EXPECT_EQ(error_of([&] { load_ivecs(path("huge.fvecs")); }),
            path("huge.fvecs") + ": truncated vector 0: its dimension 16777216 needs 67108864 bytes, 0 follow");
  EXPECT_EQ(error_of([&] { load_bvecs(path("huge.fvecs")); }),
            path("huge.fvecs") + ": truncated vector 0: its dimension 16777216 needs 16777216 bytes, 0 follow");
}

std::vector<float> rows_of(const Matrix& m) { return std::vector<float>(m.data(), m.data() + m.size()); }

TEST_F(DataTest, Hdf5RoundTripKeepsEverything) {
  Dataset original = small_dataset(Metric::Angular);
  original.truth = compute_ground_truth(original, 10);
  save_hdf5(original, path("set.hdf5"));
  Dataset loaded = load_hdf5(path("set.hdf5"));
  EXPECT_EQ(loaded.metric, Metric::Angular);
  EXPECT_EQ(rows_of(loaded.train), original.train.values);
  EXPECT_EQ(loaded.test.values, original.test.values);
  EXPECT_EQ(loaded.truth.k, 10);
  EXPECT_EQ(loaded.truth.ids, original.truth.ids);
  EXPECT_EQ(loaded.truth.distances, original.truth.distances);
  // Nothing half-written is left beside it.
  EXPECT_NE(access((path("set.hdf5") + ".tmp." + std::to_string(getpid())).c_str(), F_OK), 0);
}

// h5py writes the "distance" attribute as a fixed-length string in some
// versions; the loader reads both kinds.
TEST_F(DataTest, Hdf5ReadsFixedLengthDistanceAttribute) {
  Dataset original = small_dataset();
  save_hdf5(original, path("set.hdf5"));
  hid_t file = H5Fopen(path("set.hdf5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  H5Adelete(file, "distance");
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, 7);  // "angular", not NUL-terminated
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attribute = H5Acreate2(file, "distance", type, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(attribute, type, "angular");
  H5Aclose(attribute);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(file);
  EXPECT_EQ(load_hdf5(path("set.hdf5")).metric, Metric::Angular);
}

TEST_F(DataTest, Hdf5ErrorsNameFileAndProblem) {
  EXPECT_EQ(error_of([&] { load_hdf5(path("none.hdf5")); }), path("none.hdf5") + ": cannot open file");
  std::ofstream(path("text.hdf5")) << "hello";
  EXPECT_EQ(error_of([&] { load_hdf5(path("text.hdf5")); }), path("text.hdf5") + ": not an HDF5 file");

  Dataset mismatch = small_dataset();
  mismatch.test.dim = 6;
  mismatch.test.rows *= 2;
  save_hdf5(mismatch, path("mismatch.hdf5"));
  EXPECT_EQ(error_of([&] { load_hdf5(path("mismatch.hdf5")); }),
            path("mismatch.hdf5") + ": dimension mismatch: train has 12 columns, test has 6");

  Dataset with_nan = small_dataset();
  with_nan.test.values[2 * 12 + 1] = std::nanf("");
  save_hdf5(with_nan, path("nan.hdf5"));
  EXPECT_EQ(error_of([&] { load_hdf5(path("nan.hdf5")); }),
            path("nan.hdf5") + ": test row 2 holds a NaN or infinite value");

  Dataset bad_metric = small_dataset();
  save_hdf5(bad_metric, path("hamming.hdf5"));
  hid_t file = H5Fopen(path("hamming.hdf5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  H5Adelete(file, "distance");
  H5Fclose(file);
  EXPECT_EQ(error_of([&] { load_hdf5(path("hamming.hdf5")); }), path("hamming.hdf5") + ": no attribute 'distance'");
}

float pattern_value(size_t i) { return float((i * 2654435761u) % 1000) / 7.0f; }

// An ann-benchmarks file whose `name` dataset is declared rows x cols floats
// (chunked, optionally deflated) with `written` rows of values written.
void write_declared_hdf5(const std::string& file_name, const char* name, hsize_t rows, hsize_t cols,
                         hsize_t written, bool deflate) {
  Dataset small = small_dataset();
  save_hdf5(small, file_name);
  hid_t file = H5Fopen(file_name.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  H5Ldelete(file, name, H5P_DEFAULT);
  hsize_t dims[2] = {rows, cols}, chunk[2] = {1, std::min<hsize_t>(cols, 1024)};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t creation = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(creation, 2, chunk);
  if (deflate) H5Pset_deflate(creation, 9);
  hid_t dataset = H5Dcreate2(file, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, creation, H5P_DEFAULT);
  ASSERT_GE(dataset, 0);
  if (written > 0) {
    std::vector<float> values(size_t(written * cols));
    for (size_t i = 0; i < values.size(); ++i) values[i] = pattern_value(i);
    hsize_t start[2] = {0, 0}, count[2] = {written, cols};
    hid_t memory = H5Screate_simple(2, count, nullptr);
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
    H5Dwrite(dataset, H5T_NATIVE_FLOAT, memory, space, H5P_DEFAULT, values.data());
    H5Sclose(memory);
  }
  H5Dclose(dataset);
  H5Pclose(creation);
  H5Sclose(space);
  H5Fclose(file);
}

// Issue 16, case 12: a 6.8 KB HDF5 file declaring a train set it does not
// store drove RSS to 1.5 GB (HDF5 reads the unwritten rows as fill values),
// and a train declared 16 x (2^60+8) was read as 16 x 8.
TEST_F(DataTest, Hdf5DeclaredSizesAreCheckedFirst) {
  write_declared_hdf5(path("unwritten.hdf5"), "train", 100000, 100, 0, false);
  EXPECT_EQ(error_of([&] { load_hdf5(path("unwritten.hdf5")); }),
            path("unwritten.hdf5") +
                ": dataset 'train' declares 100000 x 100 values (40000000 bytes) but the file stores 0 bytes of it");

  write_declared_hdf5(path("part.hdf5"), "test", 100000, 12, 10, false);
  EXPECT_NE(error_of([&] { load_hdf5(path("part.hdf5")); })
                .find(": dataset 'test' declares 100000 x 12 values (4800000 bytes) but the file stores "),
            std::string::npos);

  write_declared_hdf5(path("wide.hdf5"), "train", 16, (hsize_t(1) << 60) + 8, 0, false);
  EXPECT_EQ(error_of([&] { load_hdf5(path("wide.hdf5")); }),
            path("wide.hdf5") + ": dataset 'train' declares 16 x 1152921504606846984 values, more than the 16777216 "
                                "columns a row may have");

  write_declared_hdf5(path("tall.hdf5"), "train", hsize_t(1) << 40, 12, 0, false);
  EXPECT_EQ(error_of([&] { load_hdf5(path("tall.hdf5")); }),
            path("tall.hdf5") + ": dataset 'train' declares 1099511627776 x 12 values, more than 2147483647 rows");

  // Compressed and complete: loads, though the file is smaller than its values.
  write_declared_hdf5(path("deflated.hdf5"), "train", 2000, 12, 2000, true);
  Dataset loaded = load_hdf5(path("deflated.hdf5"));
  EXPECT_EQ(loaded.train.rows, 2000);
  std::vector<float> expected(2000 * 12);
  for (size_t i = 0; i < expected.size(); ++i) expected[i] = pattern_value(i);
  EXPECT_EQ(loaded.train.values, expected);
  EXPECT_EQ(loaded.train.mapped_rows, nullptr);  // deflated data cannot be read in place
}

// Issue 20: a big train set is read in place. crinn's cache and h5py write
// contiguous float32, which is mapped; the mapping outlives the Dataset it
// came with, in any copy.
TEST_F(DataTest, Hdf5ContiguousTrainIsMappedInPlace) {
  Dataset original = small_dataset();
  save_hdf5(original, path("set.hdf5"));
  Matrix train;
  {
    Dataset loaded = load_hdf5(path("set.hdf5"));
    ASSERT_NE(loaded.train.mapped_rows, nullptr);
    EXPECT_TRUE(loaded.train.values.empty());
    EXPECT_EQ(loaded.test.mapped_rows, nullptr);  // queries stay owned: limit_queries trims them
    train = loaded.train;
  }
  EXPECT_EQ(rows_of(train), original.train.values);
  EXPECT_EQ(train_fingerprint(Dataset{"", original.metric, train, {}, {}}), train_fingerprint(original));
}

// Big-endian floats are converted by libhdf5, never mapped as they are.
TEST_F(DataTest, Hdf5BigEndianTrainIsReadNotMapped) {
  Dataset original = small_dataset();
  save_hdf5(original, path("set.hdf5"));
  hid_t file = H5Fopen(path("set.hdf5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  H5Ldelete(file, "train", H5P_DEFAULT);
  hsize_t dims[2] = {hsize_t(original.train.rows), hsize_t(original.train.dim)};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t dataset = H5Dcreate2(file, "train", H5T_IEEE_F32BE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, original.train.values.data());
  H5Dclose(dataset);
  H5Sclose(space);
  H5Fclose(file);
  Dataset loaded = load_hdf5(path("set.hdf5"));
  EXPECT_EQ(loaded.train.mapped_rows, nullptr);
  EXPECT_EQ(loaded.train.values, original.train.values);
}

TEST(Synthetic, SameSpecSameBytesOtherSeedOtherBytes) {
  SyntheticSpec spec = parse_synthetic_spec("n=300,queries=7,dim=5,clusters=3,seed=9");
  EXPECT_EQ(spec.train, 300);
  EXPECT_EQ(spec.test, 7);
  Dataset a = make_synthetic(spec), b = make_synthetic(spec);
  EXPECT_EQ(a.train.values, b.train.values);
  EXPECT_EQ(a.test.values, b.test.values);
  EXPECT_EQ(a.train.rows, 300);
  EXPECT_EQ(a.test.rows, 7);
  spec.seed = 10;
  EXPECT_NE(make_synthetic(spec).train.values, a.train.values);
}

// Issue 20's "realistic structure": with intrinsic=k a cluster's points lie
// near k directions (here one: centred points are nearly collinear), unlike
// the isotropic default, and earlier specs keep their bytes and names.
TEST(Synthetic, IntrinsicDimensionMakesPointsLieNearFewDirections) {
  auto median_abs_cosine = [](const Matrix& m) {
    std::vector<double> mean(size_t(m.dim));
    for (int64_t r = 0; r < m.rows; ++r)
      for (int d = 0; d < m.dim; ++d) mean[size_t(d)] += m.row(r)[d] / double(m.rows);
    std::vector<double> cosines;
    for (int64_t r = 1; r < m.rows; ++r) {
      double dot = 0, a = 0, b = 0;
      for (int d = 0; d < m.dim; ++d) {
        double x = m.row(r)[d] - mean[size_t(d)], y = m.row(r - 1)[d] - mean[size_t(d)];
        dot += x * y, a += x * x, b += y * y;
      }
      cosines.push_back(std::abs(dot) / std::sqrt(a * b));
    }
    std::nth_element(cosines.begin(), cosines.begin() + cosines.size() / 2, cosines.end());
    return cosines[cosines.size() / 2];
  };
  SyntheticSpec line = parse_synthetic_spec("n=400,queries=3,dim=32,clusters=1,intrinsic=1,seed=4");
  EXPECT_EQ(line.intrinsic, 1);
  EXPECT_EQ(synthetic_name(line), "synthetic-n400-q3-d32-c1-i1-euclidean-s4");
  EXPECT_GT(median_abs_cosine(make_synthetic(line).train), 0.9);
  SyntheticSpec isotropic = parse_synthetic_spec("n=400,queries=3,dim=32,clusters=1,seed=4");
  EXPECT_EQ(synthetic_name(isotropic), "synthetic-n400-q3-d32-c1-euclidean-s4");
  EXPECT_LT(median_abs_cosine(make_synthetic(isotropic).train), 0.3);
  EXPECT_EQ(error_of([] { parse_synthetic_spec("dim=8,intrinsic=9"); }),
            "synthetic:dim=8,intrinsic=9: 'intrinsic' = 9 is past 'dim' = 8");
}

TEST(Synthetic, SpecErrors) {
  EXPECT_EQ(error_of([] { parse_synthetic_spec("n=10,colour=red"); }), "synthetic:n=10,colour=red: unknown key 'colour'");
  EXPECT_EQ(error_of([] { parse_synthetic_spec("metric=hamming"); }),
            "synthetic:metric=hamming: unknown metric 'hamming' (euclidean, angular or ip)");
}

// The reference: every distance, fully sorted.
void expect_matches_naive_loop(const Dataset& dataset, int k) {
  GroundTruth truth = compute_ground_truth(dataset, k);
  ASSERT_EQ(truth.k, k);
  for (int64_t q = 0; q < dataset.test.rows; ++q) {
    std::vector<std::pair<double, int32_t>> all;
    for (int64_t i = 0; i < dataset.train.rows; ++i)
      all.emplace_back(exact_distance(dataset.metric, dataset.test.row(q), dataset.train.row(i), dataset.train.dim),
                       int32_t(i));
    std::sort(all.begin(), all.end());
    for (int j = 0; j < k; ++j) {
      EXPECT_EQ(truth.ids[size_t(q * k + j)], all[size_t(j)].second) << "query " << q << " rank " << j;
      EXPECT_FLOAT_EQ(truth.distances[size_t(q * k + j)], float(all[size_t(j)].first));
    }
  }
}

TEST(GroundTruth, MatchesNaiveLoopEuclidean) { expect_matches_naive_loop(small_dataset(Metric::Euclidean), 100); }
TEST(GroundTruth, MatchesNaiveLoopAngular) { expect_matches_naive_loop(small_dataset(Metric::Angular), 100); }
TEST(GroundTruth, MatchesNaiveLoopInnerProduct) { expect_matches_naive_loop(small_dataset(Metric::InnerProduct), 20); }

TEST(GroundTruth, LargeCoordinatesStayExact) {
  // Fashion-MNIST-like magnitudes, where float |x|^2 - 2<q,x> loses digits.
  Dataset dataset = small_dataset();
  for (float& v : dataset.train.values) v = std::round(std::fabs(v) * 40.0f);
  for (float& v : dataset.test.values) v = std::round(std::fabs(v) * 40.0f);
  expect_matches_naive_loop(dataset, 50);
}

TEST_F(DataTest, RegistryCachesComputedGroundTruth) {
  Dataset no_truth = small_dataset();
  save_hdf5(no_truth, path("plain.hdf5"));
  std::string cache = path("cache");
  Dataset opened = open_dataset(path("plain.hdf5"), cache);
  EXPECT_EQ(opened.truth.k, kGroundTruthK);
  // The cache is a complete ann-benchmarks file and the next open reads it.
  std::string listing = path("listing");
  std::system(("ls " + cache + " > " + listing).c_str());
  std::ifstream names(listing);
  std::string cached;
  names >> cached;
  ASSERT_EQ(cached.rfind("plain-", 0), 0u) << cached;
  Dataset from_cache = load_hdf5(cache + "/" + cached);
  EXPECT_EQ(from_cache.truth.ids, opened.truth.ids);
  EXPECT_EQ(open_dataset(path("plain.hdf5"), cache).truth.ids, opened.truth.ids);
}

TEST_F(DataTest, RegistryReadsTexmexWithGivenGroundTruth) {
  Dataset d = small_dataset();
  d.truth = compute_ground_truth(d, 5);
  std::ofstream base(path("b.fvecs"), std::ios::binary), query(path("q.fvecs"), std::ios::binary),
      truth(path("g.ivecs"), std::ios::binary);
  for (int64_t r = 0; r < d.train.rows; ++r)
    write_record(base, std::vector<float>(d.train.row(r), d.train.row(r) + d.train.dim));
  for (int64_t r = 0; r < d.test.rows; ++r) {
    write_record(query, std::vector<float>(d.test.row(r), d.test.row(r) + d.test.dim));
    write_record(truth, std::vector<int32_t>(&d.truth.ids[size_t(r) * 5], &d.truth.ids[size_t(r) * 5] + 5));
  }
  base.close();
  query.close();
  truth.close();
  Dataset opened = open_dataset("texmex:base=" + path("b.fvecs") + ",query=" + path("q.fvecs") +
                                    ",groundtruth=" + path("g.ivecs"),
                                path("cache"));
  EXPECT_EQ(opened.truth.k, 5);
  EXPECT_EQ(opened.truth.ids, d.truth.ids);
  for (size_t i = 0; i < d.truth.distances.size(); ++i)
    EXPECT_FLOAT_EQ(opened.truth.distances[i], d.truth.distances[i]);
}

// Issue 20: a big synthetic set is made and its ground truth computed once,
// then read from the cache in place.
TEST_F(DataTest, RegistryCachesBigSyntheticSets) {
  const std::string spec = "synthetic:n=100000,queries=5,dim=4,clusters=20,seed=3";
  Dataset made = open_dataset(spec, path("cache"));
  EXPECT_EQ(made.train.rows, 100000);
  EXPECT_EQ(made.name, "synthetic-n100000-q5-d4-c20-euclidean-s3");
  Dataset cached = open_dataset(spec, path("cache"));
  EXPECT_NE(cached.train.mapped_rows, nullptr);
  EXPECT_EQ(cached.name, made.name);
  EXPECT_EQ(cached.truth.ids, made.truth.ids);
  EXPECT_EQ(train_fingerprint(cached), train_fingerprint(made));
  // A small set is not cached.
  open_dataset("synthetic:n=99999,queries=5,dim=4", path("cache"));
  std::string listing = path("listing");
  std::system(("ls " + path("cache") + " > " + listing).c_str());
  std::ifstream names(listing);
  std::vector<std::string> files{std::istream_iterator<std::string>(names), {}};
  EXPECT_EQ(files, std::vector<std::string>{"synthetic-n100000-q5-d4-c20-euclidean-s3-g1.hdf5"});
}

// A texmex base file whose rows are read as floats; bvecs rows become floats too.
TEST_F(DataTest, FvecsAndBvecsReadEveryRecordOfABigFile) {
  std::ofstream floats(path("big.fvecs"), std::ios::binary), bytes(path("big.bvecs"), std::ios::binary);
  for (int r = 0; r < 20000; ++r) {
    write_record(floats, std::vector<float>{float(r), 0.5f, -1.0f});
    write_record(bytes, std::vector<uint8_t>{uint8_t(r % 256), 7, 255});
  }
  floats.close();
  bytes.close();
  Matrix f = load_fvecs(path("big.fvecs")), b = load_bvecs(path("big.bvecs"));
  ASSERT_EQ(f.rows, 20000);
  ASSERT_EQ(b.rows, 20000);
  EXPECT_EQ(f.row(19999)[0], 19999.0f);
  EXPECT_EQ(f.row(19999)[2], -1.0f);
  EXPECT_EQ(b.row(19999)[0], float(19999 % 256));
  EXPECT_EQ(b.row(19999)[2], 255.0f);
}

// Issue 20, --tune-sample: distinct rows of the set in their order, the
// same for the same seed, with ground truth of the sample's own.
TEST(Sample, SeededDistinctRowsWithTheirOwnGroundTruth) {
  Dataset full = small_dataset();
  full.truth = compute_ground_truth(full, 10);
  Dataset sample = sample_train(full, 200, 7);
  ASSERT_EQ(sample.train.rows, 200);
  EXPECT_EQ(sample.test.values, full.test.values);
  EXPECT_EQ(sample.truth.k, 10);
  EXPECT_EQ(sample.truth.ids, compute_ground_truth(sample, 10).ids);
  // Each sampled row is a row of the set, later rows later in it.
  int64_t next = 0;
  for (int64_t i = 0; i < sample.train.rows; ++i) {
    while (next < full.train.rows &&
           !std::equal(full.train.row(next), full.train.row(next) + full.train.dim, sample.train.row(i)))
      ++next;
    ASSERT_LT(next, full.train.rows) << "row " << i;
    ++next;
  }
  EXPECT_EQ(sample_train(full, 200, 7).train.values, sample.train.values);
  EXPECT_NE(sample_train(full, 200, 8).train.values, sample.train.values);
  EXPECT_EQ(error_of([&] { sample_train(full, full.train.rows, 1); }),
            full.name + ": a sample of 600 train vectors: the set has 600, so a sample must be smaller");
}

TEST(Registry, UnknownDatasetIsAnError) {
  EXPECT_EQ(error_of([] { open_dataset("mnist-785", "/tmp"); }),
            "mnist-785: not a dataset: expected fashion-mnist-784-euclidean, an .hdf5 file, "
            "texmex:base=...,query=... or synthetic:...");
}

// Debian's dataset-fashion-mnist, as ann-benchmarks' fashion-mnist-784-euclidean
// uses it: raw pixel values of the 10,000 test images.
TEST(Registry, FindsFashionMnistInTheDebianPackage) {
  FashionMnistFiles files = find_fashion_mnist_files();
  Matrix test = load_idx_images(files.test_images);
  EXPECT_EQ(test.rows, 10000);
  EXPECT_EQ(test.dim, 784);
  EXPECT_EQ(*std::max_element(test.values.begin(), test.values.end()), 255.0f);
}

}  // namespace
}  // namespace crinn::data
