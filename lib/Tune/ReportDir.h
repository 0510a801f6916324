// The report dir of a tuning run, as the loop writes it: run.json (what the
// run measures, its noise floor), history.jsonl (the journal, one record per
// candidate), policy.json, the best variant's files (best/, best.patch,
// fixes.yaml, plan.json), the closing comparison (comparison.txt/json/svg)
// and work/ (candidate trees, the index cache, the best's library). Every
// file is replaced atomically, so a kill at any moment leaves each either as
// it was or complete. Readers (lib/Report, --resume) read these files only.
#pragma once

#include "Tune/Journal.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace crinn::tune {

// A --resume whose options differ from those of the run it continues.
class ResumeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Before a --resume writes anything: `options` (option name -> value, the
// options that decide what the run measures: source, dataset, queries, runs,
// ef list, recall window...) must equal those the run in `out_dir` recorded
// in run.json, or a ResumeError names the first that differs; a journal and
// an index cache of one dataset would otherwise be continued on another.
void check_resume_options(const std::string& out_dir, const nlohmann::json& options);

// A JSON file of a report dir; a missing or damaged one is a
// std::runtime_error naming it and what is wrong.
nlohmann::json read_json_file(const std::filesystem::path& path);

class ReportDir {
 public:
  // Creates the dir and its work/ if needed.
  explicit ReportDir(std::filesystem::path dir);

  const std::filesystem::path& path() const { return dir_; }
  std::filesystem::path file(const std::string& name) const { return dir_ / name; }
  std::filesystem::path work(const std::string& name) const { return dir_ / "work" / name; }

  // The journaled candidates (read_candidates), checked before anything is written.
  std::vector<nlohmann::json> journaled() const;
  // Opens (so creates) history.jsonl for appending; then each record is durable before journal() returns.
  void open_journal();
  void journal(const nlohmann::json& record);

  // run.json as an earlier run of this dir left it, if there is one.
  std::optional<nlohmann::json> previous_run_info() const;

  void write_json(const std::string& name, const nlohmann::json& value) const;  // pretty, atomically
  void write_text(const std::string& name, std::string_view text) const;        // atomically

  // The best variant's files: best/ (written by `write_tree` into a staging
  // dir, then put in place in one rename), best.patch, fixes.yaml, and
  // plan.json last, which marks them complete.
  void write_best(const std::function<void(const std::filesystem::path&)>& write_tree, std::string_view patch,
                  std::string_view fixes, const nlohmann::json& plan) const;
  // Whether best/ and plan.json are those of `plan` (a kill may have cut them short).
  bool best_is(const nlohmann::json& plan) const;

  // The best variant's library, kept for the closing comparison.
  std::filesystem::path best_library(const std::string& name) const { return work("best-library") / name; }
  void keep_best_library(const std::string& built, const std::string& name) const;

 private:
  std::filesystem::path dir_;
  std::optional<Journal> journal_;
};

}  // namespace crinn::tune
