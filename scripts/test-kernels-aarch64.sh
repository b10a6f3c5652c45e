#!/usr/bin/env bash
# The native kernel check (test/native/kernel-check) for aarch64: cross-built
# with aarch64-linux-gnu-g++ (static, so qemu-user needs no sysroot) and run
# under qemu-aarch64 twice:
#   -cpu max         NEON + dot product + i8mm: every aarch64 variant runs
#   -cpu cortex-a53  NEON without dot product: the plain NEON variants are
#                    the ones best_variant() picks, so they run as shipped
# Each run prints per-variant pass/fail/skip and each family's chosen variant;
# the script exits non-zero when the toolchain or qemu is missing, the build
# fails, or any variant fails.
#
# Usage: scripts/test-kernels-aarch64.sh [family...]
# Env:   SPARQ_KCHECK_BUILD (default build-kcheck-aarch64), KCHECK_SEED,
#        SPARQ_KCHECK_WERROR=ON builds with -Werror,
#        SPARQ_KCHECK_NATIVE=1 also builds and runs the check on this machine.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/test/native/kernel-check"
build="${SPARQ_KCHECK_BUILD:-$root/build-kcheck-aarch64}"
jobs="$(nproc 2>/dev/null || echo 2)"

missing=()
for tool in aarch64-linux-gnu-g++ qemu-aarch64 cmake; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "test-kernels-aarch64: missing ${missing[*]} (Debian/Ubuntu: apt-get install g++-aarch64-linux-gnu qemu-user cmake)" >&2
  exit 127
fi

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)

cmake -S "$src" -B "$build" "${generator[@]}" -DCMAKE_TOOLCHAIN_FILE="$src/aarch64-toolchain.cmake" \
  -DSPARQ_STATIC=ON -DSPARQ_WERROR="${SPARQ_KCHECK_WERROR:-OFF}" >/dev/null
cmake --build "$build" -j "$jobs" --target kernel-check

status=0
for cpu in max cortex-a53; do
  echo "== qemu-aarch64 -cpu $cpu"
  qemu-aarch64 -cpu "$cpu" "$build/kernel-check" "$@" || status=1
done

if [[ "${SPARQ_KCHECK_NATIVE:-0}" == 1 ]]; then
  native="${build}-native"
  cmake -S "$src" -B "$native" "${generator[@]}" -DSPARQ_WERROR="${SPARQ_KCHECK_WERROR:-OFF}" >/dev/null
  cmake --build "$native" -j "$jobs" --target kernel-check
  echo "== native ($(uname -m))"
  "$native/kernel-check" "$@" || status=1
fi
exit "$status"
