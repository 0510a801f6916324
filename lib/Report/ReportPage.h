// report.html of a crinn-tune run, rendered from the files of its report dir
// alone (so a finished or killed run can be re-rendered): the QPS-recall
// curves of the original, the best variant and the peers from the closing
// comparison, the reward of every candidate over the run, the rewrites of the
// best plan with what the run saw of their effect, the failures, the
// patch and, for an LLM policy, its tokens, cost per improvement and the
// reasons it gave for each plan. Plain HTML and inline SVG: no script, no network, opens anywhere.
#pragma once

#include <string>

namespace crinn::report {

// Reads run.json, history.jsonl, plan.json, policy.json, best.patch,
// comparison.svg and comparison.txt from `dir` (each optional but
// history.jsonl) and writes dir/report.html atomically. Throws
// std::runtime_error naming a file that cannot be read or parsed.
void write_report_html(const std::string& dir);

// The page as a string, for tests.
std::string render_report_html(const std::string& dir);

}  // namespace crinn::report
