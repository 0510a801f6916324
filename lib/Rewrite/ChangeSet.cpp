#include "Rewrite/ChangeSet.h"

#include <algorithm>
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

// Does a line of `text` include `header` (as "<...>" or "\"...\"")?
bool includes(const std::string& text, const std::string& header) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    size_t first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, 8, "#include") == 0 &&
        line.find(header, first + 8) != std::string::npos)
      return true;
    pos = end + 1;
  }
  return false;
}

// After the last #include, or at the top.
unsigned include_offset(const std::string& text) {
  unsigned offset = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    size_t first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, 8, "#include") == 0) offset = unsigned(end + 1);
    pos = end + 1;
  }
  return std::min<unsigned>(offset, unsigned(text.size()));
}

}  // namespace

std::vector<RewrittenFile> ChangeSet::render() const {
  std::vector<RewrittenFile> files;
  for (const auto& [path, edits] : edits_) {
    RewrittenFile file;
    file.path = path;
    file.original = read_file(path);
    std::vector<Edit> ordered(edits.begin(), edits.end());

    if (auto headers = headers_.find(path); headers != headers_.end()) {
      std::string lines;
      for (std::string header : headers->second) {
        if (header.front() != '<' && header.front() != '"') header = "<" + header + ">";
        if (!includes(file.original, header)) lines += "#include " + header + "\n";
      }
      if (!lines.empty()) ordered.push_back(Edit{include_offset(file.original), 0, lines, 0});
      std::sort(ordered.begin(), ordered.end());
    }

    // Identical edits (the same header seen from two translation units) once.
    ordered.erase(std::unique(ordered.begin(), ordered.end(),
                              [](const Edit& a, const Edit& b) {
                                return a.offset == b.offset && a.length == b.length && a.text == b.text;
                              }),
                  ordered.end());
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
