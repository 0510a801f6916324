#include "Data/Formats.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace crinn::data {
namespace {

// A whole file mapped read-only: records are read in place, never through a
// second buffer (a 1M-vector base file is copied once, into the matrix).
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw DataError(path, "cannot open file");
    struct stat info;
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
      close(fd);
      throw DataError(path, "cannot open file");
    }
    size_ = size_t(info.st_size);
    if (size_ > 0) {
      void* base = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (base == MAP_FAILED) {
        close(fd);
        throw DataError(path, "cannot map file");
      }
      madvise(base, size_, MADV_SEQUENTIAL);
      bytes_ = static_cast<const char*>(base);
    }
    close(fd);
  }
  ~MappedFile() {
    if (bytes_) munmap(const_cast<char*>(bytes_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const char* bytes() const { return bytes_; }
  int64_t size() const { return int64_t(size_); }

 private:
  const char* bytes_ = nullptr;
  size_t size_ = 0;
};

// Calls on_vector(dim, values) for each record, values pointing at its
// `dim` stored elements (unaligned: copy them out with memcpy); Element is
// the stored type.
template <typename Element, typename OnVector>
void read_records(const std::string& path, OnVector on_vector) {
  MappedFile file(path);
  const int64_t file_bytes = file.size();
  for (int64_t index = 0, offset = 0; offset < file_bytes; ++index) {
    int32_t dim = 0;
    if (file_bytes - offset < int64_t(sizeof(dim)))
      throw DataError(path, "truncated header of vector " + std::to_string(index));
    std::memcpy(&dim, file.bytes() + offset, sizeof(dim));
    if (dim <= 0 || dim > kMaxDimension)
      throw DataError(path, "vector " + std::to_string(index) + " has invalid dimension " + std::to_string(dim));
    offset += int64_t(sizeof(dim));
    const int64_t bytes = int64_t(dim) * int64_t(sizeof(Element));
    if (bytes > file_bytes - offset)
      throw DataError(path, "truncated vector " + std::to_string(index) + ": its dimension " + std::to_string(dim) +
                                " needs " + std::to_string(bytes) + " bytes, " + std::to_string(file_bytes - offset) +
                                " follow");
    on_vector(dim, file.bytes() + offset);
    offset += bytes;
  }
}

template <typename Element>
void append_as_float(const char* stored, int dim, std::vector<float>& out) {
  const size_t at = out.size();
  out.resize(at + size_t(dim));
  for (int i = 0; i < dim; ++i) {
    Element value;
    std::memcpy(&value, stored + size_t(i) * sizeof(Element), sizeof(Element));
    out[at + size_t(i)] = float(value);
  }
}

template <typename Element>
Matrix load_matrix(const std::string& path) {
  Matrix m;
  read_records<Element>(path, [&](int dim, const char* stored) {
    if (m.rows == 0) {
      m.dim = dim;
      // Every record the size of the first: reserve once, not by doubling.
      m.values.reserve(size_t(std::filesystem::file_size(path) / (sizeof(int32_t) + size_t(dim) * sizeof(Element))) *
                       size_t(dim));
    }
    if (dim != m.dim)
      throw DataError(path, "vector " + std::to_string(m.rows) + " has dimension " +
                                std::to_string(dim) + ", expected " + std::to_string(m.dim));
    append_as_float<Element>(stored, dim, m.values);
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
  read_records<int32_t>(path, [&](int dim, const char* stored) {
    std::vector<int32_t>& list = lists.emplace_back(size_t(dim));
    std::memcpy(list.data(), stored, size_t(dim) * sizeof(int32_t));
  });
  if (lists.empty()) throw DataError(path, "holds no vectors");
  return lists;
}

}  // namespace crinn::data
