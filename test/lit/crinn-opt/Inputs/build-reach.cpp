// Two kernels: one the index build runs (through a member call and a lambda),
// one only the search runs.
#include <crinn/index_abi.h>

static float l2_kernel(const float* a, const float* b, int dim) {
  float sum = 0.0f;
  for (int i = 0; i < dim; ++i) {
    float t = a[i] - b[i];
    sum += t * t;
  }
  return sum;
}

static float dot_kernel(const float* a, const float* b, int dim) {
  float sum = 0.0f;
  for (int i = 0; i < dim; ++i) sum += a[i] * b[i];
  return sum;
}

struct crinn_index {
  int dim = 0;
  const float* data = nullptr;
  float insert(const float* v) {
    auto measure = [this](const float* x, const float* y) { return l2_kernel(x, y, dim); };
    return measure(v, data);
  }
};

extern "C" int crinn_index_build(crinn_index* index, const float* data, int64_t n) {
  index->data = data;
  for (int64_t i = 0; i < n; ++i) index->insert(data + i * index->dim);
  return 0;
}

extern "C" int crinn_index_search(crinn_index* index, const float* query, int k, int ef, int64_t* ids) {
  ids[0] = dot_kernel(query, index->data, index->dim) > 0 ? 0 : 1;
  return k > 0 && ef > 0 ? 1 : 0;
}
