// The fuzzer's bytes as a file, for parsers that read a path: one temporary
// file per process, rewritten for each input and removed at exit. In /dev/shm
// when there is one, so that each input costs no disk write.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace crinn::fuzz {

class InputFile {
 public:
  // `suffix` is the file's extension as the parser expects it (".hdf5").
  explicit InputFile(const std::string& suffix) {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
    path_ = std::string(dir) + "/crinn-fuzz-XXXXXX" + suffix;
    fd_ = mkstemps(path_.data(), int(suffix.size()));
    if (fd_ < 0) std::abort();
  }
  ~InputFile() {
    close(fd_);
    unlink(path_.c_str());
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Makes the file hold exactly these bytes; returns its path.
  const std::string& write(const uint8_t* data, size_t size) {
    if (ftruncate(fd_, 0) != 0 || (size > 0 && pwrite(fd_, data, size, 0) != ssize_t(size))) std::abort();
    return path_;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace crinn::fuzz
