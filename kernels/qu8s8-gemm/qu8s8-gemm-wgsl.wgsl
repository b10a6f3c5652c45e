// qu8s8-gemm-wgsl: the exact int32 accumulators of qu8s8-gemm (qu8s8-gemm.h)
// on the GPU, with the zero-point corrections and the bias folded in:
//
//   C[m,n] = sum_k (A[m,k] - a_zp) * (B[k,n] - b_zp[n]) + bias[n]   (int32, wrapping)
//
// uint8/int8/float32 outputs run qs32-qx8-requantize-wgsl on C afterwards.
//
// Arithmetic: one dot4I8Packed per 4 K values (language feature
// packed_4x8_integer_dot_product), or, with PACKED_DOT = false, the same 4
// products as plain i32 multiply-adds on the bytes unpacked with shifts
// (dot4 below). Which is faster depends on the adapter (a DP4A instruction,
// or Dawn's emulation of it), so the host measures both and picks one;
// the results are identical. Both multiply int8 by int8, and A is uint8,
// so A is shifted to A^ = A - 128 (A ^ 0x80 per byte: exact in int8), and
// B' = B as int8 (uint8 weights are shifted by 128 on the host, weight and
// zero point alike, which leaves every difference unchanged). With
// za^ = a_zp - 128:
//   C = sum A^*B' - b_zp'[n] * rowsum(A^)[m] + colTerm[n]
//   colTerm[n] = bias[n] - za^ * colsum(B')[n] + K * za^ * b_zp'[n]   (host, per call)
// Every term is modulo 2^32 (WGSL i32 arithmetic wraps), so C equals the
// reference bit for bit even where int32 overflows.
//
// Bindings (@group(0)):
//   0  A        storage, read        array<u32>  M*K uint8, row-major, 4 per word (byte i
//                                                of the tensor in byte i % 4 of word i / 4)
//   1  B        storage, read        array<u32>  N * KW words: column n's B'[4w..4w+3, n]
//                                                in word n*KW + w, k = 4w + j in byte j;
//                                                bytes past K are 0
//   2  colTerm  storage, read        array<i32>  N values (see above)
//   3  bZero    storage, read        array<i32>  N values: b_zp' per column, int8 domain
//   4  C        storage, read_write  array<i32>  M*N values, row-major
//   5  params   uniform              Params
//
// Params (uniform, 16 bytes):
//   offset  0  M   u32
//   offset  4  N   u32
//   offset  8  K   u32   any K: rows need not start on a word (K % 4 != 0 reads bytes)
//   offset 12  KW  u32   ceil(K / 4), words per packed column of B
//
// Overrides: PACKED_DOT = true (see Arithmetic); WG_X = 8 invocations along N, WG_Y = 8 along M, each owning
// ROWS x COLS = 4 x 4 outputs (rows lid.y + r*WG_Y, columns lid.x + c*WG_X:
// neighbouring invocations store neighbouring columns); TILE_KW = 4 words
// (16 K values) staged per step. The output tile of a workgroup is
// TILE_M x TILE_N = (WG_Y * 4) x (WG_X * 4) = 32 x 32 by default. WG_X must
// be >= ROWS: one invocation per tile row sums that row (TILE_M <= WG_X * WG_Y).
//
// Dispatch: dispatchWorkgroups(min(ceil(N / TILE_N), 65535), min(ceil(M / TILE_M), 65535)).
// Workgroups walk the tile grid with a grid stride, so any grid >= 1 x 1 is
// correct and no shape needs folding on the host. Indices are u32: M*K, N*KW
// and M*N must stay below 2^32 (implied by the binding size limits).

// Consts, not overrides: function-scope arrays (the accumulators) need a
// const-expression size.
const ROWS = 4u;
const COLS = 4u;

// A structural switch as an override, not a define: Dawn folds the constant
// branch in dot4, and the pipeline cache keys on it.
override PACKED_DOT: bool = true;
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
override TILE_KW: u32 = 4u;

// Derived from the overrides above; never set them directly.
override TILE_M = WG_Y * ROWS;
override TILE_N = WG_X * COLS;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  KW: u32,
}

@group(0) @binding(0) var<storage, read> A: array<u32>;
@group(0) @binding(1) var<storage, read> B: array<u32>;
@group(0) @binding(2) var<storage, read> colTerm: array<i32>;
@group(0) @binding(3) var<storage, read> bZero: array<i32>;
@group(0) @binding(4) var<storage, read_write> C: array<i32>;
@group(0) @binding(5) var<uniform> params: Params;

// Both tiles are K-major per row / column ([row][TILE_KW] words), the layout
// A and packed B have in memory, so loads copy words without a transpose.
var<workgroup> As: array<u32, TILE_M * TILE_KW>;
var<workgroup> Bs: array<u32, TILE_N * TILE_KW>;
var<workgroup> rowSums: array<i32, TILE_M>;

// 0x01 per byte: dot4(x, ONES) sums the 4 int8 values of x.
const ONES = 0x01010101u;
const SHIFT = 0x80808080u;

// The 4 int8 bytes of w, sign-extended: each byte shifted to the top, then
// arithmetic-shifted back down.
fn unpack(w: u32) -> vec4<i32> {
  return vec4<i32>(bitcast<i32>(w << 24u), bitcast<i32>(w << 16u), bitcast<i32>(w << 8u), bitcast<i32>(w)) >> vec4<u32>(24u);
}

// sum_j a[j] * b[j] over the 4 int8 bytes of each word. Products are at
// most 2^14 in magnitude, so both forms are exact and wrap alike.
fn dot4(a: u32, b: u32) -> i32 {
  if (PACKED_DOT) {
    return dot4I8Packed(a, b);
  }
  return dot(unpack(a), unpack(b));
}

// Word of A^ = A - 128 holding row `row`, K values k..k+3; values past K are
// 0 so they add nothing to products or row sums.
fn loadA(row: u32, k: u32) -> u32 {
  let K = params.K;
  let i = row * K + k;
  if ((K & 3u) == 0u) {
    return A[i >> 2u] ^ SHIFT;  // K % 4 == 0: the word lies wholly inside the row
  }
  var w = 0u;
  for (var j = 0u; j < 4u; j++) {
    if (k + j < K) {
      let byte = (A[(i + j) >> 2u] >> (8u * ((i + j) & 3u))) & 0xffu;
      w |= (byte ^ 0x80u) << (8u * j);
    }
  }
  return w;
}

fn loadTiles(lid: u32, m0: u32, n0: u32, w0: u32) {
  // Consecutive invocations take consecutive words of one row (column): coalesced.
  for (var s = lid; s < TILE_M * TILE_KW; s += WG_X * WG_Y) {
    let row = m0 + s / TILE_KW;
    let w = w0 + s % TILE_KW;
    As[s] = select(0u, loadA(row, w * 4u), row < params.M && w < params.KW);
  }
  for (var s = lid; s < TILE_N * TILE_KW; s += WG_X * WG_Y) {
    let col = n0 + s / TILE_KW;
    let w = w0 + s % TILE_KW;
    Bs[s] = select(0u, B[col * params.KW + w], col < params.N && w < params.KW);
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(
  @builtin(local_invocation_id) lid3: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let M = params.M;
  let N = params.N;
  let tilesM = (M + TILE_M - 1u) / TILE_M;
  let tilesN = (N + TILE_N - 1u) / TILE_N;

  // Loop bounds depend only on uniforms and workgroup ids, so every
  // invocation of a workgroup reaches the same barriers.
  for (var tm = wid.y; tm < tilesM; tm += nwg.y) {
    for (var tn = wid.x; tn < tilesN; tn += nwg.x) {
      let m0 = tm * TILE_M;
      let n0 = tn * TILE_N;
      // Explicit initializers: lavapipe did not re-zero uninitialized
      // declarations on later trips of the grid-stride loop (see f32-gemm-wgsl).
      var acc = array<array<i32, COLS>, ROWS>();
      // Invocation `lid` < TILE_M sums row lid of A^ once per workgroup
      // instead of every invocation redoing its rows (1/16 of the dot work).
      var rowSum = 0;

      for (var w0 = 0u; w0 < params.KW; w0 += TILE_KW) {
        loadTiles(lid, m0, n0, w0);
        workgroupBarrier();

        for (var kw = 0u; kw < TILE_KW; kw++) {
          var b: array<u32, COLS>;
          for (var c = 0u; c < COLS; c++) {
            b[c] = Bs[(lid3.x + c * WG_X) * TILE_KW + kw];
          }
          for (var r = 0u; r < ROWS; r++) {
            let a = As[(lid3.y + r * WG_Y) * TILE_KW + kw];
            for (var c = 0u; c < COLS; c++) {
              acc[r][c] += dot4(a, b[c]);
            }
          }
        }
        if (lid < TILE_M) {
          for (var kw = 0u; kw < TILE_KW; kw++) {
            rowSum += dot4(As[lid * TILE_KW + kw], ONES);
          }
        }
        // The next step overwrites As/Bs: wait until everyone has read them.
        workgroupBarrier();
      }

      if (lid < TILE_M) {
        rowSums[lid] = rowSum;
      }
      workgroupBarrier();
      // Stores are guarded, not skipped with `continue`, to keep the barriers
      // in uniform control flow.
      for (var c = 0u; c < COLS; c++) {
        let col = n0 + lid3.x + c * WG_X;
        if (col < N) {
          let zb = bZero[col];
          let term = colTerm[col];
          for (var r = 0u; r < ROWS; r++) {
            let row = m0 + lid3.y + r * WG_Y;
            if (row < M) {
              C[row * N + col] = acc[r][c] - zb * rowSums[lid3.y + r * WG_Y] + term;
            }
          }
        }
      }
      // The next tile rewrites rowSums, possibly without a K step in between.
      workgroupBarrier();
    }
  }
}
