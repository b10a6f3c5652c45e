/**
 * The report's one look: the page's CSS and the Vega-Lite config every
 * chart shares, so fonts, sizes and colors agree between the text and the
 * charts, and a series keeps its color from chart to chart.
 */
import type { Config } from 'vega-lite';

const FONT = "'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif";
const INK = '#1f2933';
const MUTED = '#52606d';
const RULE = '#d9dee3';

/** onnxruntime is the yardstick in every chart: always the same neutral gray. */
export const ONNXRUNTIME_COLOR = '#7b8794';
/** sparq's series, in order (Tableau 10 without its gray, which is onnxruntime's). */
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];

/** A color scale giving each of `series` a fixed color, onnxruntime's series its gray, whatever order the data comes in. */
export function seriesColors(series: readonly string[]): { domain: string[]; range: string[] } {
  let next = 0;
  return { domain: [...series], range: series.map((s) => (s.startsWith('onnxruntime') ? ONNXRUNTIME_COLOR : PALETTE[next++ % PALETTE.length])) };
}

export const CHART_CONFIG: Config = {
  font: FONT,
  background: 'white',
  padding: 8,
  view: { stroke: RULE },
  axis: {
    labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelColor: MUTED, titleColor: INK,
    gridColor: '#eef1f4', domainColor: RULE, tickColor: RULE, labelLimit: 0, titlePadding: 8,
  },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', titleColor: INK, labelColor: MUTED, labelLimit: 0, orient: 'bottom', direction: 'horizontal' },
  header: { labelFontSize: 12, labelColor: INK, titleFontSize: 12, labelLimit: 0, labelPadding: 6 },
  title: { fontSize: 13, fontWeight: 'normal', color: INK },
  line: { strokeWidth: 2 },
  point: { size: 40, filled: true },
  bar: { cornerRadiusEnd: 2 },
  range: { category: PALETTE },
};

export const CSS = `
  :root { color-scheme: light; }
  body { margin: 0; background: #f5f7fa; color: ${INK}; font: 15px/1.5 ${FONT}; }
  main { max-width: 1240px; margin: 0 auto; padding: 32px 24px 64px; }
  h1 { font-size: 26px; margin: 0 0 4px; font-weight: 600; }
  h2 { font-size: 19px; margin: 0 0 4px; font-weight: 600; }
  .subtitle { color: ${MUTED}; margin: 0 0 24px; }
  section { background: white; border: 1px solid ${RULE}; border-radius: 6px; padding: 20px 24px; margin: 0 0 20px; }
  .caption { color: ${MUTED}; margin: 0 0 12px; font-size: 14px; }
  .chart { overflow-x: auto; }
  .chart svg { display: block; max-width: none; }
  .empty { color: ${MUTED}; font-style: italic; margin: 0; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 20px; margin: 0; }
  dt { color: ${MUTED}; }
  dd { margin: 0; }
  ul.notes { margin: 0; padding-left: 20px; }
  .columns { display: grid; grid-template-columns: 1fr 1fr; gap: 0 32px; }
  @media (max-width: 800px) { .columns { grid-template-columns: 1fr; } }
  table { border-collapse: collapse; font-size: 12.5px; font-variant-numeric: tabular-nums; width: 100%; }
  th, td { padding: 4px 6px; border-bottom: 1px solid #eef1f4; text-align: right; white-space: nowrap; }
  th { color: ${MUTED}; font-weight: 600; border-bottom: 1px solid ${RULE}; background: white; }
  th.text, td.text { text-align: left; }
  th.side { text-align: center; color: ${INK}; border-bottom: 1px solid ${MUTED}; }
  td.faster { color: #2f7d32; }
  td.slower { color: #b3261e; }
  .table { overflow-x: auto; }
`;
