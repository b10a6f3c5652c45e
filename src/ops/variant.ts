/** The `variant` option every kernel call takes: a kernel variant's name, forced (tests, benchmarks). */
import { typeFail } from '../validate.js';

/** options.variant checked: the name, or null for the backend's own choice. */
export function checkVariant(options: { variant?: unknown }): string | null {
  if (options.variant === undefined) return null;
  if (typeof options.variant !== 'string') typeFail('options.variant', 'must be a string');
  return options.variant;
}
