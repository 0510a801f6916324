#pragma once

#include <string>

namespace crinn::rewrite {

// A unified diff (3 lines of context) from `before` to `after`, with
// "--- a/<label>" ("--- /dev/null" for a `created` file, as git and patch
// expect) / "+++ b/<label>" headers; empty when they are equal.
std::string unified_diff(const std::string& before, const std::string& after, const std::string& label,
                         bool created = false);

}  // namespace crinn::rewrite
