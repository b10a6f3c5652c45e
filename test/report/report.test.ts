import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { BenchResults } from '../../src/benchmark/results.js';
import { CHARTS } from '../../src/report/charts/index.js';
import { renderReport, writeReport } from '../../src/report/index.js';
import { ONE_LINE, sparq } from '../cli/spawn.js';
import { benchResults } from '../fixtures/bench-results.js';

/** Each chart's section of the page, by chart id. */
function sections(html: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of html.matchAll(/<section id="([^"]+)" class="chart-section"[^>]*>([\s\S]*?)<\/section>/g)) found.set(m[1], m[2]);
  return found;
}

const count = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].length;

describe('report: renderReport', () => {
  let html: string;
  before(async () => {
    html = await renderReport(benchResults());
  });

  it('is self-contained: no script, no stylesheet link, no URL but SVG namespaces', () => {
    assert.match(html, /^<!DOCTYPE html>/);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<link/i);
    assert.doesNotMatch(html, /\b(src|href)\s*=/i);
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]*/g)];
    assert.ok(urls.length > 0, 'the SVGs declare their namespaces');
    for (const u of urls) assert.match(html.slice(u.index - 20, u.index), /xmlns(:\w+)?="$/, `a URL outside an xmlns attribute: ${u[0]}`);
  });

  it('draws every chart as one inline SVG with marks in it', () => {
    const found = sections(html);
    assert.deepEqual([...found.keys()], CHARTS.map((c) => c.id));
    for (const [id, body] of found) {
      assert.equal(count(body, /<svg\b/g), 1, id);
      assert.match(body, /data-drawn="true"|<svg/, id);
      // Lines, points, bars and rules are paths and lines in Vega's SVG, inside the mark groups.
      assert.match(body, /class="mark-(line|symbol|rect|rule)[^"]*"[^>]*>(<path|<line)/, `${id} has no marks`);
    }
    assert.equal(count(html, /<svg\b/g), CHARTS.length);
    assert.equal(count(html, /class="empty"/g), 0);
  });

  it('gives each element id once in the page, and the same page for the same results', async () => {
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(ids.some((id) => id.startsWith('latency-chart-')), 'the model charts\' clip paths');
    assert.equal(new Set(ids).size, ids.length);
    for (const [, ref] of html.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(ref), ref);
    assert.equal(await renderReport(benchResults()), html);
  });

  it('puts each series in its chart: sparq kernels, onnxruntime, models, bit widths', () => {
    const found = sections(html);
    for (const series of ['sparq csr', 'sparq bsr-4x1', 'sparq dense', 'onnxruntime dense']) assert.ok(found.get('sparsity')!.includes(`>${series}</text>`), series);
    assert.ok(found.get('speedup')!.includes('>qspmm bsr-4x1 · 512 x 1152 x 64 · 95% · 4t · cpu</text>'));
    for (const id of ['latency', 'throughput']) {
      for (const text of ['cifar10-cnn · webgpu · 4 threads', 'int8 90% blocks', 'onnxruntime']) assert.ok(found.get(id)!.includes(text), `${id}: ${text}`);
    }
    for (const text of ['32-bit', '8-bit', 'blocks 4x1', 'distilled half width']) assert.ok(found.get('accuracy')!.includes(`>${text}</text>`), text);
  });

  it('describes the machine and the run, lists the notes, and tables every kernel row', () => {
    for (const text of [
      'Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz (x64)', 'scalar avx2 avx512 avx512vnni', 'none / avx512vnni', '<dd>8</dd>', '32.0 GiB',
      'Linux 6.1.0-40-cloud-amd64 (linux)', 'Mesa 25.0.7 (lavapipe)', 'v20.19.5', '0.1.0 (native addon)', '1.23.2', '<dd>1, 4</dd>', '200 ms per side',
      'onnxruntime-node has no WebGPU provider here: WebGPU rows are sparq alone',
    ]) assert.ok(html.includes(text), text);
    const table = html.slice(html.indexOf('<section id="kernels"'));
    assert.equal(count(table, /<tr>/g), benchResults().kernels.length + 2); // two heading rows
    assert.match(table, /<td class="text">qu8s8-gemm-4x8c8-avx2<\/td>/);
    assert.match(table, /<td class="number faster">2\.62×<\/td>/);
    assert.match(table, /<td class="number slower">0\.84×<\/td>/);
  });

  it('escapes markup in the results\' strings', async () => {
    const r = benchResults('Evil <script>alert("x")</script> & Co');
    r.notes.push('<img src=x onerror=alert(1)>');
    r.kernels[0].kernel = 'sgemm <b>';
    const page = await renderReport(r);
    assert.doesNotMatch(page, /<script|<img|<b>/);
    assert.ok(page.includes('Evil &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; Co'));
    assert.ok(page.includes('&#60;img src=x onerror=alert(1)&#62;'));
  });

  it('replaces a chart without data by its one-line note, not an empty chart', async () => {
    const r: BenchResults = { ...benchResults(), kernels: [], models: [], accuracy: [] };
    const page = await renderReport(r);
    const found = sections(page);
    for (const chart of CHARTS) {
      const body = found.get(chart.id)!;
      assert.doesNotMatch(body, /<svg/, chart.id);
      assert.ok(body.includes(`<p class="empty">${chart.empty}</p>`), chart.id);
    }
    assert.ok(page.includes('No kernel rows in these results.'));
  });

  it('draws what it has: without onnxruntime, no speedup chart, sparq alone in the others', async () => {
    const r = benchResults();
    r.machine.onnxruntime = null;
    for (const k of r.kernels) Object.assign(k, { onnxruntime: null, speedup: null });
    for (const m of r.models) for (const t of [m.latency, m.throughput]) if (t) Object.assign(t, { onnxruntime: null, speedup: null });
    const found = sections(await renderReport(r));
    assert.ok(found.get('speedup')!.includes('class="empty"'));
    assert.doesNotMatch(found.get('sparsity')!, /onnxruntime dense/);
    assert.doesNotMatch(found.get('latency')!, />onnxruntime</);
    assert.match(found.get('latency')!, /<svg/);
  });

  it('throws a TypeError naming the argument for anything but bench results of this version', async () => {
    await assert.rejects(renderReport({ format: 'other' } as unknown as BenchResults), { name: 'TypeError', message: /^results: not a sparq bench results file \(format 'other'; expected 'sparq-bench'\)$/ });
    await assert.rejects(renderReport({ ...benchResults(), version: 2 } as unknown as BenchResults), { name: 'TypeError', message: /^results: sparq bench results version 2; this sparq reads version 1$/ });
    await assert.rejects(renderReport(null as unknown as BenchResults), { name: 'TypeError', message: /^results: not a sparq bench results file \(no format field/ });
    await assert.rejects(writeReport(benchResults(), ''), { name: 'TypeError', message: /^file: / });
  });
});

describe('cli: sparq report', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparq-report-'));
    fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(benchResults()));
    fs.writeFileSync(path.join(dir, 'other.json'), JSON.stringify({ format: 'something-else', rows: [] }));
    fs.writeFileSync(path.join(dir, 'broken.json'), '{"format": ');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the report and prints its path', async () => {
    const out = path.join(dir, 'report.html');
    const { code, stdout, stderr } = await sparq(['report', path.join(dir, 'results.json'), '-o', out]);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `${out}\n`);
    assert.equal(stderr, '');
    assert.equal(fs.readFileSync(out, 'utf8'), await renderReport(benchResults()));
  });

  it('--out is -o\'s long form', async () => {
    const out = path.join(dir, 'long.html');
    const { code, stderr } = await sparq(['report', path.join(dir, 'results.json'), '--out', out]);
    assert.equal(code, 0, stderr);
    assert.match(fs.readFileSync(out, 'utf8'), /<h1>sparq benchmark report<\/h1>/);
  });

  it('--help: usage with examples, exit 0', async () => {
    const { code, stdout } = await sparq(['report', '--help']);
    assert.equal(code, 0);
    assert.match(stdout, /^usage: sparq report <results\.json> -o <report\.html>\n/);
    assert.match(stdout, /\nexamples:\n {2}sparq report results\.json -o report\.html\n/);
  });

  it('a missing -o or results file, or an unknown flag: one line, exit 2, nothing written', async () => {
    const cases: [string[], RegExp][] = [
      [['report', path.join(dir, 'results.json')], /^sparq report: needs -o <report\.html>, the file to write$/],
      [['report', '-o', path.join(dir, 'x.html')], /^sparq report: needs a results file: sparq report <results\.json> -o <report\.html>$/],
      [['report', path.join(dir, 'results.json'), '-o'], /^sparq report: Option '-o, --out <value>' argument missing$/],
      [['report', 'a.json', 'b.json', '-o', 'x.html'], /^sparq report: unexpected argument 'b\.json'$/],
      [['report', path.join(dir, 'results.json'), '--nope'], /^sparq report: Unknown option '--nope'$/],
    ];
    const results = await Promise.all(cases.map(([args]) => sparq(args)));
    results.forEach(({ code, stdout, stderr }, i) => {
      assert.equal(code, 2, `${cases[i][0].join(' ')}: ${stderr}`);
      assert.match(stderr, ONE_LINE);
      assert.match(stderr.trimEnd(), cases[i][1]);
      assert.equal(stdout, '');
    });
    assert.ok(!fs.existsSync(path.join(dir, 'x.html')));
  });

  it('a file that is not bench results, not JSON, or missing: one line naming the problem, exit 1', async () => {
    const out = path.join(dir, 'never.html');
    const cases: [string, RegExp][] = [
      ['other.json', /^sparq report: \S+other\.json: not a sparq bench results file \(format 'something-else'; expected 'sparq-bench'\)$/],
      ['broken.json', /^sparq report: \S+broken\.json is not JSON \(/],
      ['missing.json', /^sparq report: cannot read \S+missing\.json: ENOENT/],
    ];
    const results = await Promise.all(cases.map(([file]) => sparq(['report', path.join(dir, file), '-o', out])));
    results.forEach(({ code, stdout, stderr }, i) => {
      assert.equal(code, 1, stderr);
      assert.match(stderr, ONE_LINE);
      assert.match(stderr.trimEnd(), cases[i][1]);
      assert.equal(stdout, '');
    });
    assert.ok(!fs.existsSync(out));
  });
});
