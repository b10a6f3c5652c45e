// Calls f(std::integral_constant<QOutput, kind>{}) for a run-time output
// kind, so each ISA's store path is one template instantiated per kind (no
// branch on the kind inside its row loop). Internal linkage: each including
// file gets its own copy.
#pragma once

#include <type_traits>

#include "qu8s8-gemm.h"

namespace sparq {
namespace {

template <typename F>
void with_output_kind(QOutput output, F&& f) {
  switch (output) {
    case QOutput::kInt32: return f(std::integral_constant<QOutput, QOutput::kInt32>{});
    case QOutput::kUint8: return f(std::integral_constant<QOutput, QOutput::kUint8>{});
    case QOutput::kInt8: return f(std::integral_constant<QOutput, QOutput::kInt8>{});
    case QOutput::kFloat32: return f(std::integral_constant<QOutput, QOutput::kFloat32>{});
  }
}

}  // namespace
}  // namespace sparq
