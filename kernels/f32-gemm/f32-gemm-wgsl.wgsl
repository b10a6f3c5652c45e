// f32-gemm-wgsl: C[M, N] = clamp(A[M, K] * B[K, N] + bias[N], minValue, maxValue)
// All matrices row-major float32, any M, N, K (K = 0 gives clamp(bias)).
//
// Bindings (@group(0)):
//   0  A       storage, read        array<vec4<f32>>  M*K values
//   1  B       storage, read        array<vec4<f32>>  K*N values
//   2  bias    storage, read        array<f32>        N values; with hasBias = 0 it
//                                                     is never read (bind any buffer,
//                                                     e.g. a 1-element zero one)
//   3  C       storage, read_write  array<vec4<f32>>  M*N values
//   4  params  uniform              Params
// A, B and C are declared as vec4 arrays, so each binding must be at least
// ceil(count / 4) * 16 bytes: round those buffer sizes up to a multiple of 16.
// The padding is never read into results and never written.
//
// Params (uniform, 32 bytes, every field 4 bytes, in this order):
//   offset  0  M         u32
//   offset  4  N         u32
//   offset  8  K         u32
//   offset 12  hasBias   u32    0 or 1
//   offset 16  minValue  f32    -Infinity for none (ReLU: 0)
//   offset 20  maxValue  f32    +Infinity for none
//   offset 24  _pad0     u32    unused, keeps the struct 16-byte sized
//   offset 28  _pad1     u32
//
// Overrides (pipeline constants); the defaults were the fastest of the
// configurations tried on lavapipe:
//   WG_X   = 8   invocations along N; each owns 4 consecutive columns
//   WG_Y   = 8   invocations along M; each owns ROWS (= 8, a const) rows
//   TILE_K = 8   K values staged per step; must be a multiple of 4
// The output tile of one workgroup is TILE_M x TILE_N = (WG_Y * 8) x (WG_X * 4)
// = 64 x 32 by default. Workgroup memory: (TILE_M + TILE_N) * TILE_K * 4 bytes
// (3 KiB by default; the WebGPU minimum limit is 16 KiB). WG_X * WG_Y must not
// exceed 256 (the WebGPU minimum for maxComputeInvocationsPerWorkgroup).
//
// Dispatch: dispatchWorkgroups(gx, gy) with
//   gx = min(ceil(N / (WG_X * 4)), 65535)
//   gy = min(ceil(M / (WG_Y * 8)), 65535)
// Workgroups walk the tile grid with a grid stride, so any gx, gy >= 1 is
// correct: shapes with more tiles than 65535 per dimension (M > 4_194_240 rows
// at the default tile) need no folding on the host, each workgroup just does
// several tiles. Indices are u32: M*K, K*N and M*N must stay below 2^32, which
// the storage binding size limits already imply.

// Rows per invocation is a const, not an override: function-scope arrays
// (the accumulators) need a const-expression size in WGSL. 8 rows x 4 columns
// is 32 accumulators per invocation: enough reuse of each workgroup-memory
// read, few enough registers to keep occupancy on GPUs.
const ROWS = 8u;

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
override TILE_K: u32 = 8u;

const TILE_N_PER_INV = 4u;  // one vec4 of columns per invocation
// Derived from the three above; never set them directly.
override TILE_M = WG_Y * ROWS;
override TILE_N = WG_X * TILE_N_PER_INV;
override TILE_K4 = TILE_K / 4u;  // vec4s per A tile row

//! include "f32-gemm/f32-gemm-shared-wgsl.wgsl"

// A tile stays row-major ([TILE_M][TILE_K] as vec4 along K) so global rows are
// copied without a transpose; an invocation reads one vec4 of K per owned row,
// and all invocations with the same local y read the same address (broadcast).
// B tile is [TILE_K][TILE_N] as vec4 along N: consecutive local x read
// consecutive vec4s, so those reads are free of bank conflicts.
var<workgroup> As: array<vec4<f32>, TILE_M * TILE_K4>;
var<workgroup> Bs: array<vec4<f32>, TILE_K * WG_X>;

// Scalar read of element i of a vec4-typed buffer, for rows that do not start
// on a 16-byte boundary (K or N not a multiple of 4).
fn loadA1(i: u32) -> f32 {
  return A[i >> 2u][i & 3u];
}

fn loadB1(i: u32) -> f32 {
  return B[i >> 2u][i & 3u];
}

// Out-of-range elements are stored as zeros so the inner product loop runs
// without bounds checks; they add nothing to any output.
fn loadTileA(lid: u32, m0: u32, k0: u32) {
  let M = params.M;
  let K = params.K;
  let aligned = (K & 3u) == 0u;
  for (var s = lid; s < TILE_M * TILE_K4; s += WG_X * WG_Y) {
    // Consecutive invocations take consecutive vec4s of one row: coalesced.
    let row = m0 + s / TILE_K4;
    let k = k0 + (s % TILE_K4) * 4u;
    var v = vec4<f32>(0.0);
    if (row < M) {
      let i = row * K + k;
      if (aligned) {
        // K % 4 == 0: the quad is either wholly inside the row or wholly past it.
        if (k < K) {
          v = A[i >> 2u];
        }
      } else {
        if (k < K) { v.x = loadA1(i); }
        if (k + 1u < K) { v.y = loadA1(i + 1u); }
        if (k + 2u < K) { v.z = loadA1(i + 2u); }
        if (k + 3u < K) { v.w = loadA1(i + 3u); }
      }
    }
    As[s] = v;
  }
}

fn loadTileB(lid: u32, k0: u32, n0: u32) {
  let N = params.N;
  let K = params.K;
  let aligned = (N & 3u) == 0u;
  for (var s = lid; s < TILE_K * WG_X; s += WG_X * WG_Y) {
    let k = k0 + s / WG_X;
    let col = n0 + (s % WG_X) * 4u;
    var v = vec4<f32>(0.0);
    if (k < K) {
      let i = k * N + col;
      if (aligned) {
        if (col < N) {
          v = B[i >> 2u];
        }
      } else {
        if (col < N) { v.x = loadB1(i); }
        if (col + 1u < N) { v.y = loadB1(i + 1u); }
        if (col + 2u < N) { v.z = loadB1(i + 2u); }
        if (col + 3u < N) { v.w = loadB1(i + 3u); }
      }
    }
    Bs[s] = v;
  }
}

fn storeTile(acc: array<vec4<f32>, ROWS>, row0: u32, col: u32) {
  let bv = biasQuad(col);
  let lo = vec4<f32>(params.minValue);
  let hi = vec4<f32>(params.maxValue);
  for (var r = 0u; r < ROWS; r++) {
    let row = row0 + r;
    if (row >= params.M) {
      break;
    }
    storeQuad(row, col, clamp(acc[r] + bv, lo, hi));
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
  let K = params.K;
  let tilesM = (M + TILE_M - 1u) / TILE_M;
  let tilesN = (N + TILE_N - 1u) / TILE_N;
  let rowInTile = lid3.y * ROWS;
  let colInTile = lid3.x * TILE_N_PER_INV;

  // Loop bounds depend only on uniforms and workgroup ids, so every
  // invocation of a workgroup reaches the same barriers.
  for (var tm = wid.y; tm < tilesM; tm += nwg.y) {
    for (var tn = wid.x; tn < tilesN; tn += nwg.x) {
      let m0 = tm * TILE_M;
      let n0 = tn * TILE_N;

      // acc[r] holds the 4 columns of output row rowInTile + r: ROWS x 4 values
      // in registers, so each vec4 read from workgroup memory feeds 4 (A) or
      // ROWS (B) vec4 multiply-adds. The initializer is explicit: Dawn on
      // lavapipe did not re-zero an uninitialized declaration on the second
      // trip of the grid-stride loop.
      var acc = array<vec4<f32>, ROWS>();

      for (var k0 = 0u; k0 < K; k0 += TILE_K) {
        loadTileA(lid, m0, k0);
        loadTileB(lid, k0, n0);
        workgroupBarrier();

        for (var kq = 0u; kq < TILE_K4; kq++) {
          let kb = kq * 4u * WG_X + lid3.x;
          let b0 = Bs[kb];
          let b1 = Bs[kb + WG_X];
          let b2 = Bs[kb + 2u * WG_X];
          let b3 = Bs[kb + 3u * WG_X];
          for (var r = 0u; r < ROWS; r++) {
            let a = As[(rowInTile + r) * TILE_K4 + kq];
            acc[r] += a.x * b0 + a.y * b1 + a.z * b2 + a.w * b3;
          }
        }
        // The next step overwrites As/Bs: wait until everyone has read them.
        workgroupBarrier();
      }

      // Stores are guarded, not skipped with `continue`: a non-uniform
      // continue would put the barriers of the next tile out of uniform flow.
      let col = n0 + colInTile;
      if (col < N) {
        storeTile(acc, m0 + rowInTile, col);
      }
    }
  }
}
