/*
 * flatgraph -- a single-layer proximity graph in plain C style.
 *
 * The graph is one flat int32 array with MAX_DEGREE slots per node; nnbr[i]
 * says how many of node i's slots are in use. It is built by inserting the
 * points one by one: search the graph built so far, keep a pruned subset of
 * what was found as the new node's edges, then add the reverse edges.
 */
#ifndef FLATGRAPH_H
#define FLATGRAPH_H

#include <stdint.h>
#include <stddef.h>

#define MAX_DEGREE 24  /* out-degree cap, also the slot count per node */
#define BUILD_BEAM 64  /* search list size used while inserting */

#define FG_MAGIC   0x46475831u /* "FGX1" */
#define FG_ERRLEN  256

namespace flatgraph {

typedef struct fg_pair {
  float dist;
  int32_t id;
} fg_pair;

/* binary min-heap on dist over a caller-provided array */
typedef struct fg_heap {
  fg_pair* items;
  int size;
} fg_heap;

typedef struct fg_index {
  int dim;
  int metric;          /* crinn_metric */
  int degree;          /* <= MAX_DEGREE */
  int beam;
  int64_t n;
  int32_t entry;

  float* data;         /* n * dim, row major */
  int32_t* adj;        /* n * MAX_DEGREE */
  int32_t* nnbr;       /* n */

  unsigned char* visited; /* n, one byte per node */
  fg_pair* cand_buf;   /* n: frontier heap storage */
  fg_pair* best_buf;   /* n: result heap storage */
  fg_pair* pool;       /* n: sorted search output */
  float* qbuf;         /* dim: normalised query */

  uint64_t ndist;
} fg_index;

} /* namespace flatgraph */

#endif /* FLATGRAPH_H */
