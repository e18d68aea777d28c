/**
 * What `new TheusEngine(initial, options)` takes: the types of its arguments (re-exported by
 * TheusEngine.ts), and their checks: the initial context's shape and the options' limits, each
 * refused with a message that says how to fix it, and the options with their defaults filled in.
 */

import { rootKeyError } from '../context/plainData.js'
import type { ProcessMap } from '../contract/types.js'
import { describe, errors, suggest, TheusError } from '../errors.js'
import { Kind, kindOf } from '../transaction/tree.js'
import type { TheusEngine } from './TheusEngine.js'

/** A Standard Schema validator (zod 4, valibot, arktype...). Only the part Theus uses. */
export interface StandardSchemaLike {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => StandardResult | Promise<StandardResult>
  }
}
type StandardResult =
  | { readonly value: unknown; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
      }>
    }

/** Options of `new TheusEngine`. */
export interface EngineOptions<TProcesses extends ProcessMap = ProcessMap> {
  /**
   * Processes to register, by name (`{ transfer, deposit }`): each is registered under its key,
   * as `registerProcess(key, def)` does, and the engine's type knows their names, args and
   * results, so `runProcess(name, args)` is checked.
   */
  processes?: TProcesses
  /** Contract guard, zone policy and frozen snapshots (default true). */
  strictMode?: boolean
  /** An audit recipe object, or YAML text once `theus/yaml` is imported. */
  auditRecipe?: unknown
  /** Any Standard Schema validator, checked on every commit. */
  schema?: StandardSchemaLike
  /** How many commits `history` keeps (default 100; `Infinity` keeps every one). */
  historyLimit?: number
  /**
   * How many entries `runLog` keeps (default 1000; `Infinity` keeps every run). The state just
   * before the first kept entry is `engine.runLogBase`, so a capped log still replays.
   */
  runLogLimit?: number
  /** Flux safety limit (default 10000). */
  maxOps?: number
}

/** The shape of an initial context. */
export interface ContextInput {
  global?: Record<string, any>
  domain?: Record<string, any>
}

/** Throws `INVALID_CONTEXT` unless `initial` is `{ global?, domain? }` of plain objects. */
export function checkInitial(initial: unknown): void {
  if (kindOf(initial) !== Kind.Object)
    throw errors.invalidContext(`expected a plain object, got ${describe(initial)}`)
  for (const key of Object.keys(initial as object)) {
    const layer = (initial as Record<string, unknown>)[key]
    // A missing layer defaults to {}.
    const e = rootKeyError(key, layer === undefined ? {} : layer)
    if (e) throw e
  }
}

const OPTION_KEYS = 'processes strictMode auditRecipe schema historyLimit runLogLimit maxOps'.split(
  ' ',
)

/**
 * The first key of an options object that is not in `allowed` (a typo such as `exclude` would
 * otherwise be ignored without a word); `''` when `o` is not a plain object; `undefined` when
 * every key is known.
 */
export function strayKey(o: unknown, allowed: readonly string[]): string | undefined {
  return kindOf(o) === Kind.Object ? Object.keys(o as object).find((k) => !allowed.includes(k)) : ''
}

/**
 * Throws `INVALID_ARGS` for options that are not an object, an unknown key (a typo such as
 * `strictmode` would otherwise turn nothing off), a `strictMode` that is not a boolean, or
 * a `schema` that is not a Standard Schema validator.
 */
export function checkOptions(options: unknown): asserts options is EngineOptions {
  const o = options as Record<string, any>
  const k = strayKey(o, OPTION_KEYS)
  const close = k ? suggest(k, OPTION_KEYS) : undefined
  const what =
    k === ''
      ? `expected an object, got ${describe(o)}`
      : k !== undefined
        ? `unknown option '${k}'${close ? `; did you mean '${close}'?` : ''}`
        : o.strictMode !== undefined && typeof o.strictMode !== 'boolean'
          ? `strictMode must be a boolean, got ${describe(o.strictMode)}`
          : o.schema !== undefined && typeof o.schema?.['~standard']?.validate !== 'function'
            ? `schema must be a Standard Schema (zod...), got ${describe(o.schema)}`
            : undefined
  if (what !== undefined) throw new TheusError('INVALID_ARGS', `Engine options: ${what}.`)
}

const RUN_KEYS = ['signal', 'retries']

/** Throws `INVALID_ARGS` for `runProcess` options other than `{ signal?, retries? }`. */
export function checkRunOptions(process: string, o: { signal?: any; retries?: unknown }): void {
  const r = o?.retries
  const k = strayKey(o, RUN_KEYS)
  const what =
    k !== undefined
      ? `expected { signal?, retries? }, got ${k ? `the key '${k}'` : describe(o)}`
      : r !== undefined && !(Number.isInteger(r) && (r as number) >= 0)
        ? `retries must be a whole number ≥ 0, got ${String(r)}`
        : o.signal !== undefined && typeof o.signal?.addEventListener !== 'function'
          ? `signal must be an AbortSignal, got ${describe(o.signal)}`
          : undefined
  if (what !== undefined)
    throw new TheusError('INVALID_ARGS', `Invalid run options for process '${process}': ${what}.`, {
      details: { process },
    })
}

/** `engine.options`: the limits checked (`INVALID_ARGS`), the defaults filled in, frozen. */
export function engineOptions(options: EngineOptions, strict: boolean): TheusEngine['options'] {
  return Object.freeze({
    strictMode: strict,
    historyLimit: whole('historyLimit', options.historyLimit ?? 100, 0, true),
    runLogLimit: whole('runLogLimit', options.runLogLimit ?? 1000, 0, true),
    maxOps: whole('maxOps', options.maxOps ?? 10_000, 1),
    schema: options.schema,
    auditRecipe: options.auditRecipe,
  })
}

/** An option that is a whole number ≥ `min` (or, when `inf`, Infinity). */
function whole(name: string, v: unknown, min: number, inf?: boolean): number {
  if (!(Number.isInteger(v) ? (v as number) >= min : inf && v === Number.POSITIVE_INFINITY))
    throw new TheusError(
      'INVALID_ARGS',
      `Engine options: ${name} must be a whole number ≥ ${min}${inf ? ' or Infinity' : ''}, got ${describe(v)}.`,
    )
  return v as number
}
