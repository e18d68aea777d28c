/**
 * The engine's registry: what it runs. Process definitions by name, each compiled once at
 * registration against the context it will run on (paths checked, zone policy, permission
 * trie), so that a run is one map lookup; and `scanAndRegister`'s module walk.
 *
 * The engine keeps the public methods (`registerProcess`, `replaceProcess`...) and delegates
 * here; its run path reads the `Registry` (a Map) directly.
 */
import { resolveZone } from '../context/zones.js'
import { buildPermTrie, GRANT_ALL, type PermNode } from '../contract/permissions.js'
import {
  isProcessDefinition,
  type ParsedContract,
  type ProcessDefinition,
  parsedContract,
} from '../contract/process.js'
import { ContractViolationError, describe, errors, suggest, TheusError } from '../errors.js'
import type { Run } from '../transaction/run.js'

/** A registered process, compiled for the engine that runs it. */
export interface Registered {
  def: ProcessDefinition
  name: string
  perms: PermNode
  errors: readonly string[]
  /** Declared outputs in the heavy zone: their subscribers hear of every run. */
  heavyOutputs: string[]
  /** The last synchronous Run of this process, kept for reuse (fewer allocations per run). */
  spare: Run | undefined
  /**
   * An `async function` body: each attempt gets its own copy of the args as logged, so that a
   * caller changing its args object while the body awaits reaches neither the body, the gates,
   * a retry nor a replay.
   */
  async: boolean
}

/**
 * The registered processes by name. A Map, so that the run path's lookup is a plain
 * `get`; registration and hot replacement go through `register` and `replace`, which check
 * the contract against the context first.
 */
export class Registry extends Map<string, Registered> {
  // `declare`d and assigned in the constructor: ES2022 field definitions (or parameter
  // properties) would be emitted as well, 50 gzipped bytes of the core for nothing.
  /** The engine's committed root: contract paths must name keys of its layers. */
  declare private readonly rootRaw: Record<string, any>
  declare private readonly strict: boolean
  /** The name each definition was first registered under: `runProcess(def)` runs that one. */
  declare private readonly defNames: WeakMap<ProcessDefinition, string>

  constructor(
    rootRaw: Record<string, any>,
    strict: boolean,
    defNames: WeakMap<ProcessDefinition, string>,
  ) {
    super()
    this.rootRaw = rootRaw
    this.strict = strict
    this.defNames = defNames
  }

  /** `engine.registerProcess`: adds a definition under its name (or `nameOrDef`). */
  register(nameOrDef: string | ProcessDefinition, maybeDef?: ProcessDefinition): void {
    const def = typeof nameOrDef === 'string' ? maybeDef : nameOrDef
    if (!isProcessDefinition(def)) {
      const label =
        typeof nameOrDef === 'string'
          ? nameOrDef
          : ((def as { name?: string } | undefined)?.name ?? '?')
      throw errors.invalidContract(
        label,
        typeof def === 'function'
          ? 'a plain function was given. Wrap it with process({ inputs, outputs }, fn) to declare its contract.'
          : `expected a definition made by process(), got ${describe(def)}.`,
      )
    }
    const name = typeof nameOrDef === 'string' ? nameOrDef : def.name
    if (name.length === 0)
      throw errors.invalidContract(
        '<anonymous>',
        'the name is empty. Give a name, or pass the definition alone.',
      )
    if (this.has(name)) {
      throw new TheusError(
        'DUPLICATE_PROCESS',
        `Process '${name}' is already registered. Give the second one another name (contract.name), or register it once.`,
        { details: { process: name } },
      )
    }
    this.set(name, this.compile(name, def, parsedContract(def)))
    if (!this.defNames.has(def)) this.defNames.set(def, name)
  }

  /** `engine.replaceProcess`: swaps a registered definition; the old one stays if the new one does not fit. */
  replace(nameOrDef: string | ProcessDefinition, maybeDef?: ProcessDefinition): void {
    const def = typeof nameOrDef === 'string' ? maybeDef : nameOrDef
    if (!isProcessDefinition(def))
      throw errors.invalidContract(
        typeof nameOrDef === 'string' ? nameOrDef : '?',
        `replaceProcess expects a definition made by process(), got ${describe(def)}.`,
      )
    const name = typeof nameOrDef === 'string' ? nameOrDef : def.name
    if (!this.has(name)) throw errors.notFound(name, [...this.keys()])
    this.set(name, this.compile(name, def, parsedContract(def)))
  }

  /** Checks a contract against the context and builds what a run needs from it. */
  private compile(name: string, def: ProcessDefinition, c: ParsedContract): Registered {
    const check = (segs: string[], kind: 'inputs' | 'outputs') => {
      const layer = segs[0]!
      if (layer === 'local') return
      const path = segs.join('.')
      if (layer !== 'domain' && layer !== 'global') {
        const hint = suggest(layer, ['domain', 'global', 'local'])
        throw errors.invalidContract(
          name,
          `${kind} path '${path}' starts with '${layer}', which is not a layer.${hint ? ` Did you mean '${[hint, ...segs.slice(1)].join('.')}'?` : " Paths start with 'domain.', 'global.' or 'local.'."}`,
          path,
        )
      }
      if (segs.length > 1) {
        const layerRaw = this.rootRaw[layer] as Record<string, unknown>
        if (!Object.hasOwn(layerRaw, segs[1]!)) {
          const hint = suggest(segs[1]!, Object.keys(layerRaw))
          throw errors.invalidContract(
            name,
            `${kind} path '${path}' names '${segs[1]}', which does not exist in the context's ${layer} layer.${hint ? ` Did you mean '${[layer, hint, ...segs.slice(2)].join('.')}'?` : ` Add '${segs[1]}' to the initial context, or fix the path.`}`,
            path,
          )
        }
      }
      if (this.strict && kind === 'inputs') {
        const zone = resolveZone(segs)
        if (zone === 'signal' || zone === 'meta')
          throw new ContractViolationError(
            'ZONE_POLICY',
            `Zone policy: process '${name}' declares '${path}' (${zone} zone) in inputs. ${zone === 'signal' ? 'Signals are transient events, not business inputs' : 'Meta data is for observability, not business logic'}: read it in a workflow condition, or move the value to a data-zone path.`,
            { details: { process: name, path } },
          )
      }
    }
    for (const s of c.inputs) check(s, 'inputs')
    for (const s of c.outputs) check(s, 'outputs')
    const ctxPaths = (list: string[][]) => list.filter((s) => s[0] !== 'local')
    return {
      def,
      name,
      perms: this.strict ? buildPermTrie(ctxPaths(c.inputs), ctxPaths(c.outputs)) : GRANT_ALL,
      errors: c.errors,
      heavyOutputs: c.outputs.filter((s) => resolveZone(s) === 'heavy').map((s) => s.join('.')),
      spare: undefined,
      async: def.fn.constructor.name === 'AsyncFunction',
    }
  }
}

/**
 * `engine.scanAndRegister`: registers every `process()` export of a module map once, through
 * `register` (the engine's `registerProcess`, so a lazy map loaded after `dispose()` refuses;
 * it returns false for a definition already registered as it is). Returns the names found.
 * A map with lazy entries (`import.meta.glob` without `eager`) returns a promise.
 */
export function scanModules(
  modules: Record<string, unknown>,
  register: (def: ProcessDefinition) => boolean,
  drop: (name: string) => void,
): string[] | Promise<string[]> {
  if (modules === null || typeof modules !== 'object')
    throw new TheusError(
      'INVALID_ARGS',
      `scanAndRegister expects a module map (import.meta.glob), got ${describe(modules)}.`,
    )
  const entries = Object.entries(modules)
  const seen = new Set<unknown>()
  const names: string[] = []
  const added: string[] = []
  const take = (mod: unknown) => {
    if (mod === null || (typeof mod !== 'object' && typeof mod !== 'function')) return
    for (const value of Object.values(mod as Record<string, unknown>)) {
      if (!isProcessDefinition(value) || seen.has(value)) continue
      seen.add(value)
      if (register(value)) added.push(value.name)
      names.push(value.name)
    }
  }
  // All or nothing: a refused definition (or a module that fails to load) unregisters the
  // ones this call registered, so that the fixed map can be scanned again.
  const undo = (e: unknown): never => {
    for (const n of added) drop(n)
    throw e
  }
  if (entries.some(([, m]) => typeof m === 'function')) {
    return (async () => {
      for (const [, m] of entries)
        take(typeof m === 'function' ? await (m as () => Promise<unknown>)() : m)
      return names
    })().catch(undo)
  }
  try {
    for (const [, m] of entries) take(m)
  } catch (e) {
    undo(e)
  }
  return names
}

/**
 * Whether a body's error is one its process declares (the contract's `errors`, matched by
 * name up the error's class chain); any other error is rolled back as `UNDECLARED_ERROR`.
 */
export function errorDeclared(e: unknown, declared: readonly string[]): boolean {
  if (declared.length === 0 || e === null || typeof e !== 'object') return false
  if (declared.includes((e as Error).name)) return true
  for (
    let p = Object.getPrototypeOf(e);
    p !== null && p !== Object.prototype;
    p = Object.getPrototypeOf(p)
  ) {
    const n = (p.constructor as { name?: string } | undefined)?.name
    if (n && declared.includes(n)) return true
  }
  return false
}
