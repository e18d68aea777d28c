/**
 * Type-level helpers: the dotted paths of a context type, and the value at one of them.
 *
 * Cost matters here as much as at run time: these types are evaluated for every `select`,
 * `useTheus` and contract path in an app. Path unions are built once per context type (TypeScript
 * caches alias instantiations) and walked to a bounded depth, so a context of hundreds of fields
 * stays well under a second of checking (figures in docs/types.md).
 */

/** True when `T` is `any`. */
export type IsAny<T> = 0 extends 1 & T ? true : false

/** A deeply readonly view of a value, as snapshots are (`any` stays `any`). */
export type DeepReadonly<T> =
  IsAny<T> extends true
    ? any
    : T extends (...args: any[]) => any
      ? T
      : T extends ArrayBufferView | ArrayBuffer | Date
        ? T
        : T extends ReadonlyMap<infer K, infer V>
          ? ReadonlyMap<K, DeepReadonly<V>>
          : T extends ReadonlySet<infer V>
            ? ReadonlySet<DeepReadonly<V>>
            : T extends readonly (infer E)[]
              ? readonly DeepReadonly<E>[]
              : T extends object
                ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
                : T

/**
 * The committed layers of a context type. An untyped engine (`TheusEngine`, context `any`) has
 * `any` layers, so `engine.state.value.domain.accounts` type-checks without annotations.
 */
export type StateOf<TContext> = IsAny<TContext> extends true ? AnyLayers : TypedLayers<TContext>
interface AnyLayers {
  global: any
  domain: any
}
interface TypedLayers<TContext> {
  global: TContext extends { global: infer G } ? G : Record<string, never>
  domain: TContext extends { domain: infer D } ? D : Record<string, never>
}

type Step<T, K extends string> =
  IsAny<T> extends true
    ? any
    : unknown extends T
      ? unknown
      : T extends null | undefined
        ? // Below a missing entry (`items.0` of an empty array) the value is missing too.
          undefined
        : T extends ReadonlyMap<any, infer V>
          ? V | undefined
          : T extends readonly (infer E)[]
            ? K extends `${number}`
              ? E | undefined
              : unknown
            : string extends keyof T
              ? // A record (string index): any key may be missing.
                T[string] | undefined
              : K extends keyof T
                ? T[K]
                : // A member of a union without that key (`{ kind: 'idle' }`): it reads undefined.
                  undefined

/** Resolves the Python-style layer aliases and `[i]` steps, as `parsePath` does at run time. */
export type NormalizePath<P extends string> = Brackets<
  P extends `domain_ctx.${infer R}`
    ? `domain.${R}`
    : P extends `global_ctx.${infer R}`
      ? `global.${R}`
      : P extends 'domain_ctx'
        ? 'domain'
        : P extends 'global_ctx'
          ? 'global'
          : P
>
type Brackets<P extends string> = P extends `${infer A}[${infer I}]${infer R}`
  ? Brackets<`${A}.${I}${R}`>
  : P

type Walk<T, P extends string> = P extends `${infer H}.${infer R}`
  ? Walk<Step<T, H>, R>
  : Step<T, P>

/**
 * The type at a dotted path (`'domain.accounts.Alice'`) of a state type.
 * @example
 * type Bal = PathValue<{ domain: { accounts: Record<string, number> } }, 'domain.accounts.Alice'> // number | undefined
 */
export type PathValue<T, P extends string> = string extends P ? unknown : Walk<T, NormalizePath<P>>

//#region path unions

/**
 * How deep path unions go below a layer (`domain.a.b.c.d.e` is 5 below `domain`). Deeper paths
 * are still accepted, unchecked (`domain.a.b.c.d.e.${string}`), so a deep context never makes a
 * valid path an error; it only stops being completed.
 */
export type PathDepth = 5
type Down = [never, 0, 1, 2, 3, 4, 5, 6, 7]

/** Values a path stops at: nothing inside them is addressable as context data. */
type Leaf =
  | string
  | number
  | boolean
  | bigint
  | symbol
  | null
  | undefined
  | Date
  | ArrayBufferView
  | ArrayBuffer
  | ((...args: any[]) => any)
  | ReadonlySet<any>

/**
 * The dotted paths below a value, to depth `D`: keys of plain objects, any key of a record or
 * Map (`${string}`), any index of an array (`${number}`, also written `[0]`).
 */
export type SubPaths<T, D extends number = PathDepth> =
  IsAny<T> extends true
    ? string
    : [D] extends [never]
      ? T extends Leaf
        ? T extends ReadonlyMap<any, any>
          ? string
          : never
        : string
      : T extends ReadonlyMap<any, infer V>
        ? `${string}` | `${string}.${SubPaths<V, Down[D]>}`
        : T extends Leaf
          ? never
          : T extends readonly (infer E)[]
            ? `${number}` | `${number}.${SubPaths<E, Down[D]>}`
            : T extends object
              ? string extends keyof T
                ? `${string}` | `${string}.${SubPaths<T[string], Down[D]>}`
                : {
                    [K in keyof T & string]:
                      | K
                      | `${K}.${SubPaths<T[K], Down[D]>}`
                      | (T[K] extends readonly (infer E)[]
                          ? `${K}[${number}]` | `${K}[${number}].${SubPaths<E, Down[D]>}`
                          : never)
                  }[keyof T & string]
              : never

type LayerPaths<L extends string, T> = L | `${L}.${SubPaths<T>}`

/**
 * Every path of a context type that `select`, `useTheus` and contracts accept: `global.*` and
 * `domain.*` with their `global_ctx.` / `domain_ctx.` aliases. For an untyped context, `string`.
 * @example
 * type P = StatePath<{ domain: { n: number } }> // 'domain' | 'domain.n' | 'domain_ctx' | 'domain_ctx.n' | 'global' | ...
 */
export type StatePath<TContext> =
  IsAny<TContext> extends true ? string : StatePathOf<StateOf<TContext>>
type StatePathOf<S extends { global: unknown; domain: unknown }> =
  | LayerPaths<'domain' | 'domain_ctx', S['domain']>
  | LayerPaths<'global' | 'global_ctx', S['global']>

/** A path a contract may declare: a state path, or anything under `local` (never checked). */
export type ContractPath<TContext> = StatePath<TContext> | 'local' | `local.${string}`

//#endregion

//#region checking one path

// Signatures check a path by walking it (`CheckPath`), not by relating it to the union of every
// path: the walk costs the path's length, where a union of a large context costs its size on
// every call (ten times slower on a context of 200 fields). The union stays exported for
// annotations; the walk gives the same errors and completes the keys of the level being typed.

type LayerToken = 'domain' | 'global' | 'domain_ctx' | 'global_ctx'
type Canonical<L extends LayerToken> = L extends 'domain_ctx'
  ? 'domain'
  : L extends 'global_ctx'
    ? 'global'
    : L

/**
 * `P` when it is a path of the context (`select`, `useTheus`), else the paths the compiler
 * suggests instead: the valid keys at the first segment that does not exist, so an error reads
 * "not assignable to 'domain.accounts' | 'domain.total_reserves' | ...", with "did you mean",
 * and an editor completes the level being typed. `string` for an untyped context.
 * @example
 * function select<P extends string>(path: CheckPath<typeof initial, P>) {}
 */
export type CheckPath<TContext, P extends string> =
  IsAny<TContext> extends true ? P : CheckIn<StateOf<TContext>, P>

/** As `CheckPath`, for contracts: `local` and anything below it are accepted too. */
export type CheckContractPath<TContext, P extends string> = P extends 'local' | `local.${string}`
  ? P
  : CheckPath<TContext, P>

type CheckIn<
  S extends { global: unknown; domain: unknown },
  P extends string,
> = P extends LayerToken
  ? P
  : P extends `${infer L extends LayerToken}.${infer R}`
    ? Verdict<P, Walk1<S[Canonical<L>], Brackets<R>, L, []>>
    : 'domain' | 'global' | 'domain.' | 'global.' | 'domain_ctx.' | 'global_ctx.'

type Verdict<P, R> = true extends R ? P : Exclude<R, true>

/**
 * How many segments below the layer a path is checked: deeper segments are accepted unchecked,
 * so that no context, however deep, makes the compiler recurse without end.
 */
export type CheckDepth = 10

type Walk1<
  T,
  R extends string,
  Prefix extends string,
  D extends unknown[],
> = D['length'] extends CheckDepth
  ? true
  : unknown extends T
    ? // `unknown` (or `any`): nothing is known of its shape, so any path below it is accepted.
      true
    : R extends `${infer H}.${infer Rest}`
      ? Step1<NonNullable<T>, H, Prefix, Rest, D>
      : Step1<NonNullable<T>, R, Prefix, never, D>

type Next<T, Prefix extends string, Rest extends string, D extends unknown[]> = [Rest] extends [
  never,
]
  ? true
  : Walk1<T, Rest, Prefix, [...D, 0]>

type Step1<T, H extends string, Prefix extends string, Rest extends string, D extends unknown[]> =
  IsAny<T> extends true
    ? true
    : T extends ReadonlyMap<any, infer V>
      ? Next<V, `${Prefix}.${H}`, Rest, D>
      : T extends Leaf
        ? Prefix
        : T extends readonly (infer E)[]
          ? H extends `${number}`
            ? Next<E, `${Prefix}.${H}`, Rest, D>
            : `${Prefix}.${number}`
          : string extends keyof T
            ? Next<T[string & keyof T], `${Prefix}.${H}`, Rest, D>
            : H extends keyof T
              ? Next<T[H], `${Prefix}.${H}`, Rest, D>
              : `${Prefix}.${keyof T & string}`

//#endregion
