/** The compression report: reportModel() measures one step, formatReport() puts steps side by side. */
export { reportModel, type ModelReport, type ReportOptions, type SpeedReport } from './report.js';
export { formatReport } from './format.js';
export type { LayerReport } from './layers.js';
