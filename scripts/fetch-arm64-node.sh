#!/usr/bin/env bash
# Unpacks Debian 12's Node.js for arm64 (Node 18, N-API 9) and the libraries
# it links into a folder, without installing it: qemu-aarch64 -L <dir>
# <dir>/usr/bin/node then runs arm64 JavaScript on an x86-64 machine, and
# test/package-install.test.ts loads the linux-arm64 prebuild in it
# (SPARQ_ARM64_NODE=<dir>). Installing nodejs:arm64 instead would replace the
# machine's own nodejs package, which Debian does not allow side by side.
#
#   scripts/fetch-arm64-node.sh <dir>     (Debian 12; needs root or sudo for apt)
set -euo pipefail
dir="$1"
sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $sudo_cmd dpkg --add-architecture arm64
fi
$sudo_cmd apt-get update -q

# nodejs:arm64's run-time closure on bookworm, less what qemu needs no copy of
# (dpkg, tar, perl...): the shared libraries, and the arch-independent
# packages that Debian's libnode loads its externalized builtins from.
packages=(nodejs:arm64 libnode108:arm64 libc6:arm64 libgcc-s1:arm64 libstdc++6:arm64 libicu72:arm64 libssl3:arm64
  libuv1:arm64 libbrotli1:arm64 libc-ares2:arm64 libnghttp2-14:arm64 zlib1g:arm64
  node-acorn node-cjs-module-lexer node-undici node-busboy node-xtend)
debs="$(mktemp -d)"
trap 'rm -rf "$debs"' EXIT
chmod 755 "$debs"   # apt downloads as the _apt user
(cd "$debs" && apt-get download -q "${packages[@]}")
mkdir -p "$dir"
for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
qemu-aarch64 -L "$dir" "$dir/usr/bin/node" -e 'if (process.arch !== "arm64") process.exit(1)'
