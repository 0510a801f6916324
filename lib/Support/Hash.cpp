#include "Support/Hash.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace crinn::support {

Hash& Hash::add_bytes(const void* data, size_t size) {
  const unsigned char* bytes = static_cast<const unsigned char*>(data);
  uint64_t state = state_;
  for (size_t i = 0; i < size; ++i) state = (state ^ bytes[i]) * 1099511628211ull;
  state_ = state;
  return *this;
}

Hash& Hash::add(std::string_view text) {
  add(uint64_t(text.size()));
  return add_bytes(text.data(), text.size());
}

Hash& Hash::add_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open file");
  std::vector<char> buffer(size_t(1) << 20);
  while (in.read(buffer.data(), std::streamsize(buffer.size())) || in.gcount() > 0)
    add_bytes(buffer.data(), size_t(in.gcount()));
  if (in.bad()) throw std::runtime_error(path + ": cannot read file");
  return *this;
}

std::string Hash::hex() const {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(state_));
  return text;
}

}  // namespace crinn::support
