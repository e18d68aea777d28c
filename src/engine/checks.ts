/**
 * What a commit checks of a body's work before it lands, for runs and edits alike: the state
 * it would make against the context schema (`options.schema`, any Standard Schema validator,
 * which must answer synchronously: it runs inside the commit), and the body's return value,
 * which leaves as a frozen plain copy.
 */
import { errors, type SchemaIssue, SchemaViolationError } from '../errors.js'
import type { Run } from '../transaction/run.js'
import { deepFreeze, isHeavyKey, kindOf } from '../transaction/tree.js'
import type { StandardSchemaLike } from './options.js'

/** Throws `SCHEMA_VIOLATION` when `value`, the state the commit of `name` would make, fails. */
export function checkSchema(schema: StandardSchemaLike, value: unknown, name: string): void {
  const res = schema['~standard'].validate(value)
  // The code's own class, so that `instanceof SchemaViolationError` sees every SCHEMA_VIOLATION.
  if (res instanceof Promise)
    throw new SchemaViolationError(
      'The schema validated asynchronously; Theus checks schemas inside the commit, so give a synchronous schema.',
      [],
      { process: name },
    )
  if (res.issues) {
    const issues: SchemaIssue[] = res.issues.map((i) => ({
      message: i.message,
      path: (i.path ?? []).map((p) => {
        const k = typeof p === 'object' && p !== null ? (p as { key: PropertyKey }).key : p
        return typeof k === 'number' ? k : String(k)
      }),
    }))
    throw new SchemaViolationError(
      `Schema violation: the commit of '${name}' would break the context schema: ${issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')}. The run was rolled back.`,
      issues,
      { process: name },
    )
  }
}

/** A frozen plain copy of a body's return value, never a live view. */
export function plainResult(run: Run, out: unknown): unknown {
  if (typeof out !== 'object' || out === null) return out
  let copied: unknown
  try {
    copied = run.adopt(out)
  } catch (e) {
    // The copy overflowed the stack: a cycle, or a value nested very deep.
    throw e instanceof RangeError ? errors.resultShape(run.name, cycleIn(out)) : e
  }
  // A class instance passes as it is; containers, Dates and views of containers are copies.
  return copied === out ? out : deepFreeze(copied)
}

/**
 * Where a value the copy walks contains itself, if it does. It walks what `deepCopy` walks:
 * plain containers, not `heavy_` values nor class instances (kept by reference).
 */
function cycleIn(out: unknown): string | undefined {
  const on = new Set<object>()
  const walk = (v: unknown, path: string): string | undefined => {
    if (typeof v !== 'object' || v === null || kindOf(v) === -1) return undefined
    if (on.has(v)) return path
    on.add(v)
    for (const [k, x] of v instanceof Map || v instanceof Set || Array.isArray(v)
      ? v.entries()
      : Object.entries(v)) {
      const found = isHeavyKey(k) ? undefined : walk(x, `${path}.${String(k)}`)
      if (found) return found
    }
    on.delete(v)
    return undefined
  }
  // Finding the cycle may overflow the stack too, for a value that only nests very deep.
  try {
    return walk(out, 'result')
  } catch {
    return undefined
  }
}
