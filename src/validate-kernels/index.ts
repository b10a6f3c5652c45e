/**
 * On-machine kernel validation (`sparq validate`): every kernel family x
 * every variant this machine runs against the reference backend.
 */
export { validateKernels, KERNEL_FAMILIES, type ValidateOptions, type ValidationReport, type ValidationRow, type FirstFailure } from './validate-kernels.js';
export { withInjectedFault } from './fault.js';
export { exact, within, dotTolerance, type KernelCheck, type Comparison, type ValidateLevel, type Values } from './check.js';
export { KERNEL_CHECKS } from './checks/index.js';
