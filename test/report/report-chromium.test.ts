/**
 * The report as a reader sees it: opened in headless Chromium (Debian's
 * `chromium`, or $SPARQ_CHROMIUM), every chart drawn (an SVG with a size and
 * marks in it), no console or page errors, no request leaving the file, and a
 * full-page screenshot in test-artifacts/report.png. Without Chromium the
 * test skips, unless SPARQ_REQUIRE_CHROMIUM=1 (CI) makes it fail.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import puppeteer, { type Browser } from 'puppeteer-core';

import { CHARTS } from '../../src/report/charts/index.js';
import { writeReport } from '../../src/report/index.js';
import { benchResults } from '../fixtures/bench-results.js';

const CHROMIUM = process.env.SPARQ_CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT = path.resolve('test-artifacts/report.png');

interface DrawnChart { id: string; svgs: number; width: number; height: number; marks: number; markArea: number }

describe('report in headless Chromium', () => {
  let browser: Browser | undefined;
  let dir: string;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      const why = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set SPARQ_CHROMIUM)`;
      if (process.env.SPARQ_REQUIRE_CHROMIUM === '1') assert.fail(`SPARQ_REQUIRE_CHROMIUM=1 but ${why}`);
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparq-report-chromium-'));
    // Chromium's sandbox cannot start as root (CI containers); elsewhere it stays on.
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  });

  after(async () => {
    await browser?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('draws every chart, with no errors and no network, and leaves a screenshot', async () => {
    const file = path.join(dir, 'report.html');
    await writeReport(benchResults(), file);
    const page = await browser!.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.setViewport({ width: 1320, height: 900 });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    const charts = await page.$$eval('section.chart-section', (sections) => sections.map((s) => {
      const svgs = s.querySelectorAll('svg');
      const box = svgs[0]?.getBoundingClientRect();
      // Vega draws lines, bars and rules as <path>/<line> inside mark groups, points as symbol paths.
      const marks = [...s.querySelectorAll('g.mark-line path, g.mark-rect path, g.mark-symbol path, g.mark-rule line')];
      const markArea = marks.reduce((sum, m) => {
        const b = m.getBoundingClientRect();
        return sum + b.width + b.height;
      }, 0);
      return { id: s.id, svgs: svgs.length, width: box?.width ?? 0, height: box?.height ?? 0, marks: marks.length, markArea };
    })) as DrawnChart[];

    assert.deepEqual(charts.map((c) => c.id), CHARTS.map((c) => c.id));
    for (const c of charts) {
      assert.equal(c.svgs, 1, c.id);
      assert.ok(c.width > 200 && c.height > 100, `${c.id}: ${c.width} x ${c.height}`);
      assert.ok(c.marks > 0 && c.markArea > 0, `${c.id}: ${c.marks} marks`);
    }
    const table = await page.$eval('#kernels table', (t) => ({ rows: t.querySelectorAll('tbody tr').length, width: t.getBoundingClientRect().width, room: t.parentElement!.clientWidth }));
    assert.equal(table.rows, benchResults().kernels.length);
    assert.ok(table.width <= table.room, `the kernel table (${table.width} px) overflows its ${table.room} px`);

    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(fs.statSync(SCREENSHOT).size > 10_000);
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [pathToFileURL(file).href], 'the page asked for nothing but itself');
  });
});
