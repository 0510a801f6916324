#include "Tune/Journal.h"

#include <algorithm>

#include "Support/AtomicFile.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace crinn::tune {

Journal::Journal(const std::string& path) : path_(path) {
  bool created = access(path.c_str(), F_OK) != 0;
  fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error(path + ": cannot open journal: " + std::strerror(errno));
  // A new journal's directory entry is durable before its first record is.
  if (created) support::sync_directory(std::filesystem::path(path).parent_path());
  // A torn last line (killed mid-write) must not swallow the next record.
  off_t size = lseek(fd_, 0, SEEK_END);
  if (size > 0) {
    char last = '\n';
    int reader = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (reader >= 0) {
      if (pread(reader, &last, 1, size - 1) != 1) last = '\n';
      close(reader);
    }
    if (last != '\n' && write(fd_, "\n", 1) != 1)
      throw std::runtime_error(path + ": cannot write journal: " + std::strerror(errno));
  }
}

Journal::~Journal() {
  if (fd_ >= 0) close(fd_);
}

void Journal::append(const nlohmann::json& record) {
  std::string line = record.dump() + "\n";
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(path_ + ": cannot write journal: " + std::strerror(errno));
    p += n;
    left -= size_t(n);
  }
  if (fsync(fd_) != 0) throw std::runtime_error(path_ + ": cannot sync journal: " + std::strerror(errno));
}

namespace {

// nlohmann's message for a line without its "[json.exception...] parse error
// at line 1, column N: " prefix, which would name the wrong line.
std::string json_problem(const nlohmann::json::exception& error) {
  std::string what = error.what();
  size_t tag_end = what.find("] ");
  if (tag_end != std::string::npos) what.erase(0, tag_end + 2);
  size_t column = what.find(", column ");
  size_t text = column == std::string::npos ? std::string::npos : what.find(": ", column);
  return text == std::string::npos ? what : what.substr(text + 2);
}

// A value as the error shows it: short, whatever the journal holds.
std::string shown(const nlohmann::json& value) {
  std::string text = value.dump();
  return text.size() > 40 ? text.substr(0, 40) + "..." : text;
}

// What is wrong with the plan of a candidate record, or "".
std::string plan_problem(const nlohmann::json& plan) {
  if (!plan.is_object() || !plan.contains("plan") || !plan["plan"].is_array())
    return "'plan' is " + shown(plan) + ", not {\"plan\": [...]}";
  for (const nlohmann::json& entry : plan["plan"]) {
    bool named = entry.is_object() && entry.contains("site") && entry["site"].is_string() &&
                 entry.contains("rewrite") && entry["rewrite"].is_string();
    if (!named) return "a plan entry is " + shown(entry) + ", not {\"site\": ..., \"rewrite\": ...}";
    if (!entry.contains("params")) continue;
    if (!entry["params"].is_object()) return "a plan entry's 'params' is " + shown(entry["params"]) + ", not an object";
    for (const auto& [name, value] : entry["params"].items())
      if (!value.is_number()) return "parameter '" + name + "' is " + shown(value) + ", not a number";
  }
  return "";
}

// What is wrong with `record` as the journal's candidate `index`, or "".
std::string candidate_problem(const nlohmann::json& record, int64_t index) {
  if (!record.is_object()) return "expected a candidate record (an object), got " + shown(record);
  auto field = [&](const char* name) { return record.contains(name) ? record[name] : nlohmann::json(); };
  auto integer = [](const nlohmann::json& value) { return value.is_number_integer(); };
  auto number = [](const nlohmann::json& value) { return value.is_number() && std::isfinite(value.get<double>()); };
  if (!integer(field("index"))) return "'index' is " + shown(field("index")) + ", not an integer";
  if (field("index").get<int64_t>() != index)
    return "'index' is " + shown(field("index")) + " where candidate " + std::to_string(index) +
           " comes (a record is missing or out of order)";
  if (!integer(field("round")) || field("round").get<int64_t>() < 0)
    return "'round' is " + shown(field("round")) + ", not a round number";
  if (record.contains("parent") &&
      (!integer(field("parent")) || field("parent").get<int64_t>() < -1 || field("parent").get<int64_t>() >= index))
    return "'parent' is " + shown(field("parent")) + ", not -1 or an earlier candidate";
  if (std::string problem = plan_problem(field("plan")); !problem.empty()) return problem;
  if (!number(field("reward")) || field("reward").get<double>() < 0.0)
    return "'reward' is " + shown(field("reward")) + ", not a number >= 0";
  if (!field("failure").is_string()) return "'failure' is " + shown(field("failure")) + ", not a string";
  if (record.contains("reason") && !field("reason").is_string())
    return "'reason' is " + shown(field("reason")) + ", not a string";
  if ((record.contains("first_reward") || record.contains("ratios_to_best")) && !number(field("first_reward")))
    return "'first_reward' is " + shown(field("first_reward")) + ", not a number";
  for (const char* bound : {"reward_low", "reward_high"})
    if (record.contains(bound) && !number(field(bound)))
      return "'" + std::string(bound) + "' is " + shown(field(bound)) + ", not a number";
  if (record.contains("became_best") && !field("became_best").is_boolean())
    return "'became_best' is " + shown(field("became_best")) + ", not true or false";
  return "";
}

}  // namespace

std::vector<Journal::Record> Journal::read(const std::string& path) {
  std::vector<Record> records;
  std::ifstream in(path);
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty()) continue;
    try {
      records.push_back({number, nlohmann::json::parse(line)});
    } catch (const nlohmann::json::exception& e) {
      // A torn record, cut by a kill, is a prefix of one: what is wrong is
      // that its line ends. It was never complete and named no candidate.
      auto* parse = dynamic_cast<const nlohmann::json::parse_error*>(&e);
      if (parse && parse->byte > line.size()) continue;
      throw JournalError(path + ":" + std::to_string(number) + ": not a JSON record: " + json_problem(e));
    }
  }
  return records;
}

std::vector<nlohmann::json> read_candidates(const std::string& path) {
  std::vector<nlohmann::json> candidates;
  for (Journal::Record& record : Journal::read(path)) {
    std::string problem = candidate_problem(record.value, int64_t(candidates.size()));
    if (!problem.empty()) throw JournalError(path + ":" + std::to_string(record.line) + ": " + problem);
    candidates.push_back(std::move(record.value));
  }
  return candidates;
}

std::vector<size_t> best_records(const std::vector<nlohmann::json>& candidates) {
  std::vector<size_t> found;
  double older_best = 1.0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const nlohmann::json& record = candidates[i];
    if (record.at("failure") != "none") continue;
    double reward = record.at("reward");
    bool won = record.contains("became_best") ? record["became_best"].get<bool>() : reward > older_best;
    if (!record.contains("became_best")) older_best = std::max(older_best, reward);
    if (won) found.push_back(i);
  }
  return found;
}

}  // namespace crinn::tune
