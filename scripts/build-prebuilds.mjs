#!/usr/bin/env node
// Builds the addons the npm package ships, so that installing it on
// linux-x64 or linux-arm64 needs no compiler: prebuilds/<platform>-<arch>/
// sparq.node, which src/native.ts loads when there is no build/Release, and
// which the install script (scripts/build-native.mjs --if-no-prebuild) takes
// instead of building when it loads.
//
//   node scripts/build-prebuilds.mjs          (npm's prepack: `npm pack` and `npm publish` run it)
//   node scripts/build-prebuilds.mjs --clean  (postpack: a checkout keeps no prebuilds/, which the
//                                              install script would otherwise take over a fresh build)
//
// Run on linux-x64 with g++-aarch64-linux-gnu installed. x64 is the normal
// cmake-js build: CMakeLists.txt gives ISA flags per file and nothing is
// built with -march=native, so one binary runs on every x86-64 CPU and
// picks its variants at run time. arm64 is cross-compiled with the same
// CMakeLists.txt and the kernel check's toolchain file; an N-API addon on
// Linux links nothing from Node, so no Node for arm64 is needed to build it.
//
// Both are stripped, and link libstdc++ dynamically like Node itself: built
// on Debian 12 (GCC 12, glibc 2.36), they need glibc 2.32 and GCC 12's
// libstdc++ (GLIBCXX_3.4.30, for condition_variable::wait): Debian 12,
// Ubuntu 22.04, Fedora 36 and later. Elsewhere the prebuild does not load and
// the install script builds from source. (A static libstdc++ is no way
// out: its pthread and arc4random calls need glibc 2.36.) Each is checked to
// be an ELF shared object for its machine, and the x64 one to load here. A target that cannot be built fails
// the script: a package without it would make every user of that platform
// compile from source.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, openSync, readSync, closeSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = dirname(dirname(fileURLToPath(import.meta.url)));

if (process.argv.includes('--clean')) {
  rmSync(join(root, 'prebuilds'), { recursive: true, force: true });
  process.exit(0);
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`sparq: prebuilds are built on linux-x64 (the arm64 one cross-compiled); this is ${process.platform}-${process.arch}.`);
  process.exit(1);
}

const TARGETS = [
  { arch: 'x64', elfMachine: 62, cmakeArgs: [] }, // EM_X86_64
  {
    arch: 'arm64',
    elfMachine: 183, // EM_AARCH64
    cmakeArgs: [`--CDCMAKE_TOOLCHAIN_FILE=${join(root, 'test', 'native', 'kernel-check', 'aarch64-toolchain.cmake')}`],
    compiler: 'aarch64-linux-gnu-g++',
  },
];

/** e_type and e_machine of an ELF file: 3 (ET_DYN) for a shared object. */
function elfHeader(path) {
  const header = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString('latin1', 0, 4) !== '\x7fELF') throw new Error(`${path} is not an ELF file`);
  if (header[4] !== 2 || header[5] !== 1) throw new Error(`${path} is not a 64-bit little-endian ELF file`);
  return { type: header.readUInt16LE(16), machine: header.readUInt16LE(18) };
}

const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
for (const target of TARGETS) {
  if (target.compiler && spawnSync(target.compiler, ['--version']).status !== 0) {
    console.error(`sparq: cannot build the linux-${target.arch} prebuild: ${target.compiler} is not installed (Debian: apt-get install g++-aarch64-linux-gnu).`);
    process.exit(1);
  }
  // A build folder per target, kept between packs so the next one is
  // incremental; configured every time (cmake-js compile would keep a
  // folder's first configuration, whatever the flags here say now).
  const buildDir = `build-prebuild-${target.arch}`;
  console.log(`sparq: building prebuilds/linux-${target.arch}/sparq.node`);
  for (const args of [['configure', ...target.cmakeArgs, '--CDCMAKE_SHARED_LINKER_FLAGS=-s'], ['build']]) {
    const result = spawnSync(process.execPath, [cmakeJs, ...args, '-O', buildDir], { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) {
      console.error(`sparq: the linux-${target.arch} prebuild failed (cmake-js ${args[0]} exited with ${result.status ?? result.signal}).`);
      process.exit(1);
    }
  }
  const built = join(root, buildDir, 'Release', 'sparq.node');
  const { type, machine } = elfHeader(built);
  if (type !== 3 || machine !== target.elfMachine) {
    console.error(`sparq: ${built} has ELF type ${type}, machine ${machine}; expected a shared object (3) for machine ${target.elfMachine}.`);
    process.exit(1);
  }
  const dest = join(root, 'prebuilds', `linux-${target.arch}`, 'sparq.node');
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(built, dest);
}

// The one this machine can load: a broken link (a missing symbol, a libstdc++ not linked in) shows here.
const x64 = require(join(root, 'prebuilds', 'linux-x64', 'sparq.node'));
console.log(`sparq: prebuilds/linux-x64/sparq.node loads (best ISA here: ${x64.cpuInfo().best})`);
