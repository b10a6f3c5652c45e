/**
 * A node's planned kernel calls, one per input shape (and per whatever else
 * a plan depends on, such as an input's run-time quantization): made on the
 * first run that needs one, then reused, so a steady run checks no arguments
 * and the addon reads no options. A model sees a few shapes at most (batch
 * sizes); a bound keeps a caller that changes shapes on every run from
 * growing it.
 */
const MAX_PLANS = 16;
const NONE: readonly number[] = [];

function same(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class PlanCache<P> {
  private readonly plans = new Map<string, P>();
  private last: { dims: readonly number[]; extra: readonly number[]; plan: P } | undefined;

  /** The plan for `dims` and `extra`, made by `make` the first time they are seen. */
  get(dims: readonly number[], make: () => P, extra: readonly number[] = NONE): P {
    const last = this.last;
    if (last !== undefined && same(dims, last.dims) && same(extra, last.extra)) return last.plan;
    const key = `${dims.join(',')}|${extra.join(',')}`;
    let plan = this.plans.get(key);
    if (plan === undefined) {
      plan = make();
      if (this.plans.size >= MAX_PLANS) this.plans.clear();
      this.plans.set(key, plan);
    }
    this.last = { dims: [...dims], extra: [...extra], plan };
    return plan;
  }
}
