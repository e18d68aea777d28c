/**
 * The engine: owns the context, runs processes under their contracts as transactions, and
 * exposes the committed state as signals. The hot path (runProcess → commit) lives here and in
 * `transaction/`; see DESIGN.md for the invariants it keeps.
 *
 * Why one file over 400 lines: the run path (start, settle, finish, fail, commit, and the
 * output gate's draft reader) reads and writes the engine's fields on every run, and keeping it
 * in one class lets V8 inline it and a profile read it in one place, as preact's signals core
 * does. Everything else is wired in from its own module, the engine keeping the public methods
 * as one-line delegations: the argument types and checks of the constructor (options.ts), the
 * registry (registry.ts), the `ctx` of a body (RunContext.ts), the schema and result checks of
 * a commit (checks.ts), the signal and heavy zones' part of a commit (zoneFields.ts), the admin
 * commits: edit, undo, redo, patches (TheusEngine.admin.ts), the reads (reads.ts: `select`,
 * `toDict`, the adapters' tracker), history and the run log (history.ts), events (events.ts),
 * replay (replay.ts, loaded on demand). Members those modules use carry the JSDoc internal tag,
 * so they stay out of the published types (the tag itself must not appear in this header:
 * stripInternal would drop the import below it from the .d.ts). Splitting costs the core bundle about 50 B gzipped although it
 * is 0.4 kB smaller minified: deflate matches `this._…` runs across one class better than
 * across modules (`node scripts/size.mjs`).
 */
import { computed, type ReadonlySignal, type Signal, signal } from '@preact/signals-core'
import { type Auditor, createAuditor, type ReadMemo } from '../audit/auditor.js'
import { checkContext, plainKind, protoKeyIn } from '../context/plainData.js'
import {
  isProcessDefinition,
  type ProcessContext,
  type ProcessDefinition,
} from '../contract/process.js'
import type {
  ArgsOf,
  ProcessMap,
  ProcessNames,
  ResultOf,
  RunArgs,
  UncheckedName,
} from '../contract/types.js'
import {
  AbortError,
  AuditInterlockError,
  ConflictError,
  describe,
  EngineHaltedError,
  errors,
  TheusError,
} from '../errors.js'
import { parseText } from '../textParsers.js'
import { type Changes, Commit } from '../transaction/commit.js'
import { conflictsOf } from '../transaction/conflicts.js'
import { bufferedValue, Run, unwrapView } from '../transaction/run.js'
import {
  bumpUp,
  DELETED,
  deepCopy,
  deepFreeze,
  existingNode,
  forEachSignalField,
  getKey,
  Kind,
  kindOf,
  type Node,
  nodeOf,
  snapshot,
} from '../transaction/tree.js'
import type { FluxInput, FluxRunOptions } from '../workflow/flux.js'
import { FLUX_KIT } from '../workflow/fluxKit.js'
import { isThenable, ON_COMMIT } from '../workflow/host.js'
import type { CheckFlux } from '../workflow/types.js'
import { BoundedLog } from './BoundedLog.js'
import { checkSchema, plainResult } from './checks.js'
import { EventHub } from './events.js'
import {
  checkPatch,
  copyArgs,
  PatchedEntry,
  PendingEntry,
  Records,
  sealPatches,
  withoutSignals,
} from './history.js'
import {
  type ContextInput,
  checkInitial,
  checkOptions,
  checkRunOptions,
  type EngineOptions,
  engineOptions,
  type StandardSchemaLike,
} from './options.js'
import type { CheckPath, DeepReadonly, PathValue, StateOf } from './pathTypes.js'
import { RunContext } from './RunContext.js'
import {
  createTracker,
  lastSignal,
  peekSnapshot,
  plainCopy,
  selectPath,
  type Tracker,
  walkForeign,
} from './reads.js'
import { errorDeclared, type Registered, Registry, scanModules } from './registry.js'
import * as admin from './TheusEngine.admin.js'
import type {
  AuditLogEntry,
  EngineEventMap,
  EngineEventType,
  HaltEvent,
  HistoryEntry,
  LogEntry,
  Patch,
  RunLogEntry,
  RunOptions,
} from './types.js'
import { notifyHeavy, resetSignalField } from './zoneFields.js'

//#region options and seams

/**
 * The auditor of a recipe (an object, or YAML text once `theus/yaml` is imported), checked
 * now (`RecipeError`); `undefined` for no recipe (`null` or `undefined`): no gates. Kept here
 * rather than in registry.ts: the engine importing the audit modules first orders the core
 * bundle so that it gzips about 0.1 kB smaller (`node scripts/size.mjs`).
 */
function auditorFor(recipe: unknown, emit: (entry: AuditLogEntry) => void): Auditor | undefined {
  if (recipe === undefined || recipe === null) return undefined
  return createAuditor(typeof recipe === 'string' ? parseText('recipe', recipe) : recipe, { emit })
}

const RING = 1000
const EMPTY: readonly Patch[] = Object.freeze([])
/** The options of a run given none (a default `{}` would be a new object per run). */
const NO_OPTS: RunOptions = Object.freeze({})
/** A callback given a commit's patches and inverse patches once it is applied. */
type Applied = (patches: Patch[], inverse: Patch[]) => void
/** Runs of every engine between their start and their applied commit (for static replay). */
let activeRuns = 0

/** The AbortError of a run whose signal aborted after its body started. */
const aborted = (name: string, sig: AbortSignal): AbortError =>
  new AbortError(`Process '${name}' was aborted before its commit; nothing of it was kept.`, {
    cause: sig.reason,
    details: { process: name },
  })
/** What `_run` and `_start` return for a failed run; `runProcess` throws `_takeFailure()`. */
const FAILED: unique symbol = Symbol('theus.failed')

//#endregion

/**
 * The Theus engine.
 * @example
 * const engine = new TheusEngine({ domain: { n: 0 } })
 * engine.registerProcess(process({ outputs: ['domain.n'] }, function inc(ctx) { ctx.domain.n++ }))
 * engine.runProcess('inc')
 * engine.state.value.domain.n // 1
 */
export class TheusEngine<TContext extends ContextInput = any, TProcesses extends ProcessMap = any> {
  /** The options in force (defaults filled in). */
  readonly options: Readonly<{
    strictMode: boolean
    historyLimit: number
    runLogLimit: number
    maxOps: number
    schema: StandardSchemaLike | undefined
    auditRecipe: unknown
  }>
  /** The current snapshot, frozen deeply (both modes); rebuilt lazily, with structural sharing. */
  readonly state: ReadonlySignal<DeepReadonly<StateOf<TContext>>>
  /**
   * Whether the engine is halted by a level S interlock, as a signal (`halted` reads it).
   * @example
   * effect(() => console.log(engine.haltedSignal.value ? 'halted' : 'running'))
   */
  readonly haltedSignal: ReadonlySignal<boolean>
  /**
   * Whether `undo()` has something to undo, as a signal.
   * @example
   * button.disabled = !engine.canUndo.value
   */
  readonly canUndo: ReadonlySignal<boolean>
  /** Whether `redo()` has something to redo, as a signal. */
  readonly canRedo: ReadonlySignal<boolean>

  /** @internal */ readonly _rootRaw: Record<string, any>
  /** @internal */ readonly _root: Node
  /** @internal */ readonly _strict: boolean
  /** @internal */ _seq = 1
  /** The registered processes by name (registry.ts). */
  private readonly _registry: Registry
  /** The name each definition was first registered under: `runProcess(def)` runs that one. */
  private readonly _defNames = new WeakMap<ProcessDefinition, string>()
  /** @internal */ readonly _events = new EventHub()
  /**
   * @internal How many runs of this engine are between their start and the moment their
   * commit is applied (body, gates, audit listeners, schema): runs, edits, undo and redo refuse
   * with NESTED_RUN meanwhile (SPEC §10.2). Async bodies release it across their awaits.
   */
  _busy = 0
  /**
   * Async runs whose body has not settled yet. Only they ever read the per-key conflict stamps
   * (written after they began), so a commit writes stamps only while one is in flight: a run
   * that starts later compares with a sequence no older stamp can exceed.
   */
  private _inFlight = 0
  /** @internal History, redo stack, run log and its base (SPEC §3, §10.3). */
  readonly _records: Records
  private readonly _auditLog = new BoundedLog<AuditLogEntry>(RING, deepFreeze)
  /** @internal The `ctx.log` entries (RunContext.ts writes them). */
  readonly _logs = new BoundedLog<LogEntry>(RING, deepFreeze)
  private readonly _halted = signal(false)
  /**
   * @internal The halt event that `resume()` lifts: set exactly while halted, so the run path
   * tests it instead of `_halted.peek()` (which allocates a closure per call in signals-core).
   */
  _haltEvent: HaltEvent | undefined
  private _disposed = false
  private readonly _disposers = new Set<() => void>()
  private readonly _selects = new Map<string, ReadonlySignal<unknown>>()
  /** @internal */ readonly _heavySigs = new Map<string, Signal<number>>()
  /** Initial values of signal-zone fields, by field path. */
  private readonly _signalInit = new Map<string, unknown>()
  /** Signal fields the last commit wrote (they reset on the next commit that writes). */
  private _published: Map<string, unknown> | undefined
  private _auditor: Auditor | undefined
  /** The auditor's `emit`, made once: each finding joins `auditLog` and fires `'audit'`. */
  private readonly _onAudit = (entry: AuditLogEntry): void => {
    // The entry is a record: frozen, and its value a copy (it may be a draft's or heavy).
    if (typeof entry.value === 'object' && entry.value !== null)
      entry.value = deepCopy(entry.value, unwrapView)
    deepFreeze(entry)
    this._auditLog.push(entry)
    this._events.emit('audit', entry)
  }
  // The gates' readers, made once instead of a closure per run. The output gate is
  // synchronous and nothing re-enters the engine while it runs (NESTED_RUN), so one field
  // holds the run whose draft it reads.
  private _gateRun: Run | undefined
  private readonly _readCommitted = (segs: readonly string[]): unknown => this._peekSnapshot(segs)
  /**
   * The draft value at a path during the run in `_gateRun` (the output gate's read; the walk is
   * here rather than in a method it calls, one frame less per rule). With a `memo` (one per
   * audit rule) the walk keeps the committed container it reaches under each key, and the next
   * walk takes it again while it is still its parent's child there: a load and two compares
   * where the walk costs a type test and a node lookup per level.
   */
  private readonly _readDraft = (segs: readonly string[], memo: ReadMemo): unknown => {
    const run = this._gateRun!
    // `local.*`: what the body left in this run's scratch (never committed, but the run's own).
    if (segs[0] === 'local') return walkForeign((run.ctx as RunContext)?.local, segs.slice(1))
    const kept = memo.path as Node[] | undefined
    let node: Node | undefined = this._root
    let v: unknown = this._rootRaw
    let fresh = false
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!
      const k = node?.raw === v ? node.kind : kindOf(v)
      // A primitive, or the rest of the path in a Date, a Set or a heavy object: own data only,
      // as the input gate reads (§10.1): no `getTime`, no Set `size`.
      if (k === -1 || k === Kind.Set) return walkForeign(v, segs.slice(i))
      if (!fresh && node) {
        const w = run.writes.get(node)
        const whole = run.wholes.size ? run.wholes.get(node) : undefined
        // One scan of the key buffer (indexOf) where has + get made two.
        const at = w?.indexOf(seg) as number
        if (at >= 0) {
          v = bufferedValue(w!.valueList[at])
          if (v === DELETED) return undefined
          fresh = true
        } else if (whole) {
          v = Array.isArray(whole) ? whole[Number(seg)] : undefined
          fresh = v !== undefined && typeof v === 'object' && v !== null && !existingNode(v)
        } else {
          // The kept container by a plain load, not getKey: only that container can pass (no
          // node holds a method or a prototype, which getKey never gives), and a Map never does.
          const next = kept?.[i]
          const got = (v as any)[seg]
          if (next?.parent === node && next.raw === got && next.key === seg) {
            node = next
            v = got
            continue
          }
          v = getKey(v, k, seg)
        }
        if (fresh) continue
        if (kindOf(v) !== -1) {
          node = nodeOf(v as object, node, seg)
          ;((memo.path ??= []) as Node[])[i] = node
        }
      } else v = getKey(v, k, seg)
    }
    if (typeof v === 'object' && v !== null && kindOf(v) !== -1) {
      if (fresh || !node) return deepCopy(v)
      return run.materialize(node)
    }
    return v
  }

  /** The Commit of the last commit, kept for the next one (see `Commit`). */
  private _spareCommit: Commit | undefined
  /** @internal The Run of the last admin commit, kept for the next one (admin.ts). */
  _adminSpare: Run | undefined

  constructor(initial: TContext, options: EngineOptions<TProcesses> = {}) {
    checkInitial(initial)
    checkOptions(options)
    this._strict = options.strictMode ?? true
    checkContext(initial, this._strict)
    this.options = engineOptions(options, this._strict)
    this._rootRaw = {
      global: deepCopy(initial.global ?? {}) as Record<string, unknown>,
      domain: deepCopy(initial.domain ?? {}) as Record<string, unknown>,
    }
    this._root = nodeOf(this._rootRaw, undefined, undefined)
    this._registry = new Registry(this._rootRaw, this._strict, this._defNames)
    this._records = new Records(this.options.historyLimit, this.options.runLogLimit, this._rootRaw)
    forEachSignalField(this._rootRaw, '', (p, v) => this._signalInit.set(p, deepCopy(v)))
    this._auditor = auditorFor(options.auditRecipe, this._onAudit)
    const root = this._root
    // Frozen in both modes (SPEC §9): a mutated snapshot would disagree with the state.
    const ev = this._events
    this.state = ev.reporting(
      computed(() => {
        root.deep().value
        return snapshot(root, true)
      }),
    ) as ReadonlySignal<any>
    // Computeds over the engine's own signals: written from outside, `haltedSignal` would say
    // one thing while the run path (which tests `_haltEvent`) did another.
    const ro = (s: Signal<boolean>) => ev.reporting(computed(() => s.value))
    this.haltedSignal = ro(this._halted)
    this.canUndo = ro(this._records.canUndo)
    this.canRedo = ro(this._records.canRedo)
    const procs = options.processes
    if (procs !== undefined) {
      if (procs === null || typeof procs !== 'object' || Array.isArray(procs))
        throw new TheusError(
          'INVALID_ARGS',
          `options.processes must be an object of process definitions by name ({ transfer, deposit }), got ${describe(procs)}.`,
        )
      for (const [key, def] of Object.entries(procs)) this.registerProcess(key, def)
    }
  }

  //#region registry

  /**
   * Adds a process made by `process()`; `registerProcess(name, def)` registers it under `name`.
   * @example
   * engine.registerProcess(transfer)
   */
  registerProcess(nameOrDef: string | ProcessDefinition, maybeDef?: ProcessDefinition): void {
    this._live('registerProcess')
    this._registry.register(nameOrDef, maybeDef)
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
    // A definition registered before (SPEC §3's sample registers `transfer`, then scans the
    // folder that holds it) is found, not registered twice.
    return scanModules(
      modules,
      (def) => {
        if (this._registry.get(def.name)?.def === def) return false
        this.registerProcess(def)
        return true
      },
      (name) => this._registry.delete(name),
    )
  }

  /** The names of the registered processes. */
  get processNames(): string[] {
    return [...this._registry.keys()]
  }

  /** The definition registered under a name, if any. */
  getProcess(name: string): ProcessDefinition | undefined {
    return this._registry.get(name)?.def
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
    this._registry.replace(nameOrDef, maybeDef)
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
    this._auditor = auditorFor(recipe, this._onAudit)
  }

  //#endregion

  //#region running

  /**
   * Runs a registered process as a transaction: its result, or a promise when the body is async.
   * The process is named, or given as its definition (the one registered). An engine built with
   * `processes` checks the name, the args and the result type.
   * @example
   * engine.runProcess('transfer', { from_user: 'Alice', to_user: 'Bob', amount: 500 })
   * engine.runProcess(transfer, { from_user: 'Alice', to_user: 'Bob', amount: 500 })
   */
  runProcess<TArgs, TResult>(
    process: ProcessDefinition<TArgs, TResult>,
    ...rest: RunArgs<TArgs, RunOptions>
  ): TResult
  runProcess<K extends ProcessNames<TProcesses>>(
    name: K,
    ...rest: RunArgs<ArgsOf<TProcesses[K]>, RunOptions>
  ): ResultOf<TProcesses[K]>
  runProcess<TResult = unknown>(
    name: UncheckedName<TProcesses>,
    args?: Record<string, unknown>,
    opts?: RunOptions,
  ): TResult
  runProcess(
    nameOrDef: string | ProcessDefinition,
    args?: Record<string, unknown>,
    opts: RunOptions = NO_OPTS,
  ): unknown {
    const out = this._run(nameOrDef, args, opts)
    if (out === FAILED) throw this._takeFailure()
    return out
  }

  /**
   * The failure of the run that returned FAILED. A run's failure is thrown by `runProcess`, a
   * small frame, and not by `_run` and `_start`: V8 counts a function's calls toward its
   * optimisation only when they return, so a process that fails on every run (a validation
   * loop) kept those two big frames in the interpreter at 5-15 µs a run, against 2-3 µs.
   */
  private _failure: unknown
  private _takeFailure(): unknown {
    const e = this._failure
    this._failure = undefined
    return e
  }

  private _run(
    nameOrDef: string | ProcessDefinition,
    args: Record<string, unknown> | undefined,
    opts: RunOptions,
  ): unknown {
    this._live('runProcess')
    const name =
      typeof nameOrDef === 'string'
        ? nameOrDef
        : isProcessDefinition(nameOrDef)
          ? (this._defNames.get(nameOrDef) ?? nameOrDef.name)
          : (nameOrDef as string)
    if (this._busy > 0) throw errors.nestedRun(`runProcess('${name}')`, name)
    const reg = this._registry.get(name)
    if (reg === undefined) throw errors.notFound(String(name), [...this._registry.keys()])
    if (args === undefined || args === null) args = {}
    let proto: string | undefined
    let kind: Kind | -1
    // Flat args (a few primitives, the usual case) are copied once: the copy the log keeps is
    // the one checked. Nested args are walked, and copied deeply by _start.
    let logged: Record<string, unknown> | undefined
    try {
      // Inside the try: a Proxy's traps (a revoked one) throw from the first look.
      kind = plainKind(args)
      if (kind === Kind.Object) {
        logged = { ...args }
        for (const k in logged) {
          const v = logged[k]
          if (typeof v === 'object' && v !== null) {
            logged = undefined
            break
          }
        }
        if (logged === undefined) proto = protoKeyIn(args, 'args')
        else if (Object.hasOwn(logged, '__proto__')) proto = 'args.__proto__'
      }
    } catch (e) {
      throw errors.argsShape(name, e)
    }
    if (kind !== Kind.Object) throw errors.invalidArgs(name, args)
    if (proto !== undefined)
      throw new TheusError(
        'INVALID_ARGS',
        `Invalid args for process '${name}': '${proto}' is a '__proto__' key, which is never data (it would reach a prototype). Refuse that input before running the process.`,
        { details: { process: name, path: proto } },
      )
    if (opts !== NO_OPTS) checkRunOptions(name, opts)
    if (this._haltEvent !== undefined) throw this._haltedError(name)
    if (opts.signal?.aborted) {
      const err = new AbortError(`Process '${name}' was aborted before it started.`, {
        cause: opts.signal.reason,
        details: { process: name },
      })
      this._events.emit('rollback', { process: name, args: copyArgs(args, name), error: err })
      // An async process answers with a rejected promise, a synchronous one throws.
      if (reg.async) return Promise.reject(err)
      throw err
    }
    return this._start(reg, args, opts, opts.retries ?? 0, logged)
  }

  private _start(
    reg: Registered,
    args: Record<string, unknown>,
    opts: RunOptions,
    retries: number,
    logged?: Record<string, unknown>,
  ): unknown {
    const name = reg.name
    // A retry comes here too: a halted engine never re-runs a body.
    if (this._haltEvent !== undefined) throw this._haltedError(name)
    // The clock is read only when someone listens for durations (it is not free).
    const t0 = this._events.listening('commit') ? performance.now() : -1
    let run = reg.spare
    if (run !== undefined) {
      reg.spare = undefined
      run.reuse(this._seq)
    } else {
      run = new Run(name, this._seq)
      run.strict = this._strict
    }
    // The log, history and events keep the args as given: neither the body nor the caller can
    // rewrite them afterwards.
    run.logged = logged ?? copyArgs(args, name)
    let pending = false
    // A failed gate or body returns FAILED after the `finally` below (runProcess throws it):
    // a throw inside it would be caught and rethrown by the `finally`, and each costs a V8 message.
    let failed = false
    let failure: unknown
    this._hold(run)
    try {
      // 1. Input gate, on args and the committed state.
      if (this._auditor) {
        try {
          this._auditor.checkInput(name, args, this._readCommitted)
        } catch (e) {
          failed = true
          failure = this._fail(run, reg, args, e)
        }
      }
      // 2. The body, on views behind the contract guard.
      // The context object goes with the Run (reused with it); its views are this run's.
      let out: unknown
      if (!failed) {
        const ctx = (run.ctx ??= new RunContext(this, reg)) as RunContext
        ctx.begin(run, opts.signal)
        try {
          out = reg.def.fn(
            ctx as unknown as ProcessContext,
            reg.async ? (deepCopy(run.logged) as Record<string, unknown>) : args,
          )
        } catch (e) {
          failed = true
          // A violation the body swallowed is the run's error, whatever it threw after (§9).
          failure = this._fail(run, reg, args, run.violation ?? e)
        }
      }
      if (!failed) {
        if (isThenable(out)) {
          pending = true
          run.inFlight = true
          this._inFlight++
          // Other runs may go on while this body awaits: they are not nested in it.
          this._release(run)
          // From here on the args are the logged copy (see `Registered.async`).
          return this._settle(
            run,
            reg,
            reg.async ? run.logged! : args,
            opts,
            retries,
            out as Promise<unknown>,
            t0,
          )
        }
        // The body is over: its views die here, before the gates read what it wrote.
        run.closed = true
        return this._finish(run, reg, args, out, t0, opts)
      }
    } finally {
      this._release(run)
      if (!pending) {
        run.closed = true
        reg.spare = run
      }
    }
    this._failure = failure
    return FAILED
  }

  /** An async run's body settled (or it was aborted): it no longer needs conflict stamps. */
  private _landed(run: Run): void {
    if (!run.inFlight) return
    run.inFlight = false
    this._inFlight--
  }

  /** @internal Marks a run as between its start and its applied commit (NESTED_RUN meanwhile). */
  _hold(run: Run): void {
    if (run.held) return
    run.held = true
    this._busy++
    activeRuns++
  }

  /** @internal */
  _release(run: Run): void {
    if (!run.held) return
    run.held = false
    this._busy--
    activeRuns--
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
        const err = aborted(reg.name, sig!)
        run.aborted = err
        this._landed(run)
        reject(this._fail(run, reg, args, err))
      }
      sig?.addEventListener('abort', onAbort, { once: true })
      // The signal may have aborted during the body's synchronous part.
      if (sig?.aborted) onAbort()
      body.then(
        (value) => {
          if (done) return
          done = true
          // The body settled: its views die now, whatever happens next.
          run.closed = true
          sig?.removeEventListener('abort', onAbort)
          if (this._disposed) {
            this._landed(run)
            return reject(errors.disposed('committing a run'))
          }
          const conflicts = conflictsOf(run, this._seq)
          this._landed(run)
          // A swallowed violation fails the run as is (in _finish): no conflict, no retry.
          if (conflicts.length > 0 && !run.violation) {
            const err = new ConflictError(
              `Conflict: process '${reg.name}' read or wrote ${conflicts.map((p) => `'${p}'`).join(', ')}, which another commit changed while it ran. The run was rolled back${retries > 0 ? '' : '; pass { retries: n } to re-run it'}.`,
              conflicts,
              { process: reg.name, path: conflicts[0]! },
            )
            const failure = this._fail(run, reg, args, err)
            if (retries > 0) {
              try {
                const out = this._start(reg, args, opts, retries - 1, reg.async ? args : undefined)
                if (out === FAILED) reject(this._takeFailure())
                else resolve(out)
              } catch (e) {
                reject(e)
              }
            } else reject(failure)
            return
          }
          try {
            this._hold(run)
            const out = this._finish(run, reg, args, value, t0, opts)
            if (out === FAILED) reject(this._takeFailure())
            else resolve(out)
          } catch (e) {
            reject(e)
          } finally {
            this._release(run)
          }
        },
        (e) => {
          if (done) return
          done = true
          run.closed = true
          this._landed(run)
          sig?.removeEventListener('abort', onAbort)
          reject(this._fail(run, reg, args, run.violation ?? e))
        },
      )
    })
  }

  /** Steps 3–5: output gate, schema, commit. After a rollback, returns FAILED (`_failure` holds the mapped error). */
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
      const sig = opts.signal
      if (sig?.aborted) throw aborted(reg.name, sig)
      if (this._haltEvent !== undefined) throw this._haltedError(reg.name)
      const result = this._plainResult(run, out)
      if (this._auditor) {
        this._gateRun = run
        this._auditor.checkOutput(reg.name, args, this._readDraft)
      }
      this._checkSchema(run, reg.name)
      // A violation recorded while the gates ran (a kept view written by a listener) fails it,
      // as does an abort from an 'audit' listener: the commit has not happened yet.
      if (run.violation) throw run.violation
      if (sig?.aborted) throw aborted(reg.name, sig)
      if (this._haltEvent !== undefined) throw this._haltedError(reg.name)
      // dispose() from the body, a gate's listener or the schema: its signals never change again.
      if (this._disposed) throw errors.disposed('committing a run')
      // One signals batch without a closure per run: the commit's inputs wait in fields.
      this._cRun = run
      this._cReg = reg
      this._cArgs = run.logged ?? args
      this._cResult = result
      this._cT0 = t0
      this._cHook = (opts as { [ON_COMMIT]?: Applied })[ON_COMMIT]
      // A run that wrote nothing sets no signal: no batch (signals-core allocates per batch).
      if (run.writes.n + run.wholes.size > 0 || run.heavyWrites || reg.heavyOutputs.length > 0)
        this._events.batch(this._commitTask)
      else this._commitTask()
      return result
    } catch (e) {
      this._failure = this._fail(run, reg, args, e)
      return FAILED
    }
  }

  /** Rolls a run back, fires `'rollback'`, and returns the error to throw (the error contract). */
  private _fail(run: Run, reg: Registered, args: unknown, e: unknown): unknown {
    run.closed = true
    this._release(run)
    let err: unknown = e
    if (!(e instanceof TheusError)) {
      if (!errorDeclared(e, reg.errors)) err = errors.undeclaredError(reg.name, e, reg.errors)
    }
    const halts =
      err instanceof AuditInterlockError && err.level === 'S' && this._haltEvent === undefined
    // Most rollbacks neither halt nor touch the heavy zone: no batch, no closure for them.
    if (halts || run.heavyWrites !== undefined || reg.heavyOutputs.length > 0)
      this._events.batch(() => {
        if (halts) {
          this._haltEvent = Object.freeze({ process: reg.name, error: err as AuditInterlockError })
          this._halted.value = true
          this._events.emit('halt', this._haltEvent)
        }
        this._notifyHeavy(reg, run)
      })
    if (this._events.listening('rollback'))
      this._events.emit('rollback', { process: reg.name, args: run.logged ?? args, error: err })
    return err
  }

  // The pending commit of `_finish`, read by `_commitTask` inside the batch.
  private _cRun: Run | undefined
  private _cReg: Registered | undefined
  private _cArgs: unknown
  private _cResult: unknown
  private _cT0 = -1
  private _cHook: Applied | undefined
  private readonly _commitTask = (): void => {
    const run = this._cRun!
    const reg = this._cReg!
    const args = this._cArgs
    const result = this._cResult
    this._cRun = undefined
    this._cReg = undefined
    this._cArgs = undefined
    this._cResult = undefined
    this._commit(run, reg.name, args, result, this._cT0, true, this._cHook)
    this._notifyHeavy(reg, run)
  }
  /** @internal */
  _haltedError(name: string, what = `process '${name}' was refused`): EngineHaltedError {
    return new EngineHaltedError(
      `The engine is halted after a level S interlock; ${what}. Fix the cause, then call engine.resume().`,
      { details: { process: name } },
    )
  }

  //#endregion

  //#region commit

  /** The end of a commit that changed nothing: logged, released, `'commit'` with no patches. */
  private _unchanged(
    run: Run,
    label: string,
    args: unknown,
    result: unknown,
    t0: number,
    logRun: boolean,
    applied?: (patches: Patch[], inverse: Patch[]) => void,
  ): undefined {
    if (logRun) this._records.logged({ process: label, args }, EMPTY)
    applied?.(EMPTY as Patch[], EMPTY as Patch[])
    // The commit is applied: listeners may start runs of their own.
    this._release(run)
    if (this._events.listening('commit'))
      this._events.emit('commit', {
        process: label,
        args,
        patches: EMPTY as Patch[],
        inversePatches: EMPTY as Patch[],
        result,
        durationMs: t0 < 0 ? 0 : performance.now() - t0,
      })
    return undefined
  }

  /**
   * @internal Applies a run's buffer to the committed tree in one batch. Cost: O(written keys
   * × depth), plus the snapshots of replaced containers for the inverse patches.
   */
  _commit(
    run: Run,
    label: string,
    args: unknown,
    result: unknown,
    t0: number,
    logRun: boolean,
    applied?: (patches: Patch[], inverse: Patch[]) => void,
  ): Changes | undefined {
    // Callers hold a batch() open around the commit and its heavy notifications, so that
    // every signal notifies once, after the whole commit.
    const writes = run.writes
    let expected = run.wholes.size
    for (let i = 0; i < writes.n; i++) expected += writes.valueList[i]!.n
    // A run that wrote nothing has nothing to apply: no record, no Commit.
    if (expected === 0) return this._unchanged(run, label, args, result, t0, logRun, applied)
    // Runs replay by re-running their process; the others (edit, undo, redo, patches) carry
    // the patches they applied in their run-log entry, so that a log cut by runLogLimit
    // still replays. Those are the Runs without a ctx (a process may be named 'edit').
    const changes =
      logRun && run.ctx === undefined
        ? new PatchedEntry(label, args, expected)
        : new PendingEntry(label, args, expected)
    // The engine's Commit, unless a commit is already under way (then a fresh one).
    const c = (this._spareCommit ?? new Commit()).begin(
      this._seq + 1,
      run.silent,
      changes,
      this._inFlight > 0,
    )
    this._spareCommit = undefined
    if (expected > 0) {
      // Old contents of arrays and Sets first, before any write of this commit lands.
      const olds =
        run.wholes.size > 0 ? [...run.wholes.keys()].map((n) => snapshot(n, true)) : EMPTY
      // Index loops: Map iterators and their [key, value] pairs cost ~250 bytes per commit.
      for (let i = 0; i < writes.n; i++) {
        const w = writes.valueList[i]!
        const node = w.node
        let any = false
        for (let j = 0; j < w.n; j++) if (c.applyKey(node, w.keyList[j], w.valueList[j])) any = true
        // Versions move at once, so that snapshots built later in this commit see the writes.
        if (any) bumpUp(node)
      }
      if (run.wholes.size > 0) {
        let i = 0
        for (const [node, content] of run.wholes) c.applyWhole(node, content, olds[i++])
      }
      // Signal fields the last commit published reset unless this commit wrote them again.
      if (c.n > 0 && this._published !== undefined) {
        c.publishing = false
        for (const field of this._published.keys())
          if (!c.written?.has(field)) this._resetSignalField(field, c)
      }
    }
    const seq = c.seq
    const fields = c.fields
    c.end()
    this._spareCommit = c
    // Nothing changed: the run only deleted absent keys.
    if (changes.n === 0) return this._unchanged(run, label, args, result, t0, logRun, applied)
    this._seq = seq
    let published: Map<string, unknown> | undefined
    if (fields !== undefined) {
      published = new Map()
      for (const field of fields) published.set(field, this._peekSnapshot(field.split('.')))
    }
    this._published = published
    // Patches are built from `changes` when first read (history, events, runLogBase); the one
    // entry stands for both the history entry and the run-log entry.
    if (label !== 'undo' && label !== 'redo') this._records.committed(changes)
    if (logRun) this._records.logged(changes, changes)
    // A callback that takes no parameters (undo, redo) gets no lists built for it.
    if (applied !== undefined)
      if (applied.length === 0) applied(EMPTY as Patch[], EMPTY as Patch[])
      else applied(changes.patches(), changes.inverse())
    // The commit is applied: from here on, listeners and subscribers may start runs.
    this._release(run)
    if (this._events.listening('commit')) {
      const patches = changes.patches()
      const inverse = changes.inverse()
      sealPatches(patches)
      sealPatches(inverse)
      this._events.emit('commit', {
        process: label,
        args,
        patches,
        inversePatches: inverse,
        result,
        durationMs: t0 < 0 ? 0 : performance.now() - t0,
      })
    }
    if (published !== undefined && this._events.listening('signal'))
      for (const [field, value] of published)
        this._events.emit('signal', { process: label, path: field, value })
    return changes
  }

  private _resetSignalField(field: string, c: Commit): void {
    resetSignalField(this._root, this._signalInit, field, c)
  }

  /** @internal After a commit or a rollback: the heavy paths' selections (zoneFields.ts). */
  _notifyHeavy(reg: Registered | undefined, run: Run): void {
    // A disposed engine's signals never change again.
    if (this._disposed) return
    if (run.heavyWrites === undefined && (reg === undefined || reg.heavyOutputs.length === 0))
      return
    notifyHeavy(this, reg, run)
  }

  /**
   * @internal The schema check of a commit (checks.ts): the state the commit would make is
   * built only when there is a schema.
   */
  _checkSchema(run: Run, name: string): void {
    const schema = this.options.schema
    if (schema) checkSchema(schema, run.materialize(this._root), name)
  }

  /** @internal A frozen plain copy of a body's return value, never a live view (checks.ts). */
  _plainResult(run: Run, out: unknown): unknown {
    return plainResult(run, out)
  }

  //#endregion

  //#region reading

  /**
   * A signal of the value at one path; notifies only when that value changes. Containers come
   * as snapshots; heavy values by reference, notified after each run that declares them.
   * @example
   * const alice = engine.select('domain.accounts.Alice')
   */
  select<P extends string>(
    path: CheckPath<TContext, P>,
  ): ReadonlySignal<DeepReadonly<PathValue<StateOf<TContext>, P>>> {
    this._live('select')
    return selectPath(this._root, this._selects, this._heavySigs, path, this._events) as any
  }

  /** @internal The committed value at a path as a snapshot (containers) or value; undefined when missing. */
  _peekSnapshot(segs: readonly string[]): unknown {
    return peekSnapshot(this._root, segs)
  }

  /** @internal For workflows: the value the last commit published for a signal field with this key. */
  _lastSignal(name: string): unknown {
    return lastSignal(this._published, name)
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
    return plainCopy(this._rootRaw, options) as unknown as StateOf<TContext>
  }

  /**
   * @internal The reads behind the adapters' selector views (`adapters/shared.ts`). Each read
   * subscribes the running computed or effect to exactly what it read: `get` to one key's
   * signal (unless `covered`: the caller already follows an ancestor's whole subtree), `keys`
   * and `snap` to the whole subtree. Containers come back as opaque handles (`kind` ≥ 0),
   * never as the engine's raw objects; other values as `select()` gives them.
   */
  _tracker(): Tracker {
    return createTracker(this._root, (path) => this.select(path as never).value)
  }

  //#endregion

  /**
   * Runs a Flux pipeline (`steps:`): resolves to the names of the processes run, in order.
   * The Flux runtime (pipeline checker, expression language, runner) is loaded on the first
   * call with a dynamic `import()`, so bundlers put it in a chunk of its own and an app that
   * never runs a pipeline does not ship it (SPEC §10.5).
   * @example
   * await engine.executeWorkflow({ steps: ['p_init', { flux: 'while', condition: 'domain.n < 3', do: ['p_inc'] }] })
   */
  executeWorkflow<const TDef extends FluxInput>(
    def: CheckFlux<ProcessNames<TProcesses>, TDef>,
    args?: Record<string, unknown>,
    options: FluxRunOptions = {},
  ): Promise<string[]> {
    // A promise-returning call reports through its promise, so `.catch()` sees DISPOSED too.
    if (this._disposed) return Promise.reject(errors.disposed('executeWorkflow'))
    // The args of the call: a caller reusing its object while a step awaits changes nothing.
    try {
      args = deepCopy(args) as typeof args
    } catch {
      // A cycle or a revoked proxy: the first step refuses it with INVALID_ARGS.
    }
    return import('../workflow/fluxRuntime.js').then((m) => {
      m.installKit(FLUX_KIT)
      return m.executeFlux(this, def as FluxInput, args, options)
    })
  }

  //#region admin: edit, patches, history

  /**
   * An admin transaction outside any process: no contract, same atomicity, schema still checked.
   * @example
   * engine.edit((s) => { s.domain.accounts.Carol = 10 })
   */
  edit<T>(fn: (state: StateOf<TContext>) => T): T {
    return admin.edit(this, fn)
  }

  /**
   * @internal Applies patches as one commit (undo, redo, replay of edits, atomic workflows).
   * Patches go through the admin view, so they obey the same rules as a body's writes: no
   * `__proto__`, plain data outside `heavy_`.
   */
  _commitPatches(
    patches: readonly Patch[],
    label: string,
    logRun = true,
    applied?: (patches: Patch[], inverse: Patch[]) => void,
  ): Patch[] {
    const out = admin.commitPatches(this, patches, label, logRun, applied)
    return out === undefined ? [] : out.patches()
  }

  /** The committed runs up to now, oldest first, with their patches (at most `historyLimit`). */
  get history(): readonly HistoryEntry[] {
    return this._records.history.list()
  }

  /**
   * Undoes the last commit (a commit of its inverse patches). `false` when there is nothing to
   * undo. Signal-zone values are not restored: a signal lasts one commit (SPEC §3.1).
   * @example
   * engine.undo()
   */
  undo(): boolean {
    return admin.undo(this)
  }

  /**
   * Re-applies the last undone commit. `false` when there is nothing to redo. Signal-zone
   * values are neither restored nor published again.
   * @example
   * engine.redo()
   */
  redo(): boolean {
    return admin.redo(this)
  }

  /** The replayable list of committed runs, oldest first (at most `runLogLimit`). */
  get runLog(): readonly RunLogEntry[] {
    return this._records.runLog.list()
  }

  /**
   * The context just before the first entry of `runLog` (deeply frozen): the data and meta
   * zones as they were, signal fields at their initial values, heavy values by reference. So
   * `TheusEngine.replay(engine.runLogBase, processes, engine.runLog)` builds the live state.
   * @example
   * const copy = await TheusEngine.replay(engine.runLogBase, [transfer], engine.runLog)
   */
  get runLogBase(): StateOf<TContext> {
    return this._records.base.value(
      () => ({
        global: this._peekSnapshot(['global']),
        domain: this._peekSnapshot(['domain']),
      }),
      this._signalInit,
    ) as StateOf<TContext>
  }

  /**
   * Builds a new engine from `initial` and replays a run log into it. The log is untrusted
   * input: a malformed entry, or one holding a `__proto__` key, fails with `INVALID_ARGS`.
   * @example
   * const copy = await TheusEngine.replay(initial, [transfer], engine.runLog)
   */
  static async replay<T extends ContextInput>(
    initial: T,
    processes: readonly ProcessDefinition[] | Record<string, unknown>,
    runLog: readonly RunLogEntry[],
    options: EngineOptions = {},
  ): Promise<TheusEngine<T>> {
    if (activeRuns > 0) throw errors.nestedRun('TheusEngine.replay()')
    // Loaded on demand (like the Flux runtime): only apps that replay pay for it.
    const { replay } = await import('./replay.js')
    const kit = {
      Engine: TheusEngine,
      TheusError,
      errors,
      describe,
      protoKeyIn,
      deepCopy,
      checkPatch,
      withoutSignals,
      isProcessDefinition,
    }
    return replay(kit, initial, processes, runLog, options) as Promise<TheusEngine<T>>
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
    return this._events.on(type, handler)
  }

  /** The latest audit findings (at most 1000), oldest first. */
  get auditLog(): readonly AuditLogEntry[] {
    return this._auditLog.list()
  }

  /** The latest `ctx.log` entries (at most 1000), oldest first. */
  get logs(): readonly LogEntry[] {
    return this._logs.list()
  }

  /** True after a level S interlock, until `resume()` (reads `haltedSignal`). */
  get halted(): boolean {
    return this._halted.value
  }

  /**
   * Lifts the halt of a level S interlock and fires `'resume'`; does nothing when not halted.
   * @example
   * if (engine.halted) engine.resume()
   */
  resume(): void {
    this._live('resume')
    if (!this._halted.peek()) return
    const halt = this._haltEvent
    this._haltEvent = undefined
    this._events.batch(() => {
      this._halted.value = false
    })
    if (halt !== undefined)
      this._events.emit('resume', { process: halt.process, error: halt.error })
  }

  /**
   * Stops the engine: listeners are dropped, persist and devtools handles stop, and later
   * calls throw `DISPOSED`. The engine's signals never change again.
   */
  dispose(): void {
    if (this._disposed) return
    this._disposed = true
    this._events.clear()
    const hooks = [...this._disposers]
    this._disposers.clear()
    for (const hook of hooks) {
      try {
        hook()
      } catch (e) {
        console.error('[theus] a dispose hook threw:', e)
      }
    }
  }

  /**
   * @internal For handles tied to the engine (persist, devtools): `hook` runs once, when the
   * engine is disposed (at once when it already is). Returns a function that unregisters it.
   */
  _onDispose(hook: () => void): () => void {
    if (this._disposed) {
      hook()
      return () => {}
    }
    this._disposers.add(hook)
    return () => {
      this._disposers.delete(hook)
    }
  }

  /** True once `dispose()` was called. */
  get disposed(): boolean {
    return this._disposed
  }

  /** @internal */
  _live(what: string): void {
    if (this._disposed) throw errors.disposed(what)
  }

  //#endregion
}
