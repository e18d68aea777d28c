/**
 * `process(contract, fn)`: a function with a declared contract, recognised by the engine
 * through a brand (never by shape).
 */

import { parsePath } from '../context/paths.js'
import type { CheckContractPath } from '../engine/pathTypes.js'
import { describe, errors, suggest } from '../errors.js'
import type { TypedProcessContext } from './types.js'

/** What a process declares: the paths it reads and writes, the errors it may throw. */
export interface Contract {
  /** The registry name; defaults to the function's name. */
  name?: string
  /** Paths the body may read (read-only views). */
  inputs?: readonly string[]
  /** Paths the body may read and write. */
  outputs?: readonly string[]
  /** Error names (`e.name` or a class name in its prototype chain) re-thrown as they are. */
  errors?: readonly string[]
  /** Informational: shown by `theus audit inspect`. */
  sideEffects?: readonly string[]
}

/** Structured logging inside a process; entries land in `engine.logs`. */
export interface ProcessLog {
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

/**
 * The guarded context a process body receives. Type the layers with the type parameters when
 * you want checked access; by default they are open.
 */
export interface ProcessContext<TDomain = any, TGlobal = any> {
  readonly domain: TDomain
  readonly global: TGlobal
  /** A fresh object per run: readable, writable, never committed. */
  readonly local: Record<string, any>
  /** Alias of `domain` (the Python naming). */
  readonly domain_ctx: TDomain
  /** Alias of `global` (the Python naming). */
  readonly global_ctx: TGlobal
  readonly log: ProcessLog
  /** The run's `AbortSignal` (from `runProcess(..., { signal })`), for `fetch`. */
  readonly signal: AbortSignal | undefined
}

/** A process body. It may be async. */
export type ProcessFn<TArgs = any, TResult = unknown> = (
  ctx: ProcessContext,
  args: TArgs,
) => TResult

const BRAND: unique symbol = Symbol.for('theus.process')

/** What `process()` returns: register it with `engine.registerProcess`. */
export interface ProcessDefinition<TArgs = any, TResult = unknown> {
  readonly name: string
  readonly contract: Readonly<Contract>
  readonly fn: ProcessFn<TArgs, TResult>
  readonly [BRAND]: true
}

/** The contract with its paths parsed once, at definition time. */
export interface ParsedContract {
  inputs: string[][]
  outputs: string[][]
  errors: string[]
}

const parsed = new WeakMap<object, ParsedContract>()
const CONTRACT_KEYS = ['name', 'inputs', 'outputs', 'errors', 'sideEffects']

function checkPaths(name: string, list: unknown, key: string): string[][] {
  if (list === undefined) return []
  if (!Array.isArray(list))
    throw errors.invalidContract(
      name,
      `'${key}' must be an array of dotted paths, got ${typeof list}.`,
    )
  return list.map((p, i) => {
    const segs = parsePath(p)
    if (!segs)
      throw errors.invalidContract(
        name,
        `${key}[${i}] must be a non-empty dotted path such as 'domain.accounts', got ${JSON.stringify(p)}.`,
      )
    return segs
  })
}

/**
 * Declares a process: a function with a contract. Also exported as `defineProcess`.
 * @example
 * const inc = process({ inputs: ['domain.n'], outputs: ['domain.n'] }, function inc(ctx) { ctx.domain.n++ })
 */
export function process<TArgs = any, TResult = unknown>(
  contract: Contract,
  fn: ProcessFn<TArgs, TResult>,
): ProcessDefinition<TArgs, TResult> {
  const fallback = typeof fn === 'function' ? fn.name : ''
  if (contract === null || typeof contract !== 'object')
    throw errors.invalidContract(fallback || '<anonymous>', 'the contract must be an object.')
  const name = contract.name ?? fallback
  if (typeof fn !== 'function')
    throw errors.invalidContract(String(name || '<anonymous>'), 'the body must be a function.')
  if (typeof name !== 'string' || name.length === 0)
    throw errors.invalidContract(
      fallback || '<anonymous>',
      contract.name === undefined
        ? "an anonymous function has no name. Give the function a name or set 'name' in the contract."
        : `'name' must be a non-empty string, got ${describe(contract.name)}.`,
    )
  // A typo (`output:`) would otherwise leave the body without the permission it meant.
  for (const k of Object.keys(contract))
    if (!CONTRACT_KEYS.includes(k)) {
      const close = suggest(k, CONTRACT_KEYS)
      throw errors.invalidContract(
        name,
        `unknown key '${k}' in the contract.${close ? ` Did you mean '${close}'?` : ''} The keys are ${CONTRACT_KEYS.join(', ')}.`,
      )
    }
  const errs = contract.errors ?? []
  // sideEffects is informational, but a string there is a typo all the same.
  for (const [k, list] of [
    ['errors', errs],
    ['sideEffects', contract.sideEffects ?? []],
  ] as const)
    if (!Array.isArray(list) || list.some((e) => typeof e !== 'string' || e.length === 0))
      throw errors.invalidContract(name, `'${k}' must be an array of names (non-empty strings).`)
  const p: ParsedContract = {
    inputs: checkPaths(name, contract.inputs, 'inputs'),
    outputs: checkPaths(name, contract.outputs, 'outputs'),
    errors: [...errs],
  }
  const def = Object.freeze({
    name,
    contract: Object.freeze({ ...contract }),
    fn,
    [BRAND]: true as const,
  })
  parsed.set(def, p)
  return def
}

/** `process` under a name that does not shadow Node's global `process`. */
export const defineProcess = process

/** A contract with its path lists as literal tuples, as a typed `process` infers them. */
export interface TypedContract<
  TInputs extends readonly string[] = readonly string[],
  TOutputs extends readonly string[] = readonly string[],
> extends Omit<Contract, 'inputs' | 'outputs'> {
  /** Paths the body may read (read-only views). */
  inputs?: TInputs
  /** Paths the body may read and write. */
  outputs?: TOutputs
}

/** Each path of a contract list checked against the context (see `CheckPath`). */
type CheckPaths<TContext, T extends readonly string[]> = {
  readonly [K in keyof T]: CheckContractPath<TContext, T[K] & string>
}

/**
 * The `process` function bound to a context type, as `createProcess<typeof initial>()` returns
 * it: contract paths are checked and completed, and the body's `ctx` is typed from them.
 */
export type TypedProcess<TContext> = <
  const TInputs extends readonly string[] = readonly [],
  const TOutputs extends readonly string[] = readonly [],
  TArgs = Record<string, unknown>,
  TResult = unknown,
>(
  contract: Omit<Contract, 'inputs' | 'outputs'> & {
    inputs?: CheckPaths<TContext, TInputs>
    outputs?: CheckPaths<TContext, TOutputs>
  },
  fn: (
    // NoInfer: the body's ctx is given by the contract, never inferred from (cheaper to check).
    ctx: NoInfer<TypedProcessContext<TContext, TInputs[number], TOutputs[number]>>,
    args: TArgs,
  ) => TResult,
) => ProcessDefinition<TArgs, TResult>

/**
 * Returns `process` bound to a context type: a contract path that does not exist in the
 * context is a compile error (and editors complete paths), and the body's `ctx` shows exactly
 * the contract: inputs deeply readonly, outputs writable, undeclared paths absent. `args` and
 * the result are typed from the function. At run time it is `process` itself.
 * @example
 * export const process = createProcess<typeof initial>()
 * export const inc = process({ outputs: ['domain.n'] }, function inc(ctx, args: { by: number }) {
 *   ctx.domain.n += args.by
 * })
 */
export function createProcess<TContext>(): TypedProcess<TContext> {
  return process as TypedProcess<TContext>
}

/**
 * True for values made by `process()`: known by the definitions this module made, so a copy
 * (`{ ...def }`, which copies the brand) or an object that sets the brand is not one.
 */
export function isProcessDefinition(value: unknown): value is ProcessDefinition {
  return parsed.has(value as object)
}

/** The parsed contract of a definition made by `process()`. */
export function parsedContract(def: ProcessDefinition): ParsedContract {
  return parsed.get(def)!
}
