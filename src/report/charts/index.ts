/** The report's charts, in the order the page shows them. */
import { accuracyChart } from './accuracy.js';
import type { Chart } from './chart.js';
import { latencyChart, throughputChart } from './models.js';
import { sparsityChart } from './sparsity.js';
import { speedupChart } from './speedup.js';

export type { Chart };

export const CHARTS: readonly Chart[] = [sparsityChart, speedupChart, latencyChart, throughputChart, accuracyChart];
