#pragma once

#include <string>

namespace crinn::rewrite {

// A unified diff (3 lines of context) from `before` to `after`, with
// "--- a/<label>" / "+++ b/<label>" headers; empty when they are equal.
std::string unified_diff(const std::string& before, const std::string& after, const std::string& label);

}  // namespace crinn::rewrite
