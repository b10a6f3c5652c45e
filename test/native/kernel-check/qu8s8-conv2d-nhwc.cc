// qu8s8-conv2d-nhwc: the driver on every qu8s8-gemm variant (its int32 sums
// against the plain formula of qu8s8-conv2d-nhwc.h, its uint8/int8 outputs
// against the scalar variant's, bit for bit): ResNet's windows (3x3 stride 1
// and 2, 1x1 stride 2, 7x7/2 on 3 channels), an odd window with dilation and
// asymmetric pads, pads wider than the kernel, channel counts that leave K
// off the 4-byte group, output channels past a 16-column panel, batch 2,
// x zero points 0/128/255, int8 weights with per-channel zero points 255 off
// the extreme weights, or uint8 ones; narrow weights for the variants that need them.
#include <cstdint>
#include <vector>

#include "check.h"
#include "conv-windows.h"
#include "random-stage.h"
#include "kernels/qu8s8-conv2d-nhwc/qu8s8-conv2d-nhwc.h"

using namespace sparq;

namespace {

// w holds the ONNX weights [oc][c][kh][kw] less their zero points.
std::vector<int32_t> plain_sums(const QConv2dNhwcShape& s, std::size_t oc, const uint8_t* x, int32_t zx, const std::vector<int32_t>& w) {
  std::vector<int32_t> y;
  for (std::size_t n = 0; n < s.batch; n++)
    for (std::size_t oh = 0; oh < s.out_h; oh++)
      for (std::size_t ow = 0; ow < s.out_w; ow++)
        for (std::size_t o = 0; o < oc; o++) {
          uint32_t sum = 0;
          for (std::size_t ch = 0; ch < s.channels; ch++)
            kcheck::for_each_tap(s, oh, ow, [&](std::size_t i, std::size_t j, std::size_t ih, std::size_t iw) {
              const int32_t v = x[((n * s.height + ih) * s.width + iw) * s.channels + ch] - zx;
              sum += static_cast<uint32_t>(v * w[((o * s.channels + ch) * s.kernel_h + i) * s.kernel_w + j]);
            });
          y.push_back(static_cast<int32_t>(sum));
        }
  return y;
}

}  // namespace

CHECK_FAMILY("qu8s8-conv2d-nhwc") {
  const QGemmVariant& ref = kQGemmVariants[kQGemmVariantCount - 1];
  const kcheck::ConvWindow windows[] = {
      {3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {3, 3, 2, 2, 1, 1, 1, 1, 1, 1}, {1, 1, 2, 2, 1, 1, 0, 0, 0, 0},
      {7, 7, 2, 2, 1, 1, 3, 3, 3, 3}, {2, 4, 3, 2, 1, 2, 0, 3, 1, 0}, {3, 3, 1, 1, 1, 1, 4, 4, 4, 4}};
  QConv2dNhwcScratch scratch;
  c.variants(kQGemmVariants, kQGemmVariantCount, [&](const QGemmVariant& v) {
    for (const kcheck::ConvWindow& win : windows)
      for (std::size_t channels : {std::size_t{3}, std::size_t{5}, std::size_t{16}, std::size_t{1 + c.below(40)}}) {
        QConv2dNhwcShape s{};
        s.batch = 1 + c.below(2);
        s.channels = channels;
        s.height = 1 + c.below(12);
        s.width = 1 + c.below(12);
        if (!win.apply(s)) continue;
        const std::size_t oc = 1 + c.below(40), taps = s.kernel_h * s.kernel_w, k = taps * s.channels;
        const uint8_t zero_points[] = {0, 128, 255};
        const uint8_t zx = zero_points[c.below(3)];
        std::vector<uint8_t> x = c.integers<uint8_t>(s.batch * s.height * s.width * s.channels, 0, 255);
        for (uint8_t& e : x)
          if (c.below(4) == 0) e = c.below(2) == 0 ? 0 : 255;
        // ONNX weights [oc][c][kh][kw]: narrow int8 ones without zero points for the variants that need them, else
        // int8 with per-channel zero points (channel 0: -128 less 127) or uint8 with one (channel 0: 0 less 255).
        const bool narrow = v.needs_narrow;
        const bool w_unsigned = !narrow && c.below(2) == 0;
        std::vector<uint8_t> w = c.integers<uint8_t>(oc * k, 0, 255);
        if (narrow)
          for (uint8_t& e : w) e = static_cast<uint8_t>(static_cast<int8_t>(c.integer(-64, 64)));
        std::vector<int32_t> wz = narrow ? std::vector<int32_t>(oc, 0) : w_unsigned ? std::vector<int32_t>(oc, 255) : c.integers<int32_t>(oc, -128, 127);
        if (!narrow) {
          for (std::size_t t = 0; t < k; t++) w[t] = w_unsigned ? 0 : 0x80;
          if (!w_unsigned) wz[0] = 127;
        }
        std::vector<int32_t> off(w.size());
        for (std::size_t i = 0; i < w.size(); i++) off[i] = (w_unsigned ? int32_t{w[i]} : int32_t{static_cast<int8_t>(w[i])}) - wz[i / k];
        // W' [k][oc], rows (kh, kw, c) c fastest, with the zero points in the weights' type.
        std::vector<uint8_t> columns(k * oc);
        for (std::size_t o = 0; o < oc; o++)
          for (std::size_t ch = 0; ch < s.channels; ch++)
            for (std::size_t t = 0; t < taps; t++) columns[(t * s.channels + ch) * oc + o] = w[(o * s.channels + ch) * taps + t];
        std::vector<uint8_t> zp_bytes(oc);
        for (std::size_t o = 0; o < oc; o++) zp_bytes[o] = static_cast<uint8_t>(wz[o]);
        QPackedB packed;
        qu8s8_gemm_pack_b(k, oc, columns.data(), oc, w_unsigned, zp_bytes.data(), oc, &packed);
        const std::size_t pixels = s.batch * s.out_h * s.out_w, n = pixels * oc;
        QGemmParams params;
        params.a_zero_point = zx;
        std::vector<int32_t> sums(n, -7);
        qu8s8_conv2d_nhwc(v, s, packed, x.data(), sums.data(), oc, params, &scratch);
        const std::vector<int32_t> want = plain_sums(s, oc, x.data(), zx, off);
        c.same(sums.data(), want.data(), n, "int32 %zux%zu/%zu,%zu %zu->%zu channels %zux%zu zx %d", s.kernel_h, s.kernel_w, s.stride_h,
               s.stride_w, s.channels, oc, s.height, s.width, zx);
        const kcheck::RandomStage stage(c, oc);
        params.stage = stage.row;
        params.output = stage.output;
        std::vector<uint8_t> got(n, 7), expect(n, 7);
        qu8s8_conv2d_nhwc(v, s, packed, x.data(), got.data(), oc, params, &scratch);
        qu8s8_conv2d_nhwc(ref, s, packed, x.data(), expect.data(), oc, params, &scratch);
        c.same(got.data(), expect.data(), n, "%s %zux%zu/%zu,%zu %zu->%zu channels %zux%zu zx %d", stage.type(), s.kernel_h,
               s.kernel_w, s.stride_h, s.stride_w, s.channels, oc, s.height, s.width, zx);
      }
  });
}
