// A member used whole: passed to a function and assigned. No search reads it,
// so it is a site by its annotation.
#include <cstddef>
#include <vector>
void save(const std::vector<float>& values);
std::vector<float> load();
struct Store {
  [[clang::annotate("crinn::vector-storage")]] std::vector<float> rows;
  std::vector<int> ids;  // not annotated, not read by a search: not a site
  void write() const { save(rows); }
  void read() { rows = load(); }
  float peek() const { return rows.size() + rows[0]; }
};
