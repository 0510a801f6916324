// crinn-tune's reading of history.jsonl (lib/Tune/Journal.cpp): any file is
// candidate records or a JournalError naming its line; never another
// exception, a crash or UB.
#include "InputFile.h"

#include "Tune/Journal.h"

using namespace crinn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile file(".jsonl");
  try {
    tune::read_candidates(file.write(data, size));
  } catch (const tune::JournalError&) {
  }
  return 0;
}
