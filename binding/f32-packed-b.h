// The handle of packed f32-gemm weights (packF32Weights): shared by the
// bindings that run on them (f32-gemm, f32-conv2d-nhwc).
#pragma once

#include "kernels/f32-gemm/f32-gemm.h"

#include "handles.h"

namespace sparq_binding {

template <>
struct HandleTag<sparq::F32PackedB> {
  static constexpr napi_type_tag tag = {0x73706172710f3201ULL, 0x9d2c5a1be8f34c11ULL};
  static constexpr const char* maker = "packF32Weights";
  static std::size_t bytes(const sparq::F32PackedB& w) { return vector_bytes(w.panels); }
};

}  // namespace sparq_binding
