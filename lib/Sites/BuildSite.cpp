#include "Sites/BuildSite.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

namespace crinn::sites {

std::optional<Site> find_build_site(const std::string& root) {
  std::filesystem::path script = std::filesystem::path(root) / "CMakeLists.txt";
  std::ifstream in(script);
  if (!in) return std::nullopt;
  Site site;
  site.id = std::string(schema::kBuildSiteKind) + ":CMakeLists.txt";
  site.kind = schema::kBuildSiteKind;
  site.file = std::filesystem::weakly_canonical(script).string();
  site.begin_line = 1;
  site.detail = BuildScript{};
  const std::regex project(R"(^\s*project\s*\(\s*([A-Za-z0-9_.+-]+))", std::regex::icase);
  unsigned lines = 0;
  for (std::string line; std::getline(in, line);) {
    std::smatch name;
    if (++lines, site.function.empty() && std::regex_search(line, name, project)) {
      site.function = name[1];
      site.excerpt = line;
    }
  }
  site.end_line = std::max(lines, 1u);
  return site;
}

}  // namespace crinn::sites
