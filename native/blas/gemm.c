// Skein's BLAS addon: tiles of C = A·B through the system OpenBLAS, on typed arrays where they lie
// (the tensor heap's SharedArrayBuffer, or any other), loaded by src/kernels/matmul-native.ts.
//
// Determinism: OpenBLAS is held to one thread (openblas_set_num_threads(1), at every load), so a
// tile is one single-threaded sgemm/dgemm call whose bits depend only on the tile. The tile grid
// comes from the caller (src/kernels/matmul-native.ts, fixed by the shapes), so any split of the
// units across threads gives the same bits.
//
// Layout: an operand whose strides BLAS can express (unit stride along one axis, a leading
// dimension ≥ the other axis) is read in place with a transpose flag; any other (expanded rows,
// every-other-column views, negative strides) is packed once per tile into this thread's scratch.
#include <cblas.h>
#include <limits.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Geometry of one launch, as src/kernels/matmul-native.ts encodes it into a Float64Array. */
enum {
  G_M, G_N, G_K, G_A_OFFSET, G_A_ROW, G_A_COL, G_B_OFFSET, G_B_ROW, G_B_COL, G_C_OFFSET,
  G_TILE_ROWS, G_TILE_COLS, G_BATCH_RANK, G_BATCH /* then (size, aStride, bStride) per batch dim */
};
#define MAX_BATCH_RANK 16

/** Per-thread packing scratch (Node-API instance data: one per main thread or worker). */
typedef struct {
  void *buf[2];
  size_t cap[2];
} Scratch;

typedef struct {
  napi_typedarray_type type;
  size_t length;
  void *data;
} Array;

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "blas addon: a Node-API call failed: " #call); return NULL; } } while (0)

static int get_array(napi_env env, napi_value value, Array *out, const char *what) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) {
    char msg[96];
    snprintf(msg, sizeof msg, "blas addon: %s must be a typed array", what);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  napi_value buffer;
  size_t byte_offset;
  if (napi_get_typedarray_info(env, value, &out->type, &out->length, &out->data, &buffer, &byte_offset) != napi_ok) {
    napi_throw_error(env, NULL, "blas addon: napi_get_typedarray_info failed");
    return 0;
  }
  return 1;
}

static void *scratch(Scratch *s, int slot, size_t bytes) {
  if (bytes > s->cap[slot]) {
    free(s->buf[slot]);
    s->buf[slot] = malloc(bytes);
    s->cap[slot] = s->buf[slot] == NULL ? 0 : bytes;
  }
  return s->buf[slot];
}

/**
 * How BLAS reads a rows×cols operand with strides (rs, cs), row-major convention:
 *   NoTrans, element (i, j) at i·ld + j: needs cs = 1 and ld = rs ≥ cols;
 *   Trans,   element (i, j) at j·ld + i: needs rs = 1 and ld = cs ≥ rows.
 * A dimension of size ≤ 1 never steps, so its stride does not matter. 0 = pack it.
 */
static int blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs, enum CBLAS_TRANSPOSE *trans, int *ld) {
  int64_t r1 = rows > 1 ? rows : 1, c1 = cols > 1 ? cols : 1;
  if ((cols <= 1 || cs == 1) && (rows <= 1 || rs >= c1)) {
    int64_t l = rows <= 1 ? c1 : rs;
    if (l > INT_MAX) return 0;
    *trans = CblasNoTrans;
    *ld = (int)l;
    return 1;
  }
  if ((rows <= 1 || rs == 1) && (cols <= 1 || cs >= r1)) {
    int64_t l = cols <= 1 ? r1 : cs;
    if (l > INT_MAX) return 0;
    *trans = CblasTrans;
    *ld = (int)l;
    return 1;
  }
  return 0;
}

/** [lo, hi] element indices an operand can touch; 0 when it touches nothing. */
static int reach(int64_t base, const double *g, int which, int64_t rows, int64_t rs, int64_t cols, int64_t cs, int64_t *lo, int64_t *hi) {
  int rank = (int)g[G_BATCH_RANK];
  *lo = *hi = base;
  int64_t dims[MAX_BATCH_RANK + 2][2];
  for (int d = 0; d < rank; d++) {
    dims[d][0] = (int64_t)g[G_BATCH + 3 * d];
    dims[d][1] = (int64_t)g[G_BATCH + 3 * d + 1 + which];
  }
  dims[rank][0] = rows; dims[rank][1] = rs;
  dims[rank + 1][0] = cols; dims[rank + 1][1] = cs;
  for (int d = 0; d < rank + 2; d++) {
    if (dims[d][0] == 0) return 0;
    int64_t span = (dims[d][0] - 1) * dims[d][1];
    if (span > 0) *hi += span; else *lo += span;
  }
  return 1;
}

static int check_reach(napi_env env, const char *name, const Array *arr, int64_t lo, int64_t hi) {
  if (lo >= 0 && hi < (int64_t)arr->length) return 1;
  char msg[160];
  snprintf(msg, sizeof msg, "matmul (native): operand %s reaches elements %lld to %lld of a %zu-element array",
           name, (long long)lo, (long long)hi, arr->length);
  napi_throw_range_error(env, NULL, msg);
  return 0;
}

// Packing, one copy per element type: A's tile rows as mc×k row-major, B's tile columns as k×nc.
#define DEFINE_PACK(T, SUFFIX)                                                                     \
  static void pack_rows_##SUFFIX(T *dst, const T *src, int64_t mc, int64_t k, int64_t rs, int64_t cs) { \
    for (int64_t i = 0; i < mc; i++)                                                               \
      for (int64_t p = 0; p < k; p++) dst[i * k + p] = src[i * rs + p * cs];                       \
  }                                                                                                \
  static void pack_cols_##SUFFIX(T *dst, const T *src, int64_t k, int64_t nc, int64_t rs, int64_t cs) { \
    for (int64_t p = 0; p < k; p++)                                                                \
      for (int64_t j = 0; j < nc; j++) dst[p * nc + j] = src[p * rs + j * cs];                     \
  }
DEFINE_PACK(float, f32)
DEFINE_PACK(double, f64)

/** gemm(a, b, c, geometry: Float64Array, start, end): computes units [start, end) of the launch. */
static napi_value Gemm(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) {
    napi_throw_type_error(env, NULL, "blas addon: gemm(a, b, c, geometry, start, end)");
    return NULL;
  }
  Array a, b, c, geo;
  if (!get_array(env, argv[0], &a, "a") || !get_array(env, argv[1], &b, "b") || !get_array(env, argv[2], &c, "c") || !get_array(env, argv[3], &geo, "geometry")) return NULL;
  double start_d, end_d;
  CHECK(napi_get_value_double(env, argv[4], &start_d));
  CHECK(napi_get_value_double(env, argv[5], &end_d));
  int f32 = a.type == napi_float32_array;
  if (geo.type != napi_float64_array || geo.length < G_BATCH || (a.type != napi_float32_array && a.type != napi_float64_array) || b.type != a.type || c.type != a.type) {
    napi_throw_type_error(env, NULL, "matmul (native): a, b and c must all be Float32Array or all Float64Array, and geometry a Float64Array");
    return NULL;
  }
  const double *g = geo.data;
  int rank = (int)g[G_BATCH_RANK];
  if (rank < 0 || rank > MAX_BATCH_RANK || geo.length < (size_t)(G_BATCH + 3 * rank)) {
    napi_throw_range_error(env, NULL, "matmul (native): bad geometry (batch rank)");
    return NULL;
  }
  int64_t m = (int64_t)g[G_M], n = (int64_t)g[G_N], k = (int64_t)g[G_K];
  int64_t ars = (int64_t)g[G_A_ROW], acs = (int64_t)g[G_A_COL], brs = (int64_t)g[G_B_ROW], bcs = (int64_t)g[G_B_COL];
  int64_t tile_rows = (int64_t)g[G_TILE_ROWS], tile_cols = (int64_t)g[G_TILE_COLS];
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX || tile_rows < 1 || tile_cols < 1) {
    napi_throw_range_error(env, NULL, "matmul (native): a dimension past 2³¹ − 1, or an empty tile");
    return NULL;
  }
  int64_t batch = 1;
  for (int d = 0; d < rank; d++) batch *= (int64_t)g[G_BATCH + 3 * d];
  if (batch == 0 || m == 0 || n == 0) return NULL;
  int64_t row_blocks = (m + tile_rows - 1) / tile_rows, col_blocks = (n + tile_cols - 1) / tile_cols;
  int64_t start = (int64_t)start_d, end = (int64_t)end_d;
  if (start < 0 || end > batch * row_blocks * col_blocks || start > end) {
    napi_throw_range_error(env, NULL, "matmul (native): unit range outside the launch");
    return NULL;
  }

  // Every element the launch may touch lies inside its array: checked once, before any write.
  int64_t lo, hi;
  if (k > 0 && reach((int64_t)g[G_A_OFFSET], g, 0, m, ars, k, acs, &lo, &hi) && !check_reach(env, "A", &a, lo, hi)) return NULL;
  if (k > 0 && reach((int64_t)g[G_B_OFFSET], g, 1, k, brs, n, bcs, &lo, &hi) && !check_reach(env, "B", &b, lo, hi)) return NULL;
  int64_t c_offset = (int64_t)g[G_C_OFFSET];
  if (!check_reach(env, "C", &c, c_offset, c_offset + batch * m * n - 1)) return NULL;

  enum CBLAS_TRANSPOSE ta = CblasNoTrans, tb = CblasNoTrans;
  int lda = 0, ldb = 0;
  int a_direct = blas_layout(m, k, ars, acs, &ta, &lda);
  int b_direct = blas_layout(k, n, brs, bcs, &tb, &ldb);
  Scratch *s;
  CHECK(napi_get_instance_data(env, (void **)&s));
  size_t es = f32 ? sizeof(float) : sizeof(double);
  char *ad = a.data, *bd = b.data, *cd = c.data;
  // The last packed A rows and B columns, reused by the next unit when it needs the same ones.
  int64_t packed_a_base = -1, packed_a_block = -1, packed_b_base = -1, packed_b_block = -1;

  for (int64_t unit = start; unit < end; unit++) {
    int64_t row_block = unit % row_blocks;
    int64_t col_block = (unit / row_blocks) % col_blocks;
    int64_t rest = unit / (row_blocks * col_blocks);
    // Row-major batch index → operand bases, innermost batch dim first (as layout.ts does).
    int64_t a_base = (int64_t)g[G_A_OFFSET], b_base = (int64_t)g[G_B_OFFSET];
    int64_t c_base = c_offset + rest * m * n;
    for (int d = rank - 1; d >= 0; d--) {
      int64_t size = (int64_t)g[G_BATCH + 3 * d];
      int64_t idx = rest % size;
      rest /= size;
      a_base += idx * (int64_t)g[G_BATCH + 3 * d + 1];
      b_base += idx * (int64_t)g[G_BATCH + 3 * d + 2];
    }
    int64_t i0 = row_block * tile_rows, j0 = col_block * tile_cols;
    int mc = (int)(m - i0 < tile_rows ? m - i0 : tile_rows);
    int nc = (int)(n - j0 < tile_cols ? n - j0 : tile_cols);
    char *cp = cd + (c_base + i0 * n + j0) * es;
    if (k == 0) {
      for (int i = 0; i < mc; i++) memset(cp + (int64_t)i * n * es, 0, (size_t)nc * es);
      continue;
    }

    const char *ap = ad + (a_base + i0 * ars) * es;
    enum CBLAS_TRANSPOSE tta = ta;
    int tlda = lda;
    if (!a_direct) {
      char *dst = scratch(s, 0, (size_t)mc * k * es);
      if (dst == NULL) { napi_throw_error(env, NULL, "matmul (native): out of memory for packing A"); return NULL; }
      if (packed_a_base != a_base || packed_a_block != row_block) {
        if (f32) pack_rows_f32((float *)dst, (const float *)ap, mc, k, ars, acs);
        else pack_rows_f64((double *)dst, (const double *)ap, mc, k, ars, acs);
        packed_a_base = a_base;
        packed_a_block = row_block;
      }
      ap = dst;
      tta = CblasNoTrans;
      tlda = (int)k;
    }
    const char *bp = bd + (b_base + j0 * bcs) * es;
    enum CBLAS_TRANSPOSE ttb = tb;
    int tldb = ldb;
    if (!b_direct) {
      char *dst = scratch(s, 1, (size_t)k * nc * es);
      if (dst == NULL) { napi_throw_error(env, NULL, "matmul (native): out of memory for packing B"); return NULL; }
      if (packed_b_base != b_base || packed_b_block != col_block) {
        if (f32) pack_cols_f32((float *)dst, (const float *)bp, k, nc, brs, bcs);
        else pack_cols_f64((double *)dst, (const double *)bp, k, nc, brs, bcs);
        packed_b_base = b_base;
        packed_b_block = col_block;
      }
      bp = dst;
      ttb = CblasNoTrans;
      tldb = nc;
    }
    if (f32) cblas_sgemm(CblasRowMajor, tta, ttb, mc, nc, (int)k, 1.0f, (const float *)ap, tlda, (const float *)bp, tldb, 0.0f, (float *)cp, (int)n);
    else cblas_dgemm(CblasRowMajor, tta, ttb, mc, nc, (int)k, 1.0, (const double *)ap, tlda, (const double *)bp, tldb, 0.0, (double *)cp, (int)n);
  }
  return NULL;
}

/** Tile-call parameters, for a kernel that packs its own panels (convolution's implicit GEMM). */
enum { T_A_OFFSET, T_LDA, T_TRANS_A, T_B_OFFSET, T_LDB, T_TRANS_B, T_C_OFFSET, T_LDC, T_M, T_N, T_K, T_BETA, T_COUNT };

/**
 * gemmTile(a, b, c, params: Float64Array): one BLAS call, row-major,
 *   C[m×n] (ldc) = op(A)[m×k] (lda) · op(B)[k×n] (ldb) + beta·C.
 * Bounds are checked before the call.
 */
static napi_value GemmTile(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Array a, b, c, par;
  if (argc < 4 || !get_array(env, argv[0], &a, "a") || !get_array(env, argv[1], &b, "b") || !get_array(env, argv[2], &c, "c") || !get_array(env, argv[3], &par, "params")) {
    if (argc < 4) napi_throw_type_error(env, NULL, "blas addon: gemmTile(a, b, c, params)");
    return NULL;
  }
  if (par.type != napi_float64_array || par.length < T_COUNT || (a.type != napi_float32_array && a.type != napi_float64_array) || b.type != a.type || c.type != a.type) {
    napi_throw_type_error(env, NULL, "gemmTile (native): a, b and c must share Float32Array or Float64Array, params a Float64Array");
    return NULL;
  }
  const double *p = par.data;
  int64_t m = (int64_t)p[T_M], n = (int64_t)p[T_N], k = (int64_t)p[T_K];
  int64_t lda = (int64_t)p[T_LDA], ldb = (int64_t)p[T_LDB], ldc = (int64_t)p[T_LDC];
  int trans_a = p[T_TRANS_A] != 0, trans_b = p[T_TRANS_B] != 0;
  if (m <= 0 || n <= 0) return NULL;
  // op(A) is m×k: stored m×k (lda ≥ k) or k×m (lda ≥ m); likewise op(B); C is m×n (ldc ≥ n).
  int64_t a_rows = trans_a ? k : m, a_cols = trans_a ? m : k, b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX || k < 0 || lda < (a_cols > 1 ? a_cols : 1) || ldb < (b_cols > 1 ? b_cols : 1) || ldc < n || lda > INT_MAX || ldb > INT_MAX || ldc > INT_MAX) {
    napi_throw_range_error(env, NULL, "gemmTile (native): a dimension or leading dimension out of range");
    return NULL;
  }
  int64_t ao = (int64_t)p[T_A_OFFSET], bo = (int64_t)p[T_B_OFFSET], co = (int64_t)p[T_C_OFFSET];
  if ((k > 0 && !check_reach(env, "A", &a, ao, ao + (a_rows - 1) * lda + a_cols - 1)) ||
      (k > 0 && !check_reach(env, "B", &b, bo, bo + (b_rows - 1) * ldb + b_cols - 1)) ||
      !check_reach(env, "C", &c, co, co + (m - 1) * ldc + n - 1)) return NULL;
  enum CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans, tb = trans_b ? CblasTrans : CblasNoTrans;
  double beta = p[T_BETA];
  if (a.type == napi_float32_array) {
    float *A = (float *)a.data + ao, *B = (float *)b.data + bo, *C = (float *)c.data + co;
    cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.0f, A, (int)lda, B, (int)ldb, (float)beta, C, (int)ldc);
  } else {
    double *A = (double *)a.data + ao, *B = (double *)b.data + bo, *C = (double *)c.data + co;
    cblas_dgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.0, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
  }
  return NULL;
}

/** info(): { config, core, threads } of the OpenBLAS this thread calls. */
static napi_value Info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, config, core, threads;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &config));
  CHECK(napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &core));
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &threads));
  CHECK(napi_set_named_property(env, out, "config", config));
  CHECK(napi_set_named_property(env, out, "core", core));
  CHECK(napi_set_named_property(env, out, "threads", threads));
  return out;
}

static void free_scratch(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Scratch *s = data;
  free(s->buf[0]);
  free(s->buf[1]);
  free(s);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  // One BLAS thread per Skein thread: Skein's tiles are the parallelism, and a fixed grid of
  // single-threaded calls keeps the bits independent of the thread count.
  openblas_set_num_threads(1);
  Scratch *s = calloc(1, sizeof(Scratch));
  if (s == NULL || napi_set_instance_data(env, s, free_scratch, NULL) != napi_ok) {
    free(s);
    napi_throw_error(env, NULL, "blas addon: could not allocate its per-thread scratch");
    return NULL;
  }
  napi_property_descriptor props[] = {
    { "gemm", NULL, Gemm, NULL, NULL, NULL, napi_enumerable, NULL },
    { "gemmTile", NULL, GemmTile, NULL, NULL, NULL, napi_enumerable, NULL },
    { "info", NULL, Info, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
