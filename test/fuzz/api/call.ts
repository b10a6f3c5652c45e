/**
 * One fuzzed call, regenerated from (seed, index): the drawn case, perhaps
 * mutated, run through the public API, and its outcome judged. Only a
 * TypeError/RangeError naming an argument may come out of an invalid call;
 * a valid one must return the reference's result.
 */
import { Draw } from './draw.js';
import { mutate, type Mutated } from './mutate.js';
import { ASYNC_FORMS, TARGETS, type Case } from './targets.js';

export interface Planned {
  api: string;
  async: boolean;
  mutation: Mutated;
  run(): unknown;
  check: Case['check'];
}

export type Outcome =
  | { kind: 'checked' }
  | { kind: 'accepted' }
  | { kind: 'rejected' }
  | { kind: 'finding'; what: string; message: string };

/** The fraction of calls whose drawn arguments are mutated. */
const MUTATED = 0.6;
/** The fraction of kernel calls made through their Async form. */
const ASYNC = 0.3;
const NAMES = Object.keys(TARGETS);

/**
 * Messages of errors V8 or Node throws when code uses a value it did not
 * check: a TypeError/RangeError of this kind means validation missed an argument.
 */
const UNCHECKED = /Cannot read prop|Cannot set prop|is not a function|is not iterable|is not a constructor|Cannot convert|Invalid typed array length|Invalid array length|Maximum call stack|allocation failed|Cannot perform|Cannot create property|Cannot mix BigInt|Cannot destructure|out of memory|Start offset|offset is out of bounds|Invalid time value|Reduce of empty array/;

export function plan(seed: number, index: number): Planned {
  const d = new Draw(seed, index);
  const name = d.pick(NAMES);
  const c = TARGETS[name](d);
  const mutation = d.chance(MUTATED) ? mutate(c.args, c.arity, d, c.out) : { args: c.args, label: 'valid', benign: true, mustReject: false };
  const asyncForm = ASYNC_FORMS[c.api] !== undefined && d.chance(ASYNC) ? ASYNC_FORMS[c.api] : undefined;
  const fn = (asyncForm ?? c.fn) as (...args: unknown[]) => unknown;
  return { api: c.api, async: asyncForm !== undefined, mutation, run: () => fn(...mutation.args), check: c.check };
}

function judgeError(p: Planned, e: unknown): Outcome {
  const message = e instanceof Error ? e.message : String(e);
  if (!(e instanceof TypeError) && !(e instanceof RangeError))
    return { kind: 'finding', what: `threw ${e instanceof Error ? e.constructor.name : typeof e}`, message };
  if (UNCHECKED.test(message)) return { kind: 'finding', what: `unvalidated argument (${e.constructor.name} from inside)`, message };
  if (p.mutation.benign) return { kind: 'finding', what: 'valid call rejected', message };
  return { kind: 'rejected' };
}

function judgeResult(p: Planned, result: unknown): Outcome {
  if (p.mutation.mustReject) return { kind: 'finding', what: 'invalid call accepted', message: p.mutation.label };
  if (!p.mutation.benign) return { kind: 'accepted' };
  const mismatch = p.check(result);
  return mismatch === undefined ? { kind: 'checked' } : { kind: 'finding', what: 'wrong result', message: mismatch };
}

/** Runs the planned call and judges it (sync calls stay sync: no await where none is needed). */
export function execute(p: Planned): Outcome | Promise<Outcome> {
  let result: unknown;
  try {
    result = p.run();
  } catch (e) {
    return judgeError(p, e);
  }
  if (!p.async) return judgeResult(p, result);
  return (result as Promise<unknown>).then((r) => judgeResult(p, r), (e) => judgeError(p, e));
}
