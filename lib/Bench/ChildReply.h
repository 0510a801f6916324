// The wire format of an index child's replies and the parent's reader of
// them, apart from IndexProcess so that the fuzz target of the reader
// (test/fuzz/child_reply.cpp) can feed it any bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace crinn::bench::detail {

// Opens every reply: bytes that something else in the child wrote on the pipe
// are not taken for a reply.
constexpr uint64_t kReplyMagic = 0x43524e4e52504c59ull;  // "CRNNRPLY"
// The longest error message a reply carries; the child cuts a longer one.
constexpr size_t kMaxErrorBytes = size_t(1) << 16;

// A reply's fixed part; the error message and the ids follow it.
struct Reply {
  uint64_t magic = kReplyMagic;
  int64_t sequence = 0;
  int32_t failed = 0;
  int32_t uses_ef = 1;
  int32_t loaded = 0;
  double seconds = 0.0;
  double peak_memory_mb = 0.0;
  double index_memory_mb = 0.0;
  double index_build_seconds = -1.0;  // the build's time, also for a loaded index; negative if unknown
  uint64_t distance_count = 0;
  uint64_t error_length = 0;
  uint64_t id_count = 0;
};

struct ReplyRead {
  enum Status { kComplete, kTimedOut, kClosed, kMalformed } status;
  std::string problem;  // when malformed, what is wrong with the reply
};

// Reads the reply to command `sequence` from `fd`: the fixed part, checked
// before any size in it is used, then its error message and (when `ids` is
// given) at most `expected_ids` ids. Stops at `deadline` or when the pipe
// closes or `writer_gone` says the child exited.
ReplyRead read_reply(int fd, int64_t sequence, uint64_t expected_ids, std::chrono::steady_clock::time_point deadline,
                     const std::function<bool()>& writer_gone, Reply& reply, std::string& error_text,
                     std::vector<int64_t>* ids);

}  // namespace crinn::bench::detail
