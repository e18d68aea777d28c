/**
 * The engine's admin commits: `edit`, `undo`, `redo` and applied patches (`_commitPatches`:
 * replayed edits, atomic workflows, sync). They are transactions outside any process: no
 * contract and no gates, the same atomicity through the engine's `_commit`, the schema still
 * checked. What is theirs lives here: the admin Run (one kept per engine), the admin view of
 * the root, and the direct path that buffers keyed patches without views. A process run never
 * calls in here, so none of it is on the run path that TheusEngine.ts keeps in one class; the
 * engine's public methods delegate here. (Named after the engine, it also sorts next to it in
 * the core bundle, which gzips about 30 B smaller than with the module placed first.)
 */
import { zoneOfSegment } from '../context/zones.js'
import { errors, TheusError } from '../errors.js'
import { type Changes, isReset } from '../transaction/commit.js'
import { bufferDelete, bufferSet, Run } from '../transaction/run.js'
import { DELETED, forEachSignalField, getKey, Kind, kindOf, nodeOf } from '../transaction/tree.js'
import { isThenable } from '../workflow/host.js'
import { plainResult } from './checks.js'
import { checkPatch, withoutSignals } from './history.js'
import type { TheusEngine } from './TheusEngine.js'
import type { Patch } from './types.js'

type Engine = TheusEngine<any, any>

/**
 * The refusals every admin commit shares, in this order: a disposed engine (`DISPOSED`), one
 * inside a run or another commit (`NESTED_RUN`), a halted one (`ENGINE_HALTED`). The messages
 * are built only when thrown (undo and redo pass here on every call).
 */
function admit(engine: Engine, label: string, patches = false): void {
  engine._live(label)
  if (engine._busy > 0) throw errors.nestedRun(`${label}()`)
  // An atomic pipeline's undo takes back its own commits, no new change: it passes a halt
  // (a level S interlock stopping the pipeline is the failure it undoes, SPEC §5.2).
  if (engine._haltEvent !== undefined && label !== 'flux:undo')
    throw engine._haltedError(label, patches ? `${label} was refused` : `${label}() was refused`)
}

/** `engine.edit(fn)`: `fn` writes through the admin view; its writes commit as one. */
export function edit<T>(engine: Engine, fn: (state: any) => T): T {
  admit(engine, 'edit')
  if (typeof fn !== 'function')
    throw new TheusError('INVALID_ARGS', `edit() expects a function, got ${typeof fn}.`)
  const t0 = performance.now()
  const run = adminRun(engine, 'edit')
  const root = adminRoot(engine, run)
  engine._hold(run)
  try {
    let result: T
    try {
      const out = fn(root)
      // Asked while the run's views still answer: `fn` may return one (`s => s.domain.x`).
      const thenable = isThenable(out)
      run.closed = true
      if (thenable)
        throw new TheusError(
          'INVALID_ARGS',
          'edit() is synchronous: its function returned a promise. Do async work first, then call edit() with the results, or use an async process.',
        )
      if (run.violation) throw run.violation
      engine._checkSchema(run, 'edit')
      if (run.violation) throw run.violation
      if (engine.disposed) throw errors.disposed('committing edit()')
      result = plainResult(run, out) as T
    } catch (e) {
      failed(engine, run, 'edit', e)
    }
    engine._events.batch(() => {
      engine._commit(run, 'edit', undefined, result, t0, true)
      engine._notifyHeavy(undefined, run)
    })
    return result
  } finally {
    adminDone(engine, run)
  }
}

/**
 * An admin commit failed: rolled back as a failed run is (its heavy reassignments kept and
 * notified, SPEC §3.1), released first so that a `'rollback'` listener may commit, then
 * `'rollback'` with the error, which is thrown.
 */
function failed(engine: Engine, run: Run, label: string, e: unknown): never {
  run.closed = true
  engine._release(run)
  engine._events.batch(() => engine._notifyHeavy(undefined, run))
  engine._events.emit('rollback', { process: label, args: undefined, error: e })
  throw e
}

/**
 * A Run for edit, undo, redo and patches: the one kept from the last admin commit when it
 * is free (its views died with it: each carries its generation), else a new one.
 */
function adminRun(engine: Engine, label: string): Run {
  let run = engine._adminSpare
  if (run !== undefined) {
    engine._adminSpare = undefined
    run.reuse(engine._seq)
    run.name = label
    return run
  }
  run = new Run(label, engine._seq)
  run.strict = engine._strict
  return run
}

/** An admin Run is done (committed or rolled back): the next admin commit may reuse it. */
function adminDone(engine: Engine, run: Run): void {
  run.closed = true
  engine._release(run)
  engine._adminSpare = run
}

function adminRoot(engine: Engine, run: Run): any {
  return run.rootView(engine._rootRaw, engine._root, undefined, true)
}

/** `engine._commitPatches`: the patches applied as one commit labelled `label`. */
export function commitPatches(
  engine: Engine,
  patches: readonly Patch[],
  label: string,
  logRun: boolean,
  applied?: (patches: Patch[], inverse: Patch[]) => void,
): Changes | undefined {
  admit(engine, label, true)
  return applyPatches(engine, patches, label, logRun, applied)
}

/**
 * Applies patches as one commit (undo, redo, replay of edits, atomic workflows, sync), without
 * building the patch list it applied (undo and redo need none). Patches go through the admin
 * view, so they obey the same rules as a body's writes: no `__proto__`, plain data outside
 * `heavy_`. The caller has admitted the commit.
 */
function applyPatches(
  engine: Engine,
  patches: readonly Patch[],
  label: string,
  logRun: boolean,
  applied?: (patches: Patch[], inverse: Patch[]) => void,
): Changes | undefined {
  // The clock is read only when someone listens for durations, as for runs.
  const t0 = engine._events.listening('commit') ? performance.now() : -1
  const run = adminRun(engine, label)
  let root: any
  engine._hold(run)
  try {
    for (const p of patches) {
      checkPatch(p, label)
      if (p.path.length === 0) continue
      if (isReset(p)) {
        const segs = p.path.map(String)
        const at = segs.findIndex((seg) => zoneOfSegment(seg) === 'signal')
        const silent = (run.silent ??= new Set())
        if (at >= 0) silent.add(segs.slice(0, at + 1).join('.'))
        else if (kindOf(p.value) === Kind.Object)
          // A container holding signal fields, restored by an undo: a reset of each.
          forEachSignalField(p.value as Record<string, unknown>, segs.join('.'), (f) =>
            silent.add(f),
          )
      }
      if (patchDirect(engine, run, p)) continue
      root ??= adminRoot(engine, run)
      let parent = root
      for (let i = 0; ; i++) {
        const seg = p.path[i]!
        // Only a Map takes a key that is not a string or a number (checkPatch lets them by).
        if (!(parent instanceof Map) && typeof seg !== 'string' && typeof seg !== 'number')
          throw new TheusError(
            'INVALID_ARGS',
            `Cannot apply a patch in ${label}: only a Map takes such a key.`,
          )
        if (i === p.path.length - 1) break
        parent = parent instanceof Map ? parent.get(seg) : parent[seg]
        if (parent === null || typeof parent !== 'object')
          throw new TheusError(
            'INVALID_ARGS',
            `Cannot apply a patch at '${p.path.join('.')}': '${seg}' is missing.`,
          )
      }
      const key = p.path[p.path.length - 1]!
      const isMap = parent instanceof Map
      // At an array index, `add` inserts and `remove` takes the element out (immer, JSON Patch).
      const at = Array.isArray(parent) && typeof key === 'number' ? key : -1
      if (p.op === 'remove') {
        if (isMap) parent.delete(key)
        else if (at >= 0) {
          if (at < parent.length) parent.splice(at, 1)
        } else delete parent[key as string]
      } else if (isMap) parent.set(key, p.value)
      else if (at >= 0 && p.op === 'add') parent.splice(at, 0, p.value)
      else parent[key as string] = p.value
      if (run.violation) throw run.violation
    }
    // Checked as every commit is (SPEC §3): a replayed or synced log is untrusted input.
    engine._checkSchema(run, label)
    run.closed = true
    return engine._events.batch(() => {
      const out = engine._commit(run, label, undefined, undefined, t0, logRun, applied)
      engine._notifyHeavy(undefined, run)
      return out
    })
  } catch (e) {
    failed(engine, run, label, e)
  } finally {
    adminDone(engine, run)
  }
}

/**
 * Buffers a patch straight into the admin run's writes, without views, when the admin view
 * would do exactly that: a primitive (or a remove) at a key of a plain object reached through
 * plain objects only, no zone prefix on the way and nothing the run has written above it.
 * False for anything else (arrays, Maps, containers as values, zones, a missing parent),
 * which goes through the view with its checks and its errors. Undo and redo of a keyed
 * change take this path: no proxy per level, no view per container.
 */
function patchDirect(engine: Engine, run: Run, p: Patch): boolean {
  const path = p.path
  const value = (p as { value?: unknown }).value
  if (
    p.op !== 'remove' &&
    value !== null &&
    (typeof value === 'object' || typeof value === 'function')
  )
    return false
  let node = engine._root
  const last = path.length - 1
  // A root key (a layer) goes through the view, which keeps the root's shape (SPEC §1).
  if (!last) return false
  for (let i = 0; i <= last; i++) {
    const seg = path[i]
    if (typeof seg !== 'string' || seg === '__proto__' || zoneOfSegment(seg) !== undefined)
      return false
    if (i === last) break
    if (run.writes.size > 0 && run.writes.get(node)?.has(seg) === true) return false
    const v = getKey(node.raw, node.kind, seg)
    if (kindOf(v) !== Kind.Object) return false
    node = nodeOf(v as object, node, seg)
  }
  const key = path[last] as string
  const raw = node.raw
  if (p.op === 'remove') {
    const w = run.writes.get(node)
    const inRaw = Object.hasOwn(raw, key)
    // Deleting what is not there writes nothing (as the view's delete).
    if (w?.has(key) ? w.get(key) !== DELETED : inRaw) bufferDelete(run.writeBuf(node), key, inRaw)
  } else bufferSet(run.writeBuf(node), key, value, raw, false)
  return true
}

/** `engine.undo()`: commits the inverse patches of the last history entry. */
export function undo(engine: Engine): boolean {
  admit(engine, 'undo')
  const entry = engine._records.history.last()
  if (!entry) return false
  // The entry moves only once its patches are applied: a failed undo keeps it.
  applyPatches(
    engine,
    withoutSignals(entry.inversePatches, true),
    'undo',
    true,
    engine._records.undone,
  )
  return true
}

/** `engine.redo()`: commits again the patches of the last undone entry. */
export function redo(engine: Engine): boolean {
  admit(engine, 'redo')
  const redo = engine._records.redo
  const entry = redo[redo.length - 1]
  if (!entry) return false
  applyPatches(engine, withoutSignals(entry.patches), 'redo', true, engine._records.redone)
  return true
}
