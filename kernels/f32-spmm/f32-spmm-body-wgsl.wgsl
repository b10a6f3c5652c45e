// f32-spmm-body-wgsl: Y[N, M] = clamp(W[N, K] * X[K, M] + bias[N], minValue, maxValue)
// The kernel body the two f32-spmm pipelines share; each variant file includes
// it and adds how the WG_K lanes that share columns add their partial sums:
//   f32-spmm-wgsl           workgroup memory and barriers (any adapter)
//   f32-spmm-subgroup-wgsl  subgroupShuffleXor (adapters with 'subgroups')
// A variant defines
//   fn lanes(index: u32) -> vec2<u32>   (mLane, kLane) of local invocation index
//   fn reduceLanes(acc: ptr<function, Rows>, mLane: u32, kLane: u32)
//     which must leave row i's sum over the WG_K lanes in acc[i] of the lane
//     kLane = i % WG_K at least; it is called in workgroup-uniform control flow.
// W sparse in CSR over row blocks of BLOCK_ROWS rows: BLOCK_ROWS = 1 is plain
// CSR, BLOCK_ROWS = r is BSR with [r, 1] blocks (r values per stored entry, one
// per row of the block, as SparseMatrix stores them). X and Y row-major float32.
//
// Bindings (@group(0)):
//   0  indptr   storage, read        array<u32>  rowBlocks + 1 entries
//   1  indices  storage, read        array<u32>  column of each stored entry
//   2  values   storage, read        array<f32>  BLOCK_ROWS values per entry
//   3  order    storage, read        array<u32>  rowBlocks entries: the row blocks
//                                                in the order workgroups take them
//                                                (a permutation; the host sorts
//                                                them by stored entries, largest
//                                                first, once per weight)
//   4  X        storage, read        array<f32>  K*M values
//   5  bias     storage, read        array<f32>  N values; with hasBias = 0 it is
//                                                never read (bind any buffer)
//   6  Y        storage, read_write  array<f32>  N*M values
//   7  flags    storage, read        array<u32>  M values: f32-spmm-nonfinite-wgsl's
//                                                Inf (1) and NaN (2) flags of X's columns
//   8  params   uniform              Params
// Buffers that would be empty (no stored entries) must still be bound: any
// buffer of at least 4 bytes; they are never read.
//
// Params (uniform, 32 bytes, every field 4 bytes, in this order):
//   offset  0  rowBlocks  u32    N / BLOCK_ROWS
//   offset  4  M          u32    >= 1 (skip the dispatch for M = 0 or N = 0)
//   offset  8  hasBias    u32    0 or 1
//   offset 12  minValue   f32    -Infinity for none (ReLU: 0)
//   offset 16  maxValue   f32    +Infinity for none
//   offset 20  K          u32    rows of X (what the fix-up of flagged columns walks)
//   offset 24  _pad0..1   u32    unused, keep the struct 16-byte sized
//
// Overrides (pipeline constants):
//   BLOCK_ROWS = 1   rows per stored entry, 1..MAX_BLOCK_ROWS (8)
//   WG_M       = 16  invocations along M; each owns 4 columns, WG_M apart
//   WG_K       = 4   invocations sharing one row block's stored entries; their
//                    partial sums are added by the variant's reduceLanes. A
//                    power of 2; for the subgroup variant at most the
//                    adapter's subgroupMinSize.
// WG_M * WG_K must not exceed 256 (a 1-D workgroup of WG_M * WG_K). The host keeps WG_M * WG_K = 64 and picks
// WG_M = min(64, nextPow2(ceil(M / 4))): wide M puts every invocation on its
// own columns (coalesced reads of an X row); M = 1 gives WG_M = 1, WG_K = 64,
// a workgroup-wide reduction over the row's entries instead of 63 idle lanes.
// The subgroup variant caps WG_K at subgroupMinSize, so M = 1 there runs
// workgroups of subgroupMinSize invocations.
// Workgroup memory (workgroup variant only): WG_M * WG_K * BLOCK_ROWS * 16
// bytes (8 KiB at most at 64 invocations and BLOCK_ROWS = 8).
//
// Dispatch: dispatchWorkgroups(gx, gy) with
//   gx = min(ceil(M / (WG_M * 4)), 65535)
//   gy = min(rowBlocks, 65535)
// Workgroups walk column tiles and row-block slots with a grid stride, so any
// gx, gy >= 1 is correct: more than 65535 row blocks need no folding on the
// host, a workgroup just takes several. Slot s is row block order[s].
// Indices are u32: K*M, N*M and nnz*BLOCK_ROWS stay below 2^32, as the
// storage binding size limits already imply.

// Accumulator arrays need a const-expression size; BLOCK_ROWS picks how many
// of them are used, and the loops over it unroll once the override is set.
const MAX_BLOCK_ROWS = 8u;
const COLS = 4u;  // columns per invocation, one vec4 of accumulators per row

// One invocation's accumulators, one vec4 (its COLS columns) per row of the block.
alias Rows = array<vec4<f32>, MAX_BLOCK_ROWS>;

override BLOCK_ROWS: u32 = 1u;
override WG_M: u32 = 16u;
override WG_K: u32 = 4u;

struct Params {
  rowBlocks: u32,
  M: u32,
  hasBias: u32,
  minValue: f32,
  maxValue: f32,
  K: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> indptr: array<u32>;
@group(0) @binding(1) var<storage, read> indices: array<u32>;
@group(0) @binding(2) var<storage, read> values: array<f32>;
@group(0) @binding(3) var<storage, read> order: array<u32>;
@group(0) @binding(4) var<storage, read> X: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read_write> Y: array<f32>;
@group(0) @binding(7) var<storage, read> flags: array<u32>;
@group(0) @binding(8) var<uniform> params: Params;

const MAGNITUDE = 0x7fffffffu;
const INF = 0x7f800000u;

// A quiet NaN made at run time (a constant NaN is a shader-creation error).
fn quietNan() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// The contract of the sparse kernels (kernels/f32-spmm/f32-spmm.cc): an
// unstored weight is an exact 0, and 0 x Inf = 0 x NaN = NaN, so output
// (row, col) is NaN when column col of X holds a NaN, or an Inf in a row k
// that the row's block does not store. Only flagged columns pay for the
// walk, which is slow: an error case.
fn withDenseNans(row: u32, col: u32, value: f32) -> f32 {
  let f = flags[col];
  if (f == 0u) {
    return value;
  }
  if ((f & 2u) != 0u) {
    return quietNan();
  }
  let rb = row / BLOCK_ROWS;
  let start = indptr[rb];
  let end = indptr[rb + 1u];
  for (var k = 0u; k < params.K; k++) {
    if ((bitcast<u32>(X[k * params.M + col]) & MAGNITUDE) != INF) {
      continue;
    }
    var stored = false;
    for (var p = start; p < end && !stored; p++) {
      stored = indices[p] == k;
    }
    if (!stored) {
      return quietNan();
    }
  }
  return value;
}

fn storeRow(row: u32, acc: vec4<f32>, cols: vec4<u32>) {
  let M = params.M;
  var b = 0.0;
  if (params.hasBias != 0u) {
    b = bias[row];
  }
  let s = acc + b;
  // WGSL's clamp gives the bound for NaN; NaN is kept, as on the CPU.
  let nan = (bitcast<vec4<u32>>(s) & vec4<u32>(MAGNITUDE)) > vec4<u32>(INF);
  let v = select(clamp(s, vec4<f32>(params.minValue), vec4<f32>(params.maxValue)), s, nan);
  for (var t = 0u; t < COLS; t++) {
    if (cols[t] < M) {
      Y[row * M + cols[t]] = withDenseNans(row, cols[t], v[t]);
    }
  }
}

@compute @workgroup_size(WG_M * WG_K)
fn main(
  @builtin(local_invocation_index) index: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let M = params.M;
  let lane = lanes(index);
  let mLane = lane.x;
  let kLane = lane.y;
  let tileM = WG_M * COLS;
  let tiles = (M + tileM - 1u) / tileM;

  // Loop bounds depend only on uniforms, overrides and workgroup ids, so every
  // invocation of a workgroup reaches reduceLanes (its barriers or subgroup
  // operations).
  for (var slot = wid.y; slot < params.rowBlocks; slot += nwg.y) {
    let rb = order[slot];
    let start = indptr[rb];
    let end = indptr[rb + 1u];
    for (var tile = wid.x; tile < tiles; tile += nwg.x) {
      let col0 = tile * tileM + mLane;
      let cols = vec4<u32>(col0, col0 + WG_M, col0 + 2u * WG_M, col0 + 3u * WG_M);
      // Columns past M read column M - 1 instead of branching per load; their
      // sums are never stored.
      let colsRead = min(cols, vec4<u32>(M - 1u));

      var acc = Rows();
      // The kLanes interleave over the entries, so a long row is split WG_K
      // ways and adjacent lanes read adjacent indices and values.
      for (var p = start + kLane; p < end; p += WG_K) {
        let xo = indices[p] * M;
        let xv = vec4<f32>(X[xo + colsRead.x], X[xo + colsRead.y], X[xo + colsRead.z], X[xo + colsRead.w]);
        for (var i = 0u; i < BLOCK_ROWS; i++) {
          acc[i] += values[p * BLOCK_ROWS + i] * xv;
        }
      }

      if (WG_K > 1u) {
        reduceLanes(&acc, mLane, kLane);
      }
      // Row i is stored by kLane i % WG_K: the stores spread over the lanes.
      for (var i = kLane; i < BLOCK_ROWS; i += WG_K) {
        storeRow(rb * BLOCK_ROWS + i, acc[i], cols);
      }
    }
  }
}
