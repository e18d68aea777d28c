/**
 * Process names in workflows, at the type level. Workflows usually come from YAML, whose names
 * the compiler cannot see (the engine checks them when they run); a workflow or pipeline
 * written as an object literal in code, against an engine given `processes`, has its process
 * names checked here (docs/types.md).
 */
import type { ProcessesOf, ProcessNames } from '../contract/types.js'

/** The process names an engine type knows (`never` when it knows none: nothing is checked). */
export type KnownProcessNames<TEngine> = ProcessNames<ProcessesOf<TEngine>>

type Entry<N extends string> = N | readonly N[]
type Events = Readonly<Record<string, string>>

/** A state machine document whose entry processes are names of `N`. */
export interface TypedWorkflowSource<N extends string> {
  readonly name?: string
  readonly description?: string
  readonly initial?: string
  readonly start_state?: string
  readonly states: {
    readonly [state: string]: {
      readonly entry?: Entry<N>
      readonly process?: Entry<N>
      readonly events?: Events
      readonly on?: Events
      readonly transitions?: Events
      readonly description?: string
    }
  }
  readonly signals?: Events
}

/** One Flux step whose processes are names of `N`. */
export type TypedFluxStep<N extends string> =
  | N
  | { readonly process: N }
  | {
      readonly flux: 'if'
      readonly condition: string
      readonly then?: TypedFluxSteps<N>
      readonly else?: TypedFluxSteps<N>
    }
  | { readonly flux: 'while'; readonly condition: string; readonly do?: TypedFluxSteps<N> }
  | { readonly flux: 'run'; readonly steps?: TypedFluxSteps<N> }
type TypedFluxSteps<N extends string> = TypedFluxStep<N> | readonly TypedFluxStep<N>[]

/** A Flux pipeline whose processes are names of `N`. */
export type TypedFluxSource<N extends string> =
  | {
      readonly name?: string
      readonly description?: string
      readonly steps: readonly TypedFluxStep<N>[]
    }
  | readonly TypedFluxStep<N>[]

// The names a document's type gives its processes. `string` among them means the document was
// parsed or built from strings (`parseWorkflow`, `validateFlux`, a `string[]`): the compiler
// cannot know them, so nothing is checked and the engine checks them when they run.
type NameIn<E> = E extends readonly (infer U)[] ? U : E extends string ? E : never
type NameAt<S, K extends string> = S extends { readonly [P in K]?: infer E } ? NameIn<E> : never
type WorkflowNames<TDef> = TDef extends { readonly states: infer S }
  ? { [K in keyof S]: NameAt<S[K], 'entry'> | NameAt<S[K], 'process'> }[keyof S]
  : never
type StepName<S> = S extends string ? S : S extends { readonly process: infer P } ? P : never
type FluxNames<TDef> = TDef extends readonly (infer S)[]
  ? StepName<S>
  : TDef extends { readonly steps: readonly (infer S)[] }
    ? StepName<S>
    : never

/**
 * `TDef` itself when its process names are the engine's (or when nothing can be checked: an
 * engine without `processes`, YAML text, a parsed document or one typed loosely); otherwise the
 * typed shape, so the compiler points at the unknown name.
 */
export type CheckWorkflow<TEngine, TDef> = [KnownProcessNames<TEngine>] extends [never]
  ? TDef
  : TDef extends string
    ? TDef
    : TDef extends { readonly states: object }
      ? TDef extends TypedWorkflowSource<KnownProcessNames<TEngine>>
        ? TDef
        : string extends WorkflowNames<TDef>
          ? TDef
          : TypedWorkflowSource<KnownProcessNames<TEngine>>
      : TDef

/** As `CheckWorkflow`, for Flux pipelines (`{ steps }` or the list of steps). */
export type CheckFlux<TNames extends string, TDef> = [TNames] extends [never]
  ? TDef
  : TDef extends string
    ? TDef
    : TDef extends { readonly steps: readonly unknown[] } | readonly unknown[]
      ? TDef extends TypedFluxSource<TNames>
        ? TDef
        : string extends FluxNames<TDef>
          ? TDef
          : TypedFluxSource<TNames>
      : TDef
