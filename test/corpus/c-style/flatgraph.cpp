/* flatgraph.cpp -- see flatgraph.h. Written in C style, compiled as C++17. */
#include "flatgraph.h"

#include "crinn/index_abi.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace flatgraph {

static thread_local char fg_errbuf[FG_ERRLEN];

static void fg_error(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(fg_errbuf, FG_ERRLEN, fmt, ap);
  va_end(ap);
}

/* ---- distance ---------------------------------------------------------- */

static float l2sq(const float* a, const float* b, int d) {
  const float* end = a + (d & ~3);
  float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
  float t0, t1, t2, t3;

  while (a < end) {
    t0 = a[0] - b[0];
    t1 = a[1] - b[1];
    t2 = a[2] - b[2];
    t3 = a[3] - b[3];
    s0 += t0 * t0;
    s1 += t1 * t1;
    s2 += t2 * t2;
    s3 += t3 * t3;
    a += 4;
    b += 4;
  }
  switch (d & 3) {
    case 3: t2 = a[2] - b[2]; s2 += t2 * t2; /* fall through */
    case 2: t1 = a[1] - b[1]; s1 += t1 * t1; /* fall through */
    case 1: t0 = a[0] - b[0]; s0 += t0 * t0;
  }
  return (s0 + s1) + (s2 + s3);
}

static void fg_normalize(float* v, int d) {
  float s = 0.f;
  int i;
  for (i = 0; i < d; i++) s += v[i] * v[i];
  if (s > 0.f) {
    s = 1.f / sqrtf(s);
    for (i = 0; i < d; i++) v[i] *= s;
  }
}

#define VEC(ix, i) ((ix)->data + (size_t)(i) * (ix)->dim)

/* ---- heap -------------------------------------------------------------- */

static void heap_push(fg_heap* h, float dist, int32_t id) {
  int i = h->size++;
  while (i > 0) {
    int parent = (i - 1) >> 1;
    if (h->items[parent].dist <= dist) break;
    h->items[i] = h->items[parent];
    i = parent;
  }
  h->items[i].dist = dist;
  h->items[i].id = id;
}

static fg_pair heap_pop(fg_heap* h) {
  fg_pair top = h->items[0];
  fg_pair last = h->items[--h->size];
  int i = 0, c;
  if (h->size == 0) return top;
  for (;;) {
    c = 2 * i + 1;
    if (c >= h->size) break;
    if (c + 1 < h->size && h->items[c + 1].dist < h->items[c].dist) c++;
    if (last.dist <= h->items[c].dist) break;
    h->items[i] = h->items[c];
    i = c;
  }
  h->items[i] = last;
  return top;
}

/* ---- search ------------------------------------------------------------ */

/*
 * Best-first search for q from the entry node with a result list of size L.
 * `best` is a max-heap by storing -dist. Writes the results, nearest first,
 * to ix->pool and returns how many there are.
 */
static int fg_search(fg_index* ix, const float* q, int L) {
  fg_heap cand, best;
  fg_pair cur;
  int32_t ep = ix->entry;
  float d;
  int i, cnt;

  cand.items = ix->cand_buf;
  cand.size = 0;
  best.items = ix->best_buf;
  best.size = 0;
  memset(ix->visited, 0, (size_t)ix->n);

  d = l2sq(q, VEC(ix, ep), ix->dim);
  ix->ndist++;
  ix->visited[ep] = 1;
  heap_push(&cand, d, ep);
  heap_push(&best, -d, ep);

  while (cand.size > 0) {
    cur = heap_pop(&cand);
    if (best.size >= L && cur.dist > -best.items[0].dist) break;

    const int32_t* adj = ix->adj + (size_t)cur.id * MAX_DEGREE;
    int deg = ix->nnbr[cur.id];
    for (const int32_t* p = adj; p < adj + deg; ++p) {
      int32_t v = *p;
      if (ix->visited[v]) continue;
      ix->visited[v] = 1;
      d = l2sq(q, VEC(ix, v), ix->dim);
      ix->ndist++;
      if (best.size < L || d < -best.items[0].dist) {
        heap_push(&cand, d, v);
        heap_push(&best, -d, v);
        if (best.size > L) heap_pop(&best);
      }
    }
  }

  cnt = best.size;
  for (i = cnt - 1; i >= 0; i--) {
    cur = heap_pop(&best);
    ix->pool[i].dist = -cur.dist;
    ix->pool[i].id = cur.id;
  }
  return cnt;
}

/* ---- construction ------------------------------------------------------ */

/*
 * RNG pruning. cands[] holds distances to the base node, sorted ascending;
 * a candidate is dropped if some already kept neighbour is closer to it than
 * the base node is. Writes at most maxdeg ids to out, returns the count.
 */
static int fg_prune(fg_index* ix, const fg_pair* cands, int ncand, int maxdeg,
                    int32_t* out) {
  const fg_pair* c;
  int kept = 0, s, ok;

  for (c = cands; c < cands + ncand && kept < maxdeg; ++c) {
    const float* cv = VEC(ix, c->id);
    ok = 1;
    for (s = 0; s < kept; s++) {
      float dcs = l2sq(cv, VEC(ix, out[s]), ix->dim);
      ix->ndist++;
      if (dcs < c->dist) {
        ok = 0;
        break;
      }
    }
    if (ok) out[kept++] = c->id;
  }
  return kept;
}

/* Adds the edge from -> to, re-pruning from's list when it is full. */
static void fg_add_link(fg_index* ix, int32_t from, int32_t to) {
  int32_t* nb = ix->adj + (size_t)from * MAX_DEGREE;
  int deg = ix->nnbr[from];
  fg_pair tmp[MAX_DEGREE + 1];
  int i, j, cnt;

  for (i = 0; i < deg; i++)
    if (nb[i] == to) return;
  if (deg < ix->degree) {
    nb[deg] = to;
    ix->nnbr[from] = deg + 1;
    return;
  }

  /* collect from's neighbours plus the new one, insertion-sorted by distance */
  cnt = 0;
  for (i = 0; i <= deg; i++) {
    int32_t id = i < deg ? nb[i] : to;
    float d = l2sq(VEC(ix, from), VEC(ix, id), ix->dim);
    ix->ndist++;
    for (j = cnt; j > 0 && tmp[j - 1].dist > d; j--) tmp[j] = tmp[j - 1];
    tmp[j].dist = d;
    tmp[j].id = id;
    cnt++;
  }
  ix->nnbr[from] = fg_prune(ix, tmp, cnt, ix->degree, nb);
}

static void fg_insert(fg_index* ix, int32_t node) {
  int32_t sel[MAX_DEGREE];
  int cnt, nsel, i;

  cnt = fg_search(ix, VEC(ix, node), ix->beam);
  nsel = fg_prune(ix, ix->pool, cnt, ix->degree, sel);

  memcpy(ix->adj + (size_t)node * MAX_DEGREE, sel, nsel * sizeof(int32_t));
  ix->nnbr[node] = nsel;
  for (i = 0; i < nsel; i++) fg_add_link(ix, sel[i], node);
}

/* ---- allocation -------------------------------------------------------- */

static void fg_free(fg_index* ix) {
  if (!ix) return;
  free(ix->data);
  free(ix->adj);
  free(ix->nnbr);
  free(ix->visited);
  free(ix->cand_buf);
  free(ix->best_buf);
  free(ix->pool);
  free(ix->qbuf);
  free(ix);
}

/* Allocates the per-node arrays for n nodes; returns 0 or -1. */
static int fg_alloc(fg_index* ix, int64_t n) {
  size_t m = n > 0 ? (size_t)n : 1;
  ix->n = n;
  ix->data = (float*)malloc(m * ix->dim * sizeof(float));
  ix->adj = (int32_t*)malloc(m * MAX_DEGREE * sizeof(int32_t));
  ix->nnbr = (int32_t*)calloc(m, sizeof(int32_t));
  ix->visited = (unsigned char*)malloc(m);
  ix->cand_buf = (fg_pair*)malloc((m + 1) * sizeof(fg_pair));
  ix->best_buf = (fg_pair*)malloc((m + 1) * sizeof(fg_pair));
  ix->pool = (fg_pair*)malloc((m + 1) * sizeof(fg_pair));
  if (!ix->data || !ix->adj || !ix->nnbr || !ix->visited || !ix->cand_buf ||
      !ix->best_buf || !ix->pool) {
    fg_error("out of memory for %lld points", (long long)n);
    return -1;
  }
  return 0;
}

/* Parses "degree=..,beam=..". Returns 0 or -1. */
static int fg_parse_params(fg_index* ix, const char* s) {
  const char *end, *eq;
  char* stop;
  long v;
  int klen;

  for (; s && *s; s = *end ? end + 1 : end) {
    end = s + strcspn(s, ",");
    eq = (const char*)memchr(s, '=', (size_t)(end - s));
    klen = eq ? (int)(eq - s) : (int)(end - s);
    v = eq ? strtol(eq + 1, &stop, 10) : 0;
    if (!eq || klen == 0 || stop != end || stop == eq + 1) {
      fg_error("parameter '%.*s' is not key=integer", (int)(end - s), s);
      return -1;
    }
    if (klen == 6 && strncmp(s, "degree", 6) == 0 && v >= 1 && v <= MAX_DEGREE)
      ix->degree = (int)v;
    else if (klen == 4 && strncmp(s, "beam", 4) == 0 && v >= 1 && v <= INT32_MAX)
      ix->beam = (int)v;
    else {
      fg_error("unknown parameter or bad value '%.*s' (degree <= %d)", (int)(end - s), s,
               MAX_DEGREE);
      return -1;
    }
  }
  return 0;
}

} /* namespace flatgraph */

using namespace flatgraph;

extern "C" {

int crinn_abi_version(void) { return CRINN_ABI_VERSION; }

int crinn_index_uses_ef(void) { return 1; }

const char* crinn_last_error(void) { return fg_errbuf; }

crinn_index* crinn_index_create(int dim, crinn_metric metric, const char* params) {
  fg_index* ix;

  if (dim <= 0) {
    fg_error("dim must be positive, got %d", dim);
    return NULL;
  }
  if (metric != CRINN_METRIC_EUCLIDEAN && metric != CRINN_METRIC_ANGULAR) {
    fg_error("flatgraph supports only the euclidean and angular metrics");
    return NULL;
  }
  ix = (fg_index*)calloc(1, sizeof(fg_index));
  if (!ix) {
    fg_error("out of memory");
    return NULL;
  }
  ix->dim = dim;
  ix->metric = metric;
  ix->degree = MAX_DEGREE;
  ix->beam = BUILD_BEAM;
  ix->qbuf = (float*)malloc(dim * sizeof(float));
  if (!ix->qbuf || fg_parse_params(ix, params) < 0) {
    if (!ix->qbuf) fg_error("out of memory");
    fg_free(ix);
    return NULL;
  }
  return (crinn_index*)ix;
}

int crinn_index_build(crinn_index* index, const float* data, int64_t n) {
  fg_index* ix = (fg_index*)index;
  int64_t i;

  if (ix->data) {
    fg_error("index already built");
    return -1;
  }
  if (n < 0 || n > INT32_MAX) {
    fg_error("bad number of points %lld", (long long)n);
    return -1;
  }
  if (fg_alloc(ix, n) < 0) return -1;
  memcpy(ix->data, data, (size_t)n * ix->dim * sizeof(float));
  if (ix->metric == CRINN_METRIC_ANGULAR)
    for (i = 0; i < n; i++) fg_normalize(VEC(ix, i), ix->dim);

  ix->entry = 0;
  for (i = 1; i < n; i++) fg_insert(ix, (int32_t)i);
  return 0;
}

int crinn_index_search(crinn_index* index, const float* query, int k, int ef,
                       int64_t* ids) {
  fg_index* ix = (fg_index*)index;
  int L, cnt, i;

  if (!ix->data) {
    fg_error("index not built");
    return -1;
  }
  if (k <= 0 || ix->n == 0) return 0;
  L = ef > k ? ef : k;
  if (L > ix->n) L = (int)ix->n;

  if (ix->metric == CRINN_METRIC_ANGULAR) {
    memcpy(ix->qbuf, query, ix->dim * sizeof(float));
    fg_normalize(ix->qbuf, ix->dim);
    query = ix->qbuf;
  }
  cnt = fg_search(ix, query, L);
  if (cnt > k) cnt = k;
  for (i = 0; i < cnt; i++) ids[i] = ix->pool[i].id;
  return cnt;
}

int crinn_index_save(const crinn_index* index, const char* path) {
  const fg_index* ix = (const fg_index*)index;
  int32_t hdr[7];
  size_t n = (size_t)ix->n;
  FILE* f;
  int ok;

  if (!ix->data) {
    fg_error("index not built");
    return -1;
  }
  f = fopen(path, "wb");
  if (!f) {
    fg_error("cannot open %s for writing", path);
    return -1;
  }
  hdr[0] = (int32_t)FG_MAGIC;
  hdr[1] = ix->dim;
  hdr[2] = ix->metric;
  hdr[3] = ix->degree;
  hdr[4] = ix->beam;
  hdr[5] = (int32_t)ix->n;
  hdr[6] = ix->entry;
  ok = fwrite(hdr, sizeof hdr, 1, f) == 1 &&
       fwrite(ix->data, sizeof(float) * ix->dim, n, f) == n &&
       fwrite(ix->nnbr, sizeof(int32_t), n, f) == n &&
       fwrite(ix->adj, sizeof(int32_t) * MAX_DEGREE, n, f) == n;
  if (fclose(f) != 0) ok = 0;
  if (!ok) {
    fg_error("error writing %s", path);
    return -1;
  }
  return 0;
}

crinn_index* crinn_index_load(const char* path) {
  fg_index* ix = NULL;
  int32_t hdr[7];
  size_t n;
  FILE* f = fopen(path, "rb");

  if (!f) {
    fg_error("cannot open %s", path);
    return NULL;
  }
  if (fread(hdr, sizeof hdr, 1, f) != 1 || hdr[0] != (int32_t)FG_MAGIC || hdr[1] <= 0 ||
      hdr[3] < 1 || hdr[3] > MAX_DEGREE || hdr[5] < 0 || hdr[6] < 0 ||
      (hdr[5] > 0 && hdr[6] >= hdr[5])) {
    fg_error("%s is not a flatgraph index", path);
    goto fail;
  }
  ix = (fg_index*)calloc(1, sizeof(fg_index));
  if (!ix) goto oom;
  ix->dim = hdr[1];
  ix->metric = hdr[2];
  ix->degree = hdr[3];
  ix->beam = hdr[4];
  ix->entry = hdr[6];
  ix->qbuf = (float*)malloc(ix->dim * sizeof(float));
  if (!ix->qbuf || fg_alloc(ix, hdr[5]) < 0) goto oom;
  n = (size_t)ix->n;
  if (fread(ix->data, sizeof(float) * ix->dim, n, f) != n ||
      fread(ix->nnbr, sizeof(int32_t), n, f) != n ||
      fread(ix->adj, sizeof(int32_t) * MAX_DEGREE, n, f) != n) {
    fg_error("%s is truncated", path);
    goto fail;
  }
  fclose(f);
  return (crinn_index*)ix;

oom:
  fg_error("out of memory loading %s", path);
fail:
  fclose(f);
  fg_free(ix);
  return NULL;
}

void crinn_index_destroy(crinn_index* index) { fg_free((fg_index*)index); }

uint64_t crinn_index_distance_count(const crinn_index* index) {
  return ((const fg_index*)index)->ndist;
}

} /* extern "C" */
