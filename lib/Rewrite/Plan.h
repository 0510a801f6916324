// A plan against a parsed tree: lib/Schema's validation with the sites found
// and the catalogue's rewrites (docs/plan-schema.md).
#pragma once

#include "Schema/Schema.h"
#include "Sites/Site.h"

#include <string>
#include <vector>

namespace crinn::rewrite {

using schema::PlanError;

// The plan with every parameter's default filled in, or a PlanError naming
// `source` and the entry: unknown sites or rewrites, rewrites a site does
// not offer, unknown or out-of-range parameters, one rewrite twice at a site.
schema::Plan validate_plan(const schema::Plan& plan, const std::string& source, const std::vector<sites::Site>& sites);

}  // namespace crinn::rewrite
