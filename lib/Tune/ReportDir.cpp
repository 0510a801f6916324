#include "Tune/ReportDir.h"

#include "Support/AtomicFile.h"

#include <fstream>

namespace crinn::tune {

namespace fs = std::filesystem;

nlohmann::json read_json_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot read");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": not valid JSON (" + e.what() + ")");
  }
}

ReportDir::ReportDir(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_ / "work"); }

std::vector<nlohmann::json> ReportDir::journaled() const { return read_candidates(file("history.jsonl").string()); }

void ReportDir::open_journal() { journal_.emplace(file("history.jsonl").string()); }

void ReportDir::journal(const nlohmann::json& record) { journal_->append(record); }

std::optional<nlohmann::json> ReportDir::previous_run_info() const {
  if (!fs::exists(file("run.json"))) return std::nullopt;
  return read_json_file(file("run.json"));
}

void ReportDir::write_json(const std::string& name, const nlohmann::json& value) const {
  support::write_file_atomically(file(name), value.dump(2) + "\n");
}

void ReportDir::write_text(const std::string& name, std::string_view text) const {
  support::write_file_atomically(file(name), text);
}

void ReportDir::write_best(const std::function<void(const fs::path&)>& write_tree, std::string_view patch,
                           std::string_view fixes, const nlohmann::json& plan) const {
  fs::path staging = support::make_staging_directory(file("best"));
  write_tree(staging);
  support::replace_directory(staging, file("best"));
  write_text("best.patch", patch);
  write_text("fixes.yaml", fixes);
  write_json("plan.json", plan);
}

bool ReportDir::best_is(const nlohmann::json& plan) const {
  if (!fs::exists(file("plan.json")) || !fs::exists(file("best"))) return false;
  try {
    return read_json_file(file("plan.json")) == plan;
  } catch (const std::exception&) {
    return false;
  }
}

void ReportDir::keep_best_library(const std::string& built, const std::string& name) const {
  fs::path kept = best_library(name);
  fs::create_directories(kept.parent_path());
  fs::path temporary = support::temporary_path_for(kept);
  fs::copy_file(built, temporary);
  support::commit_temporary(temporary, kept);
}

void check_resume_options(const std::string& out_dir, const nlohmann::json& options) {
  fs::path run_file = fs::path(out_dir) / "run.json";
  if (!fs::exists(run_file)) {
    if (fs::exists(fs::path(out_dir) / "history.jsonl"))
      throw ResumeError(run_file.string() + ": missing, so the run's options cannot be compared with these; start a new --out");
    return;
  }
  nlohmann::json run = read_json_file(run_file);
  if (!run.is_object() || !run.contains("options") || !run["options"].is_object())
    throw ResumeError(run_file.string() + ": records no options to compare --resume with (an older crinn-tune wrote it); "
                                          "start a new --out");
  auto shown = [](const nlohmann::json& value) { return value.is_string() ? "'" + value.get<std::string>() + "'" : value.dump(); };
  for (const auto& [name, value] : options.items()) {
    const nlohmann::json& recorded = run["options"].contains(name) ? run["options"][name] : nlohmann::json();
    if (recorded != value)
      throw ResumeError(name + ": " + shown(value) + " differs from " + shown(recorded) + ", what the run in " + out_dir +
                        " measured with; resume with the run's options or choose another --out");
  }
}

}  // namespace crinn::tune
