import type { TopLevelSpec } from 'vega-lite';

import type { BenchResults } from '../../benchmark/results.js';

/** One chart of the report: what it shows, and its spec, or null when the results hold nothing for it. */
export interface Chart {
  id: string;
  title: string;
  caption: string;
  /** The line shown instead of the chart when spec() is null. */
  empty: string;
  spec(results: BenchResults): TopLevelSpec | null;
}

type FacetSpec = Extract<TopLevelSpec, { facet: unknown }>;

/** `spec` drawn once per distinct value of `data`'s `field`, in the data's order, `columns` panels to a row. */
export function panels<T extends object>(data: T[], field: keyof T & string, columns: number, spec: FacetSpec['spec'], resolve?: FacetSpec['resolve']): TopLevelSpec {
  return {
    data: { values: data },
    facet: { field, type: 'nominal', title: null, sort: [...new Set(data.map((d) => String(d[field])))] },
    columns,
    spec,
    ...(resolve && { resolve }),
  };
}

/** A share of zeros as a percent label: 0.9 -> '90%'. */
export const percent = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** The median of `xs` (non-empty). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Threads as a label: '1 thread', '4 threads'. */
export const threadsLabel = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;
