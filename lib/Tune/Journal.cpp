#include "Tune/Journal.h"

#include "Support/AtomicFile.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace crinn::tune {

Journal::Journal(const std::string& path) : path_(path) {
  bool created = access(path.c_str(), F_OK) != 0;
  fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error(path + ": cannot open journal: " + std::strerror(errno));
  // A new journal's directory entry is durable before its first record is.
  if (created) support::sync_directory(std::filesystem::path(path).parent_path());
  // A torn last line (killed mid-write) must not swallow the next record.
  off_t size = lseek(fd_, 0, SEEK_END);
  if (size > 0) {
    char last = '\n';
    int reader = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (reader >= 0) {
      if (pread(reader, &last, 1, size - 1) != 1) last = '\n';
      close(reader);
    }
    if (last != '\n' && write(fd_, "\n", 1) != 1)
      throw std::runtime_error(path + ": cannot write journal: " + std::strerror(errno));
  }
}

Journal::~Journal() {
  if (fd_ >= 0) close(fd_);
}

void Journal::append(const nlohmann::json& record) {
  std::string line = record.dump() + "\n";
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(path_ + ": cannot write journal: " + std::strerror(errno));
    p += n;
    left -= size_t(n);
  }
  if (fsync(fd_) != 0) throw std::runtime_error(path_ + ": cannot sync journal: " + std::strerror(errno));
}

std::vector<nlohmann::json> Journal::read(const std::string& path) {
  std::vector<nlohmann::json> records;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    try {
      records.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::parse_error&) {
      // Only a torn record, cut by a kill, is expected here; it was never complete.
    }
  }
  return records;
}

}  // namespace crinn::tune
