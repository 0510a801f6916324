// crinn-job: what a Slurm job of crinn-tune --executor slurm runs on its
// node: one candidate's build and measurement beside this node's reference
// (lib/Tune/Job.h). Not for users: crinn-tune writes the job dir and the
// job script that calls this.
#include "Tune/Job.h"

#include <unistd.h>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4 || std::string(argv[1]) != "--node-cache") {
    std::cerr << "usage: crinn-job --node-cache <dir on this node> <job dir>\n";
    return 2;
  }
  // A line in slurm-<id>.out that says the job's payload runs: a cancel from
  // here on reaches this process, not only the job script.
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  std::cout << "crinn-job: started on " << host << " for " << argv[3] << std::endl;
  try {
    crinn::tune::run_job(argv[3], argv[2]);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "crinn-job: error: " << e.what() << "\n";
    return 1;
  }
}
