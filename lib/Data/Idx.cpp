#include "Data/Formats.h"

#include <zlib.h>

#include <algorithm>
#include <memory>

namespace crinn::data {

// gzread reads plain files as they are, so one path serves both.
Matrix load_idx_images(const std::string& path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), &gzclose);
  if (!file) throw DataError(path, "cannot open file");

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

  Matrix m;
  m.rows = count;
  m.dim = int(height * width);
  if (m.rows == 0 || m.dim == 0) throw DataError(path, "holds no images");
  std::vector<unsigned char> pixels(size_t(m.rows) * m.dim);
  const size_t chunk = size_t(1) << 28;  // gzread takes an unsigned count
  for (size_t offset = 0; offset < pixels.size(); offset += chunk)
    read_exact(pixels.data() + offset, std::min(chunk, pixels.size() - offset), "image data");
  m.values.assign(pixels.begin(), pixels.end());
  return m;
}

}  // namespace crinn::data
