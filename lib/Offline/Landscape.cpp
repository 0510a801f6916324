#include "Offline/Landscape.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace crinn::offline {

Landscape read_landscape(const std::string& records_path, const std::string& sites_path) {
  Landscape landscape;
  std::ifstream sites(sites_path);
  if (!sites) throw std::runtime_error(sites_path + ": cannot be read");
  try {
    const nlohmann::json listing = nlohmann::json::parse(sites);
    std::vector<schema::SiteRecord> records;
    for (const nlohmann::json& site : listing.at("sites")) records.push_back(schema::site_from_json(site));
    landscape.offers = schema::offers(records);
  } catch (const std::exception& e) {
    throw std::runtime_error(sites_path + ": not a site listing (" + e.what() + ")");
  }
  std::ifstream in(records_path);
  if (!in) throw std::runtime_error(records_path + ": cannot be read");
  std::string line;
  std::vector<double> noise;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const nlohmann::json row = nlohmann::json::parse(line);
      Measured measured;
      measured.plan = schema::plan_from_json(row.at("plan"), records_path);
      // The gate that stopped it ("crash", "recall", ...), or "none", as crinn-tune journals it.
      const std::string gate = row.at("failure").get<std::string>();
      measured.failed = gate != "none";
      measured.reward = row.at("reward").is_null() ? 0.0 : row.at("reward").get<double>();
      if (measured.failed) measured.reason = gate + ": " + row.value("reason", "");
      measured.policy = row.value("policy", "");
      if (landscape.setting.empty()) landscape.setting = row.value("setting", "");
      if (row.contains("noise_sd") && row.at("noise_sd").is_number()) noise.push_back(row.at("noise_sd").get<double>());
      landscape.plans.push_back(std::move(measured));
    } catch (const std::exception& e) {
      throw std::runtime_error(records_path + ":" + std::to_string(number) + ": not a measured plan (" + e.what() + ")");
    }
  }
  if (!noise.empty()) {
    std::nth_element(noise.begin(), noise.begin() + long(noise.size() / 2), noise.end());
    landscape.noise_sd = noise[noise.size() / 2];
  }
  return landscape;
}

}  // namespace crinn::offline
