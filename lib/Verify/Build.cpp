#include "Verify/Build.h"

#include "Support/ChildProcess.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace crinn::verify {

namespace {
// The first line that reads like a compiler or CMake error.
std::string first_error(const std::string& log) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);)
    if (line.find("error:") != std::string::npos || line.find("CMake Error") != std::string::npos) return line;
  return log.empty() ? "no output" : log.substr(0, log.find('\n'));
}
// Whether build_dir holds a CMake cache made for another build or source
// dir (a run dir copied or moved): CMake refuses to configure over it.
bool cache_made_elsewhere(const std::string& tree, const std::string& build_dir) {
  namespace fs = std::filesystem;
  std::ifstream cache(build_dir + "/CMakeCache.txt");
  std::error_code missing;  // a recorded dir that is gone is not the same dir
  for (std::string line; std::getline(cache, line);)
    for (const auto& [key, dir] : {std::pair<std::string, std::string>{"CMAKE_CACHEFILE_DIR:INTERNAL=", build_dir},
                                   {"CMAKE_HOME_DIRECTORY:INTERNAL=", tree}})
      if (line.rfind(key, 0) == 0 && !fs::equivalent(line.substr(key.size()), dir, missing)) return true;
  return false;
}
}  // namespace

BuildResult build_tree(const std::string& tree, const std::string& build_dir, const BuildOptions& options) {
  BuildResult result;
  auto start = std::chrono::steady_clock::now();
  auto left = [&] {
    return options.timeout_seconds -
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (cache_made_elsewhere(tree, build_dir)) std::filesystem::remove_all(build_dir);
  std::vector<std::vector<std::string>> steps = {
      {"cmake", "-S", tree, "-B", build_dir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
       "-DCRINN_INCLUDE_DIR=" + options.crinn_include_dir},
      {"cmake", "--build", build_dir}};
  for (const auto& step : steps) {
    int status = support::run_with_timeout(step, left(), result.log);
    if (status == -1) {
      result.error = "timeout: the build took longer than " + std::to_string(int(options.timeout_seconds)) + " s";
      break;
    }
    if (status != 0) {
      result.error = "compile: " + first_error(result.log);
      break;
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (result.error.empty()) {
    result.library = build_dir + "/" + options.library_name;
    if (!std::ifstream(result.library)) result.error = "compile: the build made no " + options.library_name;
  }
  return result;
}

}  // namespace crinn::verify
