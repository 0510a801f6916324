#include "Bench/Output.h"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace crinn::bench {
namespace {

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

std::string format_qps(const std::optional<double>& qps) { return qps ? format("%.0f", *qps) : "-"; }

std::string format_ratio(const std::optional<double>& value, const std::optional<double>& reference) {
  if (!value || !reference || *reference <= 0.0) return "-";
  return format("%.2fx", *value / *reference);
}

std::string pad(const std::string& s, size_t width, bool left_align = false) {
  if (s.size() >= width) return s;
  return left_align ? s + std::string(width - s.size(), ' ') : std::string(width - s.size(), ' ') + s;
}

size_t label_width(const std::vector<IndexResult>& results) {
  size_t width = 5;
  for (const IndexResult& r : results) width = std::max(width, r.spec.label.size());
  return width + 2;
}

std::string escape_xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string describe(const data::Dataset& dataset, const BenchConfig& config) {
  return dataset.name + " (" + std::to_string(dataset.train.rows) + " train, " +
         std::to_string(dataset.test.rows) + " queries, " + std::to_string(dataset.train.dim) + " dims, " +
         data::metric_name(dataset.metric) + "), recall@" + std::to_string(config.k) + ", QPS best of " +
         std::to_string(config.runs) + " interleaved runs, one thread, one query at a time";
}

std::string recall_label(double recall) { return format("%g", recall); }

}  // namespace

Summary summarize(const IndexResult& result, const BenchConfig& config) {
  Summary summary;
  std::vector<CurvePoint> curve = result.curve();
  for (double recall : kReportedRecalls) summary.qps_at.push_back(qps_at_recall(curve, recall));
  summary.reward = window_reward(curve, config.recall_low, config.recall_high, config.reward);
  return summary;
}

void print_tables(std::ostream& out, const data::Dataset& dataset, const std::vector<IndexResult>& results,
                  const BenchConfig& config) {
  const size_t w = label_width(results);
  out << describe(dataset, config) << "\n\n";

  out << pad("index", w, true) << pad("build s", 10) << pad("peak MiB", 10) << pad("index MiB", 11) << "  status\n";
  for (const IndexResult& r : results)
    out << pad(r.spec.label, w, true) << pad(r.built ? format("%.1f", r.build_seconds) : "-", 10)
        << pad(r.built ? format("%.1f", r.peak_memory_mb) : "-", 10)
        << pad(r.built && !r.points.empty() ? format("%.1f", r.index_memory_mb) : "-", 11) << "  "
        << (r.failure.empty() ? (r.loaded ? "ok (index loaded from its cache, the time is the load's)" : "ok")
                              : "FAILED: " + r.failure)
        << "\n";

  out << "\n" << pad("index", w, true) << pad("ef", 6) << pad("recall", 9) << pad("QPS best", 11)
      << pad("QPS median", 12) << pad("spread", 8) << pad("dist/query", 12) << "\n";
  for (const IndexResult& r : results)
    for (const EfResult& p : r.points)
      out << pad(r.spec.label, w, true) << pad(p.ef ? std::to_string(p.ef) : "-", 6) << pad(format("%.4f", p.recall), 9)
          << pad(format("%.0f", p.best_qps()), 11) << pad(format("%.0f", p.median_qps()), 12)
          << pad(format("%.1f%%", 100.0 * p.spread()), 8) << pad(p.distances_per_query < 0 ? "-" : format("%.0f", p.distances_per_query), 12) << "\n";

  const IndexResult& reference = results.front();
  Summary reference_summary = summarize(reference, config);
  out << "\nQPS at recall (interpolated on the Pareto frontier; '-' = not reached) and reward = "
      << describe_reward(config.reward, config.recall_low, config.recall_high) << "; ratios against "
      << reference.spec.label << "\n";
  out << pad("index", w, true);
  for (double recall : kReportedRecalls) out << pad("QPS@" + recall_label(recall), 11);
  out << pad("reward", 10) << pad("x reward", 10);
  for (double recall : {0.95, 0.99}) out << pad("x QPS@" + recall_label(recall), 12);
  out << "\n";
  for (const IndexResult& r : results) {
    Summary s = summarize(r, config);
    out << pad(r.spec.label, w, true);
    for (const auto& qps : s.qps_at) out << pad(format_qps(qps), 11);
    out << pad(format("%.1f", s.reward), 10) << pad(format_ratio(s.reward, reference_summary.reward), 10)
        << pad(format_ratio(s.qps_at[1], reference_summary.qps_at[1]), 12)
        << pad(format_ratio(s.qps_at[2], reference_summary.qps_at[2]), 12) << "\n";
  }
  for (const IndexResult& r : results)
    if (!r.uses_ef && !r.points.empty())
      out << "(" << r.spec.label << " ignores ef: measured once, on the first " << r.points.front().queries
          << " queries)\n";
}

std::string to_json(const data::Dataset& dataset, const std::vector<IndexResult>& results, const BenchConfig& config) {
  nlohmann::json doc;
  doc["dataset"] = {{"name", dataset.name},       {"train", dataset.train.rows},
                    {"test", dataset.test.rows},  {"dim", dataset.train.dim},
                    {"metric", data::metric_name(dataset.metric)}};
  doc["config"] = {{"k", config.k},
                   {"runs", config.runs},
                   {"efs", config.efs},
                   {"recall_window", {config.recall_low, config.recall_high}}};
  Summary reference = summarize(results.front(), config);
  nlohmann::json indexes = nlohmann::json::array();
  for (const IndexResult& r : results) {
    Summary s = summarize(r, config);
    nlohmann::json index = {{"label", r.spec.label},
                            {"library", r.spec.library},
                            {"params", r.spec.params},
                            {"built", r.built},
                            {"failure", r.failure.empty() ? nlohmann::json() : nlohmann::json(r.failure)},
                            {"build_seconds", r.build_seconds},
                            {"loaded_from_cache", r.loaded},
                            {"peak_memory_mb", r.peak_memory_mb},
                            {"index_memory_mb", r.index_memory_mb},
                            {"reward", s.reward},
                            {"reward_ratio", reference.reward > 0 ? nlohmann::json(s.reward / reference.reward)
                                                                  : nlohmann::json()}};
    nlohmann::json qps_at = nlohmann::json::object();
    for (size_t i = 0; i < kReportedRecalls.size(); ++i)
      qps_at[recall_label(kReportedRecalls[i])] = s.qps_at[i] ? nlohmann::json(*s.qps_at[i]) : nlohmann::json();
    index["qps_at_recall"] = qps_at;
    nlohmann::json points = nlohmann::json::array();
    for (const EfResult& p : r.points)
      points.push_back({{"ef", p.ef},
                        {"queries", p.queries},
                        {"recall", p.recall},
                        {"qps_best", p.best_qps()},
                        {"qps_median", p.median_qps()},
                        {"qps_runs", p.qps_runs},
                        {"spread", p.spread()},
                        {"distances_per_query",
                         p.distances_per_query < 0 ? nlohmann::json() : nlohmann::json(p.distances_per_query)}});
    index["points"] = points;
    indexes.push_back(index);
  }
  doc["indexes"] = indexes;
  return doc.dump(2) + "\n";
}

std::string to_svg(const data::Dataset& dataset, const std::vector<IndexResult>& results, const BenchConfig& config) {
  const double width = 760, height = 480, left = 70, right = 190, top = 40, bottom = 50;
  const double plot_w = width - left - right, plot_h = height - top - bottom;

  double min_recall = 1.0, min_qps = 1e300, max_qps = 0.0;
  for (const IndexResult& r : results)
    for (const EfResult& p : r.points) {
      min_recall = std::min(min_recall, p.recall);
      min_qps = std::min(min_qps, p.best_qps());
      max_qps = std::max(max_qps, p.best_qps());
    }
  if (max_qps <= 0.0) min_qps = 1.0, max_qps = 10.0;
  double x_low = std::max(0.0, std::floor(std::min(min_recall, config.recall_low) * 20.0) / 20.0);
  double y_low = std::pow(10.0, std::floor(std::log10(min_qps))), y_high = std::pow(10.0, std::ceil(std::log10(max_qps)));
  if (y_high <= y_low) y_high = y_low * 10.0;
  auto x_of = [&](double recall) { return left + (recall - x_low) / (1.0 - x_low) * plot_w; };
  auto y_of = [&](double qps) {
    return top + plot_h - (std::log10(qps) - std::log10(y_low)) / (std::log10(y_high) - std::log10(y_low)) * plot_h;
  };

  static const char* colors[] = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg << "<text x=\"" << left << "\" y=\"22\" font-size=\"14\">" << escape_xml(dataset.name)
      << ": recall@" << config.k << " vs QPS (single thread)</text>\n";
  // The reward window.
  svg << "<rect x=\"" << x_of(config.recall_low) << "\" y=\"" << top << "\" width=\""
      << x_of(std::min(config.recall_high, 1.0)) - x_of(config.recall_low) << "\" height=\"" << plot_h
      << "\" fill=\"#f0f0f0\"/>\n";
  for (double decade = y_low; decade <= y_high * 1.0001; decade *= 10.0) {
    svg << "<line x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << y_of(decade) << "\" y2=\""
        << y_of(decade) << "\" stroke=\"#ccc\"/>\n";
    svg << "<text x=\"" << left - 6 << "\" y=\"" << y_of(decade) + 4 << "\" text-anchor=\"end\">"
        << format("%.0f", decade) << "</text>\n";
  }
  for (int tick = 0; tick <= 10; ++tick) {
    double recall = x_low + (1.0 - x_low) * tick / 10.0;
    svg << "<line x1=\"" << x_of(recall) << "\" x2=\"" << x_of(recall) << "\" y1=\"" << top << "\" y2=\""
        << top + plot_h << "\" stroke=\"#eee\"/>\n";
    svg << "<text x=\"" << x_of(recall) << "\" y=\"" << top + plot_h + 16 << "\" text-anchor=\"middle\">"
        << format("%.3g", recall) << "</text>\n";
  }
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << plot_w << "\" height=\"" << plot_h
      << "\" fill=\"none\" stroke=\"black\"/>\n";
  svg << "<text x=\"" << left + plot_w / 2 << "\" y=\"" << height - 12 << "\" text-anchor=\"middle\">recall@"
      << config.k << "</text>\n";
  svg << "<text transform=\"translate(18," << top + plot_h / 2
      << ") rotate(-90)\" text-anchor=\"middle\">queries per second (log)</text>\n";

  for (size_t i = 0; i < results.size(); ++i) {
    const char* color = colors[i % (sizeof colors / sizeof *colors)];
    std::vector<CurvePoint> frontier = pareto_frontier(results[i].curve());
    if (frontier.size() > 1) {
      svg << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"2\" points=\"";
      for (const CurvePoint& p : frontier) svg << x_of(p.recall) << "," << y_of(p.qps) << " ";
      svg << "\"/>\n";
    }
    for (const EfResult& p : results[i].points)
      svg << "<circle cx=\"" << x_of(p.recall) << "\" cy=\"" << y_of(p.best_qps()) << "\" r=\"3\" fill=\"" << color
          << "\"><title>" << escape_xml(results[i].spec.label) << " ef=" << p.ef << " recall=" << format("%.4f", p.recall)
          << " QPS=" << format("%.0f", p.best_qps()) << "</title></circle>\n";
    double legend_y = top + 10 + 20.0 * double(i);
    svg << "<line x1=\"" << width - right + 15 << "\" x2=\"" << width - right + 40 << "\" y1=\"" << legend_y
        << "\" y2=\"" << legend_y << "\" stroke=\"" << color << "\" stroke-width=\"2\"/>\n";
    svg << "<text x=\"" << width - right + 46 << "\" y=\"" << legend_y + 4 << "\">" << escape_xml(results[i].spec.label)
        << (results[i].failure.empty() ? "" : " (failed)") << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

std::string to_html(const data::Dataset& dataset, const std::vector<IndexResult>& results, const BenchConfig& config) {
  std::ostringstream tables;
  print_tables(tables, dataset, results, config);
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>crinn-bench: "
       << escape_xml(dataset.name) << "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
       << "pre{background:#f6f6f6;padding:1em;overflow-x:auto}</style>\n</head>\n<body>\n<h1>crinn-bench: "
       << escape_xml(dataset.name) << "</h1>\n<p>" << escape_xml(describe(dataset, config))
       << ". The shaded band is the reward window.</p>\n"
       << to_svg(dataset, results, config) << "<pre>" << escape_xml(tables.str()) << "</pre>\n</body>\n</html>\n";
  return html.str();
}

}  // namespace crinn::bench
