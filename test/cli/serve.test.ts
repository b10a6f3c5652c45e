import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { images, INT8, json, post, v2Body } from '../serve/serve-fixtures.js';
import { ONE_LINE, sparq } from './spawn.js';

/** `sparq serve args` in a child process, once it prints where it listens. */
function serve(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('src/cli/sparq.ts'), 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const found = /^sparq serve: listening on (http:\/\/\S+)\n/m.exec(stdout);
      if (found) resolve(found[1]);
    });
    void exited.then((code) => reject(new Error(`sparq serve exited with ${code} before listening: ${stderr}`)));
  });
  return { child, url, exited, output: () => ({ stdout, stderr }) };
}

describe('sparq serve', function () {
  it('serves a model on both protocols and exits 0 on SIGTERM', async () => {
    const server = serve([INT8, 'missing.onnx', '--port', '0', '--threads', '1', '--max-batch', '8']);
    try {
      const url = await server.url;
      assert.equal((await fetch(`${url}/v2/health/ready`)).status, 200);
      const v2 = await post(`${url}/v2/models/int8-90-blocks/infer`, v2Body(images(1, 1)));
      assert.equal(v2.status, 200);
      assert.deepEqual(json(v2.bytes).outputs[0].shape, [1, 10]);
      const tf = await post(`${url}/v1/models/int8-90-blocks:predict`, JSON.stringify({ inputs: [[Array.from({ length: 28 }, () => Array(28).fill(0.5))]] }));
      assert.equal(tf.status, 200);
      assert.equal(json(tf.bytes).outputs[0].length, 10);
      assert.equal((await fetch(`${url}/v2/models/missing/ready`)).status, 503);
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited, 0);
    const { stdout, stderr } = server.output();
    assert.match(stdout, /^sparq serve: listening on http:\/\/127\.0\.0\.1:\d+\n$/);
    assert.match(stderr, /model missing failed to load: OnnxLoadError/);
    assert.match(stderr, /serving int8-90-blocks\n/);
    assert.match(stderr, /shutting down/);
  });

  it('--help prints the usage with both protocols and examples', async () => {
    const r = await sparq(['serve', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /KServe/);
    assert.match(r.stdout, /TF Serving/);
    assert.match(r.stdout, /examples:/);
  });

  it('a missing model or a bad flag is one stderr line and exit 2', async () => {
    for (const [args, message] of [
      [[], /give model files or --repository/],
      [[INT8, '--port', 'eighty'], /--port must be an integer/],
      [[INT8, '--max-batch', '0'], /--max-batch must be a positive integer/],
      [[INT8, '--max-delay-ms=-1'], /--max-delay-ms must be a number of milliseconds/],
      [[INT8, '--runtime', 'tvm'], /--runtime must be sparq or onnxruntime/],
      [[INT8, '--workers', '2'], /--workers/],
    ] as const) {
      const r = await sparq(['serve', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, ONE_LINE);
      assert.match(r.stderr, message);
    }
  });

  it('a port in use is one stderr line and exit 1', async () => {
    const first = serve([INT8, '--port', '0', '--threads', '1']);
    try {
      const port = new URL(await first.url).port;
      const r = await sparq(['serve', INT8, '--port', port, '--threads', '1']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, ONE_LINE);
      assert.match(r.stderr, /EADDRINUSE/);
    } finally {
      first.child.kill('SIGTERM');
    }
    assert.equal(await first.exited, 0);
  });
});
