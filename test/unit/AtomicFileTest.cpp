// The one atomic-write helper (issue 16, case 5): a failed write, as on a
// full disk, leaves the old file and no temporary; a file keeps its mode.
#include "Support/AtomicFile.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using crinn::support::make_staging_directory;
using crinn::support::replace_directory;
using crinn::support::write_file_atomically;

namespace {

fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("crinn-atomic-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool holds_temporary(const fs::path& dir) {
  for (const fs::directory_entry& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().find("crinn-tmp") != std::string::npos) return true;
  return false;
}

// Writes past `bytes` fail with EFBIG, as writes on a full disk fail with ENOSPC.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, SIG_DFL);
  }

 private:
  rlimit saved_{};
};

}  // namespace

TEST(AtomicFile, ReplacesContentsAndKeepsTheFilesMode) {
  fs::path dir = fresh_dir("mode");
  fs::path file = dir / "policy.json";
  std::ofstream(file) << "old";
  chmod(file.c_str(), 0600);
  write_file_atomically(file, "new");
  EXPECT_EQ(contents(file), "new");
  struct stat info;
  ASSERT_EQ(stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  EXPECT_FALSE(holds_temporary(dir));
  fs::remove_all(dir);
}

TEST(AtomicFile, AFailedWriteLeavesTheOldFileAndNoTemporary) {
  fs::path dir = fresh_dir("full");
  fs::path file = dir / "policy.json";
  std::ofstream(file) << "{\"kept\": true}";
  std::string big(1 << 20, 'x');
  try {
    FileSizeLimit limit(4096);
    write_file_atomically(file, big);
    FAIL() << "a write past the limit succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string() + ": cannot write"), std::string::npos) << e.what();
  }
  EXPECT_EQ(contents(file), "{\"kept\": true}");
  EXPECT_FALSE(holds_temporary(dir));
  fs::remove_all(dir);
}

TEST(AtomicFile, WritesThroughASymbolicLink) {
  fs::path dir = fresh_dir("link");
  std::ofstream(dir / "target") << "old";
  fs::create_symlink("target", dir / "link");
  write_file_atomically(dir / "link", "new");
  EXPECT_TRUE(fs::is_symlink(dir / "link"));
  EXPECT_EQ(contents(dir / "target"), "new");
  fs::remove_all(dir);
}

TEST(AtomicFile, ReplacesADirectoryWhole) {
  fs::path dir = fresh_dir("dir");
  fs::create_directories(dir / "best");
  std::ofstream(dir / "best" / "old.cpp") << "old";
  fs::path staging = make_staging_directory(dir / "best");
  std::ofstream(staging / "new.cpp") << "new";
  replace_directory(staging, dir / "best");
  EXPECT_TRUE(fs::exists(dir / "best" / "new.cpp"));
  EXPECT_FALSE(fs::exists(dir / "best" / "old.cpp"));
  EXPECT_FALSE(holds_temporary(dir));

  fs::path first = make_staging_directory(dir / "fresh");
  replace_directory(first, dir / "fresh");
  EXPECT_TRUE(fs::is_directory(dir / "fresh"));
  fs::remove_all(dir);
}

// Issue 16 case 19: an unwritable --json path was found only after the whole
// benchmark; the check that runs before it leaves nothing behind.
TEST(AtomicFile, CheckCanWriteNamesTheFileAndLeavesNothing) {
  fs::path dir = fresh_dir("check");
  EXPECT_NO_THROW(crinn::support::check_can_write(dir / "out.json"));
  EXPECT_TRUE(fs::is_empty(dir));
  auto error_of = [](const fs::path& path) -> std::string {
    try {
      crinn::support::check_can_write(path);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  };
  fs::path nowhere = dir / "missing" / "out.json";
  EXPECT_EQ(error_of(nowhere), nowhere.string() + ": cannot write: No such file or directory");
  EXPECT_EQ(error_of(dir), dir.string() + ": cannot write: Is a directory");
  fs::remove_all(dir);
}
