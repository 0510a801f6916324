#include "Data/Registry.h"

#include "Data/Formats.h"
#include "Data/GroundTruth.h"
#include "Data/Synthetic.h"
#include "Support/ChildProcess.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>

namespace crinn::data {
namespace {

const char kFashionMnist[] = "fashion-mnist-784-euclidean";
constexpr int64_t kCachedSyntheticRows = 100000;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool file_exists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

void make_directories(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos)
    if (pos == dir.size() || dir[pos] == '/') mkdir(dir.substr(0, pos).c_str(), 0755);
  struct stat info;
  if (stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    throw DataError(dir, "cannot create the cache directory");
}

// Loads `cached` if a previous run wrote it; otherwise builds the dataset,
// adds ground truth and writes the cache for the next run.
Dataset cached_with_truth(const std::string& name, const std::string& cached,
                          const std::function<Dataset()>& make) {
  if (file_exists(cached)) {
    Dataset dataset = load_hdf5(cached);
    dataset.name = name;
    if (!dataset.truth.empty()) return dataset;
  }
  Dataset dataset = make();
  if (dataset.truth.empty()) dataset.truth = compute_ground_truth(dataset, kGroundTruthK);
  make_directories(cached.substr(0, cached.rfind('/')));
  save_hdf5(dataset, cached);
  dataset.name = name;
  return dataset;
}

// A cache name that changes when the source file does (the modification time
// to the nanosecond, so a file rewritten within a second counts as changed).
std::string fingerprint(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) throw DataError(path, "cannot open file");
  size_t h = std::hash<std::string>()(path + ":" + std::to_string(info.st_size) + ":" +
                                      std::to_string(info.st_mtim.tv_sec) + "." +
                                      std::to_string(info.st_mtim.tv_nsec));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", h);
  return hex;
}

std::string stem(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return name.substr(0, name.find('.'));
}

Dataset open_texmex(const std::string& spec, const std::string& cache_dir) {
  std::map<std::string, std::string> fields;
  std::string body = spec.substr(std::string("texmex:").size());
  for (size_t pos = 0; pos < body.size();) {
    size_t end = body.find(',', pos);
    if (end == std::string::npos) end = body.size();
    std::string item = body.substr(pos, end - pos);
    size_t eq = item.find('=');
    if (eq == std::string::npos) throw DataError(spec, "'" + item + "' is not key=value");
    fields[item.substr(0, eq)] = item.substr(eq + 1);
    pos = end + 1;
  }
  for (const auto& [key, value] : fields)
    if (key != "base" && key != "query" && key != "groundtruth" && key != "metric")
      throw DataError(spec, "unknown key '" + key + "' (base, query, groundtruth, metric)");
  if (!fields.count("base") || !fields.count("query")) throw DataError(spec, "needs base= and query=");

  auto load_vectors = [](const std::string& path) {
    return ends_with(path, ".bvecs") ? load_bvecs(path) : load_fvecs(path);
  };
  Metric metric;
  try {
    metric = parse_metric(fields.count("metric") ? fields["metric"] : "euclidean");
  } catch (const std::invalid_argument& e) {
    throw DataError(spec, e.what());
  }
  // Everything the cached ground truth depends on is in its name: the files
  // and the metric (the cache file's own distance attribute follows it).
  std::string base = fields["base"], query = fields["query"];
  std::string cached = cache_dir + "/" + stem(base) + "-" + fingerprint(base) + "-" + fingerprint(query);
  if (fields.count("groundtruth")) cached += "-" + fingerprint(fields["groundtruth"]);
  cached += "-" + metric_name(metric) + ".hdf5";
  return cached_with_truth(spec, cached, [&] {
    Dataset dataset;
    dataset.name = spec;
    dataset.metric = metric;
    dataset.train = load_vectors(base);
    dataset.test = load_vectors(query);
    validate(dataset, base, query);
    if (fields.count("groundtruth")) {
      const std::string& path = fields["groundtruth"];
      std::vector<std::vector<int32_t>> lists = load_ivecs(path);
      if (int64_t(lists.size()) != dataset.test.rows)
        throw DataError(path, "has " + std::to_string(lists.size()) + " rows for " +
                                  std::to_string(dataset.test.rows) + " queries");
      GroundTruth& truth = dataset.truth;
      truth.k = int(lists.front().size());
      for (int64_t q = 0; q < dataset.test.rows; ++q) {
        if (int(lists[size_t(q)].size()) != truth.k) throw DataError(path, "rows differ in length");
        for (int32_t id : lists[size_t(q)]) {
          if (id < 0 || id >= dataset.train.rows)
            throw DataError(path, "id " + std::to_string(id) + " is outside the base set");
          truth.ids.push_back(id);
          truth.distances.push_back(
              float(exact_distance(dataset.metric, dataset.test.row(q), dataset.train.row(id), dataset.train.dim)));
        }
      }
    }
    return dataset;
  });
}

}  // namespace

std::string default_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/crinn";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/crinn";
  return "/tmp/crinn-cache";
}

FashionMnistFiles find_fashion_mnist_files() {
  FashionMnistFiles files;
  std::string listing;  // the package's files, one a line (dpkg's complaints, if any, match no name below)
  support::run_with_timeout({"dpkg", "-L", "dataset-fashion-mnist"}, 60.0, listing);
  std::istringstream lines(listing);
  for (std::string path; std::getline(lines, path);) {
    while (!path.empty() && path.back() == '\r') path.pop_back();
    if (ends_with(path, "/train-images-idx3-ubyte.gz") || ends_with(path, "/train-images-idx3-ubyte"))
      files.train_images = path;
    if (ends_with(path, "/t10k-images-idx3-ubyte.gz") || ends_with(path, "/t10k-images-idx3-ubyte"))
      files.test_images = path;
  }
  if (files.train_images.empty() || files.test_images.empty())
    throw DataError(kFashionMnist, "the Debian package dataset-fashion-mnist is not installed "
                                   "(apt-get install dataset-fashion-mnist)");
  return files;
}

Dataset open_dataset(const std::string& spec, const std::string& cache_dir) {
  if (spec == kFashionMnist) {
    return cached_with_truth(kFashionMnist, cache_dir + "/" + kFashionMnist + ".hdf5", [] {
      FashionMnistFiles files = find_fashion_mnist_files();
      Dataset dataset;
      dataset.name = kFashionMnist;
      dataset.metric = Metric::Euclidean;
      dataset.train = load_idx_images(files.train_images);
      dataset.test = load_idx_images(files.test_images);
      validate(dataset, files.train_images, files.test_images);
      return dataset;
    });
  }
  if (spec.rfind("synthetic:", 0) == 0) {
    const SyntheticSpec parsed = parse_synthetic_spec(spec.substr(std::string("synthetic:").size()));
    // A big set is cached (and then read mapped): its ground truth takes
    // minutes. A small one is made again faster than it loads.
    if (parsed.train < kCachedSyntheticRows) {
      Dataset dataset = make_synthetic(parsed);
      dataset.truth = compute_ground_truth(dataset, kGroundTruthK);
      return dataset;
    }
    return cached_with_truth(synthetic_name(parsed), cache_dir + "/" + synthetic_name(parsed) + "-g" +
                                       std::to_string(kSyntheticGenerator) + ".hdf5",
                             [&] { return make_synthetic(parsed); });
  }
  if (spec.rfind("texmex:", 0) == 0) return open_texmex(spec, cache_dir);
  if (ends_with(spec, ".hdf5") || ends_with(spec, ".h5")) {
    Dataset dataset = load_hdf5(spec);
    if (!dataset.truth.empty()) return dataset;
    return cached_with_truth(spec, cache_dir + "/" + stem(spec) + "-" + fingerprint(spec) + ".hdf5",
                             [&] { return dataset; });
  }
  throw DataError(spec, "not a dataset: expected " + std::string(kFashionMnist) +
                            ", an .hdf5 file, texmex:base=...,query=... or synthetic:...");
}

}  // namespace crinn::data
