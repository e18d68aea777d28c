/** Display helpers shared by the demos and the inspector. */
import type { Patch } from 'theus'

/** An error as data: its class name, its Theus code when it has one, its message. */
export interface ErrorData {
  name: string
  code: string | undefined
  /** `AuditInterlockError.level` (`'S'` or `'A'`), when the error has one. */
  level: string | undefined
  message: string
}

export function errorData(e: unknown): ErrorData {
  if (e instanceof Error) {
    const { code, level } = e as { code?: unknown; level?: unknown }
    return {
      name: e.name,
      code: typeof code === 'string' ? code : undefined,
      level: typeof level === 'string' ? level : undefined,
      message: e.message,
    }
  }
  return { name: 'Error', code: undefined, level: undefined, message: String(e) }
}

const money = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 })

export function formatMoney(n: unknown): string {
  return typeof n === 'number' ? money.format(n) : String(n)
}

/**
 * An amount typed in a form, or why it is not one: a finite number above 0. The forms disable
 * their button and say why, so no run ever starts with `NaN`.
 */
export function parseAmount(
  text: string,
): { ok: true; value: number } | { ok: false; why: string } {
  if (text.trim() === '') return { ok: false, why: 'Enter an amount.' }
  const value = Number(text)
  if (!Number.isFinite(value)) return { ok: false, why: 'Enter a number.' }
  if (value <= 0) return { ok: false, why: 'The amount must be more than 0.' }
  return { ok: true, value }
}

/**
 * JSON-like text for the eye, not for parsing back: `NaN`, `Infinity` and `undefined` are
 * written as such (JSON would write `null` or drop them), typed arrays, Maps and Sets are
 * summarised rather than dumped. With `indent`, nested containers go on lines of their own.
 */
export function formatValue(value: unknown, indent?: number): string {
  const seen = new Set<unknown>()
  const pad = (depth: number) => (indent === undefined ? '' : ' '.repeat(indent * depth))
  const nl = indent === undefined ? '' : '\n'
  const sep = indent === undefined ? ',' : ','
  const write = (v: unknown, depth: number): string => {
    if (v === undefined) return 'undefined'
    if (v === null) return 'null'
    if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v)
    if (typeof v === 'string') return JSON.stringify(v)
    if (typeof v === 'boolean') return String(v)
    if (typeof v === 'bigint') return `${v}n`
    if (typeof v === 'function') return `[function ${v.name || 'anonymous'}]`
    if (typeof v === 'symbol') return v.toString()
    if (ArrayBuffer.isView(v)) {
      const n = (v as unknown as { length?: number }).length ?? v.byteLength
      return JSON.stringify(`${v.constructor.name}(${n})`)
    }
    if (v instanceof Date) return JSON.stringify(v.toISOString())
    if (seen.has(v)) return '"[circular]"'
    seen.add(v)
    try {
      const list = (open: string, close: string, items: string[]) =>
        items.length === 0
          ? `${open}${close}`
          : `${open}${nl}${items.map((i) => `${pad(depth + 1)}${i}`).join(`${sep}${nl}`)}${nl}${pad(depth)}${close}`
      if (Array.isArray(v))
        return list(
          '[',
          ']',
          v.map((x) => write(x, depth + 1)),
        )
      if (v instanceof Set)
        return list(
          '[',
          ']',
          [...v].map((x) => write(x, depth + 1)),
        )
      const entries: [string, unknown][] =
        v instanceof Map ? [...v].map(([k, x]) => [String(k), x]) : Object.entries(v as object)
      const colon = indent === undefined ? ':' : ': '
      return list(
        '{',
        '}',
        entries.map(([k, x]) => `${JSON.stringify(k)}${colon}${write(x, depth + 1)}`),
      )
    } finally {
      seen.delete(v)
    }
  }
  return write(value, 0)
}

export function formatPatch(p: Patch): string {
  const path = p.path.join('.')
  return p.op === 'remove' ? `remove ${path}` : `${p.op} ${path} = ${formatValue(p.value)}`
}
