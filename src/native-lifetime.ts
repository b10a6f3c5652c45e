/**
 * The lifetime of native memory that JS objects own (packed weights).
 *
 * Such an object frees its memory in dispose(), at once. One never disposed
 * is freed when V8 collects it: the addon reports the memory it holds to V8,
 * so the collector feels its weight, but nothing says when that happens. An
 * owner that makes many of them in one go (an InferenceSession preparing its
 * nodes) collects what was made with collectNative() and disposes it all
 * together, as tfjs's tidy() does for its tensors.
 */
import { native, onPlanMade, type NativeHandle } from './native.js';
import { markDisposed } from './validate.js';

export interface NativeOwner {
  /** Frees the native memory now; using the object after is a TypeError. Calling it again does nothing. */
  dispose(): void;
}

const scopes: NativeOwner[][] = [];

/** Hands `owner` to the innermost collectNative() running, if any (called by the objects' constructors). */
export function adoptNative(owner: NativeOwner): void {
  scopes[scopes.length - 1]?.push(owner);
}

// A plan handle (a planned kernel call) joins the innermost scope too, held
// weakly: a plan its maker dropped is still collected, and one still alive
// when the scope's owner is released is freed then. Plans are made lazily,
// on a node's first run of an input shape, so a session runs its nodes in
// its own scope (collectInto).
onPlanMade((handle) => {
  const scope = scopes[scopes.length - 1];
  if (scope === undefined) return;
  const ref = new WeakRef(handle as object);
  scope.push({
    dispose() {
      const live = ref.deref();
      if (live !== undefined) native()?.disposeHandle(live as NativeHandle);
    },
  });
});

/** Runs `make` with what it makes adopted into `owners` (a scope kept open across calls: a session's runs). */
export function collectInto<T>(owners: NativeOwner[], make: () => T): T {
  scopes.push(owners);
  try {
    return make();
  } finally {
    scopes.pop();
  }
}

/**
 * Runs `make` and returns what it returned with every native owner made while
 * it ran. If `make` throws, those are disposed before the error goes on.
 */
export function collectNative<T>(make: () => T): { result: T; owners: NativeOwner[] } {
  const owners: NativeOwner[] = [];
  scopes.push(owners);
  try {
    return { result: make(), owners };
  } catch (e) {
    for (const o of owners) o.dispose();
    throw e;
  } finally {
    scopes.pop();
  }
}

/** Frees `owner`'s native handle (if it has one) and marks it disposed. */
export function disposeNative(owner: NativeOwner, handle: NativeHandle | null): void {
  if (handle) native()?.disposeHandle(handle);
  markDisposed(owner);
}
