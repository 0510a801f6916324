// What an optimiser of vector code needs to know about the machine it runs
// on: the CPU model, its SIMD extensions and its caches, read from Linux's
// /proc/cpuinfo and /sys (empty fields where they are missing).
#pragma once

#include <string>
#include <vector>

namespace crinn::support {

struct CpuInfo {
  std::string model;               // "AMD EPYC 7B13"
  int logical_cores = 0;
  std::vector<std::string> simd;   // the vector extensions among the CPU's flags: "avx2", "avx512f", "neon"...
  std::vector<std::string> caches; // "L1d 32K", "L2 512K", "L3 32768K" (cpu0's, as sysfs spells the sizes)
};

CpuInfo probe_cpu();

// The parts of /proc/cpuinfo and of cpu0's cache directory that probe_cpu
// reads, for tests: `cache_dir` holds index0/, index1/... with level, type, size.
CpuInfo parse_cpu(const std::string& cpuinfo, const std::string& cache_dir);

}  // namespace crinn::support
