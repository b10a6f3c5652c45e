// f32-gemm-gemv-wgsl: C[M, N] = clamp(A[M, K] * B[K, N] + bias[N], minValue, maxValue)
// for small M (batch-1 inference: M = 1). Same contract as f32-gemm-wgsl
// (bindings, Params, buffer padding), so the host binds the same buffers and
// uniforms and only the pipeline and the dispatch differ. Correct for any M,
// N, K (K = 0 gives clamp(bias)), but every group of ROWS rows reads all of
// B once, so it only pays off while M is a few rows; the tiled kernel reuses
// each B value for 64 rows.
//
// Bindings (@group(0)):
//   0  A       storage, read        array<vec4<f32>>  M*K values
//   1  B       storage, read        array<vec4<f32>>  K*N values
//   2  bias    storage, read        array<f32>        N values; with hasBias = 0 it
//                                                     is never read (bind any buffer)
//   3  C       storage, read_write  array<vec4<f32>>  M*N values
//   4  params  uniform              Params
// A, B and C are declared as vec4 arrays, so each binding must be at least
// ceil(count / 4) * 16 bytes: round those buffer sizes up to a multiple of 16.
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
// Work split: invocation (x, y) of a workgroup owns 4 consecutive columns
// (one vec4 when N % 4 == 0, four scalars otherwise) of the workgroup's
// WG_X * 4 columns, for the ROWS rows of its row group, and sums every
// WG_Y-th quad of K for them; consecutive x read consecutive vec4s of one B
// row (coalesced), and all x of one y read the same A values (broadcast).
// The WG_Y partial sums are then added in workgroup memory, bias and clamp
// applied, and C written once.
//
// Overrides (pipeline constants). On lavapipe, 16x4, 32x4, 64x1 and 64x4
// measured within noise of each other (8x8 slower): a workgroup runs on one
// CPU thread there, so the K split buys nothing. The default keeps a K split
// and small column blocks so GPUs get many workgroups even for N = 1024:
//   WG_X = 16  invocations along N (WG_X * 4 columns per workgroup)
//   WG_Y = 4   invocations splitting K
// WG_X * WG_Y must not exceed 256. Workgroup memory: ROWS * WG_X * WG_Y * 16
// bytes (4 KiB by default; at most 16 KiB, the WebGPU minimum limit).
//
// Dispatch: dispatchWorkgroups(gx, gy) with
//   gx = min(ceil(ceil(N / 4) / WG_X), 65535)
//   gy = min(ceil(M / ROWS), 65535)
// Workgroups walk column blocks and row groups with a grid stride, so any
// gx, gy >= 1 is correct: N beyond 65535 * WG_X * 4 columns needs no folding
// on the host. Indices are u32: M*K, K*N and M*N must stay below 2^32.

// Rows per row group: a const because the accumulators are a function-scope
// array, which needs a const-expression size.
const ROWS = 4u;

override WG_X: u32 = 16u;
override WG_Y: u32 = 4u;

//! include "f32-gemm/f32-gemm-shared-wgsl.wgsl"

// partial[(r * WG_Y + y) * WG_X + x]: invocation (x, y)'s sum for row r.
var<workgroup> partial: array<vec4<f32>, ROWS * WG_Y * WG_X>;

fn loadA1(i: u32) -> f32 {
  return A[i >> 2u][i & 3u];
}

fn loadB1(i: u32) -> f32 {
  return B[i >> 2u][i & 3u];
}

// A[i .. i + 3] for i a multiple of 4 within one row (K - 4 or less from the
// row start): one vec4 when rows start 16-byte aligned (K % 4 == 0).
fn loadA4(i: u32) -> vec4<f32> {
  if ((params.K & 3u) == 0u) {
    return A[i >> 2u];
  }
  return vec4<f32>(loadA1(i), loadA1(i + 1u), loadA1(i + 2u), loadA1(i + 3u));
}

// B[i .. i + 3], the 4 columns col .. col + 3 of one row; columns past N read
// as 0 (scalar reads there could run past the end of the buffer).
fn loadB4(i: u32, col: u32) -> vec4<f32> {
  let N = params.N;
  if ((N & 3u) == 0u) {
    return B[i >> 2u];
  }
  var v = vec4<f32>(loadB1(i), 0.0, 0.0, 0.0);
  if (col + 1u < N) { v.y = loadB1(i + 1u); }
  if (col + 2u < N) { v.z = loadB1(i + 2u); }
  if (col + 3u < N) { v.w = loadB1(i + 3u); }
  return v;
}

fn store(row: u32, col: u32, sum: vec4<f32>) {
  storeQuad(row, col, clamp(sum + biasQuad(col), vec4<f32>(params.minValue), vec4<f32>(params.maxValue)));
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let blocksN = ((N + 3u) / 4u + WG_X - 1u) / WG_X;
  let groupsM = (M + ROWS - 1u) / ROWS;
  let K4 = K & ~3u;  // K rounded down to whole quads; the rest is the tail

  // Loop bounds (and rows) depend only on uniforms and workgroup ids, so
  // every invocation of a workgroup reaches the same barriers.
  for (var gm = wid.y; gm < groupsM; gm += nwg.y) {
    let m0 = gm * ROWS;
    let rows = min(ROWS, M - m0);
    for (var gn = wid.x; gn < blocksN; gn += nwg.x) {
      let col = (gn * WG_X + lid.x) * 4u;
      // Explicitly zeroed: Dawn on lavapipe did not re-zero an uninitialized
      // declaration on later trips of a loop (see f32-gemm-wgsl).
      var acc = array<vec4<f32>, ROWS>();
      if (col < N) {
        for (var k = lid.y * 4u; k < K4; k += WG_Y * 4u) {
          let i = k * N + col;
          let b0 = loadB4(i, col);
          let b1 = loadB4(i + N, col);
          let b2 = loadB4(i + 2u * N, col);
          let b3 = loadB4(i + 3u * N, col);
          for (var r = 0u; r < rows; r++) {
            let a = loadA4((m0 + r) * K + k);
            acc[r] += a.x * b0 + a.y * b1 + a.z * b2 + a.w * b3;
          }
        }
        // At most 3 leftover K values: not worth splitting across y.
        if (lid.y == 0u) {
          for (var k = K4; k < K; k++) {
            let b = loadB4(k * N + col, col);
            for (var r = 0u; r < rows; r++) {
              acc[r] += loadA1((m0 + r) * K + k) * b;
            }
          }
        }
      }
      for (var r = 0u; r < rows; r++) {
        partial[(r * WG_Y + lid.y) * WG_X + lid.x] = acc[r];
      }
      workgroupBarrier();
      // Invocation y adds up rows y, y + WG_Y, ...: the rows' reductions run
      // side by side instead of all on y = 0.
      if (col < N) {
        for (var r = lid.y; r < rows; r += WG_Y) {
          var sum = vec4<f32>(0.0);
          for (var j = 0u; j < WG_Y; j++) {
            sum += partial[(r * WG_Y + j) * WG_X + lid.x];
          }
          store(m0 + r, col, sum);
        }
      }
      // The next block overwrites partial: wait until everyone has read it.
      workgroupBarrier();
    }
  }
}
