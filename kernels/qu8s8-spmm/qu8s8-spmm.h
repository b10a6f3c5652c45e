// qu8s8-spmm: Y[N, M] = output_stage(W[N, K] * (X[K, M] - a_zp) + bias[N])
// with W sparse int8 (symmetric: a pruned weight is 0), X dense uint8, exact
// int32 accumulation, and the output stages of qu8s8-gemm (int32, uint8,
// int8, float32; per-tensor or per-row multipliers), bit for bit.
//
// Weight layout: K is cut into groups of 4 consecutive inputs. Each output
// row is a list of entries (g, word): word holds the 4 int8 weights
// W[n, 4g..4g+3] (zeros where pruned). CSR nonzeros of one group merge into
// one entry, a [1, 4] block or a 2:4 group is exactly one. Per call the
// driver repacks X into the same groups, [ceil(K/4)][M][4] (the 4 K values
// of one column adjacent), so an entry times 16 columns is one vpdpbusd of
// a 64-byte load with the broadcast word: about one instruction per nonzero
// per 16 columns for unstructured sparsity, 4 (2) weights per instruction
// for blocks (2:4).
//
// Zero point: acc = sum w * X - a_zp * rowsum(w) + bias, every term modulo
// 2^32 like qu8s8-gemm, so it equals the plain reference even where int32 wraps.
//
// Channels-last activations (qu8s8_spmm_nhwc: X [P, K] rows of pixels, Y
// [P, N]) take a second layout of the same weights, vectorized over output
// channels so that nothing is transposed: the rows (output channels) are cut
// into blocks of kQSpmmNhwcOc = 8, and a block stores the union of its rows'
// groups, each as one 32-byte vector [8 channels][4 weights] (zeros where a
// row has no entry). A pixel's 4 input bytes of a group are one word of its
// row of X, broadcast and multiplied with the vector: one ymm vpdpbusd per
// pixel and stored group of 8 channels. [4 x 4]-block pruning keeps its
// zeros in such unions (about 19% of groups at 90% pruning); unstructured
// sparsity does not (the union of 8 rows at 10% density keeps about 57%).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../common/aligned-vector.h"
#include "../common/cpu-features.h"
#include "../qu8s8-gemm/qu8s8-gemm.h"

namespace sparq {

constexpr std::size_t kQSpmmKr = 4;
// Output channels per block of the channels-last layout.
constexpr std::size_t kQSpmmNhwcOc = 8;

// Packed sparse weights, built once by qu8s8_spmm_pack (which checks nothing:
// the binding has validated the arrays).
struct QSparseW {
  std::size_t rows = 0;    // N
  std::size_t k = 0;       // K
  std::size_t groups = 0;  // ceil(K / 4)
  std::vector<int32_t> indptr;  // [N + 1] over entries
  // Entries [indptr[n], pair_safe_end[n]) are pair-safe: in each byte pair
  // (0,1), (2,3) of the word one weight is 0 or |w0| + |w1| <= 128, so the
  // AVX2 u8 x s8 pair multiply (vpmaddubsw, saturating int16) is exact on
  // them (255 * 128 = 32640). The rest need the pair split in two.
  std::vector<int32_t> pair_safe_end;  // [N]
  std::vector<int32_t> group;     // [entries] g of each entry
  std::vector<int32_t> word;      // [entries] its 4 weights, byte j = W[n, 4g + j]
  std::vector<int32_t> row_sums;  // [N] sum of the row's weights
  // The channels-last layout: block b (rows [8b, 8b + 8)) stores groups
  // [block_ptr[b], block_ptr[b + 1]), ascending; stored group s is K group
  // block_group[s] with weights block_word[s * 32 + i * 4 + j] = W[8b + i,
  // 4 * block_group[s] + j] (0 past N). A group appears more than once only
  // where a row has more than one entry of it (each copy holds one).
  std::vector<int32_t> block_ptr;    // [ceil(N / 8) + 1]
  std::vector<int32_t> block_group;  // [stored]
  aligned_vector<int8_t> block_word;  // [stored][8][4]
};

// Builds QSparseW from per-row entries (indptr [rows + 1] over them, group
// indices in [0, ceil(k/4)), words); entries keep their order except that
// each row's pair-safe ones come first.
void qu8s8_spmm_pack(std::size_t rows, std::size_t k, const int32_t* indptr, const int32_t* group,
                     const int32_t* word, QSparseW* out);

// One call: rows [row_begin, row_end), columns [m_begin, m_end) of Y (row
// stride ldy, in elements of store.output's type). xp is X repacked: group g,
// column m at xp + (g * ldxp + m) * 4, readable 64 bytes past its last
// group (vector loads past M read them; those lanes are never stored).
// row_terms[n] = bias[n] - a_zp * row_sums[n]; store.multipliers holds one
// multiplier per row (null for kInt32).
using QSpmmFn = void (*)(const QSparseW& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                         std::size_t m_end, const uint8_t* xp, std::size_t ldxp, const int32_t* row_terms,
                         const QGemmStore& store, void* y, std::size_t ldy);

// One channels-last call: Y rows [0, pixels) (row stride ldy, in elements
// of store.output's type) x the channels of blocks [block_begin, block_end)
// from X rows at x (row stride ldx), each readable for 4 * groups bytes
// (bytes past K meet zero weights; the driver copies rows that would be read
// past X's end). col_terms[n] = bias[n] - a_zp * row_sums[n] and
// store.multipliers[n] (null for kInt32) are indexed by channel, readable
// 16 values past the last block's first channel. Variants of Isa::kNeonDot
// multiply X - 128 (sdot is signed x signed): their col_terms hold bias -
// (a_zp - 128) * row_sums, which puts the 128 * row_sums back.
using QSpmmNhwcFn = void (*)(const QSparseW& w, std::size_t block_begin, std::size_t block_end, std::size_t pixels,
                             const uint8_t* x, std::size_t ldx, const int32_t* col_terms, const QGemmStore& store,
                             void* y, std::size_t ldy);

struct QSpmmVariant {
  const char* name;  // e.g. "qu8s8-spmm-32-avx512vnni": 32 = columns of M per inner step
  Isa isa;
  QSpmmFn fn;
  // Its channels-last kernel, kernels/qu8s8-spmm/qu8s8-spmm-nhwc-<tile>-<isa>.cc
  // (tile: pixels x channels per step).
  QSpmmNhwcFn nhwc;
};

extern const QSpmmVariant kQSpmmVariants[];
extern const std::size_t kQSpmmVariantCount;
const QSpmmVariant& qu8s8_spmm_best();

// Y[N, M] from X [K, M] (row stride ldx). params.stage's bias and multiplier
// strides are per row (output channel). Rows are split across the thread
// pool by entry count, M into blocks when rows are few; every output element
// is one call's arithmetic, so results are bit-identical for any thread count.
void qu8s8_spmm(const QSpmmVariant& variant, const QSparseW& w, std::size_t m, const uint8_t* x, std::size_t ldx,
                void* y, std::size_t ldy, const QGemmParams& params);

// The same product on channels-last activations: Y[P, N] from X [P, K]
// (uint8 rows of K channels, row stride ldx >= K; row stride ldy >= N in
// elements of the output type), through the variant's nhwc kernel on the
// blocked layout: X is read in place and Y written in place. Tasks are
// pixel ranges x block ranges; the results are qu8s8_spmm's on X^T,
// transposed, bit for bit (exact int32 sums), for any thread count.
void qu8s8_spmm_nhwc(const QSpmmVariant& variant, const QSparseW& w, std::size_t pixels, const uint8_t* x,
                     std::size_t ldx, void* y, std::size_t ldy, const QGemmParams& params);

}  // namespace sparq
