/**
 * YAML text → plain value, with a locator that maps a path inside the value back to the line
 * and column of its key or value. Shared by the recipe, workflow and Flux parsers so that
 * every error they raise points at the offending key or value (1-based).
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml'

/** A 1-based position in a source file. */
export interface SourcePosition {
  line: number
  column: number
}

/** A loaded YAML document. */
export interface YamlSource {
  /** The plain value; mappings are null-prototype-free plain objects built safely. */
  value: unknown
  /** Where `path` stands: its key (`at: 'key'`, default) or its value. */
  locate(path: readonly (string | number)[], at?: 'key' | 'value'): SourcePosition | undefined
  filename: string | undefined
}

/** A syntax problem in the YAML text itself. */
export interface YamlSyntaxProblem {
  message: string
  line: number
  column: number
}

/**
 * Parses YAML 1.2 (core schema, duplicate keys rejected). Returns either the source or the
 * first syntax problem; never throws on garbage.
 */
export function loadYaml(
  text: string,
  filename?: string,
): { ok: true; source: YamlSource } | { ok: false; problem: YamlSyntaxProblem } {
  const lineCounter = new LineCounter()
  let doc: ReturnType<typeof parseDocument>
  try {
    doc = parseDocument(String(text), {
      schema: 'core',
      uniqueKeys: true,
      prettyErrors: false,
      lineCounter,
    })
  } catch (e) {
    return { ok: false, problem: { message: (e as Error).message, line: 1, column: 1 } }
  }
  const err = doc.errors[0]
  if (err) {
    const pos = lineCounter.linePos(err.pos[0])
    const first = err.message.split('\n')[0] ?? err.message
    return { ok: false, problem: { message: first, line: pos.line, column: pos.col } }
  }
  const value = toPlain(doc.contents as Node | null)
  const pos = (offset: number | undefined): SourcePosition | undefined => {
    if (offset === undefined) return undefined
    const p = lineCounter.linePos(offset)
    return { line: p.line, column: p.col }
  }
  return {
    ok: true,
    source: {
      value,
      filename,
      locate(path, at = 'key') {
        let node: unknown = doc.contents
        let keyNode: unknown
        for (const seg of path) {
          keyNode = undefined
          if (isMap(node)) {
            const pair = node.items.find(
              (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
            )
            if (!pair) return rangeOf(node)
            keyNode = pair.key
            node = pair.value
          } else if (isSeq(node) && typeof seg === 'number') {
            node = node.items[seg]
          } else {
            return rangeOf(node)
          }
        }
        if (at === 'key' && keyNode) return rangeOf(keyNode) ?? rangeOf(node)
        return rangeOf(node) ?? rangeOf(keyNode)
      },
    },
  }
  function rangeOf(n: unknown): SourcePosition | undefined {
    const r = (n as { range?: [number, number, number] } | undefined)?.range
    return r ? pos(r[0]) : undefined
  }
}

// Builds plain values by hand rather than with doc.toJS(), so that keys such as `__proto__`
// become own data properties and never reach an object's prototype.
function toPlain(node: Node | null | undefined): unknown {
  if (node == null) return null
  if (isMap(node)) {
    const out: Record<string, unknown> = {}
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
      Object.defineProperty(out, k, {
        value: toPlain(pair.value as Node | null),
        enumerable: true,
        writable: true,
        configurable: true,
      })
    }
    return out
  }
  if (isSeq(node)) return node.items.map((n) => toPlain(n as Node | null))
  if (isScalar(node)) return node.value
  return (node as { toJSON?: () => unknown }).toJSON?.() ?? null
}

/** `file:line:col` for messages. */
export function formatPosition(
  filename: string | undefined,
  pos: SourcePosition | undefined,
): string {
  const f = filename ?? '<inline>'
  return pos ? `${f}:${pos.line}:${pos.column}` : f
}
