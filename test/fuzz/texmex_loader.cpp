// The TEXMEX loaders (lib/Data/Texmex.cpp) on any file, read as fvecs, bvecs
// and ivecs: vectors or a DataError naming the file; never a crash, UB or an
// allocation the file's size does not justify.
#include "InputFile.h"

#include "Data/Formats.h"

using namespace crinn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile file(".fvecs");
  const std::string& path = file.write(data, size);
  try {
    data::load_fvecs(path);
  } catch (const data::DataError&) {
  }
  try {
    data::load_bvecs(path);
  } catch (const data::DataError&) {
  }
  try {
    data::load_ivecs(path);
  } catch (const data::DataError&) {
  }
  return 0;
}
