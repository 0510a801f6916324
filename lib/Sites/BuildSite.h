// The build site of a source tree: its top CMakeLists.txt, the one site that
// is not in the C++ (docs/plan-schema.md, "build").
#pragma once

#include "Sites/Site.h"

#include <optional>
#include <string>

namespace crinn::sites {

// "build:CMakeLists.txt" when `root` holds a CMakeLists.txt, else nothing.
// Its `function` is the project() name and its excerpt that line.
std::optional<Site> find_build_site(const std::string& root);

}  // namespace crinn::sites
