/**
 * What the signal and heavy zones add to a commit (SPEC §3.1). A signal field lasts one
 * commit: the engine notes each field's initial value at construction, and the next commit
 * that does not write it again resets it. A heavy value is kept by reference, never copied or
 * diffed, so its selections cannot see a change: they are bumped by path after each run that
 * declares or writes one.
 */
import { batch, type Signal } from '@preact/signals-core'
import { joinPath } from '../context/paths.js'
import type { Commit } from '../transaction/commit.js'
import type { Run } from '../transaction/run.js'
import {
  bumpUp,
  DELETED,
  deepCopy,
  getKey,
  kindOf,
  type Node,
  nodeOf,
} from '../transaction/tree.js'
import type { Registered } from './registry.js'

/** Puts a signal field back to its initial value (`init`), as a write of commit `c`. */
export function resetSignalField(
  root: Node,
  init: Map<string, unknown>,
  field: string,
  c: Commit,
): void {
  const segs = field.split('.')
  let node = root
  for (let i = 0; i < segs.length - 1; i++) {
    const v = getKey(node.raw, node.kind, segs[i])
    if (kindOf(v) === -1) return
    node = nodeOf(v as object, node, segs[i])
  }
  const key = segs[segs.length - 1]!
  const value = init.has(field) ? deepCopy(init.get(field)) : DELETED
  const before = c.n
  if (c.applyKey(node, key, value)) {
    // Marked so that undo, redo and replay apply it as a reset, without publishing it.
    c.markResets(before)
    bumpUp(node)
  }
}

/** The engine's members a heavy notification moves: the sequence and the heavy selections. */
interface HeavyHost {
  _seq: number
  readonly _heavySigs: Map<string, Signal<number>>
}

/**
 * Bumps the selections of the heavy paths a run declared (`reg.heavyOutputs`) or wrote
 * (`run.heavyWrites`, which also get a conflict stamp), and of their ancestors and children.
 */
export function notifyHeavy(engine: HeavyHost, reg: Registered | undefined, run: Run): void {
  const paths: string[] = reg ? [...reg.heavyOutputs] : []
  const writes = run.heavyWrites
  run.heavyWrites = undefined
  // One batch: a reassigned heavy path notifies its subscribers once.
  batch(() => {
    if (writes) {
      const seq = ++engine._seq
      for (const { node, key } of writes) {
        ;(node.stamps ??= new Map()).set(key, seq)
        bumpUp(node)
        paths.push(joinPath([node.path, String(key)].filter(Boolean)))
      }
    }
    if (paths.length === 0 || engine._heavySigs.size === 0) return
    for (const [p, sig] of engine._heavySigs)
      if (paths.some((h) => p === h || p.startsWith(`${h}.`) || h.startsWith(`${p}.`))) sig.value++
  })
}
