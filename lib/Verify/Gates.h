// The gates a candidate passes before its speed counts: it runs without
// crashing, hanging or exhausting memory (crinn-bench's child processes); a
// candidate whose rewrites all preserve results answers exactly as its parent
// at a fixed ef; its ef sweep still reaches the top of the reward window; and,
// when limits are set, its index costs no more to build or to hold than the
// limits allow, relative to its parent's in the same run.
#pragma once

#include "Bench/Benchmark.h"

#include <string>

namespace crinn::verify {

enum class Failure { None, Compile, Crash, Timeout, Mismatch, Recall, Cost };
const char* failure_name(Failure failure);  // "compile", "crash", ...

struct GateConfig {
  bench::BenchConfig bench;  // ef sweep, runs, recall window, limits
  int check_ef = 64;         // where result-preserving candidates must match their parent
  // Limits on the candidate's index build time and the memory its index
  // holds, as multiples of its parent's; 0 for none.
  double max_build_ratio = 0.0;
  double max_memory_ratio = 0.0;
};

// Why `candidate` costs more than `config`'s limits allow beside `parent`
// (both measured in one run), or "" if it does not. A limit is not applied
// where the parent's measure is unknown or zero.
std::string cost_over_limit(const bench::IndexResult& candidate, const bench::IndexResult& parent,
                            const GateConfig& config);

struct Verdict {
  Failure failure = Failure::None;
  std::string reason;
  bench::IndexResult candidate;
  bench::IndexResult parent;
  // False when the candidate failed before the timed runs (its build failed
  // or took longer than the limit allows): neither index was searched.
  bool timed = true;
};

// Measures the candidate and its parent in one interleaved run and applies
// the gates in order: crash/timeout, exact answers (if result_preserving),
// recall, cost. A build that fails, or takes longer than the build-time
// limit, fails before the timed runs, so that the run does not spend their
// time on it; a build stopped by a build timeout that is past that limit is
// a cost failure, not a timeout.
Verdict verify_candidate(const data::Dataset& dataset, const bench::IndexSpec& candidate,
                         const bench::IndexSpec& parent, bool result_preserving, const GateConfig& config);

}  // namespace crinn::verify
