#include "Verify/Build.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace crinn::verify {

int run_with_timeout(const std::vector<std::string>& argv, double timeout_seconds, std::string& log) {
  char path[] = "/tmp/crinn-build-log-XXXXXX";
  int log_fd = mkstemp(path);
  if (log_fd < 0) return 127;
  unlink(path);
  fflush(nullptr);
  pid_t child = fork();
  if (child == 0) {
    setpgid(0, 0);  // its own group, so that a timeout kills the compilers too
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  bool timed_out = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  while (waitpid(child, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-child, SIGKILL);
      waitpid(child, &status, 0);
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  lseek(log_fd, 0, SEEK_SET);
  char buffer[4096];
  for (ssize_t n; (n = read(log_fd, buffer, sizeof buffer)) > 0;) log.append(buffer, size_t(n));
  close(log_fd);
  if (timed_out) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

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
    int status = run_with_timeout(step, left(), result.log);
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
