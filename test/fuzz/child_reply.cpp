// The harness's reader of an index child's replies (lib/Bench/IndexProcess.cpp)
// on any bytes the child (or a library in it) writes: a reply, a malformed
// reply or a closed pipe; never a crash, UB or an allocation of a size the
// bytes declare. The bytes are read from a memory file as from the pipe.
#include "Bench/ChildReply.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>

using namespace crinn::bench;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int fd = memfd_create("crinn-fuzz-reply", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != ssize_t(size))) std::abort();
  // A build's reply (no ids) and a search's (4 ids asked for), to command 1.
  std::vector<int64_t> ids;
  for (bool search : {false, true}) {
    if (lseek(fd, 0, SEEK_SET) != 0) std::abort();
    detail::Reply reply;
    std::string error_text;
    detail::read_reply(fd, 1, 4, std::chrono::steady_clock::now() + std::chrono::seconds(5), nullptr, reply,
                       error_text, search ? &ids : nullptr);
  }
  return 0;
}
