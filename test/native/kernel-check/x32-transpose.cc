// x32-transpose: every variant (x32-transpose-variants.inc), 4-byte and
// 1-byte elements, against an element loop, exactly: shapes around the
// blocks (x32-transpose-blocks.h: 4x4, 8x8 and 16x16 of 32-bit elements,
// 16 rows by 16, 32 and 64 bytes) and 64x64 tiles, column counts that leave
// each narrower block of a variant's cascade work (28 = 16 + 8 + 4,
// 120 = 64 + 32 + 16 + 8), row strides wider than the rows, and shapes large
// enough to split across the thread pool.
#include "check.h"
#include "kernels/x32-transpose/x32-transpose.h"

using namespace sparq;

namespace {

template <typename T, typename Fn>
void check_shape(kcheck::Checker& c, Fn transpose, std::size_t rows, std::size_t cols, bool dense = false) {
  const std::size_t lds = cols + (dense ? 0 : c.below(3)), ldd = rows + (dense ? 0 : c.below(3));
  const std::vector<T> src = c.integers<T>(rows * lds, 0, sizeof(T) == 4 ? UINT32_MAX : UINT8_MAX);
  std::vector<T> got(cols * ldd, 0), want(cols * ldd, 0);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t col = 0; col < cols; ++col) want[col * ldd + r] = src[r * lds + col];
  transpose(rows, cols, src.data(), lds, got.data(), ldd);
  c.same(got.data(), want.data(), got.size(), "%zu-bit %zux%zu lds %zu ldd %zu", sizeof(T) * 8, rows, cols, lds, ldd);
}

}  // namespace

CHECK_FAMILY("x32-transpose") {
  c.variants(kTransposeVariants, kTransposeVariantCount, [&](const TransposeVariant& v) {
    for (std::size_t rows : c.sizes({4, 8, 16, 64}))
      for (std::size_t cols : {std::size_t{1}, std::size_t{3}, std::size_t{4}, std::size_t{9}, std::size_t{28}, std::size_t{65}, 1 + c.below(150)})
        check_shape<uint32_t>(c, v.x32, rows, cols);
    check_shape<uint32_t>(c, v.x32, 300, 517);  // several bands on the thread pool
    // 2 or 3 dense rows: interleaved, not blocked (x32-transpose-loops.h),
    // around the 4- and 8-column steps and split across the thread pool.
    for (std::size_t rows : {std::size_t{2}, std::size_t{3}})
      for (std::size_t cols : {std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{13}, std::size_t{33}, 50000 + c.below(9)})
        check_shape<uint32_t>(c, v.x32, rows, cols, true);
    for (std::size_t rows : c.sizes({16, 64}))
      for (std::size_t cols : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{33}, std::size_t{65}, std::size_t{120}, 1 + c.below(150)})
        check_shape<uint8_t>(c, v.x8, rows, cols);
    check_shape<uint8_t>(c, v.x8, 300, 517);
  });
  c.best(transpose_best().name);
}
