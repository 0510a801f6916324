// Not a pruning routine: nothing is dropped when a distance is smaller.
#include <vector>
float distance(int a, int b);
int count_closer(const std::vector<int>& ids, const std::vector<int>& others) {
  int closer = 0;
  for (int id : ids)
    for (int other : others)
      if (distance(id, other) < 1.0f) ++closer;
  return closer;
}
