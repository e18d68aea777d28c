/**
 * The `ctx` a process body receives: its layers as views behind the contract guard, `local`,
 * `log` (the engine's `logs`) and the run's abort `signal`. The engine's run path (`_start`)
 * makes one per Run object and points it at each run.
 */
import { GRANT_ALL, type PermNode } from '../contract/permissions.js'
import type { ProcessLog } from '../contract/process.js'
import { type Run, unwrapView } from '../transaction/run.js'
import { deepCopy } from '../transaction/tree.js'
import type { BoundedLog } from './BoundedLog.js'
import type { Registered } from './registry.js'
import type { TheusEngine } from './TheusEngine.js'
import type { LogEntry } from './types.js'

/** The engine's members a ctx reads: the committed root its views start from, and `logs`. */
type Engine = Pick<TheusEngine, '_rootRaw' | '_root' | '_logs'>

/**
 * The guarded `ctx` a body receives. One per Run object, reused with it: `begin` points it at
 * the new run, so a ctx kept from an earlier run hands out this run's views only to this
 * process's own body (views themselves die with their run).
 */
export class RunContext {
  // Private names (#): a body sees only the context's own members (domain, global, local, log,
  // signal), never the engine behind it, in Object.keys(ctx), a spread or JSON.stringify.
  #engine: Engine
  #reg: Registered
  #local: Record<string, any> | undefined
  #run: Run | undefined
  #root: any
  #domain: any
  #global: any
  #log: ProcessLog | undefined
  signal: AbortSignal | undefined
  constructor(engine: Engine, reg: Registered) {
    this.#engine = engine
    this.#reg = reg
    // A ctx is reused by later runs: a property a body added (`ctx.cache = ...`) would carry
    // state from run to run outside the transaction. Adding one throws (a TypeError, which
    // the error contract reports as UNDECLARED_ERROR); `ctx.local` is the per-run scratch.
    Object.preventExtensions(this)
  }
  begin(run: Run, signal: AbortSignal | undefined): void {
    this.#run = run
    this.#root = undefined
    this.#local = undefined
    this.#domain = undefined
    this.#global = undefined
    this.signal = signal
  }
  get #rootView(): any {
    return (this.#root ??= viewOf(this.#engine, this.#run!, this.#reg.perms))
  }
  /** A fresh object per run (made on first use): readable, writable, never committed. */
  get local(): Record<string, any> {
    return (this.#local ??= {})
  }
  /** `ctx.local = { ... }` replaces this run's scratch object (never committed either). */
  set local(v: Record<string, any>) {
    this.#local = v
  }
  get log(): ProcessLog {
    if (this.#log === undefined) {
      const logs = this.#engine._logs
      const name = this.#reg.name
      this.#log = {
        info: (m, f) => log(logs, name, 'info', m, f),
        warn: (m, f) => log(logs, name, 'warn', m, f),
        error: (m, f) => log(logs, name, 'error', m, f),
      }
    }
    return this.#log
  }
  // A body that only reads its layers never needs a view of the root.
  get domain(): any {
    return (this.#domain ??= viewOf(this.#engine, this.#run!, this.#reg.perms, 'domain'))
  }
  set domain(v: any) {
    this.#rootView.domain = v
    this.#domain = undefined
  }
  get global(): any {
    return (this.#global ??= viewOf(this.#engine, this.#run!, this.#reg.perms, 'global'))
  }
  set global(v: any) {
    this.#rootView.global = v
    this.#global = undefined
  }
  get domain_ctx(): any {
    return this.domain
  }
  get global_ctx(): any {
    return this.global
  }
}

/** A view of the run's root, or of one of its layers, behind the process's permissions. */
function viewOf(engine: Engine, run: Run, perms: PermNode, layer?: string): any {
  const all = perms === GRANT_ALL
  return run.rootView(engine._rootRaw, engine._root, all ? undefined : perms, all, layer)
}

/** Appends a `ctx.log` entry (its fields copied: they may hold views). */
function log(
  logs: BoundedLog<LogEntry>,
  process: string,
  level: LogEntry['level'],
  message: string,
  fields: Record<string, unknown> | undefined,
): void {
  logs.push({
    at: Date.now(),
    process,
    level,
    message: String(message),
    fields:
      fields === undefined ? undefined : (deepCopy(fields, unwrapView) as Record<string, unknown>),
  })
}
