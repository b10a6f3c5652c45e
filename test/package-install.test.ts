/**
 * sparq as a dependency: the packed tarball installs into an empty project,
 * its install script builds the addon there, and the consumer's Node loads
 * that addon (not the repo's build, not the TypeScript fallback).
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { nativeStatus } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));

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
  const r = spawnSync(command, args, { encoding: 'utf8', ...options });
  const output = `${command} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status ?? r.signal}`}\n${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, output);
  return { stdout: String(r.stdout), stderr: String(r.stderr) };
}

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(ext)).map((f) => join(dir, f));
}

/** Runs in the consumer project with its own Node and node_modules. */
const CONSUMER_SCRIPT = `
import { cpu, tensor } from 'sparq';
const a = tensor('float32', [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6));
const b = tensor('float32', [3, 2], Float32Array.of(1, 0, 0, 1, 1, -1));
const c = cpu.gemm(a, b, { bias: Float32Array.of(0.5, -100) });
const { implementation, addonPath } = cpu.info();
console.log(JSON.stringify({ resolved: import.meta.resolve('sparq'), implementation, addonPath, c: Array.from(c.data) }));
`;

describe('package install', () => {
  it('installs the packed tarball into an empty project, which builds and loads its own addon', function () {
    this.timeout(15 * 60_000); // packs (tsc), installs and compiles the addon from source
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sparq-install-')));
    try {
      const env = isolatedEnv({ SPARQ_REQUIRE_NATIVE: '1' }); // a failed build fails the install, and a missing addon the import
      const timeout = 14 * 60_000;
      run('npm', ['pack', '--pack-destination', dir], { cwd: root, env, timeout });
      const [tarball] = readdirSync(dir).filter((f) => f.endsWith('.tgz'));
      assert.ok(tarball, `npm pack left no tarball in ${dir}`);

      const entries = run('tar', ['-tzf', join(dir, tarball)], { cwd: dir, timeout }).stdout.split('\n').filter(Boolean);
      const shipped = new Set(entries.map((e) => e.replace(/^package\//, '')));
      const leaked = [...shipped].filter((f) => /^(test|bench|src|build[^/]*|scratch|node_modules)\//.test(f));
      assert.deepEqual(leaked, [], 'the tarball carries files a consumer does not need');
      const needed = ['scripts/build-native.mjs', 'CMakeLists.txt', 'dist/src/index.js', 'dist/src/index.d.ts'];
      // The WebGPU backend reads its shaders from kernels/ at run time.
      needed.push(...filesUnder(join(root, 'kernels'), '.wgsl').map((f) => relative(root, f)));
      assert.deepEqual(needed.filter((f) => !shipped.has(f)), [], 'the tarball lacks files the install or the run needs');

      const consumer = join(dir, 'consumer');
      mkdirSync(consumer);
      writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
      run('npm', ['install', join(dir, tarball), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: consumer, env, timeout });

      writeFileSync(join(consumer, 'check.mjs'), CONSUMER_SCRIPT);
      const out = JSON.parse(run(process.execPath, ['check.mjs'], { cwd: consumer, env, timeout: 60_000 }).stdout);
      const installed = join(consumer, 'node_modules', 'sparq');
      assert.ok(out.resolved.startsWith(pathToFileURL(`${installed}/`).href), `imported ${out.resolved}`);
      assert.equal(out.implementation, 'native');
      assert.equal(out.addonPath, join(installed, 'build', 'Release', 'sparq.node'));
      assert.deepEqual(out.c, [4.5, -101, 10.5, -101]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the install script takes a prebuild that loads and builds from source when it does not', () => {
    // A package root of its own: the script next to a prebuild, and no cmake-js to build with.
    const dir = mkdtempSync(join(tmpdir(), 'sparq-prebuild-'));
    try {
      mkdirSync(join(dir, 'scripts'));
      copyFileSync(join(root, 'scripts', 'build-native.mjs'), join(dir, 'scripts', 'build-native.mjs'));
      const prebuilds = join(dir, 'prebuilds', `${process.platform}-${process.arch}`);
      mkdirSync(prebuilds, { recursive: true });
      const addon = nativeStatus().path;
      assert.ok(addon, 'the native addon must be built for this test');
      copyFileSync(addon, join(prebuilds, 'sparq.node'));
      const script = (args: string[]) =>
        spawnSync(process.execPath, [join(dir, 'scripts', 'build-native.mjs'), ...args], {
          cwd: dir,
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
