#include "Support/Cpu.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace crinn::support {

namespace {

namespace fs = std::filesystem;

// The flags that name vector instruction sets, as x86 and Arm kernels spell them.
const char* const kSimdFlags[] = {"sse4_2",     "avx",        "avx2",     "fma",       "f16c",      "avx512f",
                                  "avx512bw",   "avx512vl",   "avx512dq", "avx512_vnni", "avx512_bf16",
                                  "avx512_fp16", "amx_tile",  "asimd",    "asimddp",   "sve",       "sve2"};

std::string first_line(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string trimmed(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t"), end = text.find_last_not_of(" \t\r");
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

}  // namespace

CpuInfo parse_cpu(const std::string& cpuinfo, const std::string& cache_dir) {
  CpuInfo cpu;
  std::istringstream lines(cpuinfo);
  std::string flags;
  for (std::string line; std::getline(lines, line);) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = trimmed(line.substr(0, colon)), value = trimmed(line.substr(colon + 1));
    if (key == "processor") ++cpu.logical_cores;
    else if ((key == "model name" || key == "Model name") && cpu.model.empty()) cpu.model = value;
    else if ((key == "flags" || key == "Features") && flags.empty()) flags = " " + value + " ";
  }
  for (const char* flag : kSimdFlags)
    if (flags.find(" " + std::string(flag) + " ") != std::string::npos) cpu.simd.push_back(flag);
  if (cpu.simd.empty() && flags.find(" neon ") != std::string::npos) cpu.simd.push_back("neon");

  std::error_code error;
  std::vector<fs::path> indexes;
  for (const auto& entry : fs::directory_iterator(cache_dir, error))
    if (entry.path().filename().string().rfind("index", 0) == 0) indexes.push_back(entry.path());
  std::sort(indexes.begin(), indexes.end());
  for (const fs::path& index : indexes) {
    std::string level = first_line(index / "level"), type = first_line(index / "type"), size = first_line(index / "size");
    if (level.empty() || size.empty() || type == "Instruction") continue;
    cpu.caches.push_back("L" + level + (type == "Data" ? "d" : "") + " " + size);
  }
  return cpu;
}

CpuInfo probe_cpu() {
  std::ifstream in("/proc/cpuinfo");
  std::stringstream text;
  text << in.rdbuf();
  return parse_cpu(text.str(), "/sys/devices/system/cpu/cpu0/cache");
}

}  // namespace crinn::support
