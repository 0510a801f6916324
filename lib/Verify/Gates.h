// The gates a candidate passes before its speed counts: it runs without
// crashing, hanging or exhausting memory (crinn-bench's child processes); a
// candidate whose rewrites all preserve results answers exactly as its parent
// at a fixed ef; and its ef sweep still reaches the top of the reward window.
#pragma once

#include "Bench/Benchmark.h"

#include <string>

namespace crinn::verify {

enum class Failure { None, Compile, Crash, Timeout, Mismatch, Recall };
const char* failure_name(Failure failure);  // "compile", "crash", ...

struct GateConfig {
  bench::BenchConfig bench;  // ef sweep, runs, recall window, limits
  int check_ef = 64;         // where result-preserving candidates must match their parent
};

struct Verdict {
  Failure failure = Failure::None;
  std::string reason;
  bench::IndexResult candidate;
  bench::IndexResult parent;
};

// Measures the candidate and its parent in one interleaved run and applies
// the gates in order: crash/timeout, exact answers (if result_preserving),
// recall.
Verdict verify_candidate(const data::Dataset& dataset, const bench::IndexSpec& candidate,
                         const bench::IndexSpec& parent, bool result_preserving, const GateConfig& config);

}  // namespace crinn::verify
