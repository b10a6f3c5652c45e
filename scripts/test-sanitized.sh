#!/usr/bin/env bash
# The addon under AddressSanitizer + UndefinedBehaviorSanitizer (with
# LeakSanitizer), and the kernels without Node under ASan + UBSan and
# ThreadSanitizer (test/sanitize/native.test.ts).
#
# 1. Builds the addon with g++ and -fsanitize=address,undefined into
#    build-sanitize/ (build/Release, the normal addon, is left alone).
# 2. Runs the kernel, binding and runtime tests below against it
#    (SPARQ_NATIVE_PATH) in Node with the ASan runtime preloaded (Node itself
#    is not instrumented, and ASan must come first), plus the native
#    sanitizer tests. Any finding fails the run: ASan and UBSan halt on the
#    first error (UBSan's checks are built with -fno-sanitize-recover, so it
#    cannot print and go on), and a leak makes the process exit non-zero.
#    Leaks Node makes itself are suppressed by test/sanitize/lsan-node.supp,
#    which explains why only the allocating function is recorded
#    (malloc_context_size=2): set SPARQ_SANITIZE_CONTEXT to a larger value
#    for full allocation stacks while debugging an ASan report (the Node
#    leak suppressions then stop working).
#
# Usage: scripts/test-sanitized.sh [extra mocha arguments, e.g. --reporter ./scripts/mocha-reporter.cjs]
# Env:   SPARQ_SANITIZE_BUILD (default build-sanitize), SPARQ_MOCHA_JSON (see scripts/mocha-reporter.cjs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${SPARQ_SANITIZE_BUILD:-$root/build-sanitize}"

node scripts/build-native.mjs --out "$build" --CDSPARQ_SANITIZE=address,undefined \
  --CDSPARQ_EXTRA_FLAGS="-g1 -fno-sanitize-recover=all"

# The kernels with their bindings (every family, sync, async and planned
# calls, shared and detached buffers, handles), argument validation on the
# way in, and the runtime's sessions on the example models (weights packed,
# converted and released; onnxruntime as the oracle).
tests=(
  'test/kernels/*.test.ts' 'test/sparse/*.test.ts'
  test/async-buffers.test.ts test/empty-calls.test.ts test/out-overlap.test.ts test/validation.test.ts
  test/runtime/release.test.ts test/runtime/buffers.test.ts test/runtime/models.test.ts test/runtime/cifar-cnn-qdq.test.ts
  test/runtime/conv-nhwc.test.ts test/runtime/qdq-depthwise.test.ts
  test/sanitize/native.test.ts
)

asan="$(g++ -print-file-name=libasan.so)"
ubsan="$(g++ -print-file-name=libubsan.so)"
[[ -f "$asan" && -f "$ubsan" ]] || { echo "test-sanitized: g++'s libasan.so/libubsan.so not found (apt-get install g++)" >&2; exit 1; }

export SPARQ_REQUIRE_NATIVE=1
export SPARQ_NATIVE_PATH="$build/Release/sparq.node"
export LD_PRELOAD="$asan $ubsan"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:malloc_context_size=${SPARQ_SANITIZE_CONTEXT:-2}"
export LSAN_OPTIONS="suppressions=$root/test/sanitize/lsan-node.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
exec npx mocha --no-config --node-option import=tsx --timeout 600000 --slow 5000 "${tests[@]}" "$@"
