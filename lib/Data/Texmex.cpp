#include "Data/Formats.h"

#include <sys/stat.h>

#include <cstdio>
#include <memory>

namespace crinn::data {
namespace {

using File = std::unique_ptr<FILE, int (*)(FILE*)>;

File open_or_throw(const std::string& path) {
  File file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw DataError(path, "cannot open file");
  return file;
}

// Calls on_vector(dim, values) for each record; Element is the stored type.
template <typename Element, typename OnVector>
void read_records(const std::string& path, OnVector on_vector) {
  File file = open_or_throw(path);
  struct stat info;
  if (fstat(fileno(file.get()), &info) != 0) throw DataError(path, "cannot open file");
  const int64_t file_bytes = info.st_size;
  std::vector<Element> values;
  for (int64_t index = 0, offset = 0;; ++index) {
    int32_t dim = 0;
    size_t got = std::fread(&dim, 1, sizeof(dim), file.get());
    if (got == 0) return;
    if (got != sizeof(dim)) throw DataError(path, "truncated header of vector " + std::to_string(index));
    if (dim <= 0 || dim > kMaxDimension)
      throw DataError(path, "vector " + std::to_string(index) + " has invalid dimension " + std::to_string(dim));
    // A dimension is checked against the bytes left before a buffer of that size is made.
    offset += int64_t(sizeof(dim));
    const int64_t bytes = int64_t(dim) * int64_t(sizeof(Element));
    if (bytes > file_bytes - offset)
      throw DataError(path, "truncated vector " + std::to_string(index) + ": its dimension " + std::to_string(dim) +
                                " needs " + std::to_string(bytes) + " bytes, " + std::to_string(file_bytes - offset) +
                                " follow");
    offset += bytes;
    values.resize(size_t(dim));
    if (std::fread(values.data(), sizeof(Element), values.size(), file.get()) != values.size())
      throw DataError(path, "truncated vector " + std::to_string(index));
    on_vector(dim, values);
  }
}

template <typename Element>
Matrix load_matrix(const std::string& path) {
  Matrix m;
  read_records<Element>(path, [&](int dim, const std::vector<Element>& values) {
    if (m.rows == 0) m.dim = dim;
    if (dim != m.dim)
      throw DataError(path, "vector " + std::to_string(m.rows) + " has dimension " +
                                std::to_string(dim) + ", expected " + std::to_string(m.dim));
    m.values.insert(m.values.end(), values.begin(), values.end());
    ++m.rows;
  });
  if (m.rows == 0) throw DataError(path, "holds no vectors");
  return m;
}

}  // namespace

Matrix load_fvecs(const std::string& path) { return load_matrix<float>(path); }
Matrix load_bvecs(const std::string& path) { return load_matrix<uint8_t>(path); }

std::vector<std::vector<int32_t>> load_ivecs(const std::string& path) {
  std::vector<std::vector<int32_t>> lists;
  read_records<int32_t>(path, [&](int, const std::vector<int32_t>& values) { lists.push_back(values); });
  if (lists.empty()) throw DataError(path, "holds no vectors");
  return lists;
}

}  // namespace crinn::data
