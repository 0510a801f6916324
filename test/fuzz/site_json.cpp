// The policies' reading of site JSON (lib/Policy/Space.cpp): any text is
// options whose parameter values a policy can draw, or a JSON error; never a
// crash, a hang or UB.
#include "Policy/Space.h"

using namespace crinn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    nlohmann::json sites = nlohmann::json::parse(data, data + size);
    for (const policy::RewriteOption& option : policy::options_from_sites(sites))
      for (const policy::ParamRange& range : option.params) range.values();
  } catch (const nlohmann::json::exception&) {
  }
  return 0;
}
