// Unit tests' helper: the offers of sites written as --list-sites prints them.
#pragma once

#include "Schema/Schema.h"

#include <nlohmann/json.hpp>

#include <vector>

namespace crinn::test {

inline std::vector<schema::Offer> offers_of(const nlohmann::json& listing) {
  std::vector<schema::SiteRecord> records;
  for (const nlohmann::json& site : listing.at("sites")) records.push_back(schema::site_from_json(site));
  return schema::offers(records);
}

}  // namespace crinn::test
