// A plan as numbers, one column per decision of the space: each option's
// inclusion (0 or 1), then each of its parameters' values where included
// (below the parameter's range where not, so a split can tell them apart).
// What a model of reward over plans (Forest) reads.
#pragma once

#include "Schema/Schema.h"

#include <vector>

namespace crinn::policy {

class PlanFeatures {
 public:
  explicit PlanFeatures(std::vector<schema::Offer> offers);
  std::vector<double> of(const schema::Plan& plan) const;
  std::size_t size() const { return columns_; }
  const std::vector<schema::Offer>& offers() const { return offers_; }

 private:
  std::vector<schema::Offer> offers_;
  std::size_t columns_ = 0;
};

}  // namespace crinn::policy
