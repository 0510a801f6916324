// A 64-bit FNV-1a hash, the same on every machine and in every run (which
// std::hash does not promise): the key of caches that outlive a process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace crinn::support {

class Hash {
 public:
  Hash& add_bytes(const void* data, size_t size);
  // A field: its length first, so that ("ab", "c") and ("a", "bc") differ.
  Hash& add(std::string_view text);
  Hash& add(uint64_t number) { return add_bytes(&number, sizeof number); }
  // The bytes of a file; throws std::runtime_error naming it if it cannot be read.
  Hash& add_file(const std::string& path);

  uint64_t value() const { return state_; }
  std::string hex() const;  // 16 hex digits

 private:
  uint64_t state_ = 14695981039346656037ull;
};

}  // namespace crinn::support
