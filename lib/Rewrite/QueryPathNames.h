// The names the query-path rewrites agree on: what quantized-distance's output
// declares and a rewrite of the same loop (loop-fission's gather,
// prefetch-insertion's lookahead) reads, kept here so that no rewrite includes
// another rewrite's header.
#pragma once

namespace crinn::rewrite::query_path_names {

// The member beside the float storage that holds the quantized codes.
inline constexpr const char* codes_member = "crinn_codes_";
// In the search loop's method, whether this query runs on the codes.
inline constexpr const char* coded_flag = "crinn_coded";

}  // namespace crinn::rewrite::query_path_names
