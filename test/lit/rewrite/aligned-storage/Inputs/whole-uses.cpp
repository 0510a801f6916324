// A member used whole: passed to a function and assigned.
#include <cstddef>
#include <vector>
void save(const std::vector<float>& values);
std::vector<float> load();
struct Store {
  std::vector<float> rows;
  std::vector<int> ids;  // not float vectors: not a site
  void write() const { save(rows); }
  void read() { rows = load(); }
  float peek() const { return rows.size() + rows[0]; }
};
