/* The index ABI: the one interface every index CRINN measures is built behind.
 *
 * A baseline, a rewritten candidate of it, and each peer (hnswlib, faiss,
 * brute force) is a shared library exporting these symbols, so crinn-bench can
 * load any of them in a child process and a candidate is simply another build
 * of the same source tree. The ABI is C so that libraries built by any
 * compiler, with any flags, load into the same harness.
 *
 * Conventions: ids are the row numbers of the build matrix; every function
 * that can fail returns a negative value or NULL and leaves a message for
 * crinn_last_error(). An index is used from one thread at a time.
 */
#ifndef CRINN_INDEX_ABI_H
#define CRINN_INDEX_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CRINN_ABI_VERSION 1

typedef enum crinn_metric {
  CRINN_METRIC_EUCLIDEAN = 0, /* rank by L2 distance */
  CRINN_METRIC_ANGULAR = 1,   /* rank by cosine distance, 1 - cos(a, b) */
  CRINN_METRIC_INNER_PRODUCT = 2 /* rank by -<a, b> */
} crinn_metric;

typedef struct crinn_index crinn_index;

/* Must return CRINN_ABI_VERSION of the header the library was built with. */
int crinn_abi_version(void);

/* params: "key=value,key=value" (e.g. "M=16,ef_construction=200"); NULL or ""
 * means the library's defaults. Unknown keys are an error. */
crinn_index* crinn_index_create(int dim, crinn_metric metric, const char* params);

/* Adds rows 0..n-1 of the row-major n x dim matrix. Called once. */
int crinn_index_build(crinn_index* index, const float* data, int64_t n);

/* Writes up to k nearest ids, nearest first, to ids; returns how many. */
int crinn_index_search(crinn_index* index, const float* query, int k, int ef,
                       int64_t* ids);

int crinn_index_save(const crinn_index* index, const char* path);
crinn_index* crinn_index_load(const char* path);
void crinn_index_destroy(crinn_index* index);

/* Distance evaluations since the index was created or loaded, or
 * CRINN_NOT_COUNTED if the library does not count them. */
#define CRINN_NOT_COUNTED UINT64_MAX
uint64_t crinn_index_distance_count(const crinn_index* index);

/* The message of the last failure in this thread. */
const char* crinn_last_error(void);

/* Optional: libraries whose search ignores ef (exact search) return 0, so the
 * harness measures them at one point instead of sweeping ef. */
int crinn_index_uses_ef(void);

#ifdef __cplusplus
}
#endif

#endif /* CRINN_INDEX_ABI_H */
