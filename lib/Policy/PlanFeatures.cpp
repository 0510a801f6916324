#include "Policy/PlanFeatures.h"

namespace crinn::policy {

PlanFeatures::PlanFeatures(std::vector<schema::Offer> offers) : offers_(std::move(offers)) {
  for (const schema::Offer& offer : offers_) columns_ += 1 + offer.params.size();
}

std::vector<double> PlanFeatures::of(const schema::Plan& plan) const {
  std::vector<double> x;
  x.reserve(columns_);
  for (const schema::Offer& offer : offers_) {
    const schema::PlanEntry* entry = nullptr;
    for (const schema::PlanEntry& e : plan)
      if (e.site == offer.site && e.rewrite == offer.rewrite) entry = &e;
    x.push_back(entry ? 1.0 : 0.0);
    for (const schema::ParamRange& param : offer.params) {
      // Included without the parameter: its default, as validate_plan fills it in.
      double value = param.min - 1.0;
      if (entry) value = entry->params.count(param.name) ? entry->params.at(param.name) : param.default_value;
      x.push_back(value);
    }
  }
  return x;
}

}  // namespace crinn::policy
