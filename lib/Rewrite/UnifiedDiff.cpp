#include "Rewrite/UnifiedDiff.h"

#include <algorithm>
#include <vector>

namespace crinn::rewrite {
namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size() - 1;
    lines.push_back(text.substr(pos, end - pos + 1));
    pos = end + 1;
  }
  return lines;
}

struct Op {
  char kind;  // ' ', '-', '+'
  size_t line;  // index into the old (' ', '-') or new ('+') lines
};

// Longest common subsequence over the part that differs (rewrites touch a
// few places, so the common prefix and suffix are most of a file).
std::vector<Op> diff_ops(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix && a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix])
    ++suffix;
  size_t n = a.size() - prefix - suffix, m = b.size() - prefix - suffix;
  std::vector<std::vector<unsigned>> lcs(n + 1, std::vector<unsigned>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] = a[prefix + i] == b[prefix + j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);

  std::vector<Op> ops;
  for (size_t i = 0; i < prefix; ++i) ops.push_back({' ', i});
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[prefix + i] == b[prefix + j]) {
      ops.push_back({' ', prefix + i});
      ++i, ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push_back({'-', prefix + i++});
    } else {
      ops.push_back({'+', prefix + j++});
    }
  }
  for (size_t k = a.size() - suffix; k < a.size(); ++k) ops.push_back({' ', k});
  return ops;
}

}  // namespace

std::string unified_diff(const std::string& before, const std::string& after, const std::string& label,
                         bool created) {
  if (before == after) return "";
  std::vector<std::string> a = split_lines(before), b = split_lines(after);
  std::vector<Op> ops = diff_ops(a, b);
  const size_t context = 3;
  std::string out = (created ? "--- /dev/null" : "--- a/" + label) + "\n+++ b/" + label + "\n";

  size_t k = 0;
  while (k < ops.size()) {
    while (k < ops.size() && ops[k].kind == ' ') ++k;
    if (k == ops.size()) break;
    // A hunk: from `context` lines before this change to `context` after the
    // last change that is within 2 * context of the previous one.
    size_t start = k >= context ? k - context : 0, end = k;
    while (end < ops.size()) {
      size_t next = end;
      while (next < ops.size() && ops[next].kind != ' ') ++next;
      size_t gap = next;
      while (gap < ops.size() && ops[gap].kind == ' ') ++gap;
      if (gap < ops.size() && gap - next <= 2 * context) end = gap;
      else {
        end = std::min(ops.size(), next + context);
        break;
      }
    }
    size_t old_start = 0, new_start = 0, old_count = 0, new_count = 0;
    size_t old_line = 0, new_line = 0;
    for (size_t p = 0; p < start; ++p) {
      if (ops[p].kind != '+') ++old_line;
      if (ops[p].kind != '-') ++new_line;
    }
    old_start = old_line + 1, new_start = new_line + 1;
    std::string body;
    for (size_t p = start; p < end; ++p) {
      const std::string& text = ops[p].kind == '+' ? b[ops[p].line] : a[ops[p].line];
      body += ops[p].kind + text;
      if (text.empty() || text.back() != '\n') body += "\n\\ No newline at end of file\n";
      if (ops[p].kind != '+') ++old_count;
      if (ops[p].kind != '-') ++new_count;
    }
    if (old_count == 0) --old_start;
    if (new_count == 0) --new_start;
    out += "@@ -" + std::to_string(old_start) + "," + std::to_string(old_count) + " +" + std::to_string(new_start) + "," +
           std::to_string(new_count) + " @@\n" + body;
    k = end;
  }
  return out;
}

}  // namespace crinn::rewrite
