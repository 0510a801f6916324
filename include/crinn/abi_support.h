// Helpers for C++ libraries that implement index_abi.h: the "key=value,..."
// parameter string, the thread-local last error, and a guard that turns C++
// exceptions into ABI error returns (an exception must never cross the C ABI).
#ifndef CRINN_ABI_SUPPORT_H
#define CRINN_ABI_SUPPORT_H

#include "crinn/index_abi.h"

#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>

namespace crinn::abi {

inline std::string& last_error() {
  thread_local std::string message;
  return message;
}

// Parses "M=16,ef_construction=200" and hands out values by key; keys left
// unread are reported by check_all_used() so a typo is not silently ignored.
class Params {
 public:
  explicit Params(const char* text) {
    std::string s = text ? text : "";
    size_t pos = 0;
    while (pos < s.size()) {
      size_t end = s.find(',', pos);
      if (end == std::string::npos) end = s.size();
      std::string item = s.substr(pos, end - pos);
      size_t eq = item.find('=');
      if (eq == std::string::npos || eq == 0)
        throw std::invalid_argument("parameter '" + item + "' is not key=value");
      values_[item.substr(0, eq)] = item.substr(eq + 1);
      pos = end + 1;
    }
  }

  long get_int(const std::string& key, long fallback) {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    char* end = nullptr;
    long v = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0')
      throw std::invalid_argument("parameter " + key + "=" + it->second +
                                  " is not an integer");
    values_.erase(it);
    return v;
  }

  void check_all_used() const {
    if (!values_.empty())
      throw std::invalid_argument("unknown parameter '" + values_.begin()->first + "'");
  }

 private:
  std::map<std::string, std::string> values_;
};

// Runs body(); on an exception stores its message and returns failure_value.
template <typename Result, typename Body>
Result guarded(Result failure_value, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    last_error() = e.what();
  } catch (...) {
    last_error() = "unknown exception";
  }
  return failure_value;
}

}  // namespace crinn::abi

#endif  // CRINN_ABI_SUPPORT_H
