// The reading of site JSON (lib/Schema), as the policies take --list-sites
// output: any text is sites whose offers' parameter values a policy can draw,
// or an error; never a crash, a hang or UB.
#include "Schema/Schema.h"

using namespace crinn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    nlohmann::json json = nlohmann::json::parse(data, data + size);
    std::vector<schema::SiteRecord> sites;
    for (const nlohmann::json& site : json.at("sites")) sites.push_back(schema::site_from_json(site));
    for (const schema::Offer& offer : schema::offers(sites))
      for (const schema::ParamRange& range : offer.params) range.values();
  } catch (const std::runtime_error&) {
  } catch (const nlohmann::json::exception&) {
  }
  return 0;
}
