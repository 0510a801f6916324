#include "Rewrite/ChangeSet.h"

#include "clang/Tooling/ReplacementsYaml.h"
#include "llvm/Support/YAMLTraits.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace crinn::rewrite {

void ChangeSet::add(size_t entry, const std::string& label, const std::string& path,
                    const clang::tooling::AtomicChange& change) {
  labels_[entry] = label;
  std::set<Edit>& edits = edits_[path];
  for (const clang::tooling::Replacement& r : change.getReplacements())
    edits.insert(Edit{r.getOffset(), r.getLength(), r.getReplacementText().str(), entry});
  for (const std::string& header : change.getInsertedHeaders()) headers_[path].insert(header);
}

void ChangeSet::append_line(size_t entry, const std::string& label, const std::string& path,
                            const std::string& line) {
  labels_[entry] = label;
  edits_[path];
  appended_[path].emplace_back(entry, line + "\n");
}

void ChangeSet::create_file(size_t entry, const std::string& label, const std::string& path, const std::string& text) {
  labels_[entry] = label;
  created_.insert(path);
  edits_[path].insert(Edit{0, 0, text, entry});
}

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read file");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned line_of(const std::string& text, unsigned offset) {
  return unsigned(std::count(text.begin(), text.begin() + std::min<size_t>(offset, text.size()), '\n')) + 1;
}

// The #include lines of `text`: each line's text after "#include", and the
// offset just past the line.
std::vector<std::pair<std::string, unsigned>> include_lines(const std::string& text) {
  std::vector<std::pair<std::string, unsigned>> includes;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = std::min(text.find('\n', pos), text.size());
    std::string line = text.substr(pos, end - pos);
    size_t first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, 8, "#include") == 0)
      includes.emplace_back(line.substr(first + 8), unsigned(std::min(end + 1, text.size())));
    pos = end + 1;
  }
  return includes;
}

bool identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// A call, subscript or member access with its brackets balanced (not a bare
// name, a number or a piece of punctuation such as a loop header's `)`).
bool structured_expression(const std::string& text) {
  if (std::none_of(text.begin(), text.end(), identifier_char) || text.find_first_of("([.>") == std::string::npos)
    return false;
  int depth = 0;
  for (char c : text) {
    depth += (c == '(' || c == '[') - (c == ')' || c == ']');
    if (depth < 0) return false;
  }
  return depth == 0;
}

// Replaces every occurrence of `from` in `text` that is not part of a longer
// identifier with `to`; true if there was one.
bool substitute_expression(std::string& text, const std::string& from, const std::string& to) {
  bool found = false;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    bool bounded = (at == 0 || !identifier_char(text[at - 1]) || !identifier_char(from.front())) &&
                   (at + from.size() == text.size() || !identifier_char(text[at + from.size()]) ||
                    !identifier_char(from.back()));
    if (!bounded) {
      at += from.size();
      continue;
    }
    text.replace(at, from.size(), to);
    at += to.size();
    found = true;
  }
  return found;
}

}  // namespace

// Rewrites of one site compose where one of them wraps an expression: its
// edit replaces the expression with code that still reads it (flat-graph:
// `links_[n][level]` -> `(flat ? graph.neighbors(n) : span_of(links_[n][level]))`).
// Every copy of the expression that another entry's edits carry (the range
// loop-fission's gather loop walks, the list quantized-distance prefetches)
// then reads the wrapped form, and where another entry replaces code that
// holds the expression (loop-fission's compute loop reads its batch instead),
// that replacement wins and the wrap is dropped there. Only expressions with
// some structure wrap: a bare name in another edit may be another variable.
void ChangeSet::compose_wraps(const std::string& original, std::vector<Edit>& edits) {
  // One entry may wrap the same expression at several places (the same
  // distance call in two loops) with the same text: a copy gets it once.
  std::set<std::pair<std::string, std::string>> applied;
  for (size_t w = 0; w < edits.size(); ++w) {
    const Edit wrap = edits[w];
    if (wrap.length == 0) continue;
    const std::string expression = original.substr(wrap.offset, wrap.length);
    if (!structured_expression(expression) || wrap.text.find(expression) == std::string::npos) continue;
    bool replaced_by_another = false;
    const bool first_time = applied.insert({expression, wrap.text}).second;
    for (Edit& other : edits) {
      if (other.entry == wrap.entry) continue;
      if (first_time) substitute_expression(other.text, expression, wrap.text);
      if (other.length > 0 && other.offset <= wrap.offset && wrap.offset + wrap.length <= other.offset + other.length)
        replaced_by_another = true;
    }
    if (replaced_by_another) {
      edits.erase(edits.begin() + long(w));
      --w;
    }
  }
}

std::string fixes_yaml(const std::vector<RewrittenFile>& files, const std::string& main_source) {
  clang::tooling::TranslationUnitReplacements fixes;
  fixes.MainSourceFile = main_source;
  for (const RewrittenFile& file : files)
    if (!file.created)
      for (const clang::tooling::Replacement& r : file.replacements) fixes.Replacements.push_back(r);
  std::string yaml;
  llvm::raw_string_ostream stream(yaml);
  llvm::yaml::Output out(stream);
  out << fixes;
  stream.flush();
  return yaml;
}

std::vector<RewrittenFile> ChangeSet::render() const {
  std::vector<RewrittenFile> files;
  for (const auto& [path, edits] : edits_) {
    RewrittenFile file;
    file.path = path;
    file.created = created_.count(path) > 0;
    file.original = file.created ? "" : read_file(path);
    std::vector<Edit> ordered(edits.begin(), edits.end());

    if (auto headers = headers_.find(path); headers != headers_.end()) {
      // New includes go after the file's last one (or at the top).
      auto existing = include_lines(file.original);
      std::string lines;
      for (std::string header : headers->second) {
        if (header.front() != '<' && header.front() != '"') header = "<" + header + ">";
        bool present = std::any_of(existing.begin(), existing.end(),
                                   [&](const auto& line) { return line.first.find(header) != std::string::npos; });
        if (!present) lines += "#include " + header + "\n";
      }
      unsigned offset = existing.empty() ? 0 : existing.back().second;
      if (!lines.empty() && offset == file.original.size() && file.original.back() != '\n') lines = "\n" + lines;
      if (!lines.empty()) ordered.push_back(Edit{offset, 0, lines, 0});
    }
    if (auto appended = appended_.find(path); appended != appended_.end()) {
      auto end = unsigned(file.original.size());
      bool open_line = !file.original.empty() && file.original.back() != '\n';
      for (const auto& [entry, line] : appended->second) {
        ordered.push_back(Edit{end, 0, (open_line ? "\n" : "") + line, entry});
        open_line = false;
      }
    }
    std::sort(ordered.begin(), ordered.end());

    // Identical edits (the same header seen from two translation units) once.
    ordered.erase(std::unique(ordered.begin(), ordered.end(),
                              [](const Edit& a, const Edit& b) {
                                return a.offset == b.offset && a.length == b.length && a.text == b.text;
                              }),
                  ordered.end());
    compose_wraps(file.original, ordered);
    for (size_t i = 1; i < ordered.size(); ++i) {
      const Edit& a = ordered[i - 1];
      const Edit& b = ordered[i];
      bool overlap = b.offset < a.offset + a.length || (a.length > 0 && b.length > 0 && b.offset == a.offset);
      if (overlap && a.entry != b.entry)
        throw ConflictError("conflicting edits in " + path + ":" + std::to_string(line_of(file.original, b.offset)) +
                            ": " + labels_.at(std::min(a.entry, b.entry)) + " and " +
                            labels_.at(std::max(a.entry, b.entry)) + " change the same code");
    }

    // Insertions at one offset (and a replacement starting there) become one
    // edit, so that the replacements also describe the result exactly.
    std::vector<Edit> merged;
    for (const Edit& e : ordered) {
      if (!merged.empty() && merged.back().length == 0 && merged.back().offset == e.offset) {
        merged.back().text += e.text;
        merged.back().length = e.length;
      } else {
        merged.push_back(e);
      }
    }
    unsigned cursor = 0;
    for (const Edit& e : merged) {
      file.rewritten += file.original.substr(cursor, e.offset - cursor) + e.text;
      cursor = e.offset + e.length;
      if (llvm::Error error = file.replacements.add(clang::tooling::Replacement(path, e.offset, e.length, e.text)))
        throw ConflictError(path + ": " + llvm::toString(std::move(error)));
    }
    file.rewritten += file.original.substr(cursor);
    files.push_back(std::move(file));
  }
  return files;
}

}  // namespace crinn::rewrite
