#include "Sites/Site.h"

namespace crinn::sites {

const RewriteOption* Site::option(const std::string& rewrite) const {
  for (const RewriteOption& o : rewrites)
    if (o.rewrite == rewrite) return &o;
  return nullptr;
}

nlohmann::json to_json(const Site& site) {
  nlohmann::json rewrites = nlohmann::json::array();
  for (const RewriteOption& option : site.rewrites) {
    nlohmann::json params = nlohmann::json::object();
    for (const ParamSpec& p : option.params) {
      nlohmann::json spec = {{"type", p.integer ? "int" : "float"}, {"min", p.min}, {"max", p.max},
                             {"default", p.default_value}, {"doc", p.doc}};
      if (p.integer) spec["min"] = int64_t(p.min), spec["max"] = int64_t(p.max), spec["default"] = int64_t(p.default_value);
      if (!p.choices.empty()) spec["choices"] = p.choices;
      params[p.name] = spec;
    }
    nlohmann::json entry = {{"rewrite", option.rewrite}, {"params", params}, {"preserves_results", option.preserves_results}};
    if (!option.note.empty()) entry["note"] = option.note;
    if (option.replaces_site) entry["replaces_site"] = true;
    if (!option.changes_build) entry["changes_build"] = false;
    if (!option.exclusive_group.empty()) entry["exclusive"] = option.exclusive_group;
    if (!option.build_switch.empty()) entry["build_switch"] = option.build_switch;
    rewrites.push_back(entry);
  }
  nlohmann::json json = {{"id", site.id},
          {"kind", site.kind},
          {"file", site.file},
          {"lines", {site.begin_line, site.end_line}},
          {"function", site.function},
          {"annotated", site.annotated},
          {"reached_by_build", site.reached_by_build},
          {"excerpt", site.excerpt},
          {"rewrites", rewrites}};
  if (!site.query_entry.empty()) json["query_entry"] = site.query_entry;
  if (!site.build_entry.empty()) json["build_entry"] = site.build_entry;
  return json;
}

}  // namespace crinn::sites
