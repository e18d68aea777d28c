/**
 * Pieces both adapters share: the engine-typed aliases, the bridge from a signal to a
 * subscription (`useSyncExternalStore` in React, a shallow ref in Vue), and the
 * development-only warning. Not a public entry: the adapters re-export the types.
 */
import type { ReadonlySignal } from '@preact/signals-core'
import type {
  DeepReadonly,
  PathValue,
  ProcessDefinition,
  RunOptions,
  StateOf,
  TheusEngine,
} from 'theus'
import { computed, effect, untracked, warnOnce } from 'theus'

/** The context type of an engine type. */
export type ContextOf<TEngine> = TEngine extends TheusEngine<infer C> ? C : never
type IsAny<T> = 0 extends 1 & T ? true : false
/**
 * The snapshot type of an engine type, as `engine.state.value` has it. For an untyped engine
 * (`TheusEngine<any>`, what a provider gives) the layers are `any`, so a selector may annotate
 * its parameter with the application's own state type.
 */
export type StateSnapshot<TEngine> =
  IsAny<ContextOf<TEngine>> extends true
    ? { readonly global: any; readonly domain: any }
    : DeepReadonly<StateOf<ContextOf<TEngine>>>
/**
 * The type of `engine.select(path)`'s value. For an untyped engine (what a provider gives) it is
 * `any`, like a selector's layers, so `useTheus('domain.accounts.Alice')` renders as it is; the
 * hooks of `createTheusHooks<typeof engine>()` give the checked type.
 */
export type Selected<TEngine, P extends string> =
  IsAny<ContextOf<TEngine>> extends true
    ? any
    : DeepReadonly<PathValue<StateOf<ContextOf<TEngine>>, P>>
/** Compares two selections; `true` keeps the previous one (no re-render). */
export type EqualityFn<T> = (a: T, b: T) => boolean

/**
 * Calls `onChange` after each change of `sig`, never for its current value. `onChange` runs
 * untracked, so a selector that reads other signals does not subscribe this effect to them.
 */
export function subscribeSignal(sig: ReadonlySignal<unknown>, onChange: () => void): () => void {
  let first = true
  return effect(() => {
    // A selector's computed that throws stays subscribed; the reader's next read rethrows the
    // error where the view handles it (an error boundary), instead of a stale value forever.
    try {
      sig.value
    } catch {}
    if (first) {
      first = false
      return
    }
    untracked(onChange)
  })
}

/**
 * True unless the bundler replaced `process.env.NODE_ENV` with `'production'`. A browser
 * without a `process` global (no bundler define) counts as development.
 */
export function isDev(): boolean {
  try {
    return process.env.NODE_ENV !== 'production'
  } catch {
    return true
  }
}

/**
 * In development, runs a fresh selector a second time on the same state (`rerun`, untracked)
 * and warns once when the two results are not equal: such a selector re-renders on every
 * change of what it reads, since a new object never equals the previous one. A primitive
 * result is always stable: the selector is not run again (one call per snapshot, SPEC §7).
 */
export function checkSelectorStability<T>(
  selector: (state: any) => T,
  rerun: () => T,
  first: T,
  isEqual: EqualityFn<T>,
): void {
  if (!isDev() || Object(first) !== first) return
  const second = untracked(rerun)
  if (isEqual(first, second)) return
  const source = String(selector).replace(/\s+/g, ' ').slice(0, 120)
  warnOnce(
    `unstable-selector:${source}`,
    `useTheus(selector): the selector returned a new value for the same state (${source}). Select primitives, or pass an isEqual.`,
  )
}

//#region selector views

/** The engine's tracked reads (`TheusEngine._tracker()`, internal). */
type Tracker = ReturnType<TheusEngine<any>['_tracker']>
const ARRAY = 1
const MAP = 2
const SET = 3
const trackers = new WeakMap<object, Tracker>()
/** view → [tracker, handle]; handle → view. Views are cached per node, so identities hold. */
const handles = new WeakMap<object, [Tracker, object]>()
const views = new WeakMap<object, object>()
/**
 * Nodes whose whole subtree the running evaluation already follows (it enumerated them): their
 * key reads need no signal of their own, so a selector that walks 100 000 entries does not
 * create 100 000 key signals.
 */
let covered: Set<object> | undefined
const OBJECT_METHODS = new Set([
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'toString',
  'valueOf',
])
const readOnly = () => false

function trackerOf(engine: TheusEngine<any>): Tracker {
  let t = trackers.get(engine)
  if (t === undefined) trackers.set(engine, (t = engine._tracker()))
  return t
}

/** What a read gives a selector: a view for an object, array or Map, a snapshot for a Set. */
function wrap(t: Tracker, v: unknown, parent: object): unknown {
  const kind = t.kind(v)
  if (kind < 0) return v
  const h = v as object
  if (covered?.has(parent)) covered.add(h)
  if (kind === SET) return t.snap(h)
  const known = views.get(h)
  if (known !== undefined) return known
  const view = new Proxy(kind === ARRAY ? [] : kind === MAP ? new Map() : {}, handler(t, h, kind))
  views.set(h, view)
  handles.set(view, [t, h])
  return view
}

function handler(t: Tracker, h: object, kind: number): ProxyHandler<any> {
  const cov = () => covered?.has(h) === true
  const read = (k: unknown) => wrap(t, t.get(h, k, cov()), h)
  const keys = () => {
    ;(covered ??= new Set()).add(h)
    return t.keys(h)
  }
  const size = () => {
    ;(covered ??= new Set()).add(h)
    return t.size(h)
  }
  const own = (k: string | symbol): boolean =>
    typeof k === 'string' && (kind !== ARRAY || String(Number(k) >>> 0) === k) && t.has(h, k, cov())
  if (kind === MAP) {
    const entries = () => keys().map((k) => [k, read(k)] as [unknown, unknown])
    const map: Record<string | symbol, unknown> = {
      get: read,
      has: (k: unknown) => t.has(h, k, cov()),
      keys: () => keys()[Symbol.iterator](),
      values: () =>
        entries()
          .map((e) => e[1])
          [Symbol.iterator](),
      entries: () => entries()[Symbol.iterator](),
      forEach(fn: (v: unknown, k: unknown, m: unknown) => void, self?: unknown) {
        for (const [k, v] of entries()) fn.call(self, v, k, views.get(h))
      },
    }
    map[Symbol.iterator] = map['entries']
    return {
      get: (_, k) => (k === 'size' ? size() : map[k]),
      set: readOnly,
      deleteProperty: readOnly,
      defineProperty: readOnly,
      setPrototypeOf: readOnly,
    }
  }
  return {
    get(target, k) {
      if (own(k)) return read(k)
      if (kind === ARRAY) return k === 'length' ? size() : Reflect.get(target, k)
      return typeof k === 'string' && OBJECT_METHODS.has(k) ? Reflect.get(target, k) : undefined
    },
    has: (target, k) => own(k) || (kind === ARRAY && k in target),
    ownKeys: () => {
      const ks = keys() as string[]
      return kind === ARRAY ? [...ks, 'length'] : ks
    },
    getOwnPropertyDescriptor(_, k) {
      if (kind === ARRAY && k === 'length')
        return { value: size(), writable: true, enumerable: false, configurable: false }
      return own(k)
        ? { value: read(k), writable: false, enumerable: true, configurable: true }
        : undefined
    },
    set: readOnly,
    deleteProperty: readOnly,
    defineProperty: readOnly,
    setPrototypeOf: readOnly,
  }
}

/**
 * The selector's result with every view in it replaced by its snapshot (the object
 * `engine.state.value` holds there), following that whole subtree. Arrays and plain objects
 * the selector built are copied only when they hold a view.
 */
function settle(v: unknown, depth = 0): unknown {
  if (typeof v !== 'object' || v === null || depth > 64) return v
  const found = handles.get(v)
  if (found !== undefined) return found[0].snap(found[1])
  if (Object.isFrozen(v)) return v
  if (Array.isArray(v)) {
    let out: unknown[] | undefined
    for (let i = 0; i < v.length; i++) {
      const x = settle(v[i], depth + 1)
      if (x !== v[i]) (out ??= v.slice())[i] = x
    }
    return out ?? v
  }
  const proto = Object.getPrototypeOf(v)
  if (proto !== Object.prototype && proto !== null) return v
  let out: Record<string, unknown> | undefined
  for (const k of Object.keys(v)) {
    const x = settle((v as Record<string, unknown>)[k], depth + 1)
    if (x !== (v as Record<string, unknown>)[k]) (out ??= { ...v })[k] = x
  }
  return out ?? v
}

/**
 * Runs a selector against a read-only view of the committed state whose reads are tracked:
 * inside a computed or effect, it subscribes to exactly what the selector read (one key's
 * signal per leaf; a whole subtree for what it enumerated or returned), so a selector of one
 * leaf costs O(1) per commit. Views in the result become snapshots.
 */
export function runSelector<T>(engine: TheusEngine<any>, selector: (state: any) => T): T {
  const t = trackerOf(engine)
  const outer = covered
  covered = undefined
  try {
    return settle(selector(wrap(t, t.root, t.root))) as T
  } finally {
    covered = outer
  }
}

/**
 * A signal of a selector's result over the tracked view: recomputed only when something it
 * read changed, and lazily (a computed nobody follows subscribes to nothing).
 */
export function selectorSignal(
  engine: TheusEngine<any>,
  selector: (state: any) => unknown,
): ReadonlySignal<unknown> {
  return computed(() => runSelector(engine, selector))
}

/**
 * Runs `fn` tracked, once: the first time something it read changes, `onChange` runs
 * (untracked) and the subscription ends. Returns `fn`'s result, the function that ends the
 * subscription earlier, and what `fn` threw: a throw keeps the subscription to what `fn` read
 * before it, so a view recovers when that changes.
 */
export function trackOnce<T>(
  fn: () => T,
  onChange: () => void,
): [T, () => void, { e: unknown } | undefined] {
  let out!: T
  let failed: { e: unknown } | undefined
  let first = true
  const stop = effect(() => {
    if (first) {
      first = false
      try {
        out = fn()
      } catch (e) {
        failed = { e }
      }
      return
    }
    untracked(onChange)
  })
  return [out, stop, failed]
}

//#endregion

/** What `run` resolves to: the process's value, or the error it failed with. Never a rejection. */
export type RunOutcome<TResult> = { ok: true; value: TResult } | { ok: false; error: unknown }

/**
 * Runs a process and reports its outcome as data: at once for a synchronous process, as a
 * promise (that never rejects) for an async one. Both adapters' `useProcess` build on it.
 */
export function attempt(
  engine: TheusEngine<any>,
  process: string | ProcessDefinition,
  args: unknown,
  opts?: RunOptions,
): RunOutcome<unknown> | Promise<RunOutcome<unknown>> {
  let out: unknown
  try {
    out = (engine.runProcess as (p: unknown, a: unknown, o?: RunOptions) => unknown)(
      process,
      args,
      opts,
    )
  } catch (error) {
    return { ok: false, error }
  }
  if (typeof (out as { then?: unknown } | null)?.then !== 'function')
    return { ok: true, value: out }
  return Promise.resolve(out).then(
    (value): RunOutcome<unknown> => ({ ok: true, value }),
    (error: unknown): RunOutcome<unknown> => ({ ok: false, error }),
  )
}
