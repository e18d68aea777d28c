/** Display helpers shared by the demos and the inspector. */
import type { Patch } from 'theus'

/** An error as data: its class name, its Theus code when it has one, its message. */
export interface ErrorData {
  name: string
  code: string | undefined
  message: string
}

export function errorData(e: unknown): ErrorData {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code
    return { name: e.name, code: typeof code === 'string' ? code : undefined, message: e.message }
  }
  return { name: 'Error', code: undefined, message: String(e) }
}

const money = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 })

export function formatMoney(n: unknown): string {
  return typeof n === 'number' ? money.format(n) : String(n)
}

/** JSON for the eye: typed arrays, Maps and Sets are summarised rather than dumped. */
export function formatValue(value: unknown, indent?: number): string {
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Float64Array).length})`
      if (v instanceof Map) return Object.fromEntries(v)
      if (v instanceof Set) return [...v]
      if (v === undefined) return 'undefined'
      return v
    },
    indent,
  )
  return text ?? String(value)
}

export function formatPatch(p: Patch): string {
  const path = p.path.join('.')
  return p.op === 'remove' ? `remove ${path}` : `${p.op} ${path} = ${formatValue(p.value)}`
}
