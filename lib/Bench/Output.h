// What a benchmark run shows a person: a table on stdout, every point as
// JSON, and the QPS-recall plot (log QPS over recall, as ann-benchmarks draws
// it) as SVG or as an HTML page with the summary table.
#pragma once

#include "Bench/Benchmark.h"

#include <optional>
#include <ostream>
#include <string>

namespace crinn::bench {

// Recall levels whose interpolated QPS every summary reports.
inline const std::vector<double> kReportedRecalls = {0.90, 0.95, 0.99, 0.999};

struct Summary {
  std::vector<std::optional<double>> qps_at;  // one per kReportedRecalls
  double reward = 0.0;
};
Summary summarize(const IndexResult& result, const BenchConfig& config);

void print_tables(std::ostream& out, const data::Dataset& dataset, const std::vector<IndexResult>& results,
                  const BenchConfig& config);

std::string to_json(const data::Dataset& dataset, const std::vector<IndexResult>& results, const BenchConfig& config);
std::string to_svg(const data::Dataset& dataset, const std::vector<IndexResult>& results, const BenchConfig& config);
std::string to_html(const data::Dataset& dataset, const std::vector<IndexResult>& results, const BenchConfig& config);

}  // namespace crinn::bench
