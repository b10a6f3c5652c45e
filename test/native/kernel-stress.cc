// Stress driver for the kernels on the shared thread pool, built by
// test/native/kernel-check/CMakeLists.txt (target kernel-stress) and run by
// test/sanitize/native.test.ts under ThreadSanitizer (and under ASan+UBSan).
//
// The addon runs every kernel through one process-wide pool, from JS's main
// thread, from worker_threads and from libuv's threads (async calls) at
// once, on weights and plans shared by those calls. So several caller
// threads here run real kernels (int8 and float GEMM, CSR SpMM in both
// layouts, the three convolution drivers, channels-last quantize) on shared
// packed weights (and one shared conv scratch, as a plan holds it) while
// they change the pool's thread count between 1 and twice the core count.
// Every result must equal, byte for byte, the same call run before on one
// thread (the drivers promise identical results for any thread count).
// A data race shows up as a TSan report, a lost job as a hang (the test's
// time limit), a wrong result as exit status 1.
//
// Usage: kernel-stress [rounds per caller] [callers] [seed]
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kernels/common/thread-pool.h"
#include "kernels/f32-conv2d/f32-conv2d.h"
#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-qx8-quantize/f32-qx8-quantize.h"
#include "kernels/f32-spmm/f32-spmm.h"
#include "kernels/qu8s8-conv2d-nhwc/qu8s8-conv2d-nhwc.h"
#include "kernels/qu8s8-conv2d/qu8s8-conv2d.h"
#include "kernels/qu8s8-gemm/qu8s8-gemm.h"
#include "kernels/qu8s8-spmm/qu8s8-spmm.h"

using namespace sparq;

namespace {

// A kernel call on fixed inputs: it writes `bytes` bytes of output.
struct Call {
  std::string name;
  std::size_t bytes;
  std::function<void(void* out)> run;
  std::vector<uint8_t> want;  // its output on one thread
};

class Random {
 public:
  explicit Random(unsigned seed) : engine_(seed) {}
  std::vector<float> floats(std::size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (float& x : v) x = d(engine_);
    return v;
  }
  template <typename T>
  std::vector<T> ints(std::size_t n, int lo, int hi) {
    std::uniform_int_distribution<int> d(lo, hi);
    std::vector<T> v(n);
    for (T& x : v) x = static_cast<T>(d(engine_));
    return v;
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(engine_) < p; }

 private:
  std::mt19937 engine_;
};

// Inputs and weights live here for the whole run: every call reads them.
struct Data {
  std::vector<std::vector<float>> floats;
  std::vector<std::vector<uint8_t>> bytes;
  std::vector<std::vector<int32_t>> ints;
  const float* keep(std::vector<float> v) { return floats.emplace_back(std::move(v)).data(); }
  const uint8_t* keep(std::vector<uint8_t> v) { return bytes.emplace_back(std::move(v)).data(); }
  const int32_t* keep(std::vector<int32_t> v) { return ints.emplace_back(std::move(v)).data(); }
};

// uint8 output with a per-channel multiplier and bias, as a quantized layer's.
RequantizeRow u8_stage(Data& d, Random& r, std::size_t channels) {
  RequantizeRow row;
  row.bias = d.keep(r.ints<int32_t>(channels, -3000, 3000));
  row.bias_stride = 1;
  row.multiplier = d.keep(r.floats(channels, 0.0005f, 0.004f));
  row.multiplier_stride = 1;
  row.zero_point = 120;
  return row;
}

// A CSR pattern: each of `rows` rows stores each of `cols` columns with probability `density`.
struct Csr {
  std::vector<int32_t> indptr{0}, indices;
};
Csr random_csr(Random& r, std::size_t rows, std::size_t cols, double density) {
  Csr c;
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t k = 0; k < cols; ++k)
      if (r.chance(density)) c.indices.push_back(static_cast<int32_t>(k));
    c.indptr.push_back(static_cast<int32_t>(c.indices.size()));
  }
  return c;
}

std::vector<Call> make_calls(Data& d, Random& r) {
  std::vector<Call> calls;

  {  // qu8s8-gemm: uint8 out, per-column zero points on the weights.
    const std::size_t m = 96, k = 260, n = 80;
    auto w = std::make_shared<QPackedB>();
    const std::vector<uint8_t> b = r.ints<uint8_t>(k * n, 0, 255), zp = r.ints<uint8_t>(n, 100, 156);
    qu8s8_gemm_pack_b(k, n, b.data(), n, false, zp.data(), n, w.get());
    const uint8_t* a = d.keep(r.ints<uint8_t>(m * k, 0, 255));
    QGemmParams p;
    p.a_zero_point = 7;
    p.output = QOutput::kUint8;
    p.stage = u8_stage(d, r, n);
    calls.push_back({"qu8s8-gemm", m * n, [=](void* c) { qu8s8_gemm(qu8s8_gemm_best(*w), m, a, k, *w, c, n, p); }, {}});
  }
  {  // f32-gemm with bias and ReLU.
    const std::size_t m = 96, k = 200, n = 72;
    auto w = std::make_shared<F32PackedB>();
    f32_gemm_pack_b(k, n, r.floats(k * n, -1, 1).data(), n, w.get());
    const float* a = d.keep(r.floats(m * k, -1, 1));
    F32GemmParams p;
    p.bias = d.keep(r.floats(n, -1, 1));
    p.min = 0;
    calls.push_back({"f32-gemm", m * n * 4, [=](void* c) { f32_gemm(f32_gemm_best(), m, a, k, *w, static_cast<float*>(c), n, p); }, {}});
  }
  {  // f32-spmm, CSR, both layouts.
    const std::size_t rows = 128, cols = 256, m = 96;
    Csr csr = random_csr(r, rows, cols, 0.3);
    auto w = std::make_shared<F32SparseWeights>();
    w->rows = rows, w->cols = cols;
    w->indptr = d.keep(std::move(csr.indptr));
    w->values = d.keep(r.floats(csr.indices.size(), -1, 1));
    w->indices = d.keep(std::move(csr.indices));
    const float* x = d.keep(r.floats(cols * m, -1, 1));
    F32SpmmParams p;
    p.bias = d.keep(r.floats(rows, -1, 1));
    calls.push_back({"f32-spmm", rows * m * 4, [=](void* y) {
                       f32_spmm(f32_spmm_best(), F32SpmmFormat::kCsr, *w, m, x, m, static_cast<float*>(y), m, p);
                     }, {}});
    calls.push_back({"f32-spmm-nhwc", rows * m * 4, [=](void* y) {
                       f32_spmm_nhwc(f32_spmm_best(), F32SpmmFormat::kCsr, *w, m, x, cols, static_cast<float*>(y), rows, p);
                     }, {}});
  }
  {  // qu8s8-spmm, uint8 out, both layouts.
    const std::size_t rows = 128, k = 256, m = 96, groups = k / 4;
    Csr csr = random_csr(r, rows, groups, 0.4);
    std::vector<int32_t> words = r.ints<int32_t>(csr.indices.size(), INT32_MIN, INT32_MAX);
    auto w = std::make_shared<QSparseW>();
    qu8s8_spmm_pack(rows, k, csr.indptr.data(), csr.indices.data(), words.data(), w.get());
    const uint8_t* x = d.keep(r.ints<uint8_t>(k * m, 0, 255));
    QGemmParams p;
    p.a_zero_point = 128;
    p.output = QOutput::kUint8;
    p.stage = u8_stage(d, r, rows);
    calls.push_back({"qu8s8-spmm", rows * m, [=](void* y) { qu8s8_spmm(qu8s8_spmm_best(), *w, m, x, m, y, m, p); }, {}});
    calls.push_back({"qu8s8-spmm-nhwc", rows * m, [=](void* y) {
                       qu8s8_spmm_nhwc(qu8s8_spmm_best(), *w, m, x, k, y, rows, p);
                     }, {}});
  }
  {  // qu8s8-conv2d-nhwc 3x3 pad 1, uint8 out, one scratch shared by every call (a plan's).
    QConv2dNhwcShape s{2, 16, 20, 20, 3, 3, 1, 1, 1, 1, 1, 1, 20, 20};
    const std::size_t oc = 32, k = 9 * s.channels;
    auto w = std::make_shared<QPackedB>();
    qu8s8_gemm_pack_b(k, oc, r.ints<uint8_t>(k * oc, 0, 255).data(), oc, false, nullptr, 0, w.get());
    auto scratch = std::make_shared<QConv2dNhwcScratch>();
    const uint8_t* x = d.keep(r.ints<uint8_t>(s.batch * s.height * s.width * s.channels, 0, 255));
    QGemmParams p;
    p.a_zero_point = 3;
    p.output = QOutput::kUint8;
    p.stage = u8_stage(d, r, oc);
    calls.push_back({"qu8s8-conv2d-nhwc", s.batch * s.out_h * s.out_w * oc, [=](void* y) {
                       qu8s8_conv2d_nhwc(qu8s8_gemm_best(*w), s, *w, x, y, oc, p, scratch.get());
                     }, {}});
  }
  // The direct convolutions (NCHW): 3x3 pad 1 over 2 images of 8 channels.
  ShiftedConvShape s{2, 8, 24, 24, 16, 3, 3, 1, 1, 1, 1, 1, 1};
  s.compact = prefer_compact(s);
  const std::size_t conv_out = s.batch * s.out_channels * s.out_h() * s.out_w();
  {  // f32-conv2d, bias.
    auto w = std::make_shared<F32Conv2dWeights>();
    f32_conv2d_pack(s.out_channels, s.taps(), r.floats(s.out_channels * s.taps(), -1, 1).data(), w.get());
    ConvInput in;
    in.f32 = d.keep(r.floats(s.batch * s.channels * s.height * s.width, -1, 1));
    const float* bias = d.keep(r.floats(s.out_channels, -1, 1));
    calls.push_back({"f32-conv2d", conv_out * 4, [=](void* y) {
                       ConvOutputParams p;
                       p.y = y;
                       p.bias = bias;
                       f32_conv2d(f32_conv2d_best(), s, in, *w, p);
                     }, {}});
  }
  {  // qu8s8-conv2d, uint8 out through the per-thread scratch rows, and pooled.
    auto w = std::make_shared<Qu8s8Conv2dWeights>();
    const std::vector<int8_t> q = r.ints<int8_t>(s.out_channels * s.taps(), -128, 127);
    qu8s8_conv2d_pack(s.out_channels, s.channels, s.kernel_h, s.kernel_w, std::vector<float>(q.begin(), q.end()).data(), w.get());
    ConvInput in;
    in.u8 = d.keep(r.ints<uint8_t>(s.batch * s.channels * s.height * s.width, 0, 255));
    in.zero_point = 9;
    const int32_t* bias = d.keep(r.ints<int32_t>(s.out_channels, -3000, 3000));
    const float* multipliers = d.keep(r.floats(s.out_channels, 0.0005f, 0.004f));
    for (bool pooled : {false, true}) {
      ConvPool pool;
      if (pooled) pool.kernel_h = pool.kernel_w = pool.stride_h = pool.stride_w = 2;
      const std::size_t out = pooled ? s.batch * s.out_channels * pooled_h(pool, s.out_h()) * pooled_w(pool, s.out_w()) : conv_out;
      calls.push_back({pooled ? "qu8s8-conv2d-pooled" : "qu8s8-conv2d", out, [=](void* y) {
                         ConvOutputParams p;
                         p.kind = ConvOutputKind::kUint8;
                         p.y = y;
                         p.int_bias = bias;
                         p.multipliers = multipliers;
                         p.zero_point = 120;
                         p.pool = pool;
                         qu8s8_conv2d(qu8s8_conv2d_best(), s, in, *w, p);
                       }, {}});
    }
  }
  {  // quantize_channels_last: NCHW float to NHWC int8, per channel.
    const std::size_t outer = 2, channels = 48, inner = 1024;
    const float* x = d.keep(r.floats(outer * channels * inner, -5, 5));
    const float* scales = d.keep(r.floats(channels, 0.01f, 0.05f));
    const int32_t* zps = d.keep(r.ints<int32_t>(channels, -10, 10));
    calls.push_back({"f32-qx8-quantize-channels-last", outer * channels * inner, [=](void* y) {
                       quantize_channels_last(quantize_best().to_int8, outer, channels, inner, x, scales, channels, zps, channels, y);
                     }, {}});
  }
  return calls;
}

constexpr uint8_t kUnwritten = 0xa5;

// Runs `rounds` random calls, changing the pool's thread count now and then; false on the first wrong result.
bool stress(const std::vector<Call>& calls, unsigned seed, int rounds, int most_threads) {
  std::mt19937 pick(seed);
  std::vector<uint8_t> out;
  for (int i = 0; i < rounds; ++i) {
    if (pick() % 4 == 0) set_thread_count(1 + static_cast<int>(pick() % most_threads));
    const Call& call = calls[pick() % calls.size()];
    out.assign(call.bytes, kUnwritten);
    call.run(out.data());
    if (std::memcmp(out.data(), call.want.data(), call.bytes) != 0) {
      std::size_t at = 0;
      while (out[at] == call.want[at]) ++at;
      std::fprintf(stderr, "round %d: %s differs from its one-thread result at byte %zu (%d, want %d)\n", i,
                   call.name.c_str(), at, out[at], call.want[at]);
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 200;
  const int callers = argc > 2 ? std::atoi(argv[2]) : 4;
  const unsigned seed = argc > 3 ? static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10)) : 1;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::printf("kernel-stress: seed %u, %d callers x %d rounds, pool threads 1..%d (%d cores)\n", seed, callers, rounds,
              2 * cores + 1, cores);

  Data data;
  Random random(seed);
  std::vector<Call> calls = make_calls(data, random);
  set_thread_count(1);
  for (Call& call : calls) {
    call.want.assign(call.bytes, kUnwritten);
    call.run(call.want.data());
  }

  std::atomic<bool> ok{true};
  std::vector<std::thread> threads;
  for (int c = 0; c < callers; ++c)
    threads.emplace_back([&, c] {
      if (!stress(calls, seed * 7919u + static_cast<unsigned>(c), rounds, 2 * cores + 1)) ok = false;
    });
  for (std::thread& t : threads) t.join();
  std::printf("%s: %zu kernels, %d calls\n", ok ? "ok" : "FAILED", calls.size(), callers * rounds);
  return ok ? 0 : 1;
}
