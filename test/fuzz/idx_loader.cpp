// The IDX loader (lib/Data/Idx.cpp) on any file, gzip-compressed or not:
// images or a DataError naming the file; never a crash, UB or an allocation
// the file's size does not justify.
#include "InputFile.h"

#include "Data/Formats.h"

using namespace crinn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile file("-ubyte.gz");
  try {
    data::load_idx_images(file.write(data, size));
  } catch (const data::DataError&) {
  }
  return 0;
}
