/**
 * The ONNX loader: round trips through the small writer, onnxruntime-node as
 * the judge of what the bytes mean, external data confined to the model's
 * directory, and malformed or hostile bytes that must end in an
 * OnnxLoadError, never a crash, a hang or a huge allocation.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import * as ort from 'onnxruntime-node';

import { OnnxLoadError, type Value } from '../../src/runtime/onnx/model.js';
import { checkOpset, loadOnnx, readOnnx, SUPPORTED_OPSETS } from '../../src/runtime/onnx/read.js';
import { ModelProtoType } from '../../src/runtime/onnx/schema.js';
import { encodeOnnxModel, type OnnxGraph, type OnnxTensor, type OnnxTensorStorage } from '../../src/runtime/onnx/write.js';
import { rng } from '../helpers.js';

/** One initializer of every type sparq reads, with edge values. */
function tensorsOfEveryType(storage: OnnxTensorStorage): OnnxTensor[] {
  return [
    { name: 'f', type: 'float', dims: [2, 3], data: Float32Array.of(0, -1.5, 3.25, 1e30, -0, 7), storage },
    { name: 'u8', type: 'uint8', dims: [3], data: Uint8Array.of(0, 128, 255), storage },
    { name: 'i8', type: 'int8', dims: [4], data: Int8Array.of(-128, -1, 0, 127), storage },
    { name: 'i32', type: 'int32', dims: [2, 2], data: Int32Array.of(-2147483648, -7, 0, 2147483647), storage },
    { name: 'i64', type: 'int64', dims: [3], data: BigInt64Array.of(-(2n ** 63n), -1n, 2n ** 63n - 1n), storage },
    { name: 'b', type: 'bool', dims: [1, 3], data: Uint8Array.of(1, 0, 1), storage },
    { name: 'scalar', type: 'float', dims: [], data: Float32Array.of(42), storage },
    { name: 'empty', type: 'int64', dims: [0, 5], data: new BigInt64Array(0), storage },
  ];
}

const VALUE_TYPE = { float: 'float32', uint8: 'uint8', int8: 'int8', int32: 'int32', int64: 'int64', bool: 'bool' } as const;

function assertValue(actual: Value | undefined, expected: OnnxTensor): void {
  assert.ok(actual, `${expected.name} is missing`);
  assert.equal(actual.type, VALUE_TYPE[expected.type], expected.name);
  assert.deepEqual(actual.dims, expected.dims, expected.name);
  assert.equal(actual.data.constructor, expected.data.constructor, expected.name);
  assert.deepEqual(Array.from(actual.data as ArrayLike<number>), Array.from(expected.data as ArrayLike<number>), expected.name);
}

/** A model whose outputs are its initializers, so onnxruntime shows how it reads them. */
function identityModel(tensors: readonly OnnxTensor[]): OnnxGraph {
  return {
    nodes: tensors.map((t) => ({ opType: 'Identity', inputs: [t.name], outputs: [`${t.name}_out`] })),
    initializers: tensors,
    inputs: [],
    outputs: tensors.map((t) => ({ name: `${t.name}_out`, type: t.type, dims: t.dims })),
  };
}

/** onnxruntime's outputs of identityModel, by initializer name. */
async function ortValues(model: Uint8Array | string, names: readonly string[]): Promise<Map<string, unknown[]>> {
  // create() has one overload for paths and one for bytes, not one for both.
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    const out = await session.run({});
    return new Map(names.map((n) => [n, Array.from(out[`${n}_out`].data as ArrayLike<unknown>)]));
  } finally {
    await session.release();
  }
}

function assertLoadError(fn: () => unknown, message: RegExp | string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof OnnxLoadError, `expected an OnnxLoadError, got ${String(err)}`);
    assert.equal(err.name, 'OnnxLoadError');
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

/** Encodes a ModelProto given as a plain object (snake_case fields), for models the writer cannot express. */
function encodeProto(graph: object, opsets: object[] = [{ domain: '', version: 17 }]): Uint8Array {
  return ModelProtoType.encode(ModelProtoType.fromObject({ ir_version: 8, opset_import: opsets, graph })).finish();
}

/** A graph of one Identity node, plus `extra` fields. */
function protoGraph(extra: object = {}): object {
  return {
    node: [{ op_type: 'Identity', input: ['x'], output: ['y'], name: 'id' }],
    input: [{ name: 'x', type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_value: 2 }] } } } }],
    output: [{ name: 'y', type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_value: 2 }] } } } }],
    ...extra,
  };
}

describe('onnx/read: round trip', () => {
  it('reads nodes with attributes of every kind, domains and omitted inputs', () => {
    const constant: OnnxTensor = { name: 'c', type: 'int64', dims: [2], data: BigInt64Array.of(-1n, 32n) };
    const model = readOnnx(
      encodeOnnxModel({
        name: 'g',
        nodes: [
          { opType: 'Constant', inputs: [], outputs: ['c'], name: 'const', attributes: { value: constant } },
          {
            opType: 'Custom',
            domain: 'com.microsoft',
            inputs: ['x', '', 'c'],
            outputs: ['y'],
            name: 'custom',
            attributes: { f: 0.5, one: 1, i: -3, s: 'NOTSET', fs: [1.5, -2], ints: [0, -1, 2 ** 40], ss: ['a', 'βγ'] },
            floatAttributes: ['one'],
          },
          { opType: 'Relu', inputs: ['y'], outputs: ['z'] },
        ],
        inputs: [{ name: 'x', type: 'float', dims: [1] }],
        outputs: [{ name: 'z', type: 'float', dims: [1] }],
        otherOpsets: { 'com.microsoft': 1 },
      }),
    );
    const [c, custom, relu] = model.graph.nodes;
    assert.equal(model.graph.name, 'g');
    assert.deepEqual([c.name, c.opType, c.domain, c.inputs, c.outputs], ['const', 'Constant', '', [], ['c']]);
    const value = c.attributes.get('value');
    assert.equal(value?.type, 'tensor');
    assertValue(value.value, constant);
    assert.deepEqual([custom.domain, custom.inputs], ['com.microsoft', ['x', '', 'c']]);
    assert.deepEqual(Object.fromEntries(custom.attributes), {
      f: { type: 'float', value: 0.5 },
      one: { type: 'float', value: 1 },
      i: { type: 'int', value: -3 },
      s: { type: 'string', value: 'NOTSET' },
      fs: { type: 'floats', value: [1.5, -2] },
      ints: { type: 'ints', value: [0, -1, 2 ** 40] },
      ss: { type: 'strings', value: ['a', 'βγ'] },
    });
    assert.equal(relu.name, 'Relu_2');
    assert.equal(relu.attributes.size, 0);
    assert.deepEqual(model.opsets, new Map([['', 17], ['com.microsoft', 1]]));
    assert.equal(model.producerName, 'sparq');
    assert.equal(model.irVersion, 8);
  });

  it('converts INT64_MAX (Slice ends) to the float 2^63', () => {
    const model = readOnnx(
      encodeProto(protoGraph({ node: [{ op_type: 'Identity', input: ['x'], output: ['y'], attribute: [{ name: 'ends', type: 7, ints: ['9223372036854775807'] }, { name: 'i', type: 2, i: '-9223372036854775808' }] }] })),
    );
    const attributes = model.graph.nodes[0].attributes;
    assert.deepEqual(attributes.get('ends'), { type: 'ints', value: [9223372036854775807] });
    assert.deepEqual(attributes.get('i'), { type: 'int', value: -(2 ** 63) });
  });

  for (const storage of ['raw', 'typed'] as const) {
    it(`reads initializers of every type from ${storage === 'raw' ? 'raw_data' : 'the typed fields'}, as onnxruntime does`, async () => {
      const tensors = tensorsOfEveryType(storage);
      const bytes = encodeOnnxModel(identityModel(tensors));
      const model = readOnnx(bytes);
      for (const t of tensors) {
        const v = model.graph.initializers.get(t.name);
        assertValue(v, t);
        assert.notEqual(v!.data.buffer, bytes.buffer, `${t.name} must not be a view of the model bytes`);
      }
      const ortOut = await ortValues(bytes, tensors.map((t) => t.name));
      for (const t of tensors) {
        const expected = ortOut.get(t.name)!.map((x) => (typeof x === 'boolean' ? Number(x) : x));
        assert.deepEqual(Array.from(model.graph.initializers.get(t.name)!.data as ArrayLike<unknown>), expected, t.name);
      }
    });
  }

  it('copies raw data at odd offsets into aligned arrays', () => {
    const t: OnnxTensor = { name: 'abc', type: 'float', dims: [3], data: Float32Array.of(1, 2, 3) };
    // Name lengths shift raw_data to every offset mod 8.
    for (let pad = 0; pad < 8; pad++) {
      const model = readOnnx(encodeOnnxModel({ ...identityModel([{ ...t, name: 'w'.repeat(pad + 1) }]), name: 'x'.repeat(pad) }));
      const v = model.graph.initializers.get('w'.repeat(pad + 1))!;
      assert.equal(v.data.byteOffset % 8, 0);
      assert.deepEqual(Array.from(v.data as Float32Array), [1, 2, 3]);
    }
  });

  it('normalizes bool raw bytes to 0/1', () => {
    const model = readOnnx(encodeOnnxModel(identityModel([{ name: 'b', type: 'bool', dims: [3], data: Uint8Array.of(0, 2, 255) }])));
    assert.deepEqual(Array.from(model.graph.initializers.get('b')!.data as Uint8Array), [0, 1, 1]);
  });

  it('reads value infos with fixed, symbolic and unknown dims, and drops ones sparq cannot use', () => {
    const model = readOnnx(
      encodeProto(
        protoGraph({
          input: [
            { name: 'x', type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_param: 'batch' }, { dim_value: 3 }, {}] } } } },
            { name: 'untyped' },
            { name: 'no_shape', type: { tensor_type: { elem_type: 7 } } },
            { name: 'no_elem_type', type: { tensor_type: { shape: { dim: [] } } } },
          ],
          value_info: [
            { name: 'h', type: { tensor_type: { elem_type: 9, shape: { dim: [{ dim_value: 0 }] } } } },
            { name: 'double', type: { tensor_type: { elem_type: 11 } } },
            { name: 'seq', type: { sequence_type: new Uint8Array(0) } },
          ],
        }),
      ),
    );
    assert.deepEqual(model.graph.inputs, [
      { name: 'x', type: 'float32', dims: ['batch', 3, null] },
      { name: 'untyped', type: null, dims: null },
      { name: 'no_shape', type: 'int64', dims: null },
      { name: 'no_elem_type', type: null, dims: [] },
    ]);
    assert.deepEqual(model.graph.outputs, [{ name: 'y', type: 'float32', dims: [2] }]);
    assert.deepEqual(model.graph.valueInfo, [{ name: 'h', type: 'bool', dims: [0] }]);
  });

  it('treats the ai.onnx domain as the default one', () => {
    const model = readOnnx(encodeProto(protoGraph(), [{ domain: 'ai.onnx', version: 13 }, { domain: 'com.microsoft', version: 1 }]));
    assert.deepEqual(model.opsets, new Map([['', 13], ['com.microsoft', 1]]));
  });

  it('reads a PyTorch-style export that onnxruntime runs', async () => {
    const r = rng(7);
    const floats = (n: number) => Float32Array.from({ length: n }, () => r() - 0.5);
    const convWeight: OnnxTensor = { name: 'conv.weight', type: 'float', dims: [2, 1, 3, 3], data: floats(18) };
    const fcWeight: OnnxTensor = { name: 'fc.weight', type: 'float', dims: [3, 32], data: floats(96) };
    const shape: OnnxTensor = { name: '', type: 'int64', dims: [2], data: BigInt64Array.of(-1n, 32n) };
    const graph: OnnxGraph = {
      name: 'main_graph',
      producer: { name: 'pytorch', version: '2.1.0' },
      nodes: [
        { name: '/conv/Conv', opType: 'Conv', inputs: ['input', 'conv.weight', 'conv.bias'], outputs: ['/conv/Conv_output_0'], attributes: { dilations: [1, 1], group: 1, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] } },
        { name: '/relu/Relu', opType: 'Relu', inputs: ['/conv/Conv_output_0'], outputs: ['/relu/Relu_output_0'] },
        { name: '/Constant', opType: 'Constant', inputs: [], outputs: ['/Constant_output_0'], attributes: { value: shape } },
        { name: '/Reshape', opType: 'Reshape', inputs: ['/relu/Relu_output_0', '/Constant_output_0'], outputs: ['/Reshape_output_0'], attributes: { allowzero: 0 } },
        { name: '/fc/Gemm', opType: 'Gemm', inputs: ['/Reshape_output_0', 'fc.weight', 'fc.bias'], outputs: ['output'], attributes: { alpha: 1, beta: 1, transB: 1 }, floatAttributes: ['alpha', 'beta'] },
      ],
      initializers: [convWeight, { name: 'conv.bias', type: 'float', dims: [2], data: floats(2) }, fcWeight, { name: 'fc.bias', type: 'float', dims: [3], data: floats(3) }],
      inputs: [{ name: 'input', type: 'float', dims: ['batch_size', 1, 4, 4] }],
      outputs: [{ name: 'output', type: 'float', dims: ['batch_size', 3] }],
      valueInfo: [{ name: '/conv/Conv_output_0', type: 'float', dims: ['batch_size', 2, 4, 4] }],
    };
    const bytes = encodeOnnxModel(graph);
    const session = await ort.InferenceSession.create(bytes);
    try {
      const out = await session.run({ input: new ort.Tensor('float32', floats(32), [2, 1, 4, 4]) });
      assert.deepEqual(out.output.dims, [2, 3]);
    } finally {
      await session.release();
    }

    const model = readOnnx(bytes);
    assert.deepEqual([model.producerName, model.producerVersion], ['pytorch', '2.1.0']);
    assert.deepEqual(model.graph.nodes.map((n) => n.opType), ['Conv', 'Relu', 'Constant', 'Reshape', 'Gemm']);
    assert.deepEqual(model.graph.nodes[0].attributes.get('pads'), { type: 'ints', value: [1, 1, 1, 1] });
    assert.deepEqual(model.graph.nodes[4].attributes.get('alpha'), { type: 'float', value: 1 });
    assert.deepEqual(model.graph.nodes[4].attributes.get('transB'), { type: 'int', value: 1 });
    const value = model.graph.nodes[2].attributes.get('value');
    assert.equal(value?.type, 'tensor');
    assertValue(value.value, shape);
    assertValue(model.graph.initializers.get('conv.weight'), convWeight);
    assertValue(model.graph.initializers.get('fc.weight'), fcWeight);
    assert.deepEqual(model.graph.inputs, [{ name: 'input', type: 'float32', dims: ['batch_size', 1, 4, 4] }]);
    assert.deepEqual(model.graph.valueInfo, [{ name: '/conv/Conv_output_0', type: 'float32', dims: ['batch_size', 2, 4, 4] }]);
  });
});

describe('onnx/read: files and external data', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparq-onnx-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const a: OnnxTensor = { name: 'a', type: 'float', dims: [2, 2], data: Float32Array.of(1, 2, 3, 4) };
  const b: OnnxTensor = { name: 'b', type: 'int64', dims: [3], data: BigInt64Array.of(-1n, 0n, 2n ** 40n) };
  const bytesOf = (t: OnnxTensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

  /** Writes a.bin-style data (`prefix` junk bytes, then a, then b) and a model pointing at it. */
  function writeExternalModel(location: string, storage?: (t: OnnxTensor, offset: number) => OnnxTensorStorage): string {
    const prefix = new Uint8Array(3).fill(0xee);
    const file = path.join(dir, location);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([prefix, bytesOf(a), bytesOf(b)]));
    const place = storage ?? ((t, offset) => ({ location, offset, length: t.data.byteLength }));
    const modelPath = path.join(dir, 'model.onnx');
    fs.writeFileSync(modelPath, encodeOnnxModel(identityModel([{ ...a, storage: place(a, 3) }, { ...b, storage: place(b, 3 + a.data.byteLength) }])));
    return modelPath;
  }

  it('loads a model from a path, with external data from its directory, as onnxruntime does', async () => {
    const modelPath = writeExternalModel('weights/data.bin');
    const model = await loadOnnx(modelPath);
    assertValue(model.graph.initializers.get('a'), a);
    assertValue(model.graph.initializers.get('b'), b);
    const ortOut = await ortValues(modelPath, ['a', 'b']);
    assert.deepEqual(Array.from(model.graph.initializers.get('b')!.data as BigInt64Array), ortOut.get('b'));

    const again = readOnnx(fs.readFileSync(modelPath), { baseDir: dir });
    assertValue(again.graph.initializers.get('a'), a);
  });

  it('reads to the end of the file when no length is given, and checks the size', async () => {
    const ok = writeExternalModel('tail.bin', (t, offset) => (t === a ? { location: 'tail.bin', offset, length: 16 } : { location: 'tail.bin', offset }));
    assertValue((await loadOnnx(ok)).graph.initializers.get('b'), b);
    const short = writeExternalModel('tail.bin', (_, offset) => ({ location: 'tail.bin', offset }));
    await assert.rejects(loadOnnx(short), /tensor "a": external data "tail.bin" holds 40 bytes from offset 3 but its dims need 16/);
  });

  it('needs a base directory for external data when given bytes', () => {
    const bytes = fs.readFileSync(writeExternalModel('data.bin'));
    assertLoadError(() => readOnnx(bytes), 'tensor "a" stores its data in an external file; load the model from a path or pass options.baseDir');
  });

  for (const [what, location] of [
    ['a ../ escape', '../outside.bin'],
    ['a nested ../ escape', 'sub/../../outside.bin'],
    ['an absolute path', path.join(os.tmpdir(), 'outside.bin')],
  ] as const) {
    it(`rejects ${what}`, async () => {
      const modelPath = writeExternalModel('data.bin', (t, offset) => ({ location, offset, length: t.data.byteLength }));
      await assert.rejects(loadOnnx(modelPath), (err: Error) => err instanceof OnnxLoadError && err.message.includes(`external data location "${location}" is outside the model's directory`));
    });
  }

  it('rejects a symlink that leads outside the directory, and follows one that stays inside', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'sparq-outside-'));
    try {
      writeExternalModel('data.bin');
      fs.copyFileSync(path.join(dir, 'data.bin'), path.join(outside, 'data.bin'));
      fs.symlinkSync(path.join(outside, 'data.bin'), path.join(dir, 'link.bin'));
      fs.symlinkSync(outside, path.join(dir, 'linkdir'));
      fs.symlinkSync(path.join(dir, 'data.bin'), path.join(dir, 'inside.bin'));
      for (const location of ['link.bin', 'linkdir/data.bin']) {
        const modelPath = writeExternalModel('data.bin', (t, offset) => ({ location, offset, length: t.data.byteLength }));
        await assert.rejects(loadOnnx(modelPath), /is outside the model's directory/);
      }
      const modelPath = writeExternalModel('data.bin', (t, offset) => ({ location: 'inside.bin', offset, length: t.data.byteLength }));
      assertValue((await loadOnnx(modelPath)).graph.initializers.get('a'), a);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('rejects ranges past the end of the file, wrong lengths and bad numbers', async () => {
    const cases: [(t: OnnxTensor, offset: number) => OnnxTensorStorage, RegExp][] = [
      [(t) => ({ location: 'data.bin', offset: 40, length: t.data.byteLength }), /tensor "a": external data range at offset 40 of 16 bytes runs past the end of "data.bin" \(43 bytes\)/],
      [(t) => ({ location: 'data.bin', offset: 1000, length: t.data.byteLength }), /runs past the end/],
      [(t, offset) => ({ location: 'data.bin', offset, length: t.data.byteLength - 4 }), /tensor "a" has external data length 12 but its dims need 16 bytes/],
      [(t, offset) => ({ location: 'data.bin', offset: -offset, length: t.data.byteLength }), /tensor "a" has external data offset "-3"; it must be a non-negative integer/],
      [(t, offset) => ({ location: 'missing.bin', offset, length: t.data.byteLength }), /tensor "a": cannot find external data file "missing.bin"/],
      [(t, offset) => ({ location: '.', offset, length: t.data.byteLength }), /tensor "a": external data "." is not a regular file/],
      [(t, offset) => ({ location: '', offset, length: t.data.byteLength }), /tensor "a" stores its data externally but names no location/],
    ];
    for (const [storage, message] of cases) await assert.rejects(loadOnnx(writeExternalModel('data.bin', storage)), message);
  });

  /**
   * Loads each model in a child process, with InferenceSession.create and with readOnnx(bytes, { baseDir }), and
   * returns each load's error message. A load that blocks (an open that waits on a FIFO, stopping the event loop)
   * would hang the test runner itself; in a child, the timeout kills it and fails the test.
   */
  async function loadInChild(modelPaths: string[]): Promise<string[]> {
    const src = (file: string) => new URL(`../../src/runtime/${file}`, import.meta.url).pathname;
    const script = `
      import fs from 'node:fs';
      import path from 'node:path';
      const [session, read] = await Promise.all([import(process.argv[1]), import(process.argv[2])]);
      for (const file of process.argv.slice(3))
        for (const load of [() => session.InferenceSession.create(file), () => read.readOnnx(fs.readFileSync(file), { baseDir: path.dirname(file) })]) {
          try { await load(); console.log('loaded'); } catch (e) { console.log(e.message); }
        }`;
    const output = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, src('session.ts'), src('onnx/read.ts'), ...modelPaths], { timeout: 30_000 }, (err, stdout) =>
        err ? reject(new Error(err.killed ? 'loading the models hung (killed after 30 s)' : err.message)) : resolve(stdout)));
    return output.trim().split('\n');
  }

  it('rejects a FIFO without opening it, at once, in create and in readOnnx (the open used to block forever)', async () => {
    execFileSync('mkfifo', [path.join(dir, 'pipe.bin')]);
    fs.symlinkSync('pipe.bin', path.join(dir, 'pipe-link.bin'));
    const locations = ['pipe.bin', 'pipe-link.bin'];
    const models = locations.map((location) => {
      const modelPath = path.join(dir, `${location}.onnx`);
      fs.renameSync(writeExternalModel('data.bin', (t, offset) => ({ location, offset, length: t.data.byteLength })), modelPath);
      return modelPath;
    });
    const rejected = (location: string) => `tensor "a": external data "${location}" is not a regular file`;
    assert.deepEqual(await loadInChild(models), locations.flatMap((location) => [rejected(location), rejected(location)]));
  });

  it('rejects a device inside the directory, and one reached through a symlink as outside', async function () {
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.bin'));
    const linked = writeExternalModel('data.bin', (t, offset) => ({ location: 'zero.bin', offset, length: t.data.byteLength }));
    await assert.rejects(loadOnnx(linked), /tensor "a": external data location "zero.bin" is outside the model's directory/);
    // Only root can make a device node (the zero device, Linux's major 1 minor 5).
    try {
      execFileSync('mknod', [path.join(dir, 'zero-device'), 'c', '1', '5'], { stdio: 'ignore' });
    } catch {
      this.skip();
    }
    const device = writeExternalModel('data.bin', (t, offset) => ({ location: 'zero-device', offset, length: t.data.byteLength }));
    await assert.rejects(loadOnnx(device), /tensor "a": external data "zero-device" is not a regular file/);
    assertLoadError(() => readOnnx(fs.readFileSync(device), { baseDir: dir }), 'tensor "a": external data "zero-device" is not a regular file');
  });

  it('reads the same data synchronously (readOnnx with baseDir) as asynchronously (loadOnnx), and rejects the same', async () => {
    const modelPath = writeExternalModel('data.bin');
    const sync = readOnnx(fs.readFileSync(modelPath), { baseDir: dir });
    assertValue(sync.graph.initializers.get('b'), b);
    assert.deepEqual(sync, await loadOnnx(modelPath));
    fs.mkdirSync(path.join(dir, 'folder'));
    const folder = writeExternalModel('data.bin', (t, offset) => ({ location: 'folder', offset, length: t.data.byteLength }));
    assertLoadError(() => readOnnx(fs.readFileSync(folder), { baseDir: dir }), 'tensor "a": external data "folder" is not a regular file');
    await assert.rejects(loadOnnx(folder), /tensor "a": external data "folder" is not a regular file/);
  });

  it('reports a model file that cannot be read', async () => {
    await assert.rejects(loadOnnx(path.join(dir, 'nope.onnx')), (err: Error) => err instanceof OnnxLoadError && /cannot read ONNX model ".*nope.onnx"/.test(err.message));
  });
});

describe('onnx/read: malformed and unsupported models', () => {
  const small = encodeOnnxModel({
    nodes: [{ opType: 'Add', inputs: ['x', 'w'], outputs: ['y'], attributes: { alpha: 0.5, axes: [1, 2], mode: 'x' } }],
    initializers: [
      { name: 'w', type: 'float', dims: [2], data: Float32Array.of(1, 2) },
      { name: 'k', type: 'int64', dims: [2], data: BigInt64Array.of(3n, 4n), storage: 'typed' },
    ],
    inputs: [{ name: 'x', type: 'float', dims: ['n', 2] }],
    outputs: [{ name: 'y', type: 'float', dims: ['n', 2] }],
  });

  /** Reads `bytes`, which may fail only with an OnnxLoadError. */
  function readOrLoadError(bytes: Uint8Array): void {
    try {
      readOnnx(bytes);
    } catch (err) {
      if (!(err instanceof OnnxLoadError)) throw new Error(`${bytes.length} bytes: expected an OnnxLoadError, got ${String(err)}`, { cause: err });
    }
  }

  it('rejects or reads every prefix of a model', () => {
    assert.doesNotThrow(() => readOnnx(small));
    for (let n = 0; n < small.length; n++) readOrLoadError(small.subarray(0, n));
    assertLoadError(() => readOnnx(small.subarray(0, small.length - 1)), /^not a valid ONNX model: /);
    assertLoadError(() => readOnnx(new Uint8Array(0)), 'the model has no graph');
  });

  it('rejects or reads random bytes and random corruptions of a model (seeded)', () => {
    const r = rng(1234);
    for (let trial = 0; trial < 2000; trial++) {
      readOrLoadError(Uint8Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256)));
      const corrupt = small.slice();
      for (let k = 1 + Math.floor(r() * 4); k > 0; k--) corrupt[Math.floor(r() * corrupt.length)] = Math.floor(r() * 256);
      readOrLoadError(corrupt);
    }
  });

  it('survives deeply nested groups', () => {
    // Field 99, wire type 3 (start group), 200,000 times: skipped recursively, so the decoder's depth limit must hold.
    const nested = new Uint8Array(400_000);
    for (let i = 0; i < nested.length; i += 2) nested.set([0x9b, 0x06], i);
    readOrLoadError(nested);
  });

  it('rejects huge claimed dims quickly, before allocating', () => {
    const start = performance.now();
    const huge = (dims: number[], extra: object) => encodeProto(protoGraph({ initializer: [{ name: 'w', data_type: 1, dims, ...extra }] }));
    assertLoadError(() => readOnnx(huge([1e9, 1e9], { raw_data: new Uint8Array(4) })), 'tensor "w" has dims [1000000000,1000000000], more values than sparq can address');
    assertLoadError(() => readOnnx(huge([1e5, 1e5], { raw_data: new Uint8Array(4) })), 'tensor "w" has dims [100000,100000] (10000000000 values) but raw_data holds 4 bytes (40000000000 needed)');
    assertLoadError(() => readOnnx(huge([1e5, 1e5], { float_data: [1, 2] })), 'tensor "w" has dims [100000,100000] (10000000000 values) but 2 stored');
    assertLoadError(() => readOnnx(huge([1e5, 1e5], {})), /but 0 stored$/);
    assertLoadError(() => readOnnx(huge([2 ** 30, 2 ** 30, 2 ** 30], {})), 'tensor "w" has dims [1073741824,1073741824,1073741824], more values than sparq can address');
    assertLoadError(() => readOnnx(huge([], { dims: ['4611686018427387904', 4] })), /tensor "w" has dims \[4611686018427388000,4\]; each must be a non-negative integer below 2\^53/);
    assertLoadError(() => readOnnx(encodeProto(protoGraph({ initializer: [{ name: 'w', data_type: 1, dims: [2, -1] }] }))), 'tensor "w" has dims [2,-1]; each must be a non-negative integer below 2^53');
    assert.ok(performance.now() - start < 1000);
  });

  it('checks element counts against the data stored', () => {
    const tensor = (fields: object) => encodeProto(protoGraph({ initializer: [{ name: 'w', dims: [2, 3], ...fields }] }));
    assertLoadError(() => readOnnx(tensor({ data_type: 1, float_data: [1, 2, 3, 4, 5] })), 'tensor "w" has dims [2,3] (6 values) but 5 stored');
    assertLoadError(() => readOnnx(tensor({ data_type: 6, raw_data: new Uint8Array(20) })), 'tensor "w" has dims [2,3] (6 values) but raw_data holds 20 bytes (24 needed)');
    assertLoadError(() => readOnnx(tensor({ data_type: 7, int32_data: [1, 2, 3, 4, 5, 6] })), 'tensor "w" has dims [2,3] (6 values) but 0 stored');
    assertLoadError(() => readOnnx(tensor({ data_type: 1, float_data: [1, 2, 3, 4, 5, 6], segment: new Uint8Array([8, 0]) })), 'tensor "w" is segmented, which sparq does not support');
    assertLoadError(() => readOnnx(tensor({ data_type: 1, data_location: 2 })), /tensor "w" has data_location 2/);
  });

  it('names unsupported data types', () => {
    const initializer = (dataType: number) => encodeProto(protoGraph({ initializer: [{ name: 'd', data_type: dataType, dims: [1], raw_data: new Uint8Array(8) }] }));
    assertLoadError(() => readOnnx(initializer(11)), 'tensor "d" has data type DOUBLE (11), which sparq does not support');
    assertLoadError(() => readOnnx(initializer(10)), 'tensor "d" has data type FLOAT16 (10), which sparq does not support');
    assertLoadError(() => readOnnx(initializer(99)), 'tensor "d" has data type unknown (99), which sparq does not support');
    const constant = encodeProto(protoGraph({ node: [{ op_type: 'Constant', output: ['c'], name: 'k', attribute: [{ name: 'value', type: 4, t: { data_type: 8, dims: [1] } }] }] }));
    assertLoadError(() => readOnnx(constant), 'the tensor of attribute "value" of node "k" (Constant) has data type STRING (8), which sparq does not support');
    const input = encodeProto(protoGraph({ input: [{ name: 'x', type: { tensor_type: { elem_type: 11 } } }] }));
    assertLoadError(() => readOnnx(input), 'graph input "x" has data type DOUBLE (11), which sparq does not support');
    const output = encodeProto(protoGraph({ output: [{ name: 'y', type: { sequence_type: new Uint8Array(0) } }] }));
    assertLoadError(() => readOnnx(output), 'graph output "y" has a sequence type; sparq supports tensors only');
  });

  it('rejects subgraphs, sparse or repeated initializers and attributes it cannot represent', () => {
    const node = (attribute: object, name = 'if') => encodeProto(protoGraph({ node: [{ op_type: 'If', input: ['c'], output: ['y'], name, attribute: [attribute] }] }));
    assertLoadError(() => readOnnx(node({ name: 'then_branch', type: 5 })), 'attribute "then_branch" of node "if" (If) is a subgraph (as in If, Loop and Scan), which sparq does not support');
    assertLoadError(() => readOnnx(node({ name: 'bodies', type: 10 }, '')), 'attribute "bodies" of node #0 (If) is a subgraph (as in If, Loop and Scan), which sparq does not support');
    assertLoadError(() => readOnnx(node({ name: 'ts', type: 9 })), 'attribute "ts" of node "if" (If) has type TENSORS, which sparq does not support');
    assertLoadError(() => readOnnx(node({ name: 'x', type: 0, i: 3 })), 'attribute "x" of node "if" (If) has no type');
    assertLoadError(() => readOnnx(node({ name: 'x', type: 4 })), 'attribute "x" of node "if" (If) has type TENSOR but holds no tensor');
    assertLoadError(() => readOnnx(node({ name: 'x', type: 2, ref_attr_name: 'alpha' })), /refers to function attribute "alpha"/);
    const twice = encodeProto(protoGraph({ node: [{ op_type: 'Relu', input: ['x'], output: ['y'], name: 'r', attribute: [{ name: 'a', type: 2 }, { name: 'a', type: 2 }] }] }));
    assertLoadError(() => readOnnx(twice), 'node "r" (Relu) has attribute "a" twice');
    assertLoadError(() => readOnnx(encodeProto(protoGraph({ name: 'g', sparse_initializer: [new Uint8Array([1])] }))), 'graph "g" has sparse initializers, which sparq does not support');
    const w = { name: 'w', data_type: 1, dims: [1], float_data: [1] };
    assertLoadError(() => readOnnx(encodeProto(protoGraph({ name: 'g', initializer: [w, w] }))), 'graph "g" has initializer "w" twice');
  });

  it('rejects models without a graph, nodes without an op type, and non-byte input', () => {
    assertLoadError(() => readOnnx(ModelProtoType.encode(ModelProtoType.fromObject({ ir_version: 8, opset_import: [{ domain: '', version: 17 }] })).finish()), 'the model has no graph');
    assertLoadError(() => readOnnx(encodeProto(protoGraph({ node: [{ input: ['x'], output: ['y'], name: 'n' }] }))), 'node "n" has no op_type');
    assert.throws(() => readOnnx('model.onnx' as unknown as Uint8Array), TypeError);
  });

  it(`accepts ai.onnx opsets ${SUPPORTED_OPSETS.min} to ${SUPPORTED_OPSETS.max} only`, () => {
    for (const opset of [9, 21]) assert.equal(readOnnx(encodeProto(protoGraph(), [{ domain: '', version: opset }])).opsets.get(''), opset);
    for (const opset of [8, 22])
      assertLoadError(() => readOnnx(encodeProto(protoGraph(), [{ domain: '', version: opset }])), `the model uses ai.onnx opset ${opset}; sparq supports opsets 9 to 21`);
    assertLoadError(() => readOnnx(encodeProto(protoGraph(), [{ domain: 'com.microsoft', version: 1 }])), 'the model imports no ai.onnx opset');
    assertLoadError(() => readOnnx(encodeProto(protoGraph(), [{ domain: '', version: 13 }, { domain: 'ai.onnx', version: 14 }])), 'the model imports the ai.onnx opset twice');
    const model = readOnnx(small);
    model.opsets.set('', 22);
    assertLoadError(() => checkOpset(model), /opset 22/);
  });
});
