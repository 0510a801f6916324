#include "Support/AtomicFile.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace crinn::support {

namespace fs = std::filesystem;

namespace {

std::runtime_error failure(const fs::path& path, const std::string& what, int error) {
  return std::runtime_error(path.string() + ": " + what + ": " + std::strerror(error));
}

// The file a write of `path` replaces: the target of a symbolic link.
fs::path resolved(const fs::path& path) {
  std::error_code error;
  if (fs::is_symlink(fs::symlink_status(path, error))) {
    fs::path target = fs::canonical(path, error);
    if (!error) return target;
  }
  return fs::absolute(path);
}

std::string unique_suffix() {
  static std::atomic<unsigned> counter{0};
  return ".crinn-tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
}

}  // namespace

fs::path temporary_path_for(const fs::path& path) {
  fs::path target = resolved(path);
  return target.parent_path() / ("." + target.filename().string() + unique_suffix());
}

void sync_directory(const fs::path& dir) {
  int fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw failure(dir, "cannot open directory", errno);
  int result = fsync(fd);
  int error = errno;
  close(fd);
  // Some file systems cannot sync a directory; nothing more can be done there.
  if (result != 0 && error != EINVAL && error != EROFS) throw failure(dir, "cannot sync directory", error);
}

void commit_temporary(const fs::path& temporary, const fs::path& path) {
  fs::path target = resolved(path);
  auto fail = [&](const std::string& what, int error) {
    unlink(temporary.c_str());
    return failure(target, what, error);
  };
  int fd = open(temporary.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throw fail("cannot write", errno);
  struct stat existing;
  if (stat(target.c_str(), &existing) == 0 && fchmod(fd, existing.st_mode & 07777) != 0) {
    int error = errno;
    close(fd);
    throw fail("cannot keep the file's mode", error);
  }
  if (fsync(fd) != 0) {
    int error = errno;
    close(fd);
    throw fail("cannot write", error);
  }
  if (close(fd) != 0) throw fail("cannot write", errno);
  if (rename(temporary.c_str(), target.c_str()) != 0) throw fail("cannot replace", errno);
  sync_directory(target.parent_path());
}

void write_file_atomically(const fs::path& path, std::string_view contents) {
  fs::path temporary = temporary_path_for(path);
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) throw failure(resolved(path), "cannot write", errno);
  const char* data = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t written = write(fd, data, left);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      int error = written < 0 ? errno : ENOSPC;
      close(fd);
      unlink(temporary.c_str());
      throw failure(resolved(path), "cannot write", error);
    }
    data += written;
    left -= size_t(written);
  }
  if (close(fd) != 0) {
    int error = errno;
    unlink(temporary.c_str());
    throw failure(resolved(path), "cannot write", error);
  }
  commit_temporary(temporary, path);
}

void check_can_write(const fs::path& path) {
  fs::path target = resolved(path);
  std::error_code ignored;
  if (fs::is_directory(target, ignored)) throw failure(target, "cannot write", EISDIR);
  fs::path temporary = temporary_path_for(path);
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) throw failure(target, "cannot write", errno);
  close(fd);
  unlink(temporary.c_str());
}

fs::path make_staging_directory(const fs::path& target) {
  fs::path absolute = fs::absolute(target);
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path staging = absolute.parent_path() / ("." + absolute.filename().string() + unique_suffix());
    if (mkdir(staging.c_str(), 0777) == 0) return staging;
    if (errno != EEXIST) throw failure(staging, "cannot create directory", errno);
  }
  throw failure(absolute, "cannot create a staging directory beside it", EEXIST);
}

void replace_directory(const fs::path& staging, const fs::path& target) {
  std::error_code missing;
  bool exists = fs::exists(fs::symlink_status(target, missing));
  if (!exists) {
    if (rename(staging.c_str(), target.c_str()) != 0) throw failure(target, "cannot create", errno);
  } else {
    if (renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0)
      throw failure(target, "cannot replace", errno);
    std::error_code ignored;  // the old version, now at staging: nothing refers to it any more
    fs::remove_all(staging, ignored);
  }
  sync_directory(fs::absolute(target).parent_path());
}

}  // namespace crinn::support
