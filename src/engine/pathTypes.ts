/** Type-level helpers: the value at a dotted path of a context type. */

type IsAny<T> = 0 extends 1 & T ? true : false

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
            : unknown

type Unalias<P extends string> = P extends `domain_ctx.${infer R}`
  ? `domain.${R}`
  : P extends `global_ctx.${infer R}`
    ? `global.${R}`
    : P

type Walk<T, P extends string> = P extends `${infer H}.${infer R}`
  ? Walk<Step<T, H>, R>
  : Step<T, P>

/**
 * The type at a dotted path (`'domain.accounts.Alice'`) of a state type.
 * @example
 * type Bal = PathValue<{ domain: { accounts: Record<string, number> } }, 'domain.accounts.Alice'> // number | undefined
 */
export type PathValue<T, P extends string> = string extends P ? unknown : Walk<T, Unalias<P>>
