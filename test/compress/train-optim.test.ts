/** Optimizer updates against steps worked by hand, pruning masks kept through them, and the learning-rate schedules. */
import assert from 'node:assert/strict';

import { param, type Param } from '../../src/compress/train/layer.js';
import { adam, sgd } from '../../src/compress/train/optimizer.js';
import { constantLr, cosineLr, stepLr, warmupLr } from '../../src/compress/train/schedule.js';
import { assertClose } from '../helpers.js';

function p(name: string, value: number[], decay = true): Param {
  return param(name, [value.length], Float32Array.from(value), decay);
}

function rejects(error: typeof TypeError | typeof RangeError, message: RegExp) {
  return (e: unknown) => e instanceof error && message.test((e as Error).message);
}

describe('compress/train: optimizers', () => {
  it('SGD with momentum and L2 weight decay, decayed params only', () => {
    const w = p('w', [1, -2]), b = p('b', [1], false);
    const opt = sgd([w, b], { momentum: 0.9, weightDecay: 0.01 });
    w.grad.set([0.5, 0.25]);
    b.grad.set([0.5]);
    opt.step(0.1);
    // g = 0.5 + 0.01 * 1 = 0.51, v = 0.51, w = 1 - 0.051; the bias without decay: 1 - 0.05.
    assertClose(w.value, [0.949, -2.023], 1e-6, 0, 'step 1');
    assertClose(b.value, [0.95], 1e-6, 0, 'bias step 1');
    opt.step(0.1);
    // g = 0.5 + 0.00949, v = 0.9 * 0.51 + 0.50949 = 0.96849.
    assertClose(w.value, [0.949 - 0.096849, -2.023 - 0.1 * (0.9 * 0.23 + 0.25 - 0.02023)], 1e-6, 0, 'step 2');
    assertClose(b.value, [0.95 - 0.1 * 0.95], 1e-6, 0, 'bias step 2');
  });

  it('SGD with Nesterov momentum', () => {
    const w = p('w', [1]);
    const opt = sgd([w], { momentum: 0.9, nesterov: true });
    w.grad.set([0.5]);
    opt.step(0.1);
    assertClose(w.value, [1 - 0.1 * (0.5 + 0.9 * 0.5)], 1e-6, 0, 'step 1');
    opt.step(0.1);
    assertClose(w.value, [0.905 - 0.1 * (0.5 + 0.9 * 0.95)], 1e-6, 0, 'step 2');
  });

  it('Adam, and AdamW decay on decayed params only', () => {
    const w = p('w', [1]), d = p('d', [1]), b = p('b', [1], false);
    const plain = adam([w]), decayed = adam([d, b], { weightDecay: 0.1 });
    for (const g of [0.5, -0.25]) {
      for (const q of [w, d, b]) q.grad.set([g]);
      plain.step(0.1);
      decayed.step(0.1);
    }
    assertClose(w.value, [0.8733662987078463], 1e-6, 0, 'adam');
    assertClose(d.value, [0.8544662986878463], 1e-6, 0, 'adamw');
    assertClose(b.value, [0.8733662987078463], 1e-6, 0, 'no decay');
  });

  it('masked weights stay exactly 0, and so does their optimizer state', () => {
    // After three masked steps the mask goes: a zero state makes the next update the first one of its kind.
    const g = -3, lr = 0.1;
    const firstStep = {
      sgd: lr * -g,
      // Adam's 4th step from m = v = 0: m = 0.1 g, v = 0.001 g^2, bias-corrected by 1 - beta^4.
      adam: (lr * ((0.1 * -g) / (1 - 0.9 ** 4))) / (Math.sqrt((0.001 * g * g) / (1 - 0.999 ** 4)) + 1e-8),
    };
    for (const kind of ['sgd', 'adam'] as const) {
      const w = p('w', [1, 5, 2]);
      w.mask = Uint8Array.of(1, 0, 1);
      const opt = kind === 'sgd' ? sgd([w], { momentum: 0.9, weightDecay: 0.1 }) : adam([w], { weightDecay: 0.1 });
      for (let s = 0; s < 3; s++) {
        w.grad.set([0.5, g, 0.25]);
        opt.step(lr);
        assert.equal(w.value[1], 0, `${kind} step ${s}`);
        assert.notEqual(w.value[0], 0);
      }
      w.mask = undefined;
      w.grad.set([0, g, 0]);
      opt.step(lr);
      assertClose([w.value[1]], [firstStep[kind]], 1e-6, 0, `${kind} after unmasking`);
    }
  });

  it('reject bad options, naming them', () => {
    const w = p('w', [1]);
    assert.throws(() => sgd([w], { momentum: 1 }), rejects(RangeError, /^options\.momentum must be in \[0, 1\)/));
    assert.throws(() => sgd([w], { momentum: 0, nesterov: true }), rejects(RangeError, /^options\.nesterov needs momentum > 0/));
    assert.throws(() => sgd([w], { nesterov: 'yes' as never }), rejects(TypeError, /^options\.nesterov must be a boolean/));
    assert.throws(() => adam([w], { beta2: -0.1 }), rejects(RangeError, /^options\.beta2 must be in \[0, 1\)/));
    assert.throws(() => adam({} as never), rejects(TypeError, /^params must be an array/));
    assert.throws(() => sgd([w]).step(-1), rejects(RangeError, /^lr must be in/));
    const bad = p('bad', [1, 2]);
    bad.mask = new Uint8Array(1);
    assert.throws(() => sgd([bad]), rejects(RangeError, /^params\[0\]\.mask must be a Uint8Array of 2 values/));
  });
});

describe('compress/train: learning-rate schedules', () => {
  it('constant, step, cosine and linear warmup', () => {
    assert.equal(constantLr(0.1)(5, 2), 0.1);
    const step = stepLr(1, { everyEpochs: 2, gamma: 0.5 });
    assert.deepEqual([0, 1, 2, 3, 4].map((e) => step(0, e)), [1, 1, 0.5, 0.5, 0.25]);
    const cosine = cosineLr(1, { totalSteps: 4, minLr: 0.2 });
    assertClose([0, 2, 4, 8].map((s) => cosine(s, 0)), [1, 0.6, 0.2, 0.2], 1e-12, 1e-12, 'cosine');
    const warm = warmupLr(constantLr(1), { steps: 4 });
    assert.deepEqual([0, 1, 2, 3, 4].map((s) => warm(s, 0)), [0.25, 0.5, 0.75, 1, 1]);
  });

  it('reject bad arguments, naming them', () => {
    assert.throws(() => constantLr(-1), rejects(RangeError, /^lr must be in/));
    assert.throws(() => stepLr(1, { everyEpochs: 0 }), rejects(RangeError, /^options\.everyEpochs must be an integer/));
    assert.throws(() => cosineLr(1, {} as never), rejects(TypeError, /^options\.totalSteps must be a number/));
    assert.throws(() => warmupLr(1 as never, { steps: 1 }), rejects(TypeError, /^schedule must be a schedule/));
  });
});
