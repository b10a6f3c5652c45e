/**
 * A Vega-Lite spec drawn to an SVG string in Node: compiled to Vega and
 * rendered headless (no canvas, no DOM), so the report carries finished
 * drawings and needs no script or network to open.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

import { CHART_CONFIG } from './style.js';

/**
 * The SVG's element ids (Vega's clip paths) renamed `<prefix>-<n>` in order
 * of appearance: Vega numbers them with a process-wide counter, which would
 * make the same results give a different page on each call.
 */
function ownIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const [, id] of svg.matchAll(/\bid="([^"]+)"/g)) ids.set(id, `${prefix}-${ids.size + 1}`);
  return svg.replace(/\bid="([^"]+)"|url\(#([^)]+)\)/g, (match, id?: string, ref?: string) =>
    id !== undefined ? `id="${ids.get(id)}"` : ids.has(ref!) ? `url(#${ids.get(ref!)})` : match);
}

/** `spec` as an SVG document string; its ids start with `idPrefix`, to keep them unique in a page of several charts. */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string): Promise<string> {
  // Vega-Lite warns on stderr about layered facets with independent scales (harmless here); errors still throw.
  const compiled = compile({ ...spec, config: CHART_CONFIG } as TopLevelSpec, { logger: vega.logger(vega.Error) }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return ownIds(await view.toSVG(), idPrefix);
  } finally {
    view.finalize();
  }
}
