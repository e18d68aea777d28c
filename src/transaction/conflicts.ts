/**
 * The optimistic-concurrency check of async runs (SPEC §3.1, §9): a run conflicts when a path
 * it actually read or wrote was changed by another commit since it began. Leaf values are
 * judged by their per-key stamps, enumerations by the container's shape stamp, replaced
 * containers by their node's version. Cost: O(what the run touched).
 */
import { joinPath } from '../context/paths.js'
import { Kind } from './plain.js'
import { type Run, SHAPE } from './run.js'
import { existingNode, getKey, hasKey, type Node } from './tree.js'
import { DEEP } from './views.js'

/** The paths a run read or wrote that a commit changed since it began (`[]` when none). */
export function conflictsOf(run: Run, currentSeq: number): string[] {
  if (currentSeq === run.startSeq) return []
  const out = new Set<string>()
  const since = run.startSeq
  const r = run.reads
  for (let i = 0; i < run.nReads; i += 2) {
    const node = r[i] as Node
    const key = r[i + 1]
    if (key === DEEP) {
      if (node.ver > run.startVer) out.add(node.path)
      continue
    }
    const stamp = key === SHAPE ? node.shapeStamp : (node.stamps?.get(key) ?? 0)
    // A Set's members have no paths of their own: the Set's path names them.
    if (stamp > since)
      out.add(
        key === SHAPE || node.kind === Kind.Set
          ? node.path
          : joinPath([node.path, String(key)].filter(Boolean)),
      )
  }
  const writes = run.writes
  for (let i = 0; i < writes.n; i++) {
    const w = writes.valueList[i]!
    const node = w.node
    for (let j = 0; j < w.n; j++) {
      const key = w.keyList[j]
      // A container the run replaces or deletes conflicts with a commit inside it too: its
      // node's version moved (no lost update).
      const old = hasKey(node.raw, node.kind, key) ? getKey(node.raw, node.kind, key) : undefined
      const child = typeof old === 'object' && old !== null ? existingNode(old) : undefined
      if ((node.stamps?.get(key) ?? 0) > since || (child !== undefined && child.ver > run.startVer))
        out.add(joinPath([node.path, String(key)].filter(Boolean)))
    }
  }
  for (const node of run.wholes.keys()) if (node.ver > run.startVer) out.add(node.path)
  return [...out]
}
