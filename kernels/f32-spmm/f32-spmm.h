// f32-spmm: Y[N, M] = clamp(W[N, K] * X[K, M] + bias[N], min, max) with the
// weights W sparse and the activations X dense.
//
// Layout: W's rows are output channels, X is [K, M] row-major (input
// channels x pixels, i.e. NCHW per image), Y is [N, M]. Each stored weight w
// of row n then adds w * X[k, m0:m1] to Y[n, m0:m1]: contiguous vectors along
// M, no gather, which is what makes unstructured sparsity vectorize (XNNPACK's
// f32-spmm uses the same layout).
//
// Formats (one kernel body per ISA serves all of them, see f32-spmm-entries.h):
// - csr: one weight per stored entry;
// - bsr Rx1: blocks of R rows x 1 column; each stored entry holds R weights
//   (one per row of its block row), so every X vector loaded feeds R FMAs;
// - nm: N:M structured sparsity, every group of m columns of a row keeps n
//   slots (unused ones hold 0).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../common/cpu-features.h"

namespace sparq {

struct F32SparseWeights {
  std::size_t rows = 0;  // N; a multiple of the block rows R for bsr
  std::size_t cols = 0;  // K: the rows of X
  // csr/bsr: the entries of block row b are [indptr[b], indptr[b + 1]); entry
  // p is column indices[p] with weights values[p * R .. p * R + R).
  const int32_t* indptr = nullptr;   // [N / R + 1]
  const int32_t* indices = nullptr;  // [nnz blocks]
  // nm: row r holds groups * n entries from r * groups * n on; entry j of
  // group g is column g * m + positions[entry].
  const uint8_t* positions = nullptr;  // [N, groups * n]
  std::size_t nm_n = 0, nm_m = 0, groups = 0;
  const float* values = nullptr;
};

struct F32SpmmParams {
  const float* bias = nullptr;  // [N] or null
  float min = -INFINITY;
  float max = INFINITY;
};

// The formats every variant implements. Of [2, 1], [4, 1] and [8, 1] blocks
// (1 thread, AVX-512, 1024x1024 at M = 64 and 1 and 70-95% sparsity, and the
// CNN layers), wider was faster every time; [2, 1] is left out, [4, 1] kept
// for its finer pruning granularity. Other block shapes have no kernel.
enum class F32SpmmFormat { kCsr, kBsr4x1, kBsr8x1, kNm };

// Block rows R of a format (1 for csr and nm).
constexpr std::size_t f32_spmm_block_rows(F32SpmmFormat format) {
  return format == F32SpmmFormat::kBsr4x1 ? 4 : format == F32SpmmFormat::kBsr8x1 ? 8 : 1;
}

// The csr and bsr formats (entries located by indptr and indices), by block rows.
constexpr F32SpmmFormat kF32SpmmIndexedFormats[] = {F32SpmmFormat::kCsr, F32SpmmFormat::kBsr4x1, F32SpmmFormat::kBsr8x1};

// One call: rows [row_begin, row_end) of Y (multiples of R), columns
// [m_begin, m_end). Returns whether any sum it stored was Inf or NaN before
// its clamp: then an X row that the weights store holds an Inf or NaN (or a
// product overflowed), which the driver's fix-up looks for. The GEMV path
// (m_end - m_begin = 1 with ldx = 1) does not look and returns false.
using F32SpmmFn = bool (*)(const F32SparseWeights& w, std::size_t row_begin, std::size_t row_end,
                           std::size_t m_begin, std::size_t m_end, const float* x, std::size_t ldx, float* y,
                           std::size_t ldy, const F32SpmmParams& params);

struct F32SpmmVariant {
  const char* name;  // e.g. "f32-spmm-32-avx2": 32 = columns of M per inner step
  Isa isa;
  F32SpmmFn (*kernel)(F32SpmmFormat format);  // the variant's kernel for each format
};

extern const F32SpmmVariant kF32SpmmVariants[];
extern const std::size_t kF32SpmmVariantCount;
const F32SpmmVariant& f32_spmm_best();

// The whole product on the thread pool: rows are split into tasks of about
// equal stored-weight counts (not equal row counts: pruned rows are uneven),
// on block-row boundaries, and M into blocks when there are few rows. Each
// output element is one call's arithmetic, so results are bit-identical for
// any thread count. Inf and NaN in X give the dense product's NaNs: an
// unstored weight counts as an exact 0, and 0 x Inf = 0 x NaN = NaN (the
// kernels skip those products; a check of X and a fix-up put them back).
void f32_spmm(const F32SpmmVariant& variant, F32SpmmFormat format, const F32SparseWeights& w, std::size_t m,
              const float* x, std::size_t ldx, float* y, std::size_t ldy, const F32SpmmParams& params);

// The same product on channels-last activations (f32-spmm-nhwc.cc):
// Y[P, N] = clamp(X[P, K] * W^T + bias, min, max), X's rows the pixels
// (row stride ldx >= K), Y's rows too (ldy >= N). Tiles of pixels are
// transposed into [K, tile] panels in cache and run on `variant`'s kernel,
// so every ISA's kernel serves both layouts; the results are the channels-
// first product's transposed, bit for bit, for any thread count, Inf and
// NaN in X included.
void f32_spmm_nhwc(const F32SpmmVariant& variant, F32SpmmFormat format, const F32SparseWeights& w, std::size_t pixels,
                   const float* x, std::size_t ldx, float* y, std::size_t ldy, const F32SpmmParams& params);

// The drivers' shared pieces (f32-spmm.cc): the work of block row b (its
// stored weights, plus one: an empty row still writes its bias), the rows of
// X no stored weight reads, and the fix-up that gives Y [N, m] the NaNs the dense product has
// for an X [K, m] holding an Inf or NaN (see f32_spmm).
std::size_t f32_spmm_block_row_cost(F32SpmmFormat format, const F32SparseWeights& w, std::size_t b);
std::vector<std::size_t> f32_spmm_unread_rows(F32SpmmFormat format, const F32SparseWeights& w);
void f32_spmm_propagate_nonfinite(F32SpmmFormat format, const F32SparseWeights& w, std::size_t m, const float* x,
                                  std::size_t ldx, float* y, std::size_t ldy);

}  // namespace sparq
