import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import * as ort from 'onnxruntime-node';

import { cifarCnn, randomImages } from '../fixtures/cifar-cnn.js';
import { calibrate } from '../../src/compress/calibrate.js';
import { quantizeQdq } from '../../src/compress/quantize-qdq.js';
import { compare, InferenceSession, ModelError, OnnxLoadError, randomFeeds, type CompareReport } from '../../src/index.js';
import { cpu } from '../../src/backends/cpu/backend.js';
import { exposeValues, firstDisagreement } from '../../src/runtime/compare/divergence.js';
import { top1Agreement, valueErrors } from '../../src/runtime/compare/metrics.js';
import { oracleFor, outputStep } from '../../src/runtime/compare/oracle.js';
import { native, type IsaLimit } from '../../src/native.js';
import type { Value } from '../../src/runtime/onnx/model.js';
import { readOnnx } from '../../src/runtime/onnx/read.js';
import { encodeOnnxModel, type OnnxGraph } from '../../src/runtime/onnx/write.js';
import { int8Weights, ortInt8Exactness } from '../../src/runtime/compare/ort-int8.js';
import { runOnReference } from '../../src/runtime/compare/reference-run.js';

const run = promisify(execFile);
const CLI = path.resolve('src/cli/sparq.ts');

const images = (batch: number, seed = 7) => ({ input: { type: 'float32', dims: [batch, 3, 32, 32], data: randomImages(batch, [3, 32, 32], seed) } });
const f32 = (dims: number[], values: number[]): Value => ({ type: 'float32', dims, data: Float32Array.from(values) });

async function qdqBytes(reduceRange = false): Promise<Uint8Array> {
  const graph = cifarCnn();
  return encodeOnnxModel(quantizeQdq(graph, await calibrate(graph, [images(4, 100), images(4, 101)]), { reduceRange }));
}

/** Runs `f` with SPARQ_ORT_INT8 set to `value` (undefined: unset), restoring it after. */
async function withOrtInt8<T>(value: string | undefined, f: () => Promise<T> | T): Promise<T> {
  const saved = process.env.SPARQ_ORT_INT8;
  if (value === undefined) delete process.env.SPARQ_ORT_INT8;
  else process.env.SPARQ_ORT_INT8 = value;
  try {
    return await f();
  } finally {
    if (saved === undefined) delete process.env.SPARQ_ORT_INT8;
    else process.env.SPARQ_ORT_INT8 = saved;
  }
}

const fp32Model = () => encodeOnnxModel(cifarCnn());

describe('runtime: compare() against onnxruntime-node', () => {
  const fp32 = fp32Model();

  it('finds the fp32 CIFAR-10 CNN within 1e-5 of onnxruntime with full top-1 agreement', async () => {
    const report = await compare(fp32, images(4), { timing: false });
    assert.equal(report.timing, undefined);
    assert.equal(report.firstDivergence, undefined);
    assert.equal(report.outputs.length, 1);
    const [o] = report.outputs;
    assert.equal(o.name, 'logits');
    assert.deepEqual(o.dims, [4, 10]);
    assert.equal(o.mismatch, null);
    assert.ok(o.maxAbsError < 1e-5 && o.maxRelError < 1e-5, JSON.stringify(o));
    assert.ok(o.cosine > 1 - 1e-9, String(o.cosine));
    assert.equal(o.top1Agreement, 1);
    assert.equal(o.withinTolerance, true);
  });

  it('finds the QDQ int8 CNN exact against the oracle this CPU calls for, intermediates included', async () => {
    const bytes = await qdqBytes();
    // NCHW, where every intermediate keeps its name (the NHWC region's values are renamed, and not compared).
    const report = await compare(bytes, images(3), { timing: false, firstDivergence: true, sessionOptions: { layout: 'nchw' } });
    const expected = ortInt8Exactness(int8Weights(readOnnx(bytes).graph));
    assert.deepEqual(report.oracle, { authority: expected.exact ? 'onnxruntime' : 'reference', reason: expected.reason });
    const [o] = report.outputs;
    assert.equal(o.exact, true, `against ${report.oracle.authority}: ${report.oracle.reason}`);
    assert.equal(o.maxAbsError, 0);
    assert.equal(o.onnxruntime === null, expected.exact);
    assert.equal(report.firstDivergence, null);
    // The fused QLinearConv/QLinearMatMul outputs are the QuantizeLinear values of the model, so both runtimes compute them.
    assert.ok(report.valuesCompared! >= 8, String(report.valuesCompared));
  });

  it('checks an 8-bit-weight int8 model against the exact reference where onnxruntime saturates (SPARQ_ORT_INT8=saturating), onnxruntime\'s distance as information', async () => {
    const bytes = await qdqBytes();
    const report = await withOrtInt8('saturating', () => compare(bytes, images(3), { timing: false, firstDivergence: true, sessionOptions: { layout: 'nchw' } }));
    assert.equal(report.oracle.authority, 'reference');
    assert.match(report.oracle.reason, /SPARQ_ORT_INT8=saturating: onnxruntime's u8s8 kernels treated as saturating at int16/);
    const [o] = report.outputs;
    assert.deepEqual([o.exact, o.maxAbsError, o.withinTolerance, o.top1Agreement], [true, 0, true, 1]);
    assert.equal(report.firstDivergence, null);
    assert.ok(report.valuesCompared! >= 8, String(report.valuesCompared));
    const d = o.onnxruntime!;
    const step = outputStep(readOnnx(bytes).graph, 'logits')!;
    assert.ok(step > 0 && Math.abs(d.steps! - d.maxAbsError / step) < 1e-9, JSON.stringify(d));
    // Where onnxruntime really is exact (the CPU's own class), its distance is 0; on x86 without VNNI it is what it is.
    if ((await withOrtInt8(undefined, () => ortInt8Exactness())).exact) assert.deepEqual([d.exact, d.steps], [true, 0]);
  });

  it('keeps onnxruntime as the oracle for 7-bit (reduce_range) weights even where its kernels saturate, and for float models', async () => {
    const report = await withOrtInt8('saturating', async () => compare(await qdqBytes(true), images(2), { timing: false }));
    assert.equal(report.oracle.authority, 'onnxruntime');
    assert.match(report.oracle.reason, /every int8 weight is within \[-64, 64\]/);
    assert.deepEqual([report.outputs[0].exact, report.outputs[0].onnxruntime], [true, null]);
    const float = await withOrtInt8('saturating', () => compare(fp32, images(1), { timing: false }));
    assert.deepEqual(float.oracle, { authority: 'onnxruntime', reason: 'the model has no int8 weights' });
  });

  it('times both runtimes at batch 1 and at the throughput batch, repeating the feeds\' rows', async () => {
    const report = await compare(fp32, images(3), { threads: 1, timing: { budgetMs: 20, batch: 8 } });
    const t = report.timing!;
    assert.equal(t.threads, 1);
    assert.deepEqual(t.notes, []);
    assert.equal(t.batch1!.batch, 1);
    assert.equal(t.throughput!.batch, 8);
    for (const m of [t.batch1!, t.throughput!]) {
      for (const s of [m.sparq, m.ort]) {
        assert.ok(s.p50Ms > 0 && s.p99Ms >= s.p50Ms && s.runs >= 5, JSON.stringify(s));
      }
      assert.ok(m.speedup > 0 && Number.isFinite(m.speedup));
    }
    assert.ok(Math.abs(t.throughput!.sparq.perSec - 8000 / t.throughput!.sparq.p50Ms) < 1e-9);
  });

  it('skips the throughput batch with a note when the model fixes the batch dim', async () => {
    const graph: OnnxGraph = cifarCnn();
    graph.inputs = [{ name: 'input', type: 'float', dims: [2, 3, 32, 32] }];
    graph.outputs = [{ name: 'logits', type: 'float', dims: [2, 10] }];
    const report = await compare(encodeOnnxModel(graph), images(2), { timing: { budgetMs: 5, batch: 4 } });
    const t = report.timing!;
    assert.equal(t.throughput, null);
    assert.equal(t.batch1!.batch, 2);
    assert.equal(t.notes.length, 2);
    assert.match(t.notes[1], /no throughput at batch 4: input "input" has a fixed or no batch dim/);
  });

  it('reports the first value that is not bit-equal when the tolerance is 0', async () => {
    // NCHW, where every intermediate keeps its name (the NHWC region's values are renamed, and not compared).
    const sessionOptions = { layout: 'nchw' } as const;
    const session = await InferenceSession.create(fp32, sessionOptions);
    // The ReLUs are fused into the convs and dense layers, the pools into the convs: their outputs keep the last fused node's name.
    assert.deepEqual(session.valueNames(), ['input', 'pool1.out', 'pool2.out', 'conv3.act', 'flat', 'fc1.act', 'logits']);
    const loose = await compare(fp32, images(2), { timing: false, firstDivergence: true, sessionOptions });
    assert.equal(loose.firstDivergence, null);
    assert.equal(loose.valuesCompared, 6);
    // Float sums in another order are not bit-equal, so something diverges, at no more than the loose tolerance.
    const strict = await compare(fp32, images(2), { timing: false, firstDivergence: true, tolerance: 0, sessionOptions });
    const d = strict.firstDivergence!;
    assert.ok(d !== null);
    const producer = cifarCnn().nodes.find((n) => n.outputs.includes(d.output))!;
    assert.deepEqual([d.node, d.opType], [producer.name, producer.opType]);
    assert.ok(d.maxRelError > 0 && d.maxRelError <= 1e-4, JSON.stringify(d));
    assert.equal(strict.outputs[0].withinTolerance, strict.outputs[0].exact);
  });

  it('makes onnxruntime return intermediate values by appending graph outputs to the bytes', async () => {
    const s = await ort.InferenceSession.create(exposeValues(fp32, ['conv1.out', 'flat']), { logSeverityLevel: 3 });
    assert.deepEqual([...s.outputNames], ['logits', 'conv1.out', 'flat']);
    const out = await s.run({ input: new ort.Tensor('float32', randomImages(1), [1, 3, 32, 32]) });
    assert.deepEqual([...out['conv1.out'].dims], [1, 32, 30, 30]);
    assert.deepEqual([...out.flat.dims], [1, 1024]);
    assert.ok((out['conv1.out'].data as Float32Array).some((v) => v < 0), 'conv1.out is the value before the ReLU');
  });

  it('rejects a missing model file with OnnxLoadError and bad feeds with the session\'s errors', async () => {
    await assert.rejects(compare(path.join(os.tmpdir(), 'sparq-no-such-model.onnx'), images(1)), OnnxLoadError);
    await assert.rejects(compare(fp32, {}), (e: unknown) => e instanceof TypeError && /missing input "input"/.test(e.message));
    await assert.rejects(compare(fp32, { input: { type: 'float32', dims: [1, 3, 31, 31], data: new Float32Array(3 * 31 * 31) } }), RangeError);
    await assert.rejects(compare(fp32, { input: { type: 'int32', dims: [1, 3, 32, 32], data: new Int32Array(3 * 32 * 32) } }), TypeError);
    await assert.rejects(compare(fp32, images(1), { tolerance: -1 }), /options.tolerance must be a finite number >= 0/);
    await assert.rejects(compare(fp32, images(1), { timing: { batch: 1.5 } }), RangeError);
  });
});

describe('runtime: which oracle int8 results are checked against', () => {
  const wide = [Int8Array.of(0, -65, 3)], narrow = [Int8Array.of(64, -64), Int8Array.of(0)];

  it('follows SPARQ_ORT_INT8, and on a saturating CPU still trusts onnxruntime for weights within [-64, 64]', async () => {
    await withOrtInt8('exact', () => {
      assert.deepEqual(ortInt8Exactness(wide), { exact: true, reason: 'SPARQ_ORT_INT8=exact: onnxruntime\'s int8 treated as exact' });
    });
    await withOrtInt8('saturating', () => {
      assert.equal(ortInt8Exactness(wide).exact, false);
      assert.equal(ortInt8Exactness().exact, false, 'no weights given: the CPU\'s class');
      assert.equal(ortInt8Exactness(narrow).exact, true);
      assert.match(ortInt8Exactness(narrow).reason, /within \[-64, 64\], so no pair reaches int16's limit/);
    });
    await withOrtInt8('fast', () => assert.throws(() => ortInt8Exactness(), /SPARQ_ORT_INT8 must be 'exact' or 'saturating', got 'fast'/));
  });

  it('classifies this CPU by its real features, whatever sparq\'s ISA cap', async () => {
    const features = native()?.cpuInfo();
    const flags = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
    const vnni = (features ? features.avx512Vnni || features.amxInt8 : /\b(avx512_vnni|amx_int8)\b/.test(flags)) || /\bavx_vnni\b/.test(flags);
    const avx2 = features ? features.avx2Fma : /\bavx2\b/.test(flags) && /\bfma\b/.test(flags);
    const expected = process.arch !== 'x64' || vnni || (!avx2 && process.platform !== 'win32');
    try {
      cpu.setIsaLimit('scalar');
      const verdict = await withOrtInt8(undefined, () => ortInt8Exactness(wide));
      assert.equal(verdict.exact, expected, verdict.reason);
      assert.match(verdict.reason, process.arch === 'arm64' ? /aarch64/ : expected ? /VNNI|AMX|no AVX2/ : /saturate at int16 on this CPU \(x86 without VNNI/);
    } finally {
      cpu.setIsaLimit((process.env.SPARQ_ISA || 'none') as IsaLimit);
    }
  });

  it('finds the int8 weights in initializers and Constant nodes, and each output\'s quantization step', () => {
    const graph = readOnnx(encodeOnnxModel({
      opset: 13,
      nodes: [
        { opType: 'Constant', name: 'c', inputs: [], outputs: ['k'], attributes: { value: { name: 'k', type: 'int8', dims: [2], data: Int8Array.of(-100, 1) } } },
        { opType: 'DequantizeLinear', name: 'dq', inputs: ['k', 's'], outputs: ['y'] },
        { opType: 'QuantizeLinear', name: 'q', inputs: ['y', 's'], outputs: ['z'] },
      ],
      initializers: [{ name: 's', type: 'float', dims: [], data: Float32Array.of(0.25) }, { name: 'w', type: 'int8', dims: [1], data: Int8Array.of(7) }],
      inputs: [],
      outputs: [{ name: 'y', type: 'float', dims: null }, { name: 'z', type: 'uint8', dims: null }],
    })).graph;
    assert.deepEqual(int8Weights(graph).map((w) => [...w]), [[7], [-100, 1]]);
    assert.deepEqual([outputStep(graph, 'y'), outputStep(graph, 'z')], [0.25, 1]);
    assert.equal(oracleFor(graph).authority, ortInt8Exactness([Int8Array.of(-100)]).exact ? 'onnxruntime' : 'reference');
  });

  it('runs a model on sparq\'s TypeScript reference backend in a child process, and reports its errors', async () => {
    const feeds = images(1);
    const exact = await runOnReference(fp32Model(), feeds);
    const session = await InferenceSession.create(fp32Model());
    const ours = (await session.run(feeds)).logits;
    assert.deepEqual(exact.logits.dims, [1, 10]);
    assert.ok(valueErrors(ours, exact.logits).maxRelError < 1e-5);
    await assert.rejects(runOnReference(fp32Model(), {}), /sparq's reference backend: TypeError: .*missing input "input"/);
  });
});

describe('runtime: compare() metrics and divergence logic', () => {
  it('measures errors against onnxruntime\'s magnitude, NaN equal to NaN only', () => {
    const e = valueErrors(f32([3], [1, 2, 3]), f32([3], [1, 2, 4]));
    assert.deepEqual({ ...e, cosine: undefined }, { mismatch: null, maxAbsError: 1, maxRelError: 0.25, cosine: undefined, exact: false });
    assert.ok(Math.abs(e.cosine - 17 / Math.sqrt(14 * 21)) < 1e-12);
    assert.deepEqual(valueErrors(f32([2], [NaN, 0]), f32([2], [NaN, 0])), { mismatch: null, maxAbsError: 0, maxRelError: 0, cosine: 1, exact: true });
    assert.equal(valueErrors(f32([1], [NaN]), f32([1], [1])).maxAbsError, Infinity);
    assert.equal(valueErrors(f32([1], [1e-3]), f32([1], [0])).maxRelError, Infinity);
    const big = 2n ** 60n;
    const i64 = (v: bigint): Value => ({ type: 'int64', dims: [1], data: BigInt64Array.of(v) });
    assert.equal(valueErrors(i64(big + 1n), i64(big)).maxAbsError, 1, 'int64 differences are exact past 2^53');
    assert.match(valueErrors(f32([1, 2], [1, 2]), f32([2], [1, 2])).mismatch!, /sparq gives float32 \[1,2\], onnxruntime float32 \[2\]/);
  });

  it('counts rows whose argmax agree, for [N, C] values only', () => {
    assert.equal(top1Agreement(f32([2, 2], [0, 1, 1, 0]), f32([2, 2], [0, 1, 0, 1])), 0.5);
    assert.equal(top1Agreement(f32([4], [0, 1, 1, 0]), f32([4], [0, 1, 0, 1])), null);
    assert.equal(top1Agreement(f32([2, 1], [0, 1]), f32([2, 1], [0, 1])), null);
  });

  it('finds the first disagreeing value in execution order, skipping values one side lacks', () => {
    const order = ['a', 'b', 'fused', 'c', 'd'];
    const int = (v: number): Value => ({ type: 'int32', dims: [1], data: Int32Array.of(v) });
    const sparq = { a: f32([2], [1, 2]), b: f32([2], [1, 2]), c: int(5), d: f32([1], [0]) };
    const ortValues = { a: f32([2], [1, 2]), b: f32([2], [1, 2 + 1e-6]), fused: f32([1], [9]), c: int(6), d: f32([1], [100]) };
    assert.equal(firstDisagreement(order, sparq, ortValues, 1e-4)?.name, 'c', 'integer values must be equal');
    assert.equal(firstDisagreement(order, sparq, ortValues, 1e-7)?.name, 'b');
    assert.equal(firstDisagreement(['a', 'fused'], sparq, ortValues, 0), null);
  });

  it('makes seeded random feeds of the model\'s input shapes', () => {
    const inputs = [
      { name: 'x', type: 'float32' as const, dims: ['batch', 3] },
      { name: 'ids', type: 'int64' as const, dims: [null, 2] },
      { name: 'mask', type: 'bool' as const, dims: [4] },
    ];
    const feeds = randomFeeds(inputs, { batch: 5, seed: 3 });
    assert.deepEqual(Object.values(feeds).map((f) => [f.type, f.dims]), [['float32', [5, 3]], ['int64', [5, 2]], ['bool', [4]]]);
    assert.ok((feeds.x.data as Float32Array).every((v) => v >= 0 && v < 1));
    assert.ok((feeds.ids.data as BigInt64Array).every((v) => v >= 0n && v < 10n));
    assert.ok((feeds.mask.data as Uint8Array).every((v) => v === 0 || v === 1));
    assert.deepEqual(randomFeeds(inputs, { batch: 5, seed: 3 }), feeds);
    assert.notDeepEqual(randomFeeds(inputs, { batch: 5, seed: 4 }).x, feeds.x);
    assert.throws(() => randomFeeds([{ name: 'y', type: 'float32', dims: null }]), ModelError);
  });
});

describe('cli: sparq run / compare', () => {
  let dir: string;
  let model: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparq-compare-'));
    model = path.join(dir, 'cnn.onnx');
    fs.writeFileSync(model, encodeOnnxModel(cifarCnn()));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('compare --json prints the report with stable field names', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, 'compare', model, '--json', '--batch', '2', '--threads', '1', '--budget', '10', '--first-divergence']);
    const report = JSON.parse(stdout) as CompareReport;
    assert.deepEqual(Object.keys(report).sort(), ['firstDivergence', 'oracle', 'outputs', 'timing', 'valuesCompared']);
    assert.deepEqual(report.oracle, { authority: 'onnxruntime', reason: 'the model has no int8 weights' });
    const [o] = report.outputs;
    assert.deepEqual([o.name, o.type, o.dims, o.top1Agreement, o.withinTolerance, o.onnxruntime], ['logits', 'float32', [2, 10], 1, true, null]);
    assert.ok(o.maxRelError < 1e-5);
    assert.equal(report.firstDivergence, null);
    assert.equal(report.timing!.threads, 1);
    assert.equal(report.timing!.batch1!.batch, 1);
    assert.equal(report.timing!.throughput!.batch, 64);
  });

  it('compare prints a table; run prints the outputs', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, 'compare', model, '--budget', '5']);
    assert.match(stdout, /^logits +\[1,10\] +\S+ +\S+ +1\.000000 +100\.0% +no +yes$/m);
    assert.match(stdout, /^latency +1 +[\d.]+ ms/m);
    const json = JSON.parse((await run(process.execPath, ['--import', 'tsx', CLI, 'run', model, '--json', '--batch', '3'])).stdout);
    assert.deepEqual(json.outputs.map((o: { name: string; dims: number[]; head: number[] }) => [o.name, o.dims, o.head.length]), [['logits', [3, 10], 8]]);
  });

  it('compare of an int8 model where onnxruntime saturates: checked against the exact reference, onnxruntime\'s distance shown, exit 0', async () => {
    const int8 = path.join(dir, 'cnn-int8.onnx');
    fs.writeFileSync(int8, await qdqBytes());
    const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, 'compare', int8, '--budget', '5', '--batch', '2'], { env: { ...process.env, SPARQ_ORT_INT8: 'saturating' } });
    assert.match(stdout, /^checked against: sparq's exact reference backend \(SPARQ_ORT_INT8=saturating: onnxruntime's u8s8 kernels treated as saturating at int16/m);
    assert.match(stdout, /^logits +\[2,10\] +0 +0 +1\.000000 +100\.0% +yes +yes$/m);
    assert.match(stdout, /^onnxruntime logits \(information, not checked\): (equal|max abs diff \S+ \([\d.]+ quantization steps\), cosine [\d.]+, top-1 [\d.]+%)$/m);
  });

  it('exits 1 naming the error for a missing model', async () => {
    await assert.rejects(run(process.execPath, ['--import', 'tsx', CLI, 'compare', path.join(dir, 'missing.onnx')]), (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /^sparq compare: OnnxLoadError: cannot read ONNX model/);
      return true;
    });
  });
});
