// The edits of a plan, collected as AtomicChanges (one per plan entry and
// file), checked for conflicts and turned into rewritten files.
#pragma once

#include "clang/Tooling/Refactoring/AtomicChange.h"
#include "clang/Tooling/Core/Replacement.h"

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace crinn::rewrite {

class ConflictError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RewrittenFile {
  std::string path;
  std::string original;
  std::string rewritten;
  clang::tooling::Replacements replacements;  // original -> rewritten
  bool created = false;                        // a file the plan adds (original is empty)
};

// The edits as clang-apply-replacements YAML (a TranslationUnitReplacements);
// files the plan adds are left out, since the tool creates none.
std::string fixes_yaml(const std::vector<RewrittenFile>& files, const std::string& main_source);

class ChangeSet {
 public:
  // `entry` orders insertions at one place and names the edit in conflicts;
  // `path` is the change's file as an absolute path.
  void add(size_t entry, const std::string& label, const std::string& path, const clang::tooling::AtomicChange& change);

  // Appends `line` (a comment) to the end of `path` for `entry`.
  void append_line(size_t entry, const std::string& label, const std::string& path, const std::string& line);

  // Adds the file `path` with `text` for `entry`; it must not exist.
  void create_file(size_t entry, const std::string& label, const std::string& path, const std::string& text);

  // Every changed file, in path order. Where one entry wraps an expression
  // (replaces it with code that still reads it), the other entries' copies of
  // it read the wrapped form and their replacements of it win; other
  // overlapping edits of two entries are a ConflictError naming both;
  // insertions at one offset go in plan order.
  std::vector<RewrittenFile> render() const;

 private:
  struct Edit {
    unsigned offset, length;
    std::string text;
    size_t entry;
    bool operator<(const Edit& other) const {
      return std::tie(offset, length, entry, text) < std::tie(other.offset, other.length, other.entry, other.text);
    }
  };
  static void compose_wraps(const std::string& original, std::vector<Edit>& edits);

  std::map<std::string, std::set<Edit>> edits_;                  // by file
  std::map<std::string, std::set<std::string>> headers_;        // includes to add, by file
  std::map<std::string, std::vector<std::pair<size_t, std::string>>> appended_;  // lines to append, by file
  std::set<std::string> created_;                                  // files that are new
  std::map<size_t, std::string> labels_;
};

}  // namespace crinn::rewrite
