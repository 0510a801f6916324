#include "Support/ChildProcess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace crinn::support {

namespace {

bool is_secret(const char* entry) {
  for (const char* name : kSecretVariables) {
    size_t length = std::strlen(name);
    if (std::strncmp(entry, name, length) == 0 && entry[length] == '=') return true;
  }
  return false;
}

}  // namespace

bool write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= size_t(n);
  }
  return true;
}

ChildEnvironment::ChildEnvironment() {
  for (char** entry = environ; entry && *entry; ++entry)
    if (!is_secret(*entry)) variables_.emplace_back(*entry);
  for (std::string& variable : variables_) pointers_.push_back(variable.data());
  pointers_.push_back(nullptr);
}

int run_with_timeout(const std::vector<std::string>& argv, double timeout_seconds, std::string& log) {
  char path[] = "/tmp/crinn-build-log-XXXXXX";
  int log_fd = mkostemp(path, O_CLOEXEC);  // dup2 below gives the child its own copies
  if (log_fd < 0) return 127;
  unlink(path);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ChildEnvironment environment;
  fflush(nullptr);
  pid_t child = fork();
  if (child == 0) {
    setpgid(0, 0);  // its own group, so that a timeout kills the compilers too
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execvpe(args[0], args.data(), environment.entries());
    _exit(127);
  }
  int status = 0;
  bool timed_out = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  while (child > 0 && waitpid(child, &status, WNOHANG) == 0) {
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
  if (child < 0) return 127;
  if (timed_out) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

ChildCall call_in_child(const std::function<std::string()>& work, double timeout_seconds) {
  // The answer goes through an unlinked file, which never blocks the child
  // the way a full pipe would: one byte, 'r' returned or 't' threw, then the text.
  char path[] = "/tmp/crinn-child-call-XXXXXX";
  int answer_fd = mkostemp(path, O_CLOEXEC);
  if (answer_fd < 0) return {ChildCall::kDied, "", 0};
  unlink(path);
  fflush(nullptr);
  pid_t child = fork();
  if (child == 0) {
    char kind = 'r';
    std::string text;
    try {
      text = work();
    } catch (const std::exception& e) {
      kind = 't';
      text = e.what();
    }
    _exit(write_all(answer_fd, &kind, 1) && write_all(answer_fd, text.data(), text.size()) ? 0 : 1);
  }
  int status = 0;
  bool timed_out = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  while (child > 0 && waitpid(child, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string answer;
  lseek(answer_fd, 0, SEEK_SET);
  char buffer[4096];
  for (ssize_t n; (n = read(answer_fd, buffer, sizeof buffer)) > 0;) answer.append(buffer, size_t(n));
  close(answer_fd);
  if (timed_out) return {ChildCall::kTimedOut, "", 0};
  bool answered = child > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !answer.empty();
  if (!answered) return {ChildCall::kDied, "", child > 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0};
  return {answer[0] == 'r' ? ChildCall::kReturned : ChildCall::kThrew, answer.substr(1), 0};
}

}  // namespace crinn::support
