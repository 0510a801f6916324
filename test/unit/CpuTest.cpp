// The CPU description the LLM policy's prompt carries, read from files laid
// out as Linux's /proc/cpuinfo and /sys/devices/system/cpu/cpu0/cache.
#include "Support/Cpu.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace crinn::support {
namespace {

namespace fs = std::filesystem;

TEST(Cpu, ReadsTheModelTheVectorExtensionsAndTheDataCaches) {
  fs::path caches = fs::path(::testing::TempDir()) / ("cpu-cache-" + std::to_string(getpid()));
  fs::remove_all(caches);
  auto cache = [&](const char* index, const char* level, const char* type, const char* size) {
    fs::create_directories(caches / index);
    std::ofstream(caches / index / "level") << level << "\n";
    std::ofstream(caches / index / "type") << type << "\n";
    std::ofstream(caches / index / "size") << size << "\n";
  };
  cache("index0", "1", "Data", "48K");
  cache("index1", "1", "Instruction", "32K");
  cache("index2", "2", "Unified", "2048K");
  cache("index3", "3", "Unified", "107520K");
  const char cpuinfo[] =
      "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8481C\n"
      "flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512bw avx512_vnni amx_tile\n\n"
      "processor\t: 1\nmodel name\t: Intel(R) Xeon(R) Platinum 8481C\nflags\t\t: fpu\n";
  CpuInfo cpu = parse_cpu(cpuinfo, caches.string());
  EXPECT_EQ(cpu.model, "Intel(R) Xeon(R) Platinum 8481C");
  EXPECT_EQ(cpu.logical_cores, 2);
  EXPECT_EQ(cpu.simd, (std::vector<std::string>{"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni",
                                                 "amx_tile"}));
  EXPECT_EQ(cpu.caches, (std::vector<std::string>{"L1d 48K", "L2 2048K", "L3 107520K"}));
  fs::remove_all(caches);
}

TEST(Cpu, AnArmCpuAndMissingCachesLeaveWhatIsKnown) {
  CpuInfo cpu = parse_cpu("processor\t: 0\nFeatures\t: fp asimd asimddp sve\n", "/nonexistent");
  EXPECT_EQ(cpu.model, "");
  EXPECT_EQ(cpu.simd, (std::vector<std::string>{"asimd", "asimddp", "sve"}));
  EXPECT_TRUE(cpu.caches.empty());
}

}  // namespace
}  // namespace crinn::support
