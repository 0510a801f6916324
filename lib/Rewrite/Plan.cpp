#include "Rewrite/Plan.h"

#include "Rewrite/Rewrite.h"

namespace crinn::rewrite {

schema::Plan validate_plan(const schema::Plan& plan, const std::string& source, const std::vector<sites::Site>& sites) {
  std::vector<const schema::SiteRecord*> records;
  for (const sites::Site& site : sites) records.push_back(&site);
  std::vector<std::string> rewrites;
  for (const auto& rewrite : catalogue()) rewrites.push_back(rewrite->name());
  return schema::validate_plan(plan, source, records, rewrites);
}

}  // namespace crinn::rewrite
