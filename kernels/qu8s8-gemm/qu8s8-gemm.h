// qu8s8-gemm: uint8 activations x int8 weights, exact int32 accumulation.
//
//   acc[m,n] = sum_k (A[m,k] - a_zp) * (B[k,n] - b_zp[n])      (int32, wrapping)
//
// then one of the output stages of qs32-qx8-requantize (raw int32, uint8,
// int8 or float32), computed by the microkernels as they store each tile
// (bit for bit the requantize formula, see QGemmStore). uint8 weights are
// packed as int8 by subtracting 128 from both the weight and its zero point,
// which leaves every product unchanged, so one kernel family serves u8xs8 and
// u8xu8.
//
// Kernels compute sum_k A*B' on the packed weights and correct for the zero
// points with precomputed column sums and per-call row sums:
//   acc = sum A*B' - a_zp * colsum(B') - b_zp' * rowsum(A) + K * a_zp * b_zp'
// Every term is taken modulo 2^32, so the result equals the plain reference
// bit for bit even where int32 wraps.
//
// Exactness and the fast AVX2 path: vpmaddubsw multiplies u8 by s8 and adds
// adjacent pairs into a *saturating* int16. 255 * 64 * 2 = 32640 fits, so it
// is exact only when every packed weight lies in [-64, 64]. Packing records
// that (`narrow`); variants that need it are only dispatched on narrow
// weights, and full-range weights take the exact int16-widening path
// (vpmaddwd). Nothing ever saturates silently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../common/aligned-vector.h"
#include "../common/cpu-features.h"
#include "../qs32-qx8-requantize/qs32-qx8-requantize.h"

namespace sparq {

// Panel width and K group of the packed layout, shared by every variant.
constexpr std::size_t kQGemmNr = 16;
constexpr std::size_t kQGemmKr = 4;

// Packed weights: K is padded to a multiple of 4 with zeros (which add
// nothing: padded A columns are zero too, see qu8s8_gemm). Panel p holds
// columns [p*NR, p*NR + NR) as groups of 4 K values: for group g, 16 columns x
// 4 bytes, column-major within the group (bytes n*4 .. n*4+3 are B'[4g..4g+3, n]).
// Columns past N are zero.
struct QPackedB {
  std::size_t k = 0;
  std::size_t n = 0;
  std::size_t k_padded = 0;
  bool narrow = false;                // every B' in [-64, 64]
  aligned_vector<int8_t> panels;      // ceil(n/NR) * k_padded * NR bytes
  std::vector<int32_t> column_sums;   // sum_k B'[k, n], padded to a multiple of NR
  std::vector<int32_t> zero_points;   // b_zp' per column (int8 domain), padded likewise
  bool has_zero_points = false;       // any b_zp' != 0
};

// Packs B [k, n] (row stride ldb). `b_unsigned`: B holds uint8 values, else
// int8. zero_points: 1 value (per tensor) or n values (per column), in B's own
// type; null means 0.
void qu8s8_gemm_pack_b(std::size_t k, std::size_t n, const void* b, std::size_t ldb, bool b_unsigned,
                       const void* zero_points, std::size_t zero_point_count, QPackedB* out);

enum class QOutput { kInt32, kUint8, kInt8, kFloat32 };

// Bytes per element of an output kind.
std::size_t qgemm_output_size(QOutput output);

struct QGemmParams {
  uint8_t a_zero_point = 0;
  QOutput output = QOutput::kInt32;
  // Output stage for kUint8/kInt8/kFloat32 (bias applies to every output
  // kind, kInt32 included; multiplier and ranges are ignored for kInt32).
  // Its stride fields are 0 (per tensor) or 1 (per column).
  RequantizeRow stage;
};

// The output stage as a microkernel applies it to one tile: the driver
// resolves strides, ranges and the output kind of QGemmParams once per call,
// so the kernel's store path needs no branches per element and no table
// look-ups. For kUint8/kInt8 the kernel computes, per element,
//   q = cvt_round_half_even(min(hi, max(lo, float(acc) * multiplier))) + zero_point
// with lo/hi = out_min - zp, out_max - zp: qs32-qx8-requantize's formula (see
// its header), one float multiply and nothing it could be fused with. Its
// NaN -> zero point step is the driver's: it hands quantized stages finite
// multipliers with the same results, so the product is never NaN. For
// kFloat32: min(hi, max(lo, float(acc) * multiplier)) with lo/hi =
// fmin/fmax and the multipliers as given, NaN kept as the requantize row
// functions keep it.
struct QGemmStore {
  QOutput output = QOutput::kInt32;
  // kUint8/kInt8/kFloat32: the NR multipliers of the tile's panel (a
  // per-tensor one repeated; padding past N is never stored). Null for kInt32.
  const float* multipliers = nullptr;
  float lo = 0.0f, hi = 0.0f;
  int32_t zero_point = 0;  // kUint8/kInt8 only
  // kUint8/kInt8: every |multiplier| < 1 and |zero_point| <= 255, so
  // float(acc) * multiplier rounds to an int32 without clamping first, and
  // round-then-clamp equals clamp-then-round (the bounds are integers): a
  // kernel may add the zero point and clamp after narrowing with saturation
  // (int32 -> int16 -> bytes), which keeps every value past a bound past it.
  bool saturating = false;
};

// Resolves the output stage of `params` for the microkernels' store path:
// bounds, zero point and, unless kInt32, `count` multipliers (one per output
// channel: stage.multiplier per tensor repeated or per channel) written to
// *multipliers, zero-padded to `padded` values, with NaN/inf made safe for
// quantized outputs (see QGemmStore). store.multipliers is left null for the
// caller to point at the channels of each tile. Shared by the qu8s8-spmm
// driver, whose channels are output rows.
QGemmStore qgemm_output_store(const QGemmParams& params, std::size_t count, std::size_t padded,
                              std::vector<float>* multipliers);

// One microkernel call finishes a tile of mr <= MR rows and nc <= the
// variant's nr columns (kQGemmNr, or two panels' worth) over the whole packed
// K (kc = k_padded, a multiple of 4):
//   acc[i, j] = sum_k a[i, k] * panel[k, j] + col_terms[j] - row_sums[i] * col_zero_points[j]
// (all modulo 2^32), then stores it through `store` into c (row stride ldc,
// in elements of store.output's type). The driver folds bias and the a_zp
// terms into col_terms; col_zero_points (b_zp' per column) is null when B
// has none, and row_sums (sum over the real K of each A row) is then unused.
// Each `a` row is read for kc bytes: the driver guarantees they lie inside
// A's buffer (copying the last rows to a zero-padded buffer when they would
// not), and bytes past the real K meet the zero rows of the padded panel, so
// they add nothing. col_terms and col_zero_points hold one padded value per
// column of the panels the call covers. A call of nc > kQGemmNr columns
// covers two adjacent panels: the second's K groups start kc * kQGemmNr bytes
// after `panel` (as packed), and col_terms, col_zero_points and
// store.multipliers run on into its columns.
// Variants of Isa::kNeonDot multiply A - 128 instead of A (sdot is signed x
// signed; there is no uint8 x int8 form before FEAT_I8MM): the driver's
// col_terms for them hold bias - (a_zp - 128) * colsum + ..., which puts the
// 128 * colsum back.
using QGemmUkernel = void (*)(std::size_t mr, std::size_t nc, std::size_t kc, const uint8_t* a, std::size_t lda,
                              const int8_t* panel, const int32_t* col_terms, const int32_t* col_zero_points,
                              const int32_t* row_sums, const QGemmStore& store, void* c, std::size_t ldc);

struct QGemmVariant {
  const char* name;  // e.g. "qu8s8-gemm-4x16c4-avx2"
  Isa isa;
  std::size_t mr;
  std::size_t nr;  // columns per call: kQGemmNr or 2 * kQGemmNr
  bool needs_narrow;  // only exact when QPackedB::narrow
  std::size_t a_align;  // wanted alignment of A's rows in bytes (1: any)
  QGemmUkernel ukernel;
  // Null, or called once at the end of every driver task on the thread that
  // ran its microkernel calls: a variant that keeps per-thread state across
  // calls (AMX tile configuration) gives it back here.
  void (*finish)();
};

extern const QGemmVariant kQGemmVariants[];
extern const std::size_t kQGemmVariantCount;
// Best supported variant that is exact for `b`.
const QGemmVariant& qu8s8_gemm_best(const QPackedB& b);

// One qu8s8 GEMM call as its drivers (qu8s8_gemm, qu8s8_conv2d_nhwc) run
// it: the column terms and output stage resolved once, then tiles of rows x
// column blocks through the variant's microkernel, each call over the whole K.
class QGemmCall {
 public:
  // Keeps references to variant and b, which must outlive it.
  QGemmCall(const QGemmVariant& variant, const QPackedB& b, const QGemmParams& params);

  // Whether the microkernels need row_sums (B has zero points).
  bool wants_row_sums() const { return col_zero_points_ != nullptr; }

  // C rows [0, rows) (at c, row stride ldc) x the variant's column blocks
  // [block_begin, block_end) (nr columns each) from A rows at a (row stride
  // lda, each readable for k_padded bytes, zeros past K), with row_sums[i] =
  // sum over the real K of row i (null unless wants_row_sums()).
  void run(std::size_t rows, const uint8_t* a, std::size_t lda, const int32_t* row_sums, std::size_t block_begin,
           std::size_t block_end, void* c, std::size_t ldc) const;

 private:
  const QGemmVariant& variant_;
  const QPackedB& b_;
  QOutput output_;
  std::vector<int32_t> col_terms_;  // per padded column (see qu8s8-gemm.cc)
  const int32_t* col_zero_points_;  // b_zp' per padded column, or null
  std::vector<float> col_multipliers_;
  QGemmStore store_;
};

// C[M,N] (row stride ldc, in elements of the output type) from A [M,K] (row
// stride lda). Split across the thread pool. The variant must be exact for b
// (callers check needs_narrow).
void qu8s8_gemm(const QGemmVariant& variant, std::size_t m, const uint8_t* a, std::size_t lda, const QPackedB& b,
                void* c, std::size_t ldc, const QGemmParams& params);

}  // namespace sparq
