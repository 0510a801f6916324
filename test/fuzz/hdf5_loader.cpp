// The ann-benchmarks HDF5 loader (lib/Data/Hdf5.cpp) on any file: a dataset
// or a DataError naming the file; never a crash, UB or an allocation the
// file's size does not justify.
#include "InputFile.h"

#include "Data/Formats.h"

using namespace crinn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile file(".hdf5");
  try {
    data::load_hdf5(file.write(data, size));
  } catch (const data::DataError&) {
  }
  return 0;
}
