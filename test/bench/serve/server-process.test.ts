/**
 * sparq serve as the load bench drives it: the CLI's arguments, and one
 * short end-to-end run (a child server on a model file, a request on each
 * protocol, a second of load, SIGTERM), so a change to the server's
 * command line or protocols breaks here rather than half way into a bench.
 */
import assert from 'node:assert/strict';

import { CIFAR_IMAGE } from '../../../src/benchmark/cifar-cnn-forms.js';
import { seededImages } from '../../../src/benchmark/images.js';
import { withBatchStats } from '../../../bench/serve/batch-metrics.js';
import { inputName } from '../../../bench/serve/in-process.js';
import { checkRequest, failedRequests, runLoad } from '../../../bench/serve/load.js';
import { writeServedModels } from '../../../bench/serve/models.js';
import { readRssBytes } from '../../../bench/serve/proc.js';
import { imageRequest, PROTOCOLS } from '../../../bench/serve/requests.js';
import { serveArgs, startServer } from '../../../bench/serve/server-process.js';

describe('bench/serve: serveArgs()', () => {
  it('loopback, any free port, the runtime, threads and batching', () => {
    assert.deepEqual(serveArgs({ models: ['a.onnx', 'b.onnx'], runtime: 'onnxruntime', threads: 2, maxBatch: 1, maxDelayMs: 0 }), [
      'serve', 'a.onnx', 'b.onnx', '--host', '127.0.0.1', '--port', '0', '--runtime', 'onnxruntime', '--threads', '2', '--max-batch', '1', '--max-delay-ms', '0',
    ]);
    assert.deepEqual(serveArgs({ models: ['a.onnx'], runtime: 'sparq', threads: 1, maxBatch: 64, maxDelayMs: 2, maxQueue: 8 }).slice(-2), ['--max-queue', '8']);
  });

  it('names the bad option', () => {
    const ok = { models: ['a.onnx'], runtime: 'sparq', threads: 1, maxBatch: 64, maxDelayMs: 2 } as const;
    assert.throws(() => serveArgs({ ...ok, models: [] }), /RangeError: options.models must name at least one model file/);
    assert.throws(() => serveArgs({ ...ok, runtime: 'tvm' as 'sparq' }), /RangeError: options.runtime must be one of/);
    assert.throws(() => serveArgs({ ...ok, threads: 0 }), /RangeError: options.threads must be an integer in \[1, 1024\], got 0/);
    assert.throws(() => serveArgs({ ...ok, maxDelayMs: -1 }), /RangeError: options.maxDelayMs/);
  });
});

describe('bench/serve: startServer()', () => {
  it('serves the bench model on every protocol, under load without a failure, and exits 0 on SIGTERM', async () => {
    const { models, remove } = await writeServedModels();
    try {
      const model = models.find((m) => m.form === 'int8 90% blocks')!;
      const server = await startServer({ models: [model.path], runtime: 'sparq', threads: 1, maxBatch: 8, maxDelayMs: 1 });
      let exitCode;
      try {
        assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.ok(readRssBytes(server.pid) > 0, 'the pid is the server process, not a launcher');
        const input = await inputName(model.bytes);
        const pixels = seededImages(1, CIFAR_IMAGE, 2);
        for (const protocol of PROTOCOLS) await checkRequest(server.url, imageRequest(protocol, model.name, input, pixels, CIFAR_IMAGE));
        await assert.rejects(checkRequest(server.url, imageRequest('v2-json', 'no-such-model', input, pixels, CIFAR_IMAGE)), /v2-json POST \/v2\/models\/no-such-model\/infer: 404/);
        const request = imageRequest('v2-binary', model.name, input, pixels, CIFAR_IMAGE);
        const point = await withBatchStats(server.url, model.name, () => runLoad(server.url, request, { connections: 4, durationS: 1, serverPid: server.pid }));
        assert.ok(point.requests > 0);
        assert.equal(failedRequests(point), 0);
        assert.deepEqual(Object.keys(point.statuses), ['200']);
        assert.ok(point.serverCores > 0 && point.loadCores > 0);
        // Four connections, batches of 8 at most: the server's /metrics names the counters the bench reads.
        assert.ok(point.batch.meanRows >= 1 && point.batch.meanRows <= 4, `rows per batch ${point.batch.meanRows}`);
        assert.ok(point.batch.meanMs > 0);
      } finally {
        exitCode = await server.stop();
      }
      assert.equal(exitCode, 0);
    } finally {
      await remove();
    }
  });
});
