// The Slurm executor of crinn-tune: each candidate is one batch job that runs
// crinn-job on its job dir (spec.json and the rewritten tree, on a directory
// every node sees) and leaves result.json there. It keeps jobs in flight,
// journals every submission and every end through `event`, and asks Slurm
// (squeue, else sacct) how the jobs without a result are doing. A job that
// ended without a result (a node that failed, preemption, the time limit,
// scancel, a runner that crashed) is submitted again once; the second loss
// is the candidate's failure "executor", never a stop of the run.
#pragma once

#include "Tune/Job.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace crinn::tune {

struct SlurmConfig {
  int parallel = 1;         // jobs in flight
  std::string partition;    // "" for the cluster's default
  std::string extra_args;   // more sbatch options, split at spaces (--time=30, --constraint=...)
  // Cores a job asks for; 0 asks for a whole node (--exclusive), so that no
  // other job's work shares the cores a measurement runs on.
  int cpus = 0;
  std::string job_runner;   // crinn-job, at a path every node sees
  // Where each node keeps its reference build and index cache; "" for
  // ${TMPDIR:-/tmp}/crinn-node-cache on the node.
  std::string node_cache;
  double poll_seconds = 2.0;
};

class SlurmExecutor {
 public:
  using EventLog = std::function<void(const nlohmann::json&)>;
  SlurmExecutor(SlurmConfig config, EventLog event, std::function<void(const std::string&)> log);

  int parallel() const { return config_.parallel; }
  size_t in_flight() const { return jobs_.size(); }

  // Writes <job_dir>/job.sh and submits it; `attempt` 2 is the one resubmission.
  void submit(int index, const std::filesystem::path& job_dir, int attempt = 1);
  // A job an earlier crinn-tune submitted (jobs.jsonl): watched as if submitted here.
  void reattach(int index, const std::filesystem::path& job_dir, const std::string& job_id, int attempt);

  // Blocks until a job in flight has ended: its candidate index and result.
  std::pair<int, JobResult> next_result();

 private:
  struct Job {
    int index;
    std::filesystem::path dir;
    std::string id;
    int attempt;
  };
  // Slurm's state of each job ("RUNNING", "CANCELLED"...; "LOST" when
  // neither squeue nor sacct knows it any more); none while squeue fails.
  std::map<std::string, std::string> states() const;

  SlurmConfig config_;
  EventLog event_;
  std::function<void(const std::string&)> log_;
  std::vector<Job> jobs_;
};

// Whether a Slurm job state is final (the job will not run again on its own).
bool slurm_state_ended(const std::string& state);

}  // namespace crinn::tune
