#include "Data/Formats.h"
#include "Support/AtomicFile.h"
#include "Support/ChildProcess.h"

#include <hdf5.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

namespace crinn::data {
namespace {

// Closes an HDF5 handle with the matching H5?close when it leaves scope.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

void silence_hdf5_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// HDF5 answers a dataset's unwritten parts with fill values, so a few KB of
// header can declare terabytes: the declared shape is checked against the
// limits of Formats.h and the bytes the file stores for it.
void check_declared_size(hid_t file, hid_t dataset, hid_t type, const std::string& path, const char* name,
                         const hsize_t dims[2]) {
  const std::string what = std::string("dataset '") + name + "' declares " + std::to_string(dims[0]) + " x " +
                           std::to_string(dims[1]) + " values";
  if (dims[1] > uint64_t(kMaxDimension))
    throw DataError(path, what + ", more than the " + std::to_string(kMaxDimension) + " columns a row may have");
  if (dims[0] > uint64_t(kMaxRows)) throw DataError(path, what + ", more than " + std::to_string(kMaxRows) + " rows");
  const size_t value_bytes = H5Tget_size(type);
  if (value_bytes == 0 || value_bytes > 8)
    throw DataError(path, std::string("dataset '") + name + "' has values of " + std::to_string(value_bytes) +
                              " bytes (1 to 8 expected)");
  // Bounded above, so no product overflows: at most 2^31 x 2^24 x 8 bytes.
  const uint64_t declared_bytes = uint64_t(dims[0]) * dims[1] * value_bytes;
  Handle creation(H5Dget_create_plist(dataset), H5Pclose);
  const bool compressed = creation && H5Pget_nfilters(creation.get()) > 0;
  hsize_t file_bytes = 0;
  H5Fget_filesize(file, &file_bytes);
  const uint64_t stored = std::min<uint64_t>(H5Dget_storage_size(dataset), file_bytes);
  if (declared_bytes > stored * (compressed ? uint64_t(kMaxDeflateRatio) : 1))
    throw DataError(path, what + " (" + std::to_string(declared_bytes) + " bytes) but the file stores " +
                              std::to_string(stored) + (compressed ? " compressed" : "") + " bytes of it");
}

// Reads a 2-D dataset, converting to `memory_type`; returns (rows, cols).
template <typename T>
std::pair<int64_t, int> read_2d(hid_t file, const std::string& path, const char* name,
                                hid_t memory_type, std::vector<T>& out) {
  Handle dataset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  if (!dataset) throw DataError(path, std::string("no dataset '") + name + "'");
  Handle space(H5Dget_space(dataset.get()), H5Sclose);
  if (H5Sget_simple_extent_ndims(space.get()) != 2)
    throw DataError(path, std::string("dataset '") + name + "' is not a 2-D matrix");
  hsize_t dims[2] = {0, 0};
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  Handle type(H5Dget_type(dataset.get()), H5Tclose);
  H5T_class_t type_class = H5Tget_class(type.get());
  if (type_class != H5T_FLOAT && type_class != H5T_INTEGER)
    throw DataError(path, std::string("dataset '") + name + "' is not numeric");
  check_declared_size(file, dataset.get(), type.get(), path, name, dims);
  out.resize(size_t(dims[0]) * size_t(dims[1]));
  if (!out.empty() && H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    throw DataError(path, std::string("cannot read dataset '") + name + "'");
  return {int64_t(dims[0]), int(dims[1])};
}

Matrix read_matrix(hid_t file, const std::string& path, const char* name) {
  Matrix m;
  auto [rows, cols] = read_2d(file, path, name, H5T_NATIVE_FLOAT, m.values);
  m.rows = rows;
  m.dim = cols;
  return m;
}

// Row `row` of a float matrix dataset read through libhdf5.
bool read_row(hid_t dataset, hsize_t row, hsize_t cols, std::vector<float>& out) {
  Handle file_space(H5Dget_space(dataset), H5Sclose);
  const hsize_t start[2] = {row, 0}, count[2] = {1, cols};
  Handle memory_space(H5Screate_simple(2, count, nullptr), H5Sclose);
  out.resize(size_t(cols));
  return H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) >= 0 &&
         H5Dread(dataset, H5T_NATIVE_FLOAT, memory_space.get(), file_space.get(), H5P_DEFAULT, out.data()) >= 0;
}

// The matrix mapped in place when the file stores it as the rows a reader
// wants: contiguous, unfiltered little-endian float32 at a float-aligned
// offset (what h5py and crinn's own cache write). Nothing otherwise, and the
// caller reads it; also nothing when the first and last rows read through
// libhdf5 differ from the mapped ones, so a file the mapping misreads is
// never used mapped.
std::optional<Matrix> map_matrix(hid_t file, const std::string& path, const char* name) {
  Handle dataset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  if (!dataset) return std::nullopt;
  Handle space(H5Dget_space(dataset.get()), H5Sclose);
  if (H5Sget_simple_extent_ndims(space.get()) != 2) return std::nullopt;
  hsize_t dims[2] = {0, 0};
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  Handle type(H5Dget_type(dataset.get()), H5Tclose);
  Handle creation(H5Dget_create_plist(dataset.get()), H5Pclose);
  if (dims[0] == 0 || dims[1] == 0 || H5Tequal(type.get(), H5T_IEEE_F32LE) <= 0 || !creation ||
      H5Pget_layout(creation.get()) != H5D_CONTIGUOUS || H5Pget_nfilters(creation.get()) != 0)
    return std::nullopt;
  check_declared_size(file, dataset.get(), type.get(), path, name, dims);
  const haddr_t offset = H5Dget_offset(dataset.get());
  const uint64_t bytes = uint64_t(dims[0]) * dims[1] * sizeof(float);
  struct stat info;
  if (offset == HADDR_UNDEF || offset % alignof(float) != 0 || stat(path.c_str(), &info) != 0 ||
      offset > uint64_t(info.st_size) || bytes > uint64_t(info.st_size) - offset)
    return std::nullopt;

  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  const uint64_t page = uint64_t(sysconf(_SC_PAGESIZE));
  const uint64_t map_start = offset / page * page;
  const size_t map_length = size_t(offset + bytes - map_start);
  void* base = mmap(nullptr, map_length, PROT_READ, MAP_PRIVATE, fd, off_t(map_start));
  close(fd);
  if (base == MAP_FAILED) return std::nullopt;
  Matrix m;
  m.rows = int64_t(dims[0]);
  m.dim = int(dims[1]);
  m.mapping = std::shared_ptr<const void>(base, [map_length](const void* at) { munmap(const_cast<void*>(at), map_length); });
  m.mapped_rows = reinterpret_cast<const float*>(static_cast<const char*>(base) + (offset - map_start));
  std::vector<float> row;
  for (hsize_t r : {hsize_t(0), dims[0] - 1})
    if (!read_row(dataset.get(), r, dims[1], row) || std::memcmp(row.data(), m.row(int64_t(r)), row.size() * sizeof(float)) != 0)
      return std::nullopt;
  return m;
}

std::string read_string_attribute(hid_t file, const std::string& path, const char* name) {
  if (H5Aexists(file, name) <= 0) throw DataError(path, std::string("no attribute '") + name + "'");
  Handle attribute(H5Aopen(file, name, H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attribute.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING)
    throw DataError(path, std::string("attribute '") + name + "' is not a string");
  if (H5Tis_variable_str(type.get()) > 0) {
    char* value = nullptr;
    Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory_type.get(), H5T_VARIABLE);
    H5Tset_cset(memory_type.get(), H5Tget_cset(type.get()));
    if (H5Aread(attribute.get(), memory_type.get(), &value) < 0 || !value)
      throw DataError(path, std::string("cannot read attribute '") + name + "'");
    std::string result(value);
    H5free_memory(value);
    return result;
  }
  std::string value(H5Tget_size(type.get()), '\0');
  if (H5Aread(attribute.get(), type.get(), value.data()) < 0)
    throw DataError(path, std::string("cannot read attribute '") + name + "'");
  return value.substr(0, value.find('\0'));
}

// Debian 12's libhdf5 (1.10.8) reads a variable-length string through the
// file's global heap, and on some corrupt heaps it loops forever (found by
// test/fuzz/hdf5_loader; the input is in test/fuzz/findings/hdf5_loader/).
// So the attribute is read in a child process, killed after this long.
constexpr double kAttributeSeconds = 5.0;

std::string read_string_attribute_in_child(hid_t file, const std::string& path, const char* name) {
  support::ChildCall call =
      support::call_in_child([&] { return read_string_attribute(file, path, name); }, kAttributeSeconds);
  const std::string attribute = std::string("attribute '") + name + "'";
  switch (call.outcome) {
    case support::ChildCall::kReturned:
      return call.text;
    case support::ChildCall::kThrew: {
      // The child's DataError already begins with the file's name.
      const std::string prefix = path + ": ";
      throw DataError(path, call.text.rfind(prefix, 0) == 0 ? call.text.substr(prefix.size()) : call.text);
    }
    case support::ChildCall::kTimedOut:
      throw DataError(path, "reading " + attribute + " took more than " + std::to_string(int(kAttributeSeconds)) +
                                " s: libhdf5 loops on some corrupt files");
    case support::ChildCall::kDied:
      break;
  }
  throw DataError(path, "cannot read " + attribute + ": its reader " +
                            (call.signal ? "was killed by signal " + std::to_string(call.signal) : "ended without an answer"));
}

void write_2d(hid_t file, const std::string& path, const char* name, hid_t file_type, hid_t memory_type,
              const void* values, int64_t rows, int cols) {
  hsize_t dims[2] = {hsize_t(rows), hsize_t(cols)};
  Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose);
  Handle dataset(H5Dcreate2(file, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 H5Dclose);
  if (!dataset || H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0)
    throw DataError(path, std::string("cannot write dataset '") + name + "'");
}

void write_string_attribute(hid_t file, const std::string& path, const char* name,
                            const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attribute(H5Acreate2(file, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* text = value.c_str();
  if (!attribute || H5Awrite(attribute.get(), type.get(), &text) < 0)
    throw DataError(path, std::string("cannot write attribute '") + name + "'");
}

}  // namespace

Dataset load_hdf5(const std::string& path) {
  silence_hdf5_errors();
  if (access(path.c_str(), R_OK) != 0) throw DataError(path, "cannot open file");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw DataError(path, "not an HDF5 file");
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file) throw DataError(path, "cannot open HDF5 file");

  Dataset dataset;
  dataset.name = path;
  std::string distance = read_string_attribute_in_child(file.get(), path, "distance");
  try {
    dataset.metric = parse_metric(distance);
  } catch (const std::invalid_argument&) {
    throw DataError(path, "unsupported distance '" + distance + "'");
  }
  // Only train is mapped: it is what grows with the dataset, and queries are
  // trimmed in place (limit_queries).
  std::optional<Matrix> mapped_train = map_matrix(file.get(), path, "train");
  dataset.train = mapped_train ? std::move(*mapped_train) : read_matrix(file.get(), path, "train");
  dataset.test = read_matrix(file.get(), path, "test");

  bool has_neighbors = H5Lexists(file.get(), "neighbors", H5P_DEFAULT) > 0;
  bool has_distances = H5Lexists(file.get(), "distances", H5P_DEFAULT) > 0;
  if (has_neighbors != has_distances)
    throw DataError(path, "has one of 'neighbors' and 'distances' without the other");
  if (has_neighbors) {
    auto [rows, k] = read_2d(file.get(), path, "neighbors", H5T_NATIVE_INT32, dataset.truth.ids);
    auto [distance_rows, distance_k] =
        read_2d(file.get(), path, "distances", H5T_NATIVE_FLOAT, dataset.truth.distances);
    if (rows != dataset.test.rows || distance_rows != rows || distance_k != k)
      throw DataError(path, "'neighbors' and 'distances' must both be test rows x k");
    dataset.truth.k = k;
  }
  validate(dataset, path, path);
  return dataset;
}

void save_hdf5(const Dataset& dataset, const std::string& path) {
  silence_hdf5_errors();
  std::string temporary = support::temporary_path_for(path).string();
  try {
    Handle file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file) throw DataError(path, "cannot create file");
    write_string_attribute(file.get(), path, "distance", metric_name(dataset.metric));
    write_string_attribute(file.get(), path, "point_type", "float");
    write_2d(file.get(), path, "train", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, dataset.train.data(),
             dataset.train.rows, dataset.train.dim);
    write_2d(file.get(), path, "test", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, dataset.test.data(),
             dataset.test.rows, dataset.test.dim);
    if (!dataset.truth.empty()) {
      write_2d(file.get(), path, "neighbors", H5T_STD_I32LE, H5T_NATIVE_INT32, dataset.truth.ids.data(),
               dataset.test.rows, dataset.truth.k);
      write_2d(file.get(), path, "distances", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
               dataset.truth.distances.data(), dataset.test.rows, dataset.truth.k);
    }
  } catch (...) {
    std::remove(temporary.c_str());
    throw;
  }
  support::commit_temporary(temporary, path);
}

}  // namespace crinn::data
