/**
 * The contract at the type level: from a context type and the paths a contract declares, the
 * `ctx` a process body receives. Declared inputs are deeply readonly, declared outputs
 * writable, and nothing else is there, as the guard enforces at run time (SPEC §2, §11).
 */
import type { DeepReadonly, IsAny, NormalizePath, StateOf } from '../engine/pathTypes.js'
import type { TheusEngine } from '../engine/TheusEngine.js'
import type { ProcessDefinition, ProcessLog } from './process.js'

/** The first segment of each dotted path in a union. */
type Head<P extends string> = P extends `${infer H}.${string}` ? H : P
/** What the paths of a union that start with `K` declare below it (`''`: `K` itself). */
type Tail<P extends string, K extends string> = P extends K
  ? ''
  : P extends `${K}.${infer R}`
    ? R
    : never

/** The paths of a union that fall in one layer, relative to it (`''`: the whole layer). */
type InLayer<P extends string, L extends string> = Tail<NormalizePath<P>, L>

type Flatten<T> = { [K in keyof T]: T[K] } & {}

/**
 * The view of a value `T` for the declared paths below it: `I` read (relative, `''` = all of
 * `T`), `O` written. A value under a declared output is `T` itself, writable; under an input
 * only, deeply readonly; an ancestor of declared paths shows only the declared children, and a
 * child is a writable property exactly when it is itself declared in outputs.
 */
export type ContractView<T, I extends string, O extends string> =
  IsAny<T> extends true
    ? '' extends I | O
      ? any
      : KeysView<T, I, O>
    : unknown extends T
      ? unknown
      : '' extends O
        ? T
        : '' extends I
          ? [O] extends [never]
            ? DeepReadonly<T>
            : ReadAllView<T, O>
          : ViewOfKeys<T, I, O>

/**
 * An ancestor of declared paths: only the declared children. A `null` or `undefined` member of
 * its union stays as it is (`profile: Profile | null` reads `null` at run time, not `{}`).
 */
type ViewOfKeys<T, I extends string, O extends string> = T extends null | undefined
  ? T
  : T extends ReadonlyMap<any, any> | readonly any[]
    ? // Paths into a Map or an array: the container as a whole (writable when something in it
      // is an output; the guard still checks the exact entries at run time).
      [O] extends [never]
      ? DeepReadonly<T>
      : T
    : KeysView<T, I, O>

type KeysView<T, I extends string, O extends string> = Flatten<
  {
    -readonly [K in ExactKeys<O>]: Member<T, K>
  } & {
    readonly [K in Exclude<Head<I | O>, ExactKeys<O>>]: ContractView<
      Member<T, K>,
      Tail<I, K>,
      Tail<O, K>
    >
  }
>

/** An input ancestor with outputs below it: everything readable, the outputs writable. */
type ReadAllView<T, O extends string> = T extends
  | ReadonlyMap<any, any>
  | readonly any[]
  | null
  | undefined
  ? T
  : Flatten<
      {
        -readonly [K in ExactKeys<O>]: Member<T, K>
      } & {
        readonly [K in Exclude<keyof T, ExactKeys<O>>]: K extends Head<O>
          ? ContractView<T[K], '', Tail<O, K & string>>
          : DeepReadonly<T[K]>
      }
    >

/** Children declared themselves (not only below them) in outputs. */
type ExactKeys<O extends string> = O extends `${string}.${string}` ? never : O

/**
 * The value of one child: a record's entry may be missing, and so may a key that only some
 * members of a union have.
 */
type Member<T, K extends PropertyKey> =
  IsAny<T> extends true
    ? any
    : string extends keyof T
      ? T[string & keyof T] | undefined
      : K extends keyof T
        ? T[K]
        : undefined

/**
 * The `ctx` of a process body typed from its contract: `TInputs` and `TOutputs` are the
 * declared paths (unions of path strings).
 * @example
 * type Ctx = TypedProcessContext<typeof initial, 'domain.accounts', 'domain.total_reserves'>
 */
export interface TypedProcessContext<TContext, TInputs extends string, TOutputs extends string> {
  readonly domain: LayerView<StateOf<TContext>['domain'], TInputs, TOutputs, 'domain'>
  readonly global: LayerView<StateOf<TContext>['global'], TInputs, TOutputs, 'global'>
  /** Alias of `domain` (the Python naming). */
  readonly domain_ctx: LayerView<StateOf<TContext>['domain'], TInputs, TOutputs, 'domain'>
  /** Alias of `global` (the Python naming). */
  readonly global_ctx: LayerView<StateOf<TContext>['global'], TInputs, TOutputs, 'global'>
  /** A fresh object per run: readable, writable, never committed. */
  readonly local: Record<string, any>
  readonly log: ProcessLog
  /** The run's `AbortSignal` (from `runProcess(..., { signal })`), for `fetch`. */
  readonly signal: AbortSignal | undefined
}

type LayerView<T, I extends string, O extends string, L extends string> = ContractView<
  T,
  InLayer<I, L>,
  InLayer<O, L>
>

//#region processes known to an engine

/** Processes by registry name, as `new TheusEngine(initial, { processes })` takes them. */
export type ProcessMap = Record<string, ProcessDefinition<any, any>>

/**
 * The process names an engine knows the types of: the keys of its `processes` option. `never`
 * for an engine that was given none (its `runProcess` takes any name, unchecked).
 */
export type ProcessNames<TProcesses> =
  IsAny<TProcesses> extends true ? never : keyof TProcesses & string

/**
 * The names `runProcess` takes unchecked: any string for an engine that was given no
 * `processes`, none for one that was (its names are checked, `ProcessNames`).
 */
export type UncheckedName<TProcesses> = IsAny<TProcesses> extends true ? string : never

/** The args type of a process definition. */
export type ArgsOf<TDef> = TDef extends ProcessDefinition<infer A, any> ? A : never
/** The result type of a process definition (a promise for an async body). */
export type ResultOf<TDef> = TDef extends ProcessDefinition<any, infer R> ? R : never

/**
 * The rest parameters of a run: args may be left out when every one is optional (or the
 * process declares none), otherwise they are required.
 */
export type RunArgs<TArgs, TOptions> = {} extends TArgs
  ? [args?: TArgs, opts?: TOptions]
  : [args: TArgs, opts?: TOptions]

//#endregion

/**
 * The processes an engine type knows (its `processes` option), `any` for an engine given none.
 * @example
 * type Names = keyof ProcessesOf<typeof engine> // 'transfer' | 'deposit'
 */
export type ProcessesOf<TEngine> = TEngine extends TheusEngine<any, infer P> ? P : any
