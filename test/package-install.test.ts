/**
 * sparq as a dependency: `npm pack` (its prepack builds prebuilds/linux-x64
 * and linux-arm64) gives a tarball that installs into an empty project with
 * no compiler and no install script, and the consumer's Node loads the
 * shipped prebuild (not the repo's build, not the TypeScript fallback) and
 * runs kernels and a CNN on it. The arm64 prebuild does the same in Debian's
 * Node for arm64 under qemu (SPARQ_ARM64_NODE, scripts/fetch-arm64-node.sh).
 * Where no prebuild loads, the install script builds the addon from the
 * sources the tarball ships.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import {
  copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { cifarCnn, randomImages } from './fixtures/cifar-cnn.js';
import { InferenceSession, nativeStatus } from '../src/index.js';
import { encodeOnnxModel } from '../src/runtime/onnx/write.js';
import { relativeError } from './helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const requireAarch64 = process.env.SPARQ_REQUIRE_AARCH64 === '1';

/**
 * This process's environment without what would point a child at the repo:
 * SPARQ_* (SPARQ_NATIVE_PATH would load the repo's addon), npm_* (set by
 * `npm test`: the repo's package and prefix) and NODE_OPTIONS (may import tsx).
 */
function isolatedEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(SPARQ_|npm_)/i.test(key) && key !== 'NODE_OPTIONS') env[key] = value;
  }
  return { ...env, ...extra };
}

function run(command: string, args: string[], options: SpawnSyncOptions): { stdout: string; stderr: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  const output = `${command} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status ?? r.signal}`}\n${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, output);
  return { stdout: String(r.stdout), stderr: String(r.stderr) };
}

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(ext)).map((f) => join(dir, f));
}

/** The first `name` on this process's PATH. */
function onPath(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return null;
}

function consumerProject(dir: string, name: string): string {
  const consumer = join(dir, name);
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  return consumer;
}

const IMAGE = [3, 32, 32] as const;
const BATCH = 2;
/** The CIFAR-10 CNN the bench suite times, dense and 90% pruned in blocks of 4 output channels: conv, sparse conv, gemm and spmm kernels. */
const MODELS = { dense: () => cifarCnn(), 'block-pruned': () => cifarCnn({ prune: 0.9, pruneBlock: 4 }) };

/**
 * Runs in the consumer project, with its own Node and node_modules (Node 18
 * too: the arm64 Node under qemu): a gemm and each model file given, and
 * what cpu.info() says of the addon that ran them.
 */
const CONSUMER_SCRIPT = `
import { readFileSync } from 'node:fs';
import { cpu, tensor, InferenceSession } from 'sparq';
const a = tensor('float32', [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6));
const b = tensor('float32', [3, 2], Float32Array.of(1, 0, 0, 1, 1, -1));
const c = cpu.gemm(a, b, { bias: Float32Array.of(0.5, -100) });
const [images, ...models] = process.argv.slice(2);
const bytes = readFileSync(images);
const data = new Float32Array(bytes.length / 4);
new Uint8Array(data.buffer).set(bytes);
const logits = {};
for (const model of models) {
  const session = await InferenceSession.create(model);
  const out = await session.run({ input: { type: 'float32', dims: [${BATCH}, ${IMAGE.join(', ')}], data } });
  logits[model] = Array.from(out.logits.data);
}
const { implementation, addonPath, isa } = cpu.info();
console.log(JSON.stringify({ implementation, addonPath, isa, c: Array.from(c.data), logits }));
`;

interface ConsumerOutput {
  implementation: string;
  addonPath: string | null;
  isa: string;
  c: number[];
  logits: Record<string, number[]>;
}

describe('package install', function () {
  this.timeout(20 * 60_000); // packing builds two addons; installing from source builds one more
  const timeout = 15 * 60_000;
  let dir: string;
  let tarball: string;
  let models: Record<string, string>; // name -> .onnx file
  let images: string;
  let expected: Record<string, Float32Array>; // name -> logits from the repo's addon

  before(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'sparq-install-')));
    run('npm', ['pack', '--pack-destination', dir], { cwd: root, env: isolatedEnv({}), timeout });
    const [name] = readdirSync(dir).filter((f) => f.endsWith('.tgz'));
    assert.ok(name, `npm pack left no tarball in ${dir}`);
    tarball = join(dir, name);

    images = join(dir, 'images.f32');
    const x = randomImages(BATCH, IMAGE);
    writeFileSync(images, x);
    models = {};
    expected = {};
    for (const [model, graph] of Object.entries(MODELS)) {
      models[model] = join(dir, `cifar-cnn-${model}.onnx`);
      const bytes = encodeOnnxModel(graph());
      writeFileSync(models[model], bytes);
      const out = await (await InferenceSession.create(bytes)).run({ input: { type: 'float32', dims: [BATCH, ...IMAGE], data: x } });
      expected[model] = out.logits.data as Float32Array;
    }
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function checkOutput(out: ConsumerOutput, addonPath: string, what: string): void {
    assert.equal(out.implementation, 'native', what);
    assert.equal(out.addonPath, addonPath, what);
    assert.notEqual(out.isa, 'scalar', `${what}: the addon dispatches to a SIMD ISA`);
    assert.deepEqual(out.c, [4.5, -101, 10.5, -101], what);
    for (const [model, file] of Object.entries(models)) {
      const logits = Float32Array.from(out.logits[file]);
      assert.equal(logits.length, BATCH * 10, `${what}: ${model}`);
      // Other kernels (another ISA, another architecture) sum in another order.
      const error = relativeError(logits, expected[model]);
      assert.ok(error < 1e-5, `${what}: ${model}: relative error ${error} against the repo's addon`);
    }
  }

  it('carries the built package and prebuilds for linux-x64 and linux-arm64, and nothing a consumer does not need', () => {
    const entries = run('tar', ['-tzf', tarball], { cwd: dir, timeout }).stdout.split('\n').filter(Boolean);
    const shipped = new Set(entries.map((e) => e.replace(/^package\//, '')));
    const leaked = [...shipped].filter((f) => /^(test|bench|src|build[^/]*|scratch|node_modules)\//.test(f));
    assert.deepEqual(leaked, [], 'the tarball carries files a consumer does not need');
    const needed = ['scripts/build-native.mjs', 'CMakeLists.txt', 'dist/src/index.js', 'dist/src/index.d.ts'];
    needed.push('prebuilds/linux-x64/sparq.node', 'prebuilds/linux-arm64/sparq.node');
    // The WebGPU backend reads its shaders from kernels/ at run time.
    needed.push(...filesUnder(join(root, 'kernels'), '.wgsl').map((f) => relative(root, f)));
    // sparq bench times and scores the Fashion-MNIST example models.
    needed.push(...filesUnder(join(root, 'examples', 'fashion-mnist', 'models'), '').map((f) => relative(root, f)));
    assert.deepEqual(needed.filter((f) => !shipped.has(f)), [], 'the tarball lacks files the install or the run needs');
    assert.ok(!existsSync(join(root, 'prebuilds')), "postpack leaves no prebuilds/ in the checkout (the install script would take them over a fresh build)");
  });

  it('installs with no install script and no compiler on PATH, and runs a gemm and the example CNN on the linux-x64 prebuild', () => {
    assert.equal(`${process.platform}-${process.arch}`, 'linux-x64', 'the prebuilds are made and tested on linux-x64');
    // PATH: node and npm only. No cc, c++, g++, cmake or make: nothing could build the addon.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const npm = onPath('npm');
    assert.ok(npm, 'npm on PATH');
    symlinkSync(realpathSync(npm), join(bin, 'npm'));
    for (const tool of ['cc', 'c++', 'g++', 'gcc', 'clang++', 'cmake', 'make']) assert.equal(onPath(tool, bin), null, tool);

    const consumer = consumerProject(dir, 'consumer');
    const env = isolatedEnv({ PATH: bin, SPARQ_REQUIRE_NATIVE: '1' }); // a missing addon fails the import
    run('npm', ['install', tarball, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: consumer, env, timeout });
    const installed = join(consumer, 'node_modules', 'sparq');
    assert.ok(!existsSync(join(installed, 'build')), 'nothing was built');

    writeFileSync(join(consumer, 'check.mjs'), CONSUMER_SCRIPT);
    const out = JSON.parse(run(join(bin, 'node'), ['check.mjs', images, ...Object.values(models)], { cwd: consumer, env, timeout: 120_000 }).stdout);
    checkOutput(out, join(installed, 'prebuilds', 'linux-x64', 'sparq.node'), 'linux-x64');
  });

  it('runs the same on the linux-arm64 prebuild in Node for arm64 under qemu, with and without the dot-product extension', function () {
    const arm64Root = process.env.SPARQ_ARM64_NODE;
    const qemu = onPath('qemu-aarch64');
    if (!arm64Root || !qemu) {
      const why = `needs qemu-aarch64 (${qemu ?? 'not on PATH'}) and SPARQ_ARM64_NODE (${arm64Root ?? 'unset'}): scripts/fetch-arm64-node.sh <dir> makes one`;
      if (requireAarch64) assert.fail(`SPARQ_REQUIRE_AARCH64=1: ${why}`);
      this.skip();
    }
    // The x64 npm installs it: npm places the same files for any CPU, and with no install script nothing is built.
    const consumer = consumerProject(dir, 'consumer-arm64');
    const env = isolatedEnv({ SPARQ_REQUIRE_NATIVE: '1' });
    run('npm', ['install', tarball, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: consumer, env, timeout });
    writeFileSync(join(consumer, 'check.mjs'), CONSUMER_SCRIPT);
    const addon = join(consumer, 'node_modules', 'sparq', 'prebuilds', 'linux-arm64', 'sparq.node');
    // qemu's default CPU has the dot product (and i8mm); Cortex-A53 has NEON only.
    for (const cpu of ['max', 'cortex-a53']) {
      const args = ['-cpu', cpu, '-L', arm64Root, join(arm64Root, 'usr', 'bin', 'node'), 'check.mjs', images, ...Object.values(models)];
      const out = JSON.parse(run(qemu, args, { cwd: consumer, env, timeout: 600_000 }).stdout);
      checkOutput(out, addon, `linux-arm64 on qemu -cpu ${cpu}`);
      assert.match(out.isa, /^neon/, `qemu -cpu ${cpu}`);
    }
  });

  it('installs from source where no prebuild fits: the install script builds the addon from the shipped sources', () => {
    // The tarball less its prebuilds: what a platform without one (macOS, musl, another CPU) gets to install.
    const unpacked = join(dir, 'unpacked');
    mkdirSync(unpacked);
    run('tar', ['-xzf', tarball, '-C', unpacked], { timeout });
    rmSync(join(unpacked, 'package', 'prebuilds'), { recursive: true });
    const sourceTarball = join(dir, 'sparq-source.tgz');
    run('tar', ['-czf', sourceTarball, '-C', unpacked, 'package'], { timeout });

    const consumer = consumerProject(dir, 'consumer-source');
    const env = isolatedEnv({ SPARQ_REQUIRE_NATIVE: '1' }); // a failed build fails the install, and a missing addon the import
    run('npm', ['install', sourceTarball, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: consumer, env, timeout });
    writeFileSync(join(consumer, 'check.mjs'), CONSUMER_SCRIPT);
    const out = JSON.parse(run(process.execPath, ['check.mjs', images, ...Object.values(models)], { cwd: consumer, env, timeout: 120_000 }).stdout);
    checkOutput(out, join(consumer, 'node_modules', 'sparq', 'build', 'Release', 'sparq.node'), 'built from source');
  });

  it('the install script takes a prebuild that loads and builds from source when it does not', () => {
    // A package root of its own: the script next to a prebuild, and no cmake-js to build with.
    const pkg = join(dir, 'script-only');
    mkdirSync(join(pkg, 'scripts'), { recursive: true });
    copyFileSync(join(root, 'scripts', 'build-native.mjs'), join(pkg, 'scripts', 'build-native.mjs'));
    const prebuilds = join(pkg, 'prebuilds', `${process.platform}-${process.arch}`);
    mkdirSync(prebuilds, { recursive: true });
    const addon = nativeStatus().path;
    assert.ok(addon, 'the native addon must be built for this test');
    copyFileSync(addon, join(prebuilds, 'sparq.node'));
    const script = (args: string[]) =>
      spawnSync(process.execPath, [join(pkg, 'scripts', 'build-native.mjs'), ...args], {
        cwd: pkg,
        env: isolatedEnv({ SPARQ_REQUIRE_NATIVE: '1' }),
        encoding: 'utf8',
      });

    const install = script(['--if-no-prebuild']);
    assert.equal(install.status, 0, install.stderr);
    assert.match(install.stdout, /using the prebuilt addon/);

    const buildNative = script([]); // npm run build:native always builds
    assert.equal(buildNative.status, 1, buildNative.stdout);
    assert.match(buildNative.stderr, /native addon not built \(cmake-js is not installed\)/);

    writeFileSync(join(prebuilds, 'sparq.node'), 'not an addon');
    const broken = script(['--if-no-prebuild']);
    assert.equal(broken.status, 1, broken.stdout);
    assert.match(broken.stderr, /does not load here[^]*native addon not built \(cmake-js is not installed\)/);
  });
});
