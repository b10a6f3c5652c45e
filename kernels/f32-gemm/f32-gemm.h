// f32-gemm: C[M,N] = clamp(A[M,K] * B[K,N] + bias[N], min, max).
//
// B is the weight operand. It is packed once (f32_gemm_pack_b) into panels of
// kF32GemmNr columns and reused across calls, the way inference uses weights.
// A and C are row-major with explicit leading dimensions.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "../common/aligned-vector.h"
#include "../common/cpu-features.h"

namespace sparq {

// Panel width of the packed B layout, shared by every variant so one packed
// matrix serves them all.
constexpr std::size_t kF32GemmNr = 16;

// Packed B: panel p holds columns [p*NR, p*NR + NR) as K rows of NR floats,
// zero-padded past N. panels.size() == ceil(n / NR) * k * NR.
struct F32PackedB {
  std::size_t k = 0;
  std::size_t n = 0;
  aligned_vector<float> panels;
};

// Packs B [k, n] with row stride ldb (>= n).
void f32_gemm_pack_b(std::size_t k, std::size_t n, const float* b, std::size_t ldb, F32PackedB* out);

struct F32GemmParams {
  const float* bias = nullptr;  // [N], or null for none
  float min = -INFINITY;        // ReLU: min = 0
  float max = INFINITY;
};

// One microkernel call computes a C tile of mr <= MR rows and nr <= NR
// columns over one block of kc values of K:
//   acc = (accumulate ? c : 0) + a[0:mr, 0:kc] * B[0:kc, 0:nr]
//   if last: acc = clamp(acc + bias[0:nr] (when bias), min, max)
// `panel` points at row 0 of this K block inside a packed panel (stride
// kF32GemmNr); a variant whose NR spans several panels finds the next ones
// `panel_stride` floats further on (k * kF32GemmNr, one whole panel). Panels
// past column nr - 1 may not exist and are never read.
using F32GemmUkernel = void (*)(std::size_t mr, std::size_t nr, std::size_t kc, const float* a, std::size_t lda,
                                const float* panel, std::size_t panel_stride, float* c, std::size_t ldc,
                                bool accumulate, bool last, const float* bias, float min, float max);

struct F32GemmVariant {
  const char* name;  // file stem, e.g. "f32-gemm-6x16-avx2"
  Isa isa;
  std::size_t mr;    // rows per microkernel call
  std::size_t nr;    // columns per microkernel call, a multiple of kF32GemmNr
  F32GemmUkernel ukernel;
};

// Variants best first (f32-gemm-variants.inc).
extern const F32GemmVariant kF32GemmVariants[];
extern const std::size_t kF32GemmVariantCount;
const F32GemmVariant& f32_gemm_best();

// Runs the whole GEMM with `variant`, split across the thread pool.
void f32_gemm(const F32GemmVariant& variant, std::size_t m, const float* a, std::size_t lda, const F32PackedB& b,
              float* c, std::size_t ldc, const F32GemmParams& params);

}  // namespace sparq
