// Writes small good and bad dataset files into a directory, for the lit tests
// of how the tools treat bad input: make-testdata <dir>.
#include "Data/Formats.h"
#include "Data/GroundTruth.h"
#include "Data/Synthetic.h"

#include <hdf5.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

using namespace crinn::data;

namespace {

void write_vecs(const std::string& path, const Matrix& m, bool truncate_last) {
  std::ofstream out(path, std::ios::binary);
  for (int64_t r = 0; r < m.rows; ++r) {
    int32_t dim = m.dim;
    out.write(reinterpret_cast<const char*>(&dim), sizeof dim);
    std::streamsize bytes = std::streamsize(sizeof(float)) * m.dim;
    if (truncate_last && r == m.rows - 1) bytes /= 2;
    out.write(reinterpret_cast<const char*>(m.row(r)), bytes);
  }
}

void write_hdf5_without_train(const std::string& path, const Dataset& d) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, 10);
  hid_t scalar = H5Screate(H5S_SCALAR);
  hid_t attribute = H5Acreate2(file, "distance", type, scalar, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(attribute, type, "euclidean\0");
  hsize_t dims[2] = {hsize_t(d.test.rows), hsize_t(d.test.dim)};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t dataset = H5Dcreate2(file, "test", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, d.test.values.data());
  H5Dclose(dataset);
  H5Sclose(space);
  H5Aclose(attribute);
  H5Sclose(scalar);
  H5Tclose(type);
  H5Fclose(file);
}

// `d` with its train set replaced by one declared rows x dim floats and never
// written, which HDF5 would read as fill values (issue 16, case 12).
void write_hdf5_declaring_unwritten_train(const std::string& path, const Dataset& d, hsize_t rows) {
  save_hdf5(d, path);
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  H5Ldelete(file, "train", H5P_DEFAULT);
  hsize_t dims[2] = {rows, hsize_t(d.train.dim)}, chunk[2] = {1, hsize_t(d.train.dim)};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t creation = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(creation, 2, chunk);
  H5Dclose(H5Dcreate2(file, "train", H5T_IEEE_F32LE, space, H5P_DEFAULT, creation, H5P_DEFAULT));
  H5Pclose(creation);
  H5Sclose(space);
  H5Fclose(file);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make-testdata <dir>\n";
    return 2;
  }
  std::string dir = argv[1];
  SyntheticSpec spec;
  spec.train = 500;
  spec.test = 20;
  spec.dim = 8;
  Dataset good = make_synthetic(spec);
  good.truth = compute_ground_truth(good, 100);
  save_hdf5(good, dir + "/good.hdf5");

  Dataset no_truth = good;
  no_truth.truth = GroundTruth();
  save_hdf5(no_truth, dir + "/no-truth.hdf5");

  write_hdf5_without_train(dir + "/no-train.hdf5", good);

  Dataset mismatch = no_truth;
  spec.dim = 9;
  mismatch.test = make_synthetic(spec).test;
  save_hdf5(mismatch, dir + "/dim-mismatch.hdf5");

  Dataset with_nan = no_truth;
  with_nan.train.values[3 * 8 + 5] = std::nanf("");
  save_hdf5(with_nan, dir + "/nan.hdf5");

  write_hdf5_declaring_unwritten_train(dir + "/unwritten-train.hdf5", no_truth, 100000);

  std::ofstream(dir + "/not-hdf5.hdf5") << "train,test\n1,2\n";

  write_vecs(dir + "/base.fvecs", good.train, false);
  write_vecs(dir + "/query.fvecs", good.test, false);
  write_vecs(dir + "/truncated.fvecs", good.train, true);
  write_vecs(dir + "/query-dim9.fvecs", mismatch.test, false);
  write_vecs(dir + "/base-nan.fvecs", with_nan.train, false);
  return 0;
}
