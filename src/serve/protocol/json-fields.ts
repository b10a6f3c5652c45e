/** Fields of a parsed JSON request body, each checked for its JSON kind; a wrong one is a 400 naming the field. */
import { RequestError } from '../model-spec.js';

/** `value` as an object (not a list, not null). */
export function jsonObject(what: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RequestError(`${what} must be a JSON object, got ${jsonKind(value)}`);
  return value as Record<string, unknown>;
}

/** `value` as a list. */
export function jsonList(what: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new RequestError(`${what} must be a list, got ${jsonKind(value)}`);
  return value;
}

/** `value` if it is undefined (absent) or of JSON kind `kind`. */
export function optional<K extends 'string' | 'boolean'>(what: string, value: unknown, kind: K): (K extends 'string' ? string : boolean) | undefined {
  if (value !== undefined && typeof value !== kind) throw new RequestError(`${what} must be a ${kind}, got ${jsonKind(value)}`);
  return value as (K extends 'string' ? string : boolean) | undefined;
}

/** A string field that must be present. */
export function requiredString(what: string, value: unknown): string {
  const s = optional(what, value, 'string');
  if (s === undefined) throw new RequestError(`${what} is required`);
  return s;
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : typeof value;
}
