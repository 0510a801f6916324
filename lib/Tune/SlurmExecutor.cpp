#include "Tune/SlurmExecutor.h"

#include "Support/AtomicFile.h"
#include "Support/ChildProcess.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace crinn::tune {

namespace fs = std::filesystem;

namespace {

constexpr double kCommandTimeout = 120.0;

// A word for /bin/sh, whatever it holds.
std::string shell_quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> list;
  for (std::string word; in >> word;) list.push_back(word);
  return list;
}

// "CANCELLED by 0" -> "CANCELLED"; "COMPLETED+" -> "COMPLETED".
std::string state_word(const std::string& text) {
  std::string word = words(text).empty() ? "" : words(text).front();
  while (!word.empty() && !std::isalpha(static_cast<unsigned char>(word.back()))) word.pop_back();
  return word;
}

bool has_result(const fs::path& job_dir) { return fs::exists(job_dir / "result.json"); }

}  // namespace

bool slurm_state_ended(const std::string& state) {
  static const std::set<std::string> ended = {"COMPLETED", "FAILED",        "CANCELLED",   "TIMEOUT",
                                              "NODE_FAIL", "PREEMPTED",     "BOOT_FAIL",   "DEADLINE",
                                              "OUT_OF_MEMORY", "SPECIAL_EXIT", "REVOKED", "LOST"};
  return ended.count(state) > 0;
}

SlurmExecutor::SlurmExecutor(SlurmConfig config, EventLog event, std::function<void(const std::string&)> log)
    : config_(std::move(config)), event_(std::move(event)), log_(std::move(log)) {}

void SlurmExecutor::submit(int index, const fs::path& job_dir, int attempt) {
  std::error_code ignored;
  fs::remove(job_dir / "result.json", ignored);
  std::string cache = config_.node_cache.empty() ? "\"${TMPDIR:-/tmp}/crinn-node-cache\"" : shell_quoted(config_.node_cache);
  support::write_file_atomically(job_dir / "job.sh",
                                 "#!/bin/sh\n# crinn-tune candidate " + std::to_string(index) + ", attempt " +
                                     std::to_string(attempt) + "\nexec " + shell_quoted(config_.job_runner) +
                                     " --node-cache " + cache + " " + shell_quoted(job_dir.string()) + "\n");
  std::vector<std::string> argv = {"sbatch", "--parsable", "--job-name=crinn-" + std::to_string(index),
                                   "--output=" + (job_dir / "slurm-%j.out").string(), "--chdir=" + job_dir.string()};
  argv.push_back(config_.cpus > 0 ? "--cpus-per-task=" + std::to_string(config_.cpus) : "--exclusive");
  if (!config_.partition.empty()) argv.push_back("--partition=" + config_.partition);
  for (const std::string& word : words(config_.extra_args)) argv.push_back(word);
  argv.push_back((job_dir / "job.sh").string());
  std::string output;
  int status = support::run_with_timeout(argv, kCommandTimeout, output);
  // --parsable prints "<id>" or "<id>;<cluster>"; warnings may come before it.
  std::string id;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0]))) id = line.substr(0, line.find(';'));
  if (status != 0 || id.empty())
    throw std::runtime_error("sbatch could not submit candidate " + std::to_string(index) + " (exit " +
                             std::to_string(status) + "): " + output);
  event_({{"event", "submitted"}, {"index", index}, {"job_id", id}, {"attempt", attempt}});
  log_("candidate " + std::to_string(index) + ": Slurm job " + id + (attempt > 1 ? " (resubmitted)" : ""));
  jobs_.push_back({index, job_dir, id, attempt});
}

void SlurmExecutor::reattach(int index, const fs::path& job_dir, const std::string& job_id, int attempt) {
  event_({{"event", "reattached"}, {"index", index}, {"job_id", job_id}, {"attempt", attempt}});
  log_("candidate " + std::to_string(index) + ": reattached to Slurm job " + job_id);
  jobs_.push_back({index, job_dir, job_id, attempt});
}

std::map<std::string, std::string> SlurmExecutor::states() const {
  std::map<std::string, std::string> states;
  std::string output;
  // All of this user's jobs: with -j, one id Slurm forgot fails the whole query.
  // A controller that does not answer says nothing about the jobs: none is taken for lost.
  if (support::run_with_timeout({"squeue", "-h", "--me", "--states=all", "-o", "%i %T"}, kCommandTimeout, output) != 0)
    return states;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields = words(line);
    if (fields.size() == 2) states[fields[0]] = state_word(fields[1]);
  }
  // Jobs squeue forgot (past MinJobAge): the accounting database, if the cluster keeps one.
  for (const Job& job : jobs_) {
    if (states.count(job.id)) continue;
    std::string accounted;
    support::run_with_timeout({"sacct", "-n", "-P", "-X", "-j", job.id, "-o", "State"}, kCommandTimeout, accounted);
    std::string state = state_word(accounted.substr(0, accounted.find('\n')));
    // No accounting ("Slurm accounting storage is disabled") or no record: the job is gone.
    bool known = !state.empty() && std::all_of(state.begin(), state.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)) || c == '_'; });
    states[job.id] = known ? state : "LOST";
  }
  return states;
}

std::pair<int, JobResult> SlurmExecutor::next_result() {
  if (jobs_.empty()) throw std::logic_error("next_result: no job in flight");
  for (;;) {
    for (auto job = jobs_.begin(); job != jobs_.end(); ++job)
      if (has_result(job->dir)) {
        Job done = *job;
        jobs_.erase(job);
        JobResult result = job_result_from_json(nlohmann::json::parse(std::ifstream(done.dir / "result.json")));
        event_({{"event", "result"}, {"index", done.index}, {"job_id", done.id}, {"failure", result.failure}});
        return {done.index, result};
      }
    std::map<std::string, std::string> now = states();
    for (auto job = jobs_.begin(); job != jobs_.end(); ++job) {
      const std::string& state = now[job->id];
      // The result is written before the job ends: a job that ended without one lost it.
      if (!slurm_state_ended(state) || has_result(job->dir)) continue;
      Job lost = *job;
      jobs_.erase(job);
      event_({{"event", "ended"}, {"index", lost.index}, {"job_id", lost.id}, {"state", state}});
      if (lost.attempt < 2) {
        log_("candidate " + std::to_string(lost.index) + ": Slurm job " + lost.id + " ended " + state +
             " without a result; submitting it again");
        submit(lost.index, lost.dir, lost.attempt + 1);
        break;
      }
      JobResult failed;
      failed.failure = "executor";
      failed.reason = "Slurm job " + lost.id + " ended " + state + " without a result, as did the attempt before it";
      // Written as a job's result is, so that a resume finds the candidate decided.
      support::write_file_atomically(lost.dir / "result.json", to_json(failed).dump(2) + "\n");
      event_({{"event", "result"}, {"index", lost.index}, {"job_id", lost.id}, {"failure", failed.failure}});
      return {lost.index, failed};
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(config_.poll_seconds));
  }
}

}  // namespace crinn::tune
