/**
 * Text for the panel: short previews of values (heavy values summarised by type and size,
 * never walked or copied) and patches as readable diff lines.
 */
import type { Patch } from 'theus'

const MAX_STRING = 80

/** A typed array, DataView or ArrayBuffer: shown by type and size, never walked. */
export function isBinary(v: unknown): v is ArrayBufferView | ArrayBuffer {
  return (
    typeof v === 'object' &&
    v !== null &&
    (ArrayBuffer.isView(v) ||
      v instanceof ArrayBuffer ||
      (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer))
  )
}

function ctorName(v: object): string {
  const proto = Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null
  return proto?.constructor?.name || 'Object'
}

/** The summary of a binary or class value: `Float64Array(365)`, `ArrayBuffer(16 B)`. */
export function summary(v: object): string {
  if (ArrayBuffer.isView(v)) {
    const n = (v as { length?: number }).length
    return `${ctorName(v)}(${typeof n === 'number' ? n : `${v.byteLength} B`})`
  }
  if (isBinary(v)) return `${ctorName(v)}(${(v as ArrayBuffer).byteLength} B)`
  return ctorName(v)
}

/** Whether the tree may open a value (plain containers only; binaries and classes are leaves). */
export function isContainer(v: unknown): v is object {
  if (typeof v !== 'object' || v === null || isBinary(v) || v instanceof Date) return false
  if (Array.isArray(v) || v instanceof Map || v instanceof Set) return true
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** How many children a container has, without copying it. */
export function sizeOf(v: object): number {
  if (Array.isArray(v)) return v.length
  if (v instanceof Map || v instanceof Set) return v.size
  return Object.keys(v).length
}

/** One line for any value: a leaf in full (strings cut), a container by kind and size. */
export function short(v: unknown): string {
  if (v === undefined) return 'undefined'
  if (v === null) return 'null'
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > MAX_STRING ? `${v.slice(0, MAX_STRING)}…` : v)
    case 'number':
    case 'boolean':
      return String(v)
    case 'bigint':
      return `${v}n`
    case 'symbol':
      return v.toString()
    case 'function':
      return `ƒ ${v.name || 'anonymous'}`
  }
  const o = v as object
  if (o instanceof Date) return Number.isNaN(o.getTime()) ? 'Invalid Date' : o.toISOString()
  if (Array.isArray(o)) return `Array(${o.length})`
  if (o instanceof Map) return `Map(${o.size})`
  if (o instanceof Set) return `Set(${o.size})`
  if (!isContainer(o)) return summary(o)
  return `{…${sizeOf(o)}}`
}

/** A one-line preview of args and results: the first few keys of an object, each `short`. */
export function preview(v: unknown, keys = 4): string {
  if (!isContainer(v) || Array.isArray(v) || v instanceof Map || v instanceof Set) return short(v)
  const entries = Object.keys(v)
  if (entries.length === 0) return '{}'
  const shown = entries
    .slice(0, keys)
    .map((k) => `${k}: ${short((v as Record<string, unknown>)[k])}`)
  return `{ ${shown.join(', ')}${entries.length > keys ? `, …${entries.length - keys}` : ''} }`
}

/** A dotted path for display: `domain.accounts.Alice`, `domain.items.0`. */
export function pathText(path: readonly (string | number)[]): string {
  return path.map(String).join('.')
}

/** One line of a commit's diff. */
export interface DiffLine {
  op: Patch['op']
  path: string
  /** The value before, from the inverse patch (absent for an add). */
  before?: string
  /** The value after (absent for a remove). */
  after?: string
}

/**
 * A commit's patches as diff lines, the old values taken from the inverse patches
 * (`remove` of an added key, `replace`/`add` with the old value otherwise).
 */
export function diffLines(patches: readonly Patch[], inverse: readonly Patch[]): DiffLine[] {
  const old = new Map<string, Patch>()
  for (const p of inverse) old.set(pathText(p.path), p)
  return patches.map((p) => {
    const path = pathText(p.path)
    const inv = old.get(path)
    const line: DiffLine = { op: p.op, path }
    if (inv !== undefined && inv.op !== 'remove') line.before = short(inv.value)
    if (p.op !== 'remove') line.after = short(p.value)
    return line
  })
}

/** `code` and `message` of anything thrown. */
export function errorInfo(e: unknown): { code: string; message: string } {
  if (e !== null && typeof e === 'object') {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown }
    return {
      code: typeof code === 'string' ? code : typeof name === 'string' ? name : 'Error',
      message: typeof message === 'string' ? message : String(e),
    }
  }
  return { code: typeof e, message: String(e) }
}
