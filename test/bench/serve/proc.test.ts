/** The /proc readers, on this process: they agree with what Node says of itself. */
import assert from 'node:assert/strict';

import { readCpuSeconds, readRssBytes } from '../../../bench/serve/proc.js';

describe('bench/serve: /proc readers', function () {
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });

  it('readRssBytes() is the process resident set size', () => {
    const rss = readRssBytes(process.pid);
    const node = process.memoryUsage().rss;
    assert.ok(Math.abs(rss - node) < 0.2 * node, `VmRSS ${rss} vs memoryUsage().rss ${node}`);
  });

  it('readCpuSeconds() is user + system time, all threads', () => {
    const spin = performance.now() + 300;
    while (performance.now() < spin);
    const { user, system } = process.cpuUsage();
    const cpu = readCpuSeconds(process.pid);
    // /proc counts in 10 ms ticks; the two reads are a few instructions apart.
    assert.ok(Math.abs(cpu - (user + system) / 1e6) < 0.1, `/proc ${cpu} s vs cpuUsage ${(user + system) / 1e6} s`);
  });

  it('names a bad pid', () => {
    assert.throws(() => readRssBytes(0), /RangeError: pid must be an integer/);
    assert.throws(() => readCpuSeconds(1.5), /RangeError: pid must be an integer/);
  });
});
