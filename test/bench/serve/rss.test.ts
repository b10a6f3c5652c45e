/** rssTrend(): the memory trend the soak reports. */
import assert from 'node:assert/strict';

import { rssTrend } from '../../../bench/serve/rss.js';

describe('bench/serve: rssTrend()', () => {
  it('first, last, largest and the least-squares slope per minute', () => {
    // 1 MiB more every 30 s, with one spike the fit averages out.
    const samples = [0, 30, 60, 90, 120].map((atS, i) => ({ atS, bytes: (100 + i + (i === 2 ? 10 : 0)) * 2 ** 20 }));
    const t = rssTrend(samples);
    assert.equal(t.samples, 5);
    assert.equal(t.firstBytes, 100 * 2 ** 20);
    assert.equal(t.lastBytes, 104 * 2 ** 20);
    assert.equal(t.maxBytes, 112 * 2 ** 20);
    assert.ok(Math.abs(t.bytesPerMinute - 2 * 2 ** 20) < 1, `slope ${t.bytesPerMinute}`);
  });

  it('a flat series has slope 0', () => {
    assert.equal(rssTrend([{ atS: 5, bytes: 7 }, { atS: 10, bytes: 7 }, { atS: 15, bytes: 7 }]).bytesPerMinute, 0);
  });

  it('needs two samples at different times', () => {
    assert.throws(() => rssTrend([{ atS: 1, bytes: 1 }]), /RangeError: samples must hold at least two samples/);
    assert.throws(() => rssTrend([{ atS: 1, bytes: 1 }, { atS: 1, bytes: 2 }]), /RangeError: samples must span some time/);
  });
});
