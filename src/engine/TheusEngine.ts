/**
 * The engine: owns the context, runs processes under their contracts as transactions, and
 * exposes the committed state as signals. The hot path (runProcess → commit) lives here and in
 * `transaction/`; see DESIGN.md for the invariants it keeps.
 */
import {
  batch,
  computed,
  effect,
  type ReadonlySignal,
  type Signal,
  signal,
} from '@preact/signals-core'
import { type Auditor, createAuditor } from '../audit/auditor.js'
import { joinPath, parsePath } from '../context/paths.js'
import { resolveZone, zoneOfSegment } from '../context/zones.js'
import { buildPermTrie, GRANT_ALL, type PermNode } from '../contract/permissions.js'
import {
  isProcessDefinition,
  type ParsedContract,
  type ProcessContext,
  type ProcessDefinition,
  type ProcessLog,
  parsedContract,
} from '../contract/process.js'
import {
  AbortError,
  AuditInterlockError,
  ConflictError,
  ContractViolationError,
  describe,
  EngineHaltedError,
  errors,
  type SchemaIssue,
  SchemaViolationError,
  suggest,
  TheusError,
} from '../errors.js'
import { parseText } from '../textParsers.js'
import { bufferedValue, Readded, Run, SHAPE } from '../transaction/run.js'
import {
  DELETED,
  deepCopy,
  existingNode,
  getKey,
  hasKey,
  isHeavyKey,
  Kind,
  kindOf,
  lockCollection,
  lockDate,
  type Node,
  nodeOf,
  snapshot,
} from '../transaction/tree.js'
import { executeFlux, type FluxInput, type FluxRunOptions } from '../workflow/flux.js'
import { BoundedLog } from './BoundedLog.js'
import type { DeepReadonly, PathValue, StateOf } from './pathTypes.js'
import type {
  AuditLogEntry,
  EngineEventMap,
  EngineEventType,
  HistoryEntry,
  LogEntry,
  Patch,
  RunLogEntry,
  RunOptions,
} from './types.js'

//#region options and seams

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
export interface EngineOptions {
  /** Contract guard, zone policy and frozen snapshots (default true). */
  strictMode?: boolean
  /** An audit recipe object, or YAML text once `theus/yaml` is imported. */
  auditRecipe?: unknown
  /** Any Standard Schema validator, checked on every commit. */
  schema?: StandardSchemaLike
  /** How many commits `history` keeps (default 100). */
  historyLimit?: number
  /**
   * How many entries `runLog` keeps (default: all, so that `replay` rebuilds the state from the
   * initial context). Cap it for long-running loops; a capped log replays only from a checkpoint.
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

interface Registered {
  def: ProcessDefinition
  name: string
  perms: PermNode
  errors: readonly string[]
  /** Declared outputs in the heavy zone: their subscribers hear of every run. */
  heavyOutputs: string[]
  /** The last synchronous Run of this process, kept for reuse (fewer allocations per run). */
  spare: Run | undefined
}

const RING = 1000

//#endregion

/**
 * The Theus engine.
 * @example
 * const engine = new TheusEngine({ domain: { n: 0 } })
 * engine.registerProcess(process({ outputs: ['domain.n'] }, function inc(ctx) { ctx.domain.n++ }))
 * engine.runProcess('inc')
 * engine.state.value.domain.n // 1
 */
export class TheusEngine<TContext extends ContextInput = any> {
  /** The options in force (defaults filled in). */
  readonly options: Readonly<{
    strictMode: boolean
    historyLimit: number
    runLogLimit: number
    maxOps: number
    schema: StandardSchemaLike | undefined
    auditRecipe: unknown
  }>
  /** The current snapshot: frozen deeply in strict mode; rebuilt lazily, with structural sharing. */
  readonly state: ReadonlySignal<DeepReadonly<StateOf<TContext>>>

  private readonly _rootRaw: Record<string, any>
  private readonly _root: Node
  private readonly _strict: boolean
  private _seq = 1
  private readonly _registry = new Map<string, Registered>()
  private readonly _listeners: { [K in EngineEventType]: Set<(e: EngineEventMap[K]) => void> } = {
    commit: new Set(),
    rollback: new Set(),
    audit: new Set(),
    signal: new Set(),
    halt: new Set(),
  }
  private _syncDepth = 0
  private readonly _history: BoundedLog<HistoryEntry>
  private readonly _redo: HistoryEntry[] = []
  private readonly _runLog: BoundedLog<RunLogEntry>
  private readonly _auditLog = new BoundedLog<AuditLogEntry>(RING)
  private readonly _logs = new BoundedLog<LogEntry>(RING)
  private _halted = false
  private _disposed = false
  private readonly _selects = new Map<string, ReadonlySignal<unknown>>()
  private readonly _heavySigs = new Map<string, Signal<number>>()
  /** Initial values of signal-zone fields, by field path. */
  private readonly _signalInit = new Map<string, unknown>()
  /** Signal fields the last commit wrote (they reset on the next commit that writes). */
  private _published: Map<string, unknown> | undefined
  private _auditor: Auditor | undefined

  constructor(initial: TContext, options: EngineOptions = {}) {
    if (initial === null || typeof initial !== 'object' || kindOf(initial) !== Kind.Object)
      throw errors.invalidContext(`expected a plain object, got ${describe(initial)}`)
    for (const key of Object.keys(initial)) {
      if (key === 'local')
        throw errors.invalidContext(
          "'local' is not a context layer you can give: it is created fresh for each run. Move its keys to 'domain'",
        )
      if (key !== 'global' && key !== 'domain') {
        const hint = suggest(key, ['global', 'domain'])
        throw errors.invalidContext(
          `unknown root key '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; put application state under 'domain' and configuration under 'global'`,
        )
      }
      const layer = (initial as Record<string, unknown>)[key]
      if (layer !== undefined && kindOf(layer) !== Kind.Object)
        throw errors.invalidContext(`layer '${key}' must be a plain object, got ${describe(layer)}`)
    }
    this._strict = options.strictMode ?? true
    const historyLimit = options.historyLimit ?? 100
    const runLogLimit = options.runLogLimit ?? Number.POSITIVE_INFINITY
    if (!(runLogLimit >= 0))
      throw new TheusError('INVALID_ARGS', `runLogLimit must be ≥ 0, got ${String(runLogLimit)}.`)
    const maxOps = options.maxOps ?? 10_000
    if (!Number.isInteger(historyLimit) || historyLimit < 0)
      throw new TheusError(
        'INVALID_ARGS',
        `historyLimit must be a whole number ≥ 0, got ${String(historyLimit)}.`,
      )
    if (!Number.isInteger(maxOps) || maxOps < 1)
      throw new TheusError(
        'INVALID_ARGS',
        `maxOps must be a whole number ≥ 1, got ${String(maxOps)}.`,
      )
    this.options = Object.freeze({
      strictMode: this._strict,
      historyLimit,
      runLogLimit,
      maxOps,
      schema: options.schema,
      auditRecipe: options.auditRecipe,
    })
    this._rootRaw = {
      global: deepCopy(initial.global ?? {}) as Record<string, unknown>,
      domain: deepCopy(initial.domain ?? {}) as Record<string, unknown>,
    }
    this._root = nodeOf(this._rootRaw, undefined, undefined)
    this._history = new BoundedLog(historyLimit, sealEntry)
    this._runLog = new BoundedLog(runLogLimit, sealEntry)
    this._collectSignalFields(this._rootRaw, '')
    if (options.auditRecipe !== undefined && options.auditRecipe !== null) {
      const recipe =
        typeof options.auditRecipe === 'string'
          ? parseText('recipe', options.auditRecipe)
          : options.auditRecipe
      this._auditor = createAuditor(recipe, { emit: (entry) => this._onAudit(entry) })
    }
    const root = this._root
    const strict = this._strict
    this.state = computed(() => {
      root.deep().value
      return snapshot(root, strict)
    }) as ReadonlySignal<any>
  }

  //#region registry

  /**
   * Adds a process made by `process()`; `registerProcess(name, def)` registers it under `name`.
   * @example
   * engine.registerProcess(transfer)
   */
  registerProcess(nameOrDef: string | ProcessDefinition, maybeDef?: ProcessDefinition): void {
    this._live('registerProcess')
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
    if (this._registry.has(name)) {
      throw new TheusError(
        'DUPLICATE_PROCESS',
        `Process '${name}' is already registered. Give the second one another name (contract.name), or register it once.`,
        { details: { process: name } },
      )
    }
    this._registry.set(name, this._compile(name, def, parsedContract(def)))
  }

  /**
   * Registers every `process()` export of a module map (`import.meta.glob`); lazy maps return a promise.
   * @example
   * engine.scanAndRegister(import.meta.glob('./processes/*.ts', { eager: true }))
   */
  scanAndRegister(modules: Record<string, () => Promise<unknown>>): Promise<string[]>
  scanAndRegister(modules: Record<string, unknown>): string[]
  scanAndRegister(modules: Record<string, unknown>): string[] | Promise<string[]> {
    this._live('scanAndRegister')
    if (modules === null || typeof modules !== 'object')
      throw new TheusError(
        'INVALID_ARGS',
        `scanAndRegister expects a module map (import.meta.glob), got ${describe(modules)}.`,
      )
    const entries = Object.entries(modules)
    const seen = new Set<unknown>()
    const names: string[] = []
    const take = (mod: unknown) => {
      if (mod === null || (typeof mod !== 'object' && typeof mod !== 'function')) return
      for (const value of Object.values(mod as Record<string, unknown>)) {
        if (!isProcessDefinition(value) || seen.has(value)) continue
        seen.add(value)
        this.registerProcess(value)
        names.push(value.name)
      }
    }
    if (entries.some(([, m]) => typeof m === 'function')) {
      return (async () => {
        for (const [, m] of entries)
          take(typeof m === 'function' ? await (m as () => Promise<unknown>)() : m)
        return names
      })()
    }
    for (const [, m] of entries) take(m)
    return names
  }

  /** The names of the registered processes. */
  get processNames(): string[] {
    return [...this._registry.keys()]
  }

  /** The definition registered under a name, if any. */
  getProcess(name: string): ProcessDefinition | undefined {
    return this._registry.get(name)?.def
  }

  private _compile(name: string, def: ProcessDefinition, c: ParsedContract): Registered {
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
        const layerRaw = this._rootRaw[layer] as Record<string, unknown>
        if (!Object.hasOwn(layerRaw, segs[1]!)) {
          const hint = suggest(segs[1]!, Object.keys(layerRaw))
          throw errors.invalidContract(
            name,
            `${kind} path '${path}' names '${segs[1]}', which does not exist in the context's ${layer} layer.${hint ? ` Did you mean '${[layer, hint, ...segs.slice(2)].join('.')}'?` : ` Add '${segs[1]}' to the initial context, or fix the path.`}`,
            path,
          )
        }
      }
      if (this._strict && kind === 'inputs') {
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
      perms: this._strict ? buildPermTrie(ctxPaths(c.inputs), ctxPaths(c.outputs)) : GRANT_ALL,
      errors: c.errors,
      heavyOutputs: c.outputs.filter((s) => resolveZone(s) === 'heavy').map((s) => s.join('.')),
      spare: undefined,
    }
  }

  /**
   * Hot replacement (live editing, `theus/vite`): swaps the definition registered under
   * `def.name` (or `name`) for a new one, keeping the state, history and logs. The new contract
   * is checked as at registration; when it does not fit the context (`INVALID_CONTRACT`,
   * `ZONE_POLICY`) it throws and the old definition stays. An unregistered name is
   * `PROCESS_NOT_FOUND`. Runs already started finish with the definition they began with.
   * @example
   * engine.replaceProcess(transferV2) // the next runProcess('transfer') runs the new body
   */
  replaceProcess(nameOrDef: string | ProcessDefinition, maybeDef?: ProcessDefinition): void {
    this._live('replaceProcess')
    const def = typeof nameOrDef === 'string' ? maybeDef : nameOrDef
    if (!isProcessDefinition(def))
      throw errors.invalidContract(
        typeof nameOrDef === 'string' ? nameOrDef : '?',
        `replaceProcess expects a definition made by process(), got ${describe(def)}.`,
      )
    const name = typeof nameOrDef === 'string' ? nameOrDef : def.name
    if (!this._registry.has(name)) throw errors.notFound(name, [...this._registry.keys()])
    this._registry.set(name, this._compile(name, def, parsedContract(def)))
  }

  /**
   * Hot replacement of the audit recipe (live editing of `audit_recipe.yaml`): the new recipe
   * is checked (`RecipeError`, the old one stays) and runs from the next gate on, with fresh
   * counters. `null` removes the gates. `options.auditRecipe` keeps the constructor's value.
   * @example
   * engine.replaceAuditRecipe(newRecipe)
   */
  replaceAuditRecipe(recipe: unknown): void {
    this._live('replaceAuditRecipe')
    this._auditor =
      recipe === undefined || recipe === null
        ? undefined
        : createAuditor(typeof recipe === 'string' ? parseText('recipe', recipe) : recipe, {
            emit: (entry) => this._onAudit(entry),
          })
  }

  //#endregion

  //#region running

  /**
   * Runs a registered process as a transaction: its result, or a promise when the body is async.
   * @example
   * engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 500 })
   */
  runProcess<TResult = unknown>(
    name: string,
    args?: Record<string, unknown>,
    opts: RunOptions = {},
  ): TResult {
    this._live('runProcess')
    if (this._syncDepth > 0)
      throw new TheusError(
        'NESTED_RUN',
        `runProcess('${name}') was called from inside a running process. Processes do not call each other: chain them with a workflow (WorkflowManager or executeWorkflow).`,
        { details: { process: name } },
      )
    const reg = this._registry.get(name)
    if (reg === undefined) throw errors.notFound(String(name), [...this._registry.keys()])
    if (args === undefined || args === null) args = {}
    else if (kindOf(args) !== Kind.Object) throw errors.invalidArgs(name, args)
    if (this._halted) throw this._haltedError(name)
    if (opts.signal?.aborted) {
      const err = new AbortError(`Process '${name}' was aborted before it started.`, {
        cause: opts.signal.reason,
        details: { process: name },
      })
      this._emit('rollback', { process: name, args: copyArgs(args), error: err })
      // An async process answers with a rejected promise, a synchronous one throws.
      if (reg.def.fn.constructor.name === 'AsyncFunction') return Promise.reject(err) as TResult
      throw err
    }
    return this._start(reg, args, opts, opts.retries ?? 0) as TResult
  }

  private _start(
    reg: Registered,
    args: Record<string, unknown>,
    opts: RunOptions,
    retries: number,
  ): unknown {
    // The clock is read only when someone listens for durations (it is not free).
    const t0 = this._listeners.commit.size > 0 ? performance.now() : -1
    const name = reg.name
    let run = reg.spare
    if (run !== undefined) {
      reg.spare = undefined
      run.reuse(this._seq)
    } else run = new Run(name, this._seq)
    // The log, history and events keep the args as given: neither the body nor the caller can
    // rewrite them afterwards.
    run.logged = copyArgs(args)
    let pending = false
    try {
      // 1. Input gate, on args and the committed state.
      if (this._auditor) {
        try {
          this._auditor.checkInput(name, args, (segs) => this._peekSnapshot(segs))
        } catch (e) {
          throw this._fail(run, reg, args, e)
        }
      }
      // 2. The body, on views behind the contract guard.
      const ctx = new RunContext(this, run, reg, opts.signal)
      let out: unknown
      this._syncDepth++
      try {
        out = reg.def.fn(ctx as unknown as ProcessContext, args)
      } catch (e) {
        this._syncDepth--
        throw this._fail(run, reg, args, e)
      }
      this._syncDepth--
      if (
        out !== null &&
        typeof out === 'object' &&
        typeof (out as Promise<unknown>).then === 'function'
      ) {
        pending = true
        return this._settle(run, reg, args, opts, retries, out as Promise<unknown>, t0)
      }
      return this._finish(run, reg, args, out, t0, opts)
    } finally {
      if (!pending) {
        run.closed = true
        reg.spare = run
      }
    }
  }

  private _settle(
    run: Run,
    reg: Registered,
    args: Record<string, unknown>,
    opts: RunOptions,
    retries: number,
    body: Promise<unknown>,
    t0: number,
  ): Promise<unknown> {
    const sig = opts.signal
    return new Promise((resolve, reject) => {
      let done = false
      const onAbort = () => {
        if (done) return
        done = true
        const err = new AbortError(
          `Process '${reg.name}' was aborted before its commit; nothing of it was kept.`,
          {
            cause: sig?.reason,
            details: { process: reg.name },
          },
        )
        run.aborted = err
        reject(this._fail(run, reg, args, err))
      }
      sig?.addEventListener('abort', onAbort, { once: true })
      // The signal may have aborted during the body's synchronous part.
      if (sig?.aborted) onAbort()
      body.then(
        (value) => {
          if (done) return
          done = true
          sig?.removeEventListener('abort', onAbort)
          if (this._disposed) return reject(errors.disposed('committing a run'))
          const conflicts = this._conflicts(run)
          if (conflicts.length > 0) {
            const err = new ConflictError(
              `Conflict: process '${reg.name}' read or wrote ${conflicts.map((p) => `'${p}'`).join(', ')}, which another commit changed while it ran. The run was rolled back${retries > 0 ? '' : '; pass { retries: n } to re-run it'}.`,
              conflicts,
              { process: reg.name, path: conflicts[0]! },
            )
            const failure = this._fail(run, reg, args, err)
            if (retries > 0) {
              try {
                resolve(this._start(reg, args, opts, retries - 1))
              } catch (e) {
                reject(e)
              }
            } else reject(failure)
            return
          }
          try {
            resolve(this._finish(run, reg, args, value, t0, opts))
          } catch (e) {
            reject(e)
          }
        },
        (e) => {
          if (done) return
          done = true
          sig?.removeEventListener('abort', onAbort)
          reject(this._fail(run, reg, args, e))
        },
      )
    })
  }

  /** Steps 3–5: output gate, schema, commit. Throws the mapped failure after a rollback. */
  private _finish(
    run: Run,
    reg: Registered,
    args: Record<string, unknown>,
    out: unknown,
    t0: number,
    opts: RunOptions,
  ): unknown {
    try {
      if (run.violation) throw run.violation
      if (opts.signal?.aborted)
        throw new AbortError(
          `Process '${reg.name}' was aborted before its commit; nothing of it was kept.`,
          {
            cause: opts.signal.reason,
            details: { process: reg.name },
          },
        )
      if (this._halted) throw this._haltedError(reg.name)
      const result = this._plainResult(run, out)
      if (this._auditor)
        this._auditor.checkOutput(reg.name, args, (segs) => this._peekDraft(run, segs))
      this._checkSchema(run, reg.name)
      run.closed = true
      batch(() => {
        this._commit(run, reg.name, run.logged ?? args, result, t0, true)
        this._notifyHeavy(reg, run)
      })
      return result
    } catch (e) {
      throw this._fail(run, reg, args, e)
    }
  }

  /** Rolls a run back, fires `'rollback'`, and returns the error to throw (the error contract). */
  private _fail(run: Run, reg: Registered, args: unknown, e: unknown): unknown {
    run.closed = true
    let err: unknown = e
    if (!(e instanceof TheusError)) {
      if (!errorDeclared(e, reg.errors)) err = errors.undeclaredError(reg.name, e, reg.errors)
    }
    if (err instanceof AuditInterlockError && err.level === 'S' && !this._halted) {
      this._halted = true
      this._emit('halt', { process: reg.name, error: err })
    }
    this._notifyHeavy(reg, run)
    this._emit('rollback', { process: reg.name, args: run.logged ?? args, error: err })
    return err
  }

  private _haltedError(name: string): EngineHaltedError {
    return new EngineHaltedError(
      `The engine is halted after a level S interlock; process '${name}' was refused. Fix the cause, then call engine.resume().`,
      { details: { process: name } },
    )
  }

  /** Conflicts of an async run: paths it read or wrote that a commit changed since it began. */
  private _conflicts(run: Run): string[] {
    if (this._seq === run.startSeq) return []
    const out = new Set<string>()
    const since = run.startSeq
    const r = run.reads
    for (let i = 0; i < r.length; i += 2) {
      const node = r[i] as Node
      const key = r[i + 1]
      const stamp = key === SHAPE ? node.shapeStamp : (node.stamps?.get(key) ?? 0)
      if (stamp > since)
        out.add(key === SHAPE ? node.path : joinPath([node.path, String(key)].filter(Boolean)))
    }
    for (const [node, w] of run.writes)
      for (const key of w.keys()) {
        // A container the run replaces or deletes conflicts with a commit inside it too: its
        // node's version moved (no lost update).
        const old = hasKey(node.raw, node.kind, key) ? getKey(node.raw, node.kind, key) : undefined
        const child = typeof old === 'object' && old !== null ? existingNode(old) : undefined
        if ((node.stamps?.get(key) ?? 0) > since || (child !== undefined && child.ver > since))
          out.add(joinPath([node.path, String(key)].filter(Boolean)))
      }
    for (const node of run.wholes.keys()) if (node.ver > since) out.add(node.path)
    return [...out]
  }

  //#endregion

  //#region commit

  /**
   * Applies a run's buffer to the committed tree in one batch. Cost: O(written keys × depth),
   * plus the snapshots of replaced containers for the inverse patches.
   */
  private _commit(
    run: Run,
    label: string,
    args: unknown,
    result: unknown,
    t0: number,
    logRun: boolean,
  ): Patch[] {
    // Callers hold a batch() open around the commit and its heavy notifications, so that
    // every signal notifies once, after the whole commit.
    const c = new Commit(this._seq + 1, this._strict, run.silent)
    if (run.writes.size > 0 || run.wholes.size > 0) {
      // Old contents of arrays and Sets first, before any write of this commit lands.
      const olds =
        run.wholes.size > 0 ? [...run.wholes.keys()].map((n) => snapshot(n, c.freeze)) : []
      for (const [node, w] of run.writes) {
        let applied = false
        for (const [key, value] of w) if (c.applyKey(node, key, value)) applied = true
        // Versions move at once, so that snapshots built later in this commit see the writes.
        if (applied) bumpUp(node)
      }
      let i = 0
      for (const [node, content] of run.wholes) c.applyWhole(node, content, olds[i++])
      // Signal fields the last commit published reset unless this commit wrote them again.
      if (c.patches.length > 0 && this._published !== undefined) {
        c.publishing = false
        for (const field of this._published.keys())
          if (!c.written?.has(field)) this._resetSignalField(field, c)
      }
    }
    if (c.patches.length === 0) {
      // Nothing changed (a run that wrote nothing, or only deleted absent keys).
      if (logRun) this._logRun({ process: label, args })
      if (this._listeners.commit.size > 0)
        this._emit('commit', {
          process: label,
          args,
          patches: [],
          inversePatches: [],
          result,
          durationMs: t0 < 0 ? 0 : performance.now() - t0,
        })
      return []
    }
    this._seq = c.seq
    let published: Map<string, unknown> | undefined
    if (c.fields !== undefined) {
      published = new Map()
      for (const field of c.fields) published.set(field, this._peekSnapshot(field.split('.')))
    }
    this._published = published
    const patches = c.patches
    const inverse = c.inverse
    if (label !== 'undo' && label !== 'redo') {
      if (this._redo.length > 0) this._redo.length = 0
      if (this.options.historyLimit > 0) {
        // Entries are frozen when read (BoundedLog seals them), not on this hot path.
        this._history.push({
          process: label,
          args,
          patches,
          inversePatches: inverse,
          at: Date.now(),
        })
      }
    }
    if (logRun)
      this._logRun(label === 'edit' ? { process: label, args, patches } : { process: label, args })
    if (this._listeners.commit.size > 0)
      this._emit('commit', {
        process: label,
        args,
        // Shared with history: listeners get them frozen.
        patches: Object.freeze(patches) as Patch[],
        inversePatches: Object.freeze(inverse) as Patch[],
        result,
        durationMs: t0 < 0 ? 0 : performance.now() - t0,
      })
    if (published !== undefined && this._listeners.signal.size > 0)
      for (const [field, value] of published)
        this._emit('signal', { process: label, path: field, value })
    return patches
  }

  private _logRun(entry: RunLogEntry): void {
    this._runLog.push(entry)
  }

  private _resetSignalField(field: string, c: Commit): void {
    const segs = field.split('.')
    let node = this._root
    for (let i = 0; i < segs.length - 1; i++) {
      const v = getKey(node.raw, node.kind, segs[i])
      if (kindOf(v) === -1) return
      node = nodeOf(v as object, node, segs[i])
    }
    const key = segs[segs.length - 1]!
    const init = this._signalInit.has(field) ? deepCopy(this._signalInit.get(field)) : DELETED
    const before = c.patches.length
    if (c.applyKey(node, key, init)) {
      // Marked so that undo, redo and replay apply it as a reset, without publishing it.
      for (let i = before; i < c.patches.length; i++) markReset(c.patches[i]!)
      bumpUp(node)
    }
  }

  private _collectSignalFields(obj: Record<string, unknown>, prefix: string): void {
    for (const key of Object.keys(obj)) {
      const path = prefix ? `${prefix}.${key}` : key
      const zone = zoneOfSegment(key)
      if (zone === 'signal') this._signalInit.set(path, deepCopy(obj[key]))
      else if (zone === undefined && kindOf(obj[key]) === Kind.Object)
        this._collectSignalFields(obj[key] as Record<string, unknown>, path)
    }
  }

  private _notifyHeavy(reg: Registered | undefined, run: Run): void {
    if (run.heavyWrites === undefined && (reg === undefined || reg.heavyOutputs.length === 0))
      return
    const paths: string[] = reg ? [...reg.heavyOutputs] : []
    const writes = run.heavyWrites
    run.heavyWrites = undefined
    // One batch: a reassigned heavy path notifies its subscribers once.
    batch(() => {
      if (writes) {
        const seq = ++this._seq
        for (const { node, key } of writes) {
          ;(node.stamps ??= new Map()).set(key, seq)
          bumpUp(node)
          paths.push(joinPath([node.path, String(key)].filter(Boolean)))
        }
      }
      if (paths.length === 0 || this._heavySigs.size === 0) return
      for (const [p, sig] of this._heavySigs)
        if (paths.some((h) => p === h || p.startsWith(`${h}.`) || h.startsWith(`${p}.`)))
          sig.value++
    })
  }

  private _checkSchema(run: Run, name: string): void {
    const schema = this.options.schema
    if (!schema) return
    const value = run.materialize(this._root)
    const res = schema['~standard'].validate(value)
    if (res instanceof Promise)
      throw new TheusError(
        'SCHEMA_VIOLATION',
        'The schema validated asynchronously; Theus checks schemas inside the commit, so give a synchronous schema.',
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
  private _plainResult(run: Run, out: unknown): unknown {
    if (typeof out !== 'object' || out === null) return out
    if (kindOf(out) === -1 && !(out instanceof Date)) {
      // A view of a container counts as a container; other class instances pass as they are.
      const copied = run.adopt(out)
      if (copied === out) return out
      return this._strict ? deepFreeze(copied) : copied
    }
    const copied = run.adopt(out)
    return this._strict ? deepFreeze(copied) : copied
  }

  //#endregion

  //#region reading

  /**
   * A signal of the value at one path; notifies only when that value changes. Containers come
   * as snapshots; heavy values by reference, notified after each run that declares them.
   * @example
   * const alice = engine.select('domain.accounts.Alice')
   */
  select<P extends string>(path: P): ReadonlySignal<DeepReadonly<PathValue<StateOf<TContext>, P>>> {
    this._live('select')
    const segs = parsePath(path)
    if (!segs || (segs[0] !== 'domain' && segs[0] !== 'global'))
      throw new TheusError(
        'INVALID_ARGS',
        `select('${String(path)}'): expected a dotted path starting with 'domain.' or 'global.'.`,
      )
    const key = segs.join('.')
    let s = this._selects.get(key)
    if (s) return s as any
    if (resolveZone(segs) === 'heavy') {
      let ver = this._heavySigs.get(key)
      if (!ver) this._heavySigs.set(key, (ver = signal(0)))
      s = heavySelection(ver, () => this._readTracked(segs))
    } else s = computed(() => this._readTracked(segs))
    this._selects.set(key, s)
    return s as any
  }

  /** Reads the committed value at a path while subscribing to exactly what the path depends on. */
  private _readTracked(segs: readonly string[]): unknown {
    let node = this._root
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!
      node.keySig(seg).value
      const v = getKey(node.raw, node.kind, seg)
      const last = i === segs.length - 1
      if (typeof v !== 'object' || v === null) return last ? v : undefined
      // Fast path: a container seen before has its node already.
      const known = existingNode(v)
      if (known !== undefined && known.parent === node && known.key === seg && !isHeavyKey(seg)) {
        node = known
        if (last) {
          node.deep().value
          return snapshot(node, this._strict)
        }
        continue
      }
      if (v instanceof Date) return last ? new Date(v.getTime()) : undefined
      if (isHeavyKey(seg) || kindOf(v) === -1) {
        if (last) return v
        return (v as Record<string, unknown>)[segs[i + 1]!] === undefined
          ? undefined
          : walkForeign(v, segs.slice(i + 1))
      }
      node = nodeOf(v as object, node, seg)
      if (last) {
        node.deep().value
        return snapshot(node, this._strict)
      }
    }
    return undefined
  }

  /** The committed value at a path as a snapshot (containers) or value; undefined when missing. */
  _peekSnapshot(segs: readonly string[]): unknown {
    let node = this._root
    let v: unknown = this._rootRaw
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!
      const k = kindOf(v)
      if (k === -1 || k === Kind.Set) return walkForeign(v, segs.slice(i))
      if (!hasKey(v, k, seg)) return undefined
      v = getKey(v, k, seg)
      if (typeof v !== 'object' || v === null) return i === segs.length - 1 ? v : undefined
      if (isHeavyKey(seg) || kindOf(v) === -1) return walkForeign(v, segs.slice(i + 1))
      node = nodeOf(v, node, seg)
    }
    if (v instanceof Date) return new Date(v.getTime())
    return snapshot(node, this._strict)
  }

  /** For workflows: the committed value at a path (snapshot for containers). */
  _peek(segs: readonly string[]): unknown {
    return this._peekSnapshot(segs)
  }

  /** For workflows: the value the last commit published for a signal field with this key. */
  _lastSignal(name: string): unknown {
    if (this._published === undefined) return undefined
    for (const [field, value] of this._published) {
      const segs = field.split('.')
      if (segs[segs.length - 1] === name) return value
    }
    return undefined
  }

  /** The draft value at a path during a run (the output gate's read). */
  private _peekDraft(run: Run, segs: readonly string[]): unknown {
    let node: Node | undefined = this._root
    let v: unknown = this._rootRaw
    let fresh = false
    for (const seg of segs) {
      if (typeof v !== 'object' || v === null) return undefined
      const k = kindOf(v)
      if (k === -1) return (v as Record<string, unknown>)[seg]
      if (!fresh && node) {
        const w = run.writes.get(node)
        const whole = run.wholes.get(node)
        if (w?.has(seg)) {
          v = bufferedValue(w.get(seg))
          if (v === DELETED) return undefined
          fresh = true
        } else if (whole) {
          v = Array.isArray(whole) ? whole[Number(seg)] : undefined
          fresh = v !== undefined && typeof v === 'object' && v !== null && !existingNode(v)
        } else v = getKey(v, k, seg)
        if (!fresh && typeof v === 'object' && v !== null && kindOf(v) !== -1)
          node = nodeOf(v, node, seg)
      } else v = getKey(v, k, seg)
    }
    if (typeof v === 'object' && v !== null && kindOf(v) !== -1) {
      if (fresh || !node) return deepCopy(v)
      return run.materialize(node)
    }
    return v
  }

  /**
   * A plain copy of the committed state; the signal, meta and heavy zones are left out by default.
   * @example
   * JSON.stringify(engine.toDict())
   */
  toDict(
    options: { excludeZones?: readonly ('data' | 'signal' | 'meta' | 'heavy')[] } = {},
  ): StateOf<TContext> {
    this._live('toDict')
    const exclude = new Set(options.excludeZones ?? ['signal', 'meta', 'heavy'])
    const dropData = exclude.has('data')
    // `inZone`: below a prefixed key, whose zone already decided. Data-zone plain objects are
    // still walked when data is excluded, since prefixed keys may sit inside them.
    const copy = (v: unknown, inZone: boolean): unknown => {
      if (typeof v !== 'object' || v === null) return v
      if (v instanceof Date) return new Date(v.getTime())
      const k = kindOf(v)
      if (k === Kind.Object) {
        const out: Record<string, unknown> = {}
        for (const key of Object.keys(v)) {
          const z = inZone ? undefined : zoneOfSegment(key)
          if (z !== undefined && exclude.has(z)) continue
          const val = (v as Record<string, unknown>)[key]
          if (!inZone && z === undefined && dropData) {
            if (kindOf(val) !== Kind.Object) continue
            const inner = copy(val, false) as Record<string, unknown>
            if (Object.keys(inner).length > 0) out[key] = inner
            continue
          }
          out[key] = z === 'heavy' ? val : copy(val, inZone || z !== undefined)
        }
        return out
      }
      if (k === Kind.Array) return (v as unknown[]).map((x) => copy(x, inZone))
      if (k === Kind.Map) {
        const out = new Map()
        for (const [mk, mv] of v as Map<unknown, unknown>) out.set(mk, copy(mv, inZone))
        return out
      }
      if (k === Kind.Set) return new Set([...(v as Set<unknown>)].map((x) => copy(x, inZone)))
      return v
    }
    const out: Record<string, unknown> = {}
    for (const layer of ['global', 'domain']) out[layer] = copy(this._rootRaw[layer], false)
    return out as unknown as StateOf<TContext>
  }

  //#endregion

  /**
   * Runs a Flux pipeline (`steps:`): resolves to the names of the processes run, in order.
   * @example
   * await engine.executeWorkflow({ steps: ['p_init', { flux: 'while', condition: 'domain.n < 3', do: ['p_inc'] }] })
   */
  executeWorkflow(
    def: FluxInput,
    args?: Record<string, unknown>,
    options: FluxRunOptions = {},
  ): Promise<string[]> {
    this._live('executeWorkflow')
    return executeFlux(this, def, args, options)
  }

  //#region admin: edit, patches, history

  /**
   * An admin transaction outside any process: no contract, same atomicity, schema still checked.
   * @example
   * engine.edit((s) => { s.domain.accounts.Carol = 10 })
   */
  edit<T>(fn: (state: StateOf<TContext>) => T): T {
    this._live('edit')
    if (this._syncDepth > 0)
      throw new TheusError(
        'NESTED_RUN',
        'edit() was called from inside a running process. Call it outside any run.',
      )
    const t0 = performance.now()
    const run = new Run('edit', this._seq)
    const root = this._adminRoot(run)
    let out: T
    this._syncDepth++
    try {
      out = fn(root as StateOf<TContext>)
    } catch (e) {
      this._syncDepth--
      run.closed = true
      this._emit('rollback', { process: 'edit', args: undefined, error: e })
      throw e
    }
    this._syncDepth--
    try {
      if (
        out !== null &&
        typeof out === 'object' &&
        typeof (out as { then?: unknown }).then === 'function'
      )
        throw new TheusError(
          'INVALID_ARGS',
          'edit() is synchronous: its function returned a promise. Do async work first, then call edit() with the results, or use an async process.',
        )
      if (run.violation) throw run.violation
      this._checkSchema(run, 'edit')
    } catch (e) {
      run.closed = true
      this._notifyHeavy(undefined, run)
      this._emit('rollback', { process: 'edit', args: undefined, error: e })
      throw e
    }
    const result = this._plainResult(run, out) as T
    run.closed = true
    batch(() => {
      this._commit(run, 'edit', undefined, result, t0, true)
      this._notifyHeavy(undefined, run)
    })
    return result
  }

  private _adminRoot(run: Run): any {
    return run.makeView(this._rootRaw, this._root, Kind.Object, '', undefined, true, true, false)
  }

  /** Applies patches as one commit (undo, redo, replay of edits, atomic workflows). */
  _commitPatches(patches: readonly Patch[], label: string, logRun = true): Patch[] {
    this._live(label)
    const t0 = performance.now()
    const run = new Run(label, this._seq)
    const root = this._adminRoot(run)
    for (const p of patches) {
      if (p.path.length === 0) continue
      if (isReset(p)) {
        const segs = p.path.map(String)
        const at = segs.findIndex((seg) => zoneOfSegment(seg) === 'signal')
        if (at >= 0) (run.silent ??= new Set()).add(segs.slice(0, at + 1).join('.'))
      }
      let parent = root
      for (let i = 0; i < p.path.length - 1; i++) {
        const seg = p.path[i]!
        parent = parent instanceof Map ? parent.get(seg) : parent[seg as string]
        if (parent === null || typeof parent !== 'object')
          throw new TheusError(
            'INVALID_ARGS',
            `Cannot apply a patch at '${p.path.join('.')}': '${seg}' is missing.`,
          )
      }
      const key = p.path[p.path.length - 1]!
      const isMap = parent instanceof Map
      if (p.op === 'remove') {
        if (isMap) parent.delete(key)
        else if (Array.isArray(parent) && typeof key === 'number' && key < parent.length - 1)
          parent.splice(key, 1)
        else delete parent[key as string]
      } else if (isMap) parent.set(key, p.value)
      else parent[key as string] = p.value
    }
    run.closed = true
    return batch(() => {
      const out = this._commit(run, label, undefined, undefined, t0, logRun)
      this._notifyHeavy(undefined, run)
      return out
    })
  }

  /** The committed runs up to now, oldest first, with their patches (at most `historyLimit`). */
  get history(): readonly HistoryEntry[] {
    return this._history.list()
  }

  /**
   * Undoes the last commit (a commit of its inverse patches). `false` when there is nothing to undo.
   * @example
   * engine.undo()
   */
  undo(): boolean {
    this._live('undo')
    const entry = this._history.pop()
    if (!entry) return false
    this._commitPatches([...entry.inversePatches].reverse(), 'undo')
    this._redo.push(entry)
    return true
  }

  /** Re-applies the last undone commit. `false` when there is nothing to redo. */
  redo(): boolean {
    this._live('redo')
    const entry = this._redo.pop()
    if (!entry) return false
    this._commitPatches(entry.patches, 'redo')
    this._history.push(entry)
    return true
  }

  /** The replayable list of committed runs. */
  get runLog(): readonly RunLogEntry[] {
    return this._runLog.list()
  }

  /**
   * Builds a new engine from `initial` and replays a run log into it.
   * @example
   * const copy = await TheusEngine.replay(initial, [transfer], engine.runLog)
   */
  static async replay<T extends ContextInput>(
    initial: T,
    processes: readonly ProcessDefinition[] | Record<string, unknown>,
    runLog: readonly RunLogEntry[],
    options: EngineOptions = {},
  ): Promise<TheusEngine<T>> {
    const engine = new TheusEngine(initial, options)
    if (Array.isArray(processes)) for (const p of processes) engine.registerProcess(p)
    else
      await (engine.scanAndRegister as (m: Record<string, unknown>) => unknown)(
        processes as Record<string, unknown>,
      )
    for (const entry of runLog) {
      if (entry.process === 'edit') engine._commitPatches(entry.patches ?? [], 'edit')
      else if (entry.process === 'undo') engine.undo()
      else if (entry.process === 'redo') engine.redo()
      else if (engine._registry.has(entry.process))
        // The logged args are frozen; the body gets a copy it may scribble on, as the original did.
        await engine.runProcess(entry.process, deepCopy(entry.args) as Record<string, unknown>)
      else if (Array.isArray(entry.patches)) engine._commitPatches(entry.patches, entry.process)
      else throw errors.notFound(entry.process, engine.processNames)
    }
    return engine
  }

  //#endregion

  //#region events, logs, lifecycle

  /**
   * Subscribes to an event; returns the unsubscribe function.
   * @example
   * const off = engine.on('commit', (e) => console.log(e.process, e.patches))
   */
  on<K extends EngineEventType>(type: K, handler: (event: EngineEventMap[K]) => void): () => void {
    this._live('on')
    const set = this._listeners[type] as Set<(e: EngineEventMap[K]) => void> | undefined
    if (!set)
      throw new TheusError(
        'INVALID_ARGS',
        `Unknown event '${String(type)}'. Events: ${Object.keys(this._listeners).join(', ')}.`,
      )
    set.add(handler)
    return () => {
      set.delete(handler)
    }
  }

  private _emit<K extends EngineEventType>(type: K, event: EngineEventMap[K]): void {
    const set = this._listeners[type]
    if (set.size === 0) return
    // The args a listener sees are the logged ones: frozen before anyone can touch them.
    const args = (event as { args?: unknown }).args
    if (typeof args === 'object' && args !== null) deepFreeze(args)
    for (const h of [...set]) {
      try {
        ;(h as (e: EngineEventMap[K]) => void)(event)
      } catch (e) {
        console.error(`[theus] a '${type}' listener threw:`, e)
      }
    }
  }

  private _onAudit(entry: AuditLogEntry): void {
    this._auditLog.push(entry)
    this._emit('audit', entry)
  }

  /** @internal Appends a `ctx.log` entry. */
  _log(
    process: string,
    level: LogEntry['level'],
    message: string,
    fields: Record<string, unknown> | undefined,
  ): void {
    this._logs.push({ at: Date.now(), process, level, message: String(message), fields })
  }

  /** The latest audit findings (at most 1000), oldest first. */
  get auditLog(): readonly AuditLogEntry[] {
    return this._auditLog.list()
  }

  /** The latest `ctx.log` entries (at most 1000), oldest first. */
  get logs(): readonly LogEntry[] {
    return this._logs.list()
  }

  /** True after a level S interlock, until `resume()`. */
  get halted(): boolean {
    return this._halted
  }

  /** Lifts the halt of a level S interlock. */
  resume(): void {
    this._live('resume')
    this._halted = false
  }

  /** Stops the engine: listeners are dropped and later calls throw `DISPOSED`. */
  dispose(): void {
    if (this._disposed) return
    this._disposed = true
    for (const set of Object.values(this._listeners)) set.clear()
  }

  /** True once `dispose()` was called. */
  get disposed(): boolean {
    return this._disposed
  }

  private _live(what: string): void {
    if (this._disposed) throw errors.disposed(what)
  }

  /** @internal For the run context. */
  _rootViewFor(run: Run, perms: PermNode): any {
    const cached = run.views.get(this._rootRaw)
    if (cached !== undefined) return cached.proxy
    const all = perms === GRANT_ALL
    return run.makeView(
      this._rootRaw,
      this._root,
      Kind.Object,
      '',
      all ? undefined : perms,
      all,
      all,
      false,
    )
  }

  //#endregion
}

//#region helpers

/** The state of one commit: the patches it emits and the signal fields it writes. */
class Commit {
  readonly patches: Patch[] = []
  readonly inverse: Patch[] = []
  /** Signal-zone fields this commit writes (they do not reset). */
  written: Set<string> | undefined
  /** Signal-zone fields this commit publishes (written, not silent, not resets). */
  fields: Set<string> | undefined
  publishing = true
  constructor(
    readonly seq: number,
    readonly freeze: boolean,
    readonly silent: Set<string> | undefined,
  ) {}

  snapOf(v: unknown, parent: Node, key: unknown): unknown {
    if (typeof v !== 'object' || v === null) return v
    if (v instanceof Date)
      return this.freeze ? lockDate(new Date(v.getTime())) : new Date(v.getTime())
    if (kindOf(v) === -1 || isHeavyKey(key)) return v
    return snapshot(nodeOf(v, parent, key), this.freeze)
  }

  private noteField(field: string | undefined): boolean {
    if (field === undefined) return false
    ;(this.written ??= new Set()).add(field)
    if (this.publishing && !this.silent?.has(field)) (this.fields ??= new Set()).add(field)
    return true
  }

  /** Applies one buffered key; false when it changed nothing (a delete of an absent key). */
  applyKey(node: Node, key: unknown, buffered: unknown): boolean {
    const raw = node.raw
    const isMap = node.kind === Kind.Map
    // One lookup in the common case: a defined value is present.
    const found = getKey(raw, node.kind, key)
    const had = (found !== undefined && typeof found !== 'function') || hasKey(raw, node.kind, key)
    const old = had ? found : undefined
    if (buffered === DELETED && !had) return false
    const readded = buffered instanceof Readded
    const value = readded ? (buffered as Readded).value : buffered
    const path = node.segments()
    path.push(node.kind === Kind.Array ? Number(key) : (key as string))
    const field =
      node.sigField ??
      (typeof key === 'string' && zoneOfSegment(key) === 'signal' ? path.join('.') : undefined)
    const isSignal = this.noteField(field)
    const seq = this.seq
    let inv: Patch
    if (value === DELETED) {
      // The old value's snapshot is taken before it leaves the tree, for the inverse patch.
      const oldSnap = this.snapOf(old, node, key)
      if (isMap) raw.delete(key)
      else delete raw[key as string]
      this.patches.push({ op: 'remove', path })
      inv = { op: 'add', path, value: oldSnap }
      node.shapeStamp = seq
    } else {
      const oldSnap = had ? this.snapOf(old, node, key) : undefined
      // A key deleted then set again in the run moves last, as it would in a plain object.
      if (readded) {
        if (isMap) raw.delete(key)
        else delete raw[key as string]
        node.shapeStamp = seq
      }
      if (isMap) raw.set(key, value)
      else raw[key as string] = value
      this.patches.push({ op: had ? 'replace' : 'add', path, value: this.snapOf(value, node, key) })
      inv = had ? { op: 'replace', path, value: oldSnap } : { op: 'remove', path }
      if (!had) node.shapeStamp = seq
    }
    if (isSignal) markReset(inv)
    this.inverse.push(inv)
    ;(node.stamps ??= new Map()).set(key, seq)
    const ks = node.keySigs?.get(key)
    if (ks) ks.value = seq
    return true
  }

  /** Installs the run's copy of an array or Set in place, keeping the node (and its children's). */
  applyWhole(node: Node, content: unknown[] | Set<unknown>, oldSnap: unknown): void {
    const raw = node.raw
    if (node.kind === Kind.Array) {
      const arr = content as unknown[]
      const seen = new Set<unknown>()
      raw.length = arr.length
      for (let i = 0; i < arr.length; i++) {
        let el = arr[i]
        if (typeof el === 'object' && el !== null && kindOf(el) !== -1) {
          // An element placed twice is copied: the committed state stays a tree.
          if (seen.has(el)) el = deepCopy(el)
          seen.add(el)
          if (existingNode(el as object)) nodeOf(el as object, node, String(i))
        }
        raw[i] = el
      }
    } else {
      raw.clear()
      for (const v of content as Set<unknown>) raw.add(v)
    }
    node.shapeStamp = this.seq
    bumpUp(node)
    const path = node.segments()
    this.patches.push({ op: 'replace', path, value: snapshot(node, this.freeze) })
    const inv: Patch = { op: 'replace', path, value: oldSnap }
    if (this.noteField(node.sigField)) markReset(inv)
    this.inverse.push(inv)
    if (node.parent) {
      ;(node.parent.stamps ??= new Map()).set(node.key, this.seq)
      const ks = node.parent.keySigs?.get(node.key)
      if (ks) ks.value = this.seq
    }
  }
}

/** The guarded `ctx` a body receives. */
class RunContext {
  private _local: Record<string, any> | undefined
  private readonly _root: any
  private _domain: any
  private _global: any
  private _log: ProcessLog | undefined
  constructor(
    private readonly _engine: TheusEngine,
    run: Run,
    private readonly _reg: Registered,
    readonly signal: AbortSignal | undefined,
  ) {
    this._root = _engine._rootViewFor(run, _reg.perms)
  }
  /** A fresh object per run (made on first use): readable, writable, never committed. */
  get local(): Record<string, any> {
    return (this._local ??= {})
  }
  get log(): ProcessLog {
    if (this._log === undefined) {
      const engine = this._engine
      const name = this._reg.name
      this._log = {
        info: (m, f) => engine._log(name, 'info', m, f),
        warn: (m, f) => engine._log(name, 'warn', m, f),
        error: (m, f) => engine._log(name, 'error', m, f),
      }
    }
    return this._log
  }
  get domain(): any {
    return this._domain === undefined ? (this._domain = this._root.domain) : this._domain
  }
  set domain(v: any) {
    this._root.domain = v
    this._domain = undefined
  }
  get global(): any {
    return this._global === undefined ? (this._global = this._root.global) : this._global
  }
  set global(v: any) {
    this._root.global = v
    this._global = undefined
  }
  get domain_ctx(): any {
    return this.domain
  }
  get global_ctx(): any {
    return this.global
  }
}

let versionCounter = 0
/**
 * Marks a node and its ancestors changed: their cached snapshots are stale. Every bump takes a
 * fresh version, so a snapshot built earlier in the same commit is never mistaken for current.
 */
function bumpUp(node: Node): void {
  const v = ++versionCounter
  for (let n: Node | undefined = node; n !== undefined; n = n.parent) {
    n.ver = v
    if (n.deepSig) n.deepSig.value = v
  }
}

/** Freezes a history or run-log entry and its patch lists when a reader first sees it. */
function sealEntry<T extends object>(entry: T): void {
  if (Object.isFrozen(entry)) return
  const e = entry as { patches?: Patch[]; inversePatches?: Patch[]; args?: unknown }
  if (typeof e.args === 'object' && e.args !== null) deepFreeze(e.args)
  if (e.patches) Object.freeze(e.patches)
  if (e.inversePatches) Object.freeze(e.inversePatches)
  Object.freeze(entry)
}

/**
 * A deep copy of a run's args, for the log and the events: taken before the body runs, so
 * that neither the body nor the caller can rewrite history. It is frozen when first handed
 * out (an event, or a read of the log), not on every run.
 */
function copyArgs(args: Record<string, unknown>): Record<string, unknown> {
  // Most args are a few primitives: a shallow copy is the deep one.
  for (const k in args) {
    const v = args[k]
    if (typeof v === 'object' && v !== null) return deepCopy(args) as Record<string, unknown>
  }
  return Object.assign({}, args)
}

const RESET: unique symbol = Symbol('theus.reset')
/** Tags a patch (non-enumerably) as a signal reset, or the undo of a signal write. */
function markReset(p: Patch): void {
  Object.defineProperty(p, RESET, { value: true })
}
function isReset(p: Patch): boolean {
  return (p as { [RESET]?: boolean })[RESET] === true
}

function errorDeclared(e: unknown, declared: readonly string[]): boolean {
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

/** Freezes a run-owned copy in place; Maps and Sets are locked (their mutators throw). */
function deepFreeze<T>(v: T): T {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return v
  if (v instanceof Date) return lockDate(v) as T
  const k = kindOf(v)
  if (k === Kind.Object || k === Kind.Array) {
    for (const key of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[key])
    Object.freeze(v)
  } else if (k === Kind.Map) {
    const m = v as unknown as Map<unknown, unknown>
    for (const x of m.values()) deepFreeze(x)
    lockCollection(m)
  } else if (k === Kind.Set) {
    const set = v as unknown as Set<unknown>
    for (const x of set) deepFreeze(x)
    lockCollection(set)
  }
  return v
}

/** Walks own data properties only, so a path never reaches a prototype or runs a getter. */
function walkForeign(v: unknown, segs: readonly string[]): unknown {
  let cur = v
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') return undefined
    const d = Object.getOwnPropertyDescriptor(cur, s)
    if (d === undefined || !('value' in d)) return undefined
    cur = d.value
  }
  return cur
}

/**
 * A selection of a heavy path: the raw object, with a notification after every run that
 * declares it, even though its identity does not change (a computed would swallow that).
 */
function heavySelection(ver: Signal<number>, read: () => unknown): ReadonlySignal<unknown> {
  const s = {
    get value() {
      ver.value
      return read()
    },
    peek() {
      return read()
    },
    subscribe(fn: (v: unknown) => void) {
      return effect(() => {
        ver.value
        const v = read()
        fn(v)
      })
    },
    valueOf() {
      return read()
    },
    toString() {
      return String(read())
    },
    toJSON() {
      return read()
    },
    brand: Symbol.for('preact-signals'),
  }
  return s as unknown as ReadonlySignal<unknown>
}

//#endregion
