#include "Data/Formats.h"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <memory>

namespace crinn::data {

// gzread reads plain files as they are, so one path serves both.
Matrix load_idx_images(const std::string& path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), &gzclose);
  if (!file) throw DataError(path, "cannot open file");
  struct stat info;
  if (stat(path.c_str(), &info) != 0) throw DataError(path, "cannot open file");

  auto read_exact = [&](void* out, size_t bytes, const char* what) {
    if (gzread(file.get(), out, unsigned(bytes)) != int(bytes))
      throw DataError(path, std::string("truncated ") + what);
  };
  auto read_big_endian = [&](const char* what) {
    unsigned char b[4];
    read_exact(b, 4, what);
    return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]);
  };

  uint32_t magic = read_big_endian("header");
  if (magic != 0x00000803)
    throw DataError(path, "not an IDX file of unsigned-byte images (magic " + std::to_string(magic) + ")");
  uint32_t count = read_big_endian("header");
  uint32_t height = read_big_endian("header");
  uint32_t width = read_big_endian("header");

  // The header's sizes, checked against the limits of Formats.h before a buffer of their size is made.
  // Two 32-bit sizes multiply without overflow in 64 unsigned bits, not in 64 signed ones.
  const uint64_t pixels_per_image = uint64_t(height) * uint64_t(width);
  if (count == 0 || pixels_per_image == 0) throw DataError(path, "holds no images");
  if (pixels_per_image > uint64_t(kMaxDimension))
    throw DataError(path, "header declares images of " + std::to_string(height) + " x " + std::to_string(width) +
                              " pixels, more than the " + std::to_string(kMaxDimension) + " values a row may have");
  if (count > kMaxRows)
    throw DataError(path, "header declares " + std::to_string(count) + " images, more than " +
                              std::to_string(kMaxRows));
  const int64_t dim = int64_t(pixels_per_image);
  const int64_t declared = int64_t(count) * dim;
  const bool plain = gzdirect(file.get());
  const int64_t header_bytes = 16;
  const int64_t most = plain ? int64_t(info.st_size) - header_bytes : int64_t(info.st_size) * kMaxDeflateRatio;
  if (declared > most)
    throw DataError(path, "header declares " + std::to_string(count) + " images of " + std::to_string(height) +
                              " x " + std::to_string(width) + " pixels (" + std::to_string(declared) + " bytes), but " +
                              (plain ? std::to_string(most) + " bytes follow it"
                                     : "its " + std::to_string(info.st_size) + " compressed bytes hold at most " +
                                           std::to_string(most)));

  Matrix m;
  m.rows = count;
  m.dim = int(dim);
  std::vector<unsigned char> pixels(static_cast<size_t>(declared));
  const size_t chunk = size_t(1) << 28;  // gzread takes an unsigned count
  for (size_t offset = 0; offset < pixels.size(); offset += chunk)
    read_exact(pixels.data() + offset, std::min(chunk, pixels.size() - offset), "image data");
  m.values.assign(pixels.begin(), pixels.end());
  return m;
}

}  // namespace crinn::data
