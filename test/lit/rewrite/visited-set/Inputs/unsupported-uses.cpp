// Sets that are iterated or returned are not visited sets we can replace.
#include <unordered_set>
#include <vector>
std::vector<int> unique_ids(const std::vector<int>& ids) {
  std::unordered_set<int> seen;
  for (int id : ids) seen.insert(id);
  return std::vector<int>(seen.begin(), seen.end());
}
std::unordered_set<int> keep(const std::vector<int>& ids) {
  std::unordered_set<int> kept(ids.begin(), ids.end());
  return kept;
}
