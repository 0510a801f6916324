#include "Bench/IndexProcess.h"
#include "Bench/ChildReply.h"
#include "Support/AtomicFile.h"
#include "Support/ChildProcess.h"
#include "Support/Hash.h"

#include "crinn/index_abi.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>

namespace crinn::bench {

struct detail::Command {
  int32_t op = 0;
  int32_t ef = 0;
  int32_t k = 0;
  int32_t return_ids = 0;
  int64_t queries = 0;
  int64_t sequence = 0;  // echoed by the reply, so a reply out of turn is seen
};

namespace {

using detail::Command;
using support::write_all;
using detail::kMaxErrorBytes;
using detail::kReplyMagic;

enum Op : int32_t { kBuild = 1, kSearch = 2 };

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Reads exactly `size` bytes unless the deadline passes (returns 0), the peer
// closes the pipe or `writer_gone` says the writer exited (returns -1), or it
// succeeds (returns 1). A helper process the writer forked holds the pipe
// open after the writer's death, so end-of-file alone would come only when
// the helper exits.
int read_all(int fd, void* data, size_t size, Clock::time_point deadline,
             const std::function<bool()>& writer_gone = nullptr) {
  constexpr long long kCheckEveryMs = 100;
  char* p = static_cast<char*>(data);
  while (size > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    pollfd pfd{fd, POLLIN, 0};
    int ready = poll(&pfd, 1, int(std::min<long long>(left, writer_gone ? kCheckEveryMs : 1 << 30)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      // What the writer wrote before it exited is still read.
      if (writer_gone && writer_gone() && poll(&pfd, 1, 0) == 0) return -1;
      continue;
    }
    ssize_t n = read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    size -= size_t(n);
  }
  return 1;
}

// Resident set now and at its peak, from /proc/self/status, in KiB.
void read_memory_kib(long& rss, long& peak) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::atol(line.c_str() + 6);
    if (line.rfind("VmHWM:", 0) == 0) peak = std::atol(line.c_str() + 6);
  }
}

// A forked child holds copies of every descriptor the parent had open,
// including the pipes of its sibling children, which would keep those
// siblings from ever seeing end-of-file; it keeps only its own two.
void close_inherited_descriptors(int keep_in, int keep_out) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return;
  std::vector<int> open_fds;
  while (dirent* entry = readdir(dir)) {
    int fd = std::atoi(entry->d_name);
    if (fd > STDERR_FILENO && fd != keep_in && fd != keep_out && fd != dirfd(dir)) open_fds.push_back(fd);
  }
  closedir(dir);
  for (int fd : open_fds) close(fd);
}

// Beside a cached index: how long its build took, so that a run that loads
// it still knows what it costs to build.
constexpr const char* kBuildSecondsFile = "crinn-build-seconds";

double recorded_build_seconds(const std::string& index_dir) {
  std::ifstream in(index_dir + "/" + kBuildSecondsFile);
  double seconds = 0.0;
  return in >> seconds ? seconds : -1.0;
}

// The loaded library's entry points.
struct Library {
  int (*abi_version)();
  crinn_index* (*create)(int, crinn_metric, const char*);
  int (*build)(crinn_index*, const float*, int64_t);
  int (*save)(const crinn_index*, const char*);
  crinn_index* (*load)(const char*);
  int (*search)(crinn_index*, const float*, int, int, int64_t*);
  uint64_t (*distance_count)(const crinn_index*);
  const char* (*last_error)();
  int (*uses_ef)();
};

template <typename F>
void bind(void* handle, const char* name, F& out, std::string& error) {
  out = reinterpret_cast<F>(dlsym(handle, name));
  if (!out && error.empty()) error = std::string("library does not export ") + name;
}

// The child's side: serve commands until the parent closes the pipe.
// Runs a library's destructors as unloading it would (DT_FINI_ARRAY last
// first, then DT_FINI; Clang's profile runtime registers its writer with
// atexit, which the first of them, __cxa_finalize, runs): an instrumented
// build writes its profile there, and _exit skips them. dlclose cannot be
// asked to: glibc never unloads a library with STB_GNU_UNIQUE symbols,
// which GCC gives C++ inline statics.
void run_destructors(void* handle) {
  link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || !map) return;
  ElfW(Addr) fini_array = 0, fini = 0;
  size_t fini_array_bytes = 0;
  for (const ElfW(Dyn)* entry = map->l_ld; entry->d_tag != DT_NULL; ++entry) {
    if (entry->d_tag == DT_FINI_ARRAY) fini_array = entry->d_un.d_ptr;
    if (entry->d_tag == DT_FINI_ARRAYSZ) fini_array_bytes = entry->d_un.d_val;
    if (entry->d_tag == DT_FINI) fini = entry->d_un.d_ptr;
  }
  using Destructor = void (*)();
  if (fini_array) {
    auto* destructors = reinterpret_cast<Destructor*>(map->l_addr + fini_array);
    for (size_t i = fini_array_bytes / sizeof(Destructor); i-- > 0;) destructors[i]();
  }
  if (fini) reinterpret_cast<Destructor>(map->l_addr + fini)();
}

[[noreturn]] void serve(const IndexSpec& spec, const data::Dataset& dataset, int in, int out) {
  Library lib{};
  void* handle = nullptr;
  crinn_index* index = nullptr;
  std::vector<int64_t> ids;
  long rss_before_index = 0;  // KiB resident before the build or load
  Command command;
  while (read_all(in, &command, sizeof command, Clock::now() + std::chrono::hours(24 * 365)) == 1) {
    detail::Reply reply;
    reply.sequence = command.sequence;
    std::string error;
    ids.clear();

    if (command.op == kBuild) {
      handle = dlopen(spec.library.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        error = dlerror();
      } else {
        bind(handle, "crinn_abi_version", lib.abi_version, error);
        bind(handle, "crinn_index_create", lib.create, error);
        bind(handle, "crinn_index_build", lib.build, error);
        bind(handle, "crinn_index_search", lib.search, error);
        bind(handle, "crinn_index_distance_count", lib.distance_count, error);
        bind(handle, "crinn_last_error", lib.last_error, error);
        lib.uses_ef = reinterpret_cast<int (*)()>(dlsym(handle, "crinn_index_uses_ef"));
        // Needed only to cache the index; a library without them is built every time.
        lib.save = reinterpret_cast<decltype(lib.save)>(dlsym(handle, "crinn_index_save"));
        lib.load = reinterpret_cast<decltype(lib.load)>(dlsym(handle, "crinn_index_load"));
      }
      if (error.empty() && lib.abi_version() != CRINN_ABI_VERSION)
        error = "library was built for ABI version " + std::to_string(lib.abi_version()) +
                ", this harness speaks " + std::to_string(CRINN_ABI_VERSION);
      bool cacheable = error.empty() && !spec.index_file.empty() && lib.save && lib.load;
      // The cache entry is a directory holding the saved index, as "index"
      // and any side files the library writes beside it.
      std::string saved = spec.index_file + "/index";
      bool cached = cacheable && access(saved.c_str(), R_OK) == 0;
      if (error.empty() && !cached) {
        index = lib.create(dataset.train.dim, data::to_abi(dataset.metric), spec.params.c_str());
        if (!index) error = std::string("create failed: ") + lib.last_error();
      }
      if (error.empty()) {
        // Fault in the shared train and test matrices first (a page in 1024
        // floats, mapped from the file or not) so that the memory the index
        // adds is measured, not the dataset's pages.
        volatile float sink = 0.0f;
        for (const data::Matrix* m : {&dataset.train, &dataset.test})
          for (size_t i = 0; i < m->size(); i += 1024) sink = sink + m->data()[i];
        long rss_before = 0, peak = 0;
        read_memory_kib(rss_before, peak);
        rss_before_index = rss_before;
        std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM
        auto start = Clock::now();
        if (cached) {
          index = lib.load(saved.c_str());
          if (!index) error = "loading the cached index " + spec.index_file + " failed: " + lib.last_error();
        } else if (lib.build(index, dataset.train.data(), dataset.train.rows) != 0) {
          error = std::string("build failed: ") + lib.last_error();
        }
        reply.seconds = seconds_since(start);
        reply.index_build_seconds = cached ? recorded_build_seconds(spec.index_file) : reply.seconds;
        long rss_after = 0;
        read_memory_kib(rss_after, peak);
        reply.peak_memory_mb = double(std::max(0L, peak - rss_before)) / 1024.0;
        reply.uses_ef = lib.uses_ef ? lib.uses_ef() : 1;
        reply.loaded = cached ? 1 : 0;
        // Written in a private directory and renamed, so that a reader never
        // sees half an index; a failed save only means no cache next time.
        if (error.empty() && !cached && cacheable) {
          std::error_code ignored;
          std::filesystem::create_directories(std::filesystem::path(spec.index_file).parent_path(), ignored);
          try {
            std::string temporary = support::make_staging_directory(spec.index_file).string();
            std::ofstream(temporary + "/" + kBuildSecondsFile) << std::setprecision(17) << reply.seconds << "\n";
            if (lib.save(index, (temporary + "/index").c_str()) != 0 ||
                std::rename(temporary.c_str(), spec.index_file.c_str()) != 0)
              std::filesystem::remove_all(temporary, ignored);
          } catch (const std::exception&) {
          }
        }
      }
    } else if (command.op == kSearch && index) {
      const int k = command.k;
      ids.assign(size_t(command.queries) * k, -1);
      uint64_t distances_before = lib.distance_count(index);
      auto start = Clock::now();
      for (int64_t q = 0; q < command.queries && error.empty(); ++q) {
        int n = lib.search(index, dataset.test.row(q), k, command.ef, &ids[size_t(q) * k]);
        if (n < 0) error = "search failed on query " + std::to_string(q) + ": " + lib.last_error();
        else if (n > k) error = "query " + std::to_string(q) + " returned " + std::to_string(n) + " ids for k=" + std::to_string(k);
        else std::fill(ids.begin() + q * k + n, ids.begin() + (q + 1) * k, -1);
      }
      reply.seconds = seconds_since(start);
      long rss = 0, peak = 0;
      read_memory_kib(rss, peak);
      reply.index_memory_mb = double(std::max(0L, rss - rss_before_index)) / 1024.0;
      uint64_t distances_after = lib.distance_count(index);
      reply.distance_count = distances_before == CRINN_NOT_COUNTED || distances_after == CRINN_NOT_COUNTED
                                 ? CRINN_NOT_COUNTED
                                 : distances_after - distances_before;
      if (command.return_ids && error.empty()) reply.id_count = ids.size();
    } else {
      error = "search before a successful build";
    }

    if (error.size() > kMaxErrorBytes) error.resize(kMaxErrorBytes);
    reply.failed = error.empty() ? 0 : 1;
    reply.error_length = error.size();
    if (!write_all(out, &reply, sizeof reply) || !write_all(out, error.data(), error.size()) ||
        !write_all(out, ids.data(), reply.id_count * sizeof(int64_t)))
      break;
  }
  if (handle && spec.writes_profile) run_destructors(handle);
  _exit(0);
}

}  // namespace

std::string index_cache_entry(const std::string& cache_dir, const IndexSpec& spec, const std::string& train_fingerprint) {
  std::error_code error;
  std::string library = std::filesystem::canonical(spec.library, error).string();
  if (error) library = spec.library;
  std::string key = support::Hash()
                        .add(library)
                        .add_file(spec.library)
                        .add(spec.params)
                        .add(train_fingerprint)
                        .hex();
  return cache_dir + "/" + spec.label + "-" + key;
}

IndexProcess::IndexProcess(IndexSpec spec, const data::Dataset& dataset, ChildLimits limits)
    : spec_(std::move(spec)), limits_(limits) {
  signal(SIGPIPE, SIG_IGN);  // a dead child must be an error return, not our death
  // Close-on-exec: neither a program the library runs nor a build tool
  // another part of the run starts holds the harness's pipes open.
  int down[2], up[2];
  if (pipe2(down, O_CLOEXEC) != 0) return;
  if (pipe2(up, O_CLOEXEC) != 0) {
    close(down[0]);
    close(down[1]);
    return;
  }
  support::ChildEnvironment environment;
  fflush(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    environ = environment.entries();  // the library never sees this process's secrets
    // A process group of its own, so that killing the group ends the helpers
    // the library forks along with it.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close_inherited_descriptors(down[0], up[1]);
    dup2(STDERR_FILENO, STDOUT_FILENO);  // the library's chatter must not mix into our table
    if (kMemoryLimitEnforced) {
      rlimit memory{rlim_t(limits_.memory_limit_mb) << 20, rlim_t(limits_.memory_limit_mb) << 20};
      setrlimit(RLIMIT_AS, &memory);
    }
    serve(spec_, dataset, down[0], up[1]);
  }
  if (pid_ > 0) setpgid(pid_, pid_);  // as the child does: whichever runs first, the group exists before a kill
  close(down[0]);
  close(up[1]);
  to_child_ = down[1];
  from_child_ = up[0];
  if (pid_ < 0) {
    close(to_child_);
    close(from_child_);
  }
}

IndexProcess::~IndexProcess() {
  if (pid_ <= 0) return;
  close(to_child_);  // the child's read fails and it exits
  close(from_child_);
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!child_exited() && Clock::now() < deadline) usleep(10000);
  end_process_group();
}

bool IndexProcess::child_exited() {
  if (!exited_ && waitpid(pid_, &exit_status_, WNOHANG) == pid_) exited_ = true;
  return exited_;
}

void IndexProcess::end_process_group() {
  kill(-pid_, SIGKILL);  // the child, if it still runs, and every helper it forked
  if (!exited_ && waitpid(pid_, &exit_status_, 0) == pid_) exited_ = true;
}

std::string IndexProcess::reap(const std::string& what) {
  close(to_child_);
  close(from_child_);
  // The child closed its pipe or died: its own exit status first, then its helpers end.
  if (!exited_ && waitpid(pid_, &exit_status_, 0) == pid_) exited_ = true;
  end_process_group();
  std::string message;
  if (exited_ && WIFSIGNALED(exit_status_))
    message = "crashed during " + what + " (signal " + std::to_string(WTERMSIG(exit_status_)) + ", " +
              strsignal(WTERMSIG(exit_status_)) + ")";
  else if (exited_ && WIFEXITED(exit_status_))
    message = "exited with status " + std::to_string(WEXITSTATUS(exit_status_)) + " during " + what;
  else
    message = "died during " + what;
  pid_ = -1;
  return message;
}

namespace {

// What is wrong with a reply to command `sequence` that may carry
// `expected_ids` ids, or "" if nothing is: the child runs untrusted code that
// can write on the pipe, so no size in a reply is used before it is checked.
std::string reply_problem(const detail::Reply& reply, int64_t sequence, uint64_t expected_ids) {
  auto valid_measure = [](double value) { return std::isfinite(value) && value >= 0.0; };
  if (reply.magic != kReplyMagic) return "it does not begin as a reply does";
  if (reply.sequence != sequence)
    return "it answers command " + std::to_string(reply.sequence) + ", not " + std::to_string(sequence);
  if (reply.failed != 0 && reply.failed != 1) return "failed = " + std::to_string(reply.failed);
  if ((reply.failed == 1) != (reply.error_length > 0)) return "its failure and its error message disagree";
  if (reply.error_length > kMaxErrorBytes)
    return "an error message of " + std::to_string(reply.error_length) + " bytes, more than " +
           std::to_string(kMaxErrorBytes);
  if (reply.id_count != 0 && reply.id_count != expected_ids)
    return std::to_string(reply.id_count) + " ids where " + std::to_string(expected_ids) + " were asked for";
  if (!valid_measure(reply.seconds) || !valid_measure(reply.peak_memory_mb) || !valid_measure(reply.index_memory_mb))
    return "a time or memory size that is negative or not a number";
  if (!std::isfinite(reply.index_build_seconds)) return "a build time that is not a number";
  return "";
}

}  // namespace

detail::ReplyRead detail::read_reply(int fd, int64_t sequence, uint64_t expected_ids, Clock::time_point deadline,
                                     const std::function<bool()>& writer_gone, Reply& reply, std::string& error_text,
                                     std::vector<int64_t>* ids) {
  auto ended = [](int got) { return got == 0 ? ReplyRead{ReplyRead::kTimedOut, ""} : ReplyRead{ReplyRead::kClosed, ""}; };
  if (int got = read_all(fd, &reply, sizeof reply, deadline, writer_gone); got != 1) return ended(got);
  if (std::string problem = reply_problem(reply, sequence, ids ? expected_ids : 0); !problem.empty())
    return {ReplyRead::kMalformed, problem};
  error_text.resize(reply.error_length);
  if (int got = read_all(fd, error_text.data(), error_text.size(), deadline, writer_gone); got != 1) return ended(got);
  if (ids) {
    ids->resize(reply.id_count);
    if (int got = read_all(fd, ids->data(), ids->size() * sizeof(int64_t), deadline, writer_gone); got != 1)
      return ended(got);
  }
  return {ReplyRead::kComplete, ""};
}

std::string IndexProcess::exchange(Command command, double timeout_seconds, const std::string& what,
                                   detail::Reply& reply, std::string& error_text, std::vector<int64_t>* ids,
                                   uint64_t expected_ids) {
  if (pid_ <= 0) return "not running";
  command.sequence = ++sequence_;
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(timeout_seconds));
  if (!write_all(to_child_, &command, sizeof command)) return reap(what);
  detail::ReplyRead read = detail::read_reply(from_child_, command.sequence, expected_ids, deadline,
                                              [this] { return child_exited(); }, reply, error_text, ids);
  switch (read.status) {
    case detail::ReplyRead::kComplete:
      return "";
    case detail::ReplyRead::kMalformed:
      kill(-pid_, SIGKILL);
      reap(what);
      return "sent a malformed reply during " + what + " (" + read.problem + ")";
    case detail::ReplyRead::kTimedOut: {
      kill(-pid_, SIGKILL);
      reap(what);
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%g", timeout_seconds);
      return "timed out after " + std::string(seconds) + " s during " + what;
    }
    case detail::ReplyRead::kClosed:
      break;
  }
  return reap(what);
}

BuildOutcome IndexProcess::build() {
  BuildOutcome outcome;
  Command command;
  command.op = kBuild;
  detail::Reply reply;
  std::string error_text;
  outcome.error = exchange(command, limits_.build_timeout_seconds, "build", reply, error_text, nullptr, 0);
  if (outcome.error.empty() && reply.failed) outcome.error = error_text;
  outcome.seconds = reply.seconds;
  outcome.peak_memory_mb = reply.peak_memory_mb;
  outcome.uses_ef = reply.uses_ef != 0;
  outcome.loaded = reply.loaded != 0;
  outcome.index_build_seconds = reply.index_build_seconds;
  return outcome;
}

SearchOutcome IndexProcess::search(int ef, int k, int64_t queries, bool return_ids) {
  SearchOutcome outcome;
  Command command;
  command.op = kSearch;
  command.ef = ef;
  command.k = k;
  command.queries = queries;
  command.return_ids = return_ids ? 1 : 0;
  detail::Reply reply;
  std::string error_text;
  outcome.error = exchange(command, limits_.search_timeout_seconds, "search (ef=" + std::to_string(ef) + ")", reply,
                           error_text, &outcome.ids, return_ids ? uint64_t(queries) * uint64_t(k) : 0);
  if (outcome.error.empty() && reply.failed) outcome.error = error_text;
  outcome.seconds = reply.seconds;
  outcome.index_memory_mb = reply.index_memory_mb;
  outcome.distances_per_query = reply.distance_count == CRINN_NOT_COUNTED || queries <= 0
                                    ? -1.0
                                    : double(reply.distance_count) / double(queries);
  return outcome;
}

}  // namespace crinn::bench
