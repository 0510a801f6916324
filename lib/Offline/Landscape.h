// A recorded landscape (issue 19): plans of one tuning setting measured live
// by crinn-tune (bench/landscape.sh), each with its reward beside the
// unmodified source or its failure, and the rewrite space they were drawn
// from. Policies are compared on a surrogate fitted to it, offline.
#pragma once

#include "Schema/Schema.h"

#include <string>
#include <vector>

namespace crinn::offline {

struct Measured {
  schema::Plan plan;
  double reward = 0.0;  // ratio to the unmodified source, measured side by side
  bool failed = false;
  std::string reason;   // "<gate>: <reason>" when failed ("crash: build failed: ...")
  std::string policy;   // which policy proposed it ("random", "builtin")
};

struct Landscape {
  std::string setting;
  std::vector<schema::Offer> offers;  // the space: the offers of the sites the plans were drawn over
  std::vector<Measured> plans;
  // The spread of one measured log reward: the median of the recording
  // runs' A/A noise floors (run.json's noise_floor.run_sd, on each line).
  double noise_sd = 0.05;
};

// Reads `<records>.jsonl` (one measured plan per line, as bench/landscape.sh
// writes them) and the site listing they were drawn over. A
// std::runtime_error names the file and line of what is malformed.
Landscape read_landscape(const std::string& records_path, const std::string& sites_path);

}  // namespace crinn::offline
