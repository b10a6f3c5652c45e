// f32-spmm: Y[N, M] = clamp(W[N, K] * X[K, M] + bias[N], min, max) with the
// weights W sparse (CSR by output row) and the activations X dense.
//
// Layout: W's rows are output channels, X is [K, M] row-major (input
// channels x pixels, i.e. NCHW per image), Y is [N, M]. Each nonzero w of row
// n then adds w * X[k, m0:m1] to Y[n, m0:m1]: contiguous vectors along M, no
// gather, which is what makes unstructured sparsity vectorize (XNNPACK's
// f32-spmm uses the same layout).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../common/cpu-features.h"

namespace sparq {

struct F32Csr {
  std::size_t rows = 0;          // N
  const int32_t* indptr = nullptr;   // [N + 1]
  const int32_t* indices = nullptr;  // [nnz], column k of each value
  const float* values = nullptr;     // [nnz]
};

struct F32SpmmParams {
  const float* bias = nullptr;  // [N] or null
  float min = -INFINITY;
  float max = INFINITY;
};

// One call: rows [row_begin, row_end) of Y, columns [m_begin, m_end).
using F32SpmmFn = void (*)(const F32Csr& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                           std::size_t m_end, const float* x, std::size_t ldx, float* y, std::size_t ldy,
                           const F32SpmmParams& params);

struct F32SpmmVariant {
  const char* name;  // e.g. "f32-spmm-32-avx2": 32 = columns of M per inner step
  Isa isa;
  F32SpmmFn fn;
};

extern const F32SpmmVariant kF32SpmmVariants[];
extern const std::size_t kF32SpmmVariantCount;
const F32SpmmVariant& f32_spmm_best();

// The whole product on the thread pool: rows are split into tasks of about
// equal nonzero counts (not equal row counts: pruned rows are uneven), and M
// into blocks when there are few rows. Each output element is one call's
// arithmetic, so results are bit-identical for any thread count.
void f32_spmm(const F32SpmmVariant& variant, const F32Csr& w, std::size_t m, const float* x, std::size_t ldx,
              float* y, std::size_t ldy, const F32SpmmParams& params);

}  // namespace sparq
