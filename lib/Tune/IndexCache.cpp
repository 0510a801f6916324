#include "Tune/IndexCache.h"

#include "Support/Hash.h"

#include <algorithm>

namespace crinn::tune {

namespace fs = std::filesystem;

IndexCache::IndexCache(fs::path dir, std::string run_key) : dir_(std::move(dir)), run_key_(std::move(run_key)) {}

std::string IndexCache::run_key(const std::string& tree_root, const data::Dataset& dataset, const std::string& library) {
  support::Hash hash;
  hash.add(data::train_fingerprint(dataset)).add(library);
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(tree_root))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) hash.add(fs::relative(file, tree_root).string()).add_file(file.string());
  return hash.hex();
}

std::string IndexCache::file_for(const std::string& code) const {
  return (dir_ / (support::Hash().add(run_key_).add(code).hex() + ".index")).string();
}

void IndexCache::evict_all_but(const std::string& used, const std::vector<std::string>& pinned) const {
  constexpr size_t kKept = 6;
  fs::create_directories(dir_);
  std::error_code ignored;
  if (fs::exists(used)) fs::last_write_time(used, fs::file_time_type::clock::now(), ignored);
  std::vector<fs::directory_entry> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_))
    if (entry.path().extension() == ".index") files.push_back(entry);
  if (files.size() <= kKept) return;
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.last_write_time() > b.last_write_time(); });
  for (size_t i = kKept; i < files.size(); ++i)
    if (files[i].path() != used && std::find(pinned.begin(), pinned.end(), files[i].path().string()) == pinned.end())
      fs::remove_all(files[i].path(), ignored);
}

}  // namespace crinn::tune
