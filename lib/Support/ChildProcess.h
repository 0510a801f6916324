// Starting child processes: the environment every child starts with, and a
// command run with a time limit. Index children, cmake (and the compilers
// and crinn-opt it runs) and dpkg all start from here, so that no child sees
// a secret of this process: a peer library once copied the LLM's API key
// from its environment into report.html and the progress output.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace crinn::support {

// The variables that hold secrets; no child process inherits them.
inline constexpr const char* kSecretVariables[] = {"CRINN_LLM_API_KEY"};

// This process's environment without the secret variables, as execve and
// `environ` take it. Made before fork: a child of a process with threads
// may only assign it (environ = entries()), not build it.
class ChildEnvironment {
 public:
  ChildEnvironment();
  ChildEnvironment(const ChildEnvironment&) = delete;
  ChildEnvironment& operator=(const ChildEnvironment&) = delete;
  char** entries() { return pointers_.data(); }

 private:
  std::vector<std::string> variables_;
  std::vector<char*> pointers_;  // into variables_, then a null
};

// Runs argv (found on PATH) in a process group of its own, in a
// ChildEnvironment, with stdout and stderr appended to `log`; kills the group
// after timeout_seconds. Returns the exit status (128 + the signal if one
// ended it, 127 if it could not start), -1 on timeout.
int run_with_timeout(const std::vector<std::string>& argv, double timeout_seconds, std::string& log);

// How a call_in_child ended.
struct ChildCall {
  enum Outcome { kReturned, kThrew, kTimedOut, kDied } outcome = kDied;
  std::string text;  // what the work returned, or the message of the exception it threw
  int signal = 0;    // kDied: the signal that ended the child, 0 if it exited without answering
};

// Runs `work` in a forked child and brings back its result, so that a library
// that may hang or crash on bad input (libhdf5 on a corrupt file) cannot take
// this process with it; the child is killed after timeout_seconds. `work`
// runs in a copy of this process: nothing it changes is seen here.
ChildCall call_in_child(const std::function<std::string()>& work, double timeout_seconds);

// Writes all `size` bytes to `fd`, through interrupted and partial writes;
// false when the other end is gone.
bool write_all(int fd, const void* data, size_t size);

}  // namespace crinn::support
