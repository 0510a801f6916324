// The LLM policy's reading of a reply (lib/Policy/LlmPolicy.cpp): any text is
// a plan or a message saying why there is none, and an explanation; never an
// exception, a crash or UB.
#include "Policy/LlmPolicy.h"

using namespace crinn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string reply(reinterpret_cast<const char*>(data), size);
  auto [plan, problem] = policy::plan_from_reply(reply);
  if (problem.empty()) schema::plan_key(plan);
  policy::explanation_from_reply(reply);
  return 0;
}
