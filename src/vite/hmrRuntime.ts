/**
 * The browser side of live editing (`theus/vite` in `vite dev`): the plugin makes process
 * modules and compiled YAML self-accepting and routes their new versions here, where they are
 * swapped into the running engines and workflow managers, keeping the state.
 *
 * Only the dev server ever serves this module (as `virtual:theus-hmr`): a production bundle
 * holds none of it, and the engine carries no hook for it. It finds the live engines by
 * wrapping `TheusEngine.prototype.registerProcess` (every engine with processes calls it) and
 * `runProcess`, and
 * the live managers by wrapping `WorkflowManager.prototype.send` and `reset`.
 */
import {
  isProcessDefinition,
  type ProcessDefinition,
  StateMachine,
  TheusEngine,
  WorkflowManager,
} from 'theus'

/** The part of `import.meta.hot` the runtime uses. */
export interface HotContext {
  send(event: string, data?: unknown): void
  invalidate(message?: string): void
}

/** The custom event the runtime sends to the dev server, which shows it in Vite's overlay. */
export const HMR_ERROR_EVENT = 'theus:hmr-error'
/** The DOM event the devtools panel listens to (`theus/devtools`' `HMR_EVENT`). */
const NOTICE_EVENT = 'theus:hmr'

interface Registry {
  engines: Set<WeakRef<TheusEngine>>
  managers: Set<WeakRef<WorkflowManager>>
  /** The recipe object each engine runs now (the constructor's until a hot swap). */
  recipes: WeakMap<TheusEngine, unknown>
  /** Per workflow file: the normalized definitions it had (JSON), and its latest one. */
  workflows: Map<string, { stale: Set<string>; latest: unknown }>
  /** Each definition a live edit replaced, and the one that replaced it. */
  newer: WeakMap<object, ProcessDefinition>
  /** Each recipe object a live edit replaced, and the next version. */
  newerRecipes: WeakMap<object, unknown>
}

const KEY = Symbol.for('theus.hmr.registry')
const WRAPPED = Symbol.for('theus.hmr.wrapped')

function registry(): Registry {
  const g = globalThis as { [KEY]?: Registry }
  const reg = (g[KEY] ??= {
    engines: new Set(),
    managers: new Set(),
    recipes: new WeakMap(),
    workflows: new Map(),
    newer: new WeakMap(),
    newerRecipes: new WeakMap(),
  })
  // Wrapped once per class: a second copy of the runtime (or of theus) wraps its own classes.
  const engineProto = TheusEngine.prototype as TheusEngine & { [WRAPPED]?: true }
  if (!Object.hasOwn(engineProto, WRAPPED)) {
    engineProto[WRAPPED] = true
    const seen = new WeakSet<object>()
    const remember = (e: TheusEngine) => {
      if (seen.has(e)) return
      seen.add(e)
      reg.engines.add(new WeakRef(e))
      // An engine built after a recipe edit from its importer's object of before (a factory,
      // a reset) takes the latest version.
      let recipe = e.options.auditRecipe as unknown
      while (isObject(recipe) && reg.newerRecipes.has(recipe)) recipe = reg.newerRecipes.get(recipe)
      if (recipe === e.options.auditRecipe) return
      try {
        e.replaceAuditRecipe(recipe as never)
        reg.recipes.set(e, recipe)
      } catch {
        // Refused at edit time already, in Vite's overlay: this engine keeps its recipe too.
      }
    }
    const register = engineProto.registerProcess
    engineProto.registerProcess = function registerProcess(
      this: TheusEngine,
      ...args: Parameters<TheusEngine['registerProcess']>
    ) {
      remember(this)
      // An engine built after a live edit, from its importer's exports of before the edit
      // (a factory, a reset): it gets the definitions that replaced them.
      const i = args.length > 1 ? 1 : 0
      let def = args[i] as object
      while (reg.newer.has(def)) def = reg.newer.get(def)!
      args[i] = def as never
      return register.apply(this, args)
    }
    // An engine given its processes another way is found at its first run.
    const run = engineProto.runProcess
    engineProto.runProcess = function runProcess(
      this: TheusEngine,
      ...args: Parameters<TheusEngine['runProcess']>
    ) {
      remember(this)
      return run.apply(this, args)
    } as TheusEngine['runProcess']
  }
  const managerProto = WorkflowManager.prototype as WorkflowManager & { [WRAPPED]?: true }
  if (!Object.hasOwn(managerProto, WRAPPED)) {
    managerProto[WRAPPED] = true
    const seen = new WeakSet<object>()
    const remember = (m: WorkflowManager) => {
      if (seen.has(m)) return
      seen.add(m)
      reg.managers.add(new WeakRef(m))
    }
    const send = managerProto.send
    managerProto.send = function send_(this: WorkflowManager, ...args) {
      remember(this)
      refresh(this)
      return send.apply(this, args)
    }
    const reset = managerProto.reset
    managerProto.reset = function reset_(this: WorkflowManager) {
      remember(this)
      reset.apply(this)
      refresh(this)
    }
  }
  return reg
}
// Installed as soon as any process module or compiled YAML loads, before the app builds its
// engines (the modules that build them import those).
registry()

function live<T extends object>(set: Set<WeakRef<T>>): T[] {
  const out: T[] = []
  for (const ref of set) {
    const v = ref.deref()
    if (v === undefined || (v as { disposed?: boolean }).disposed === true) set.delete(ref)
    else out.push(v)
  }
  return out
}

function notify(kind: 'process' | 'recipe' | 'workflow', engine: unknown, message: string): void {
  console.info(`[theus] ${message}`)
  const CE = (globalThis as { CustomEvent?: typeof CustomEvent }).CustomEvent
  if (CE !== undefined && typeof globalThis.dispatchEvent === 'function')
    globalThis.dispatchEvent(new CE(NOTICE_EVENT, { detail: { kind, engine, message } }))
}

function report(hot: HotContext, file: string, error: unknown, what: string): void {
  const e = error as { message?: unknown; stack?: unknown; code?: unknown }
  const message = `${what}\n${typeof e?.message === 'string' ? e.message : String(error)}`
  console.error(`[theus] ${message}`)
  hot.send(HMR_ERROR_EVENT, {
    file,
    message,
    code: typeof e?.code === 'string' ? e.code : undefined,
    stack: typeof e?.stack === 'string' ? e.stack : '',
  })
}

/** A module is hot-replaceable when it exports only process definitions and error classes. */
function processExports(mod: Record<string, unknown>): ProcessDefinition[] | undefined {
  const defs: ProcessDefinition[] = []
  for (const value of Object.values(mod)) {
    if (isProcessDefinition(value)) defs.push(value)
    else if (!(typeof value === 'function' && value.prototype instanceof Error)) return undefined
  }
  return defs
}

/**
 * A process module's new version: each exported definition replaces the one of the same
 * process name on every live engine that has it (state, history and logs kept); a new export
 * is registered on the engines that hold the module's other processes. A contract the state
 * no longer fits keeps the old definition and goes to Vite's error overlay. A module that
 * exports anything else is passed up to its importers (`invalidate`), as without the plugin.
 */
export function acceptProcesses(
  hot: HotContext,
  file: string,
  mod: Record<string, unknown> | undefined,
): void {
  if (mod === undefined) return
  const defs = processExports(mod)
  if (defs === undefined || defs.length === 0) {
    hot.invalidate(`${file} exports more than process definitions: reloading its importers.`)
    return
  }
  for (const engine of live(registry().engines)) {
    const byName = new Map(defs.map((d) => [d.name, d]))
    const replaced: string[] = []
    let kept = 0
    const missing = new Set(byName.keys())
    for (const name of engine.processNames) {
      const old = engine.getProcess(name)
      const def = old === undefined ? undefined : byName.get(old.name)
      if (def === undefined) continue
      missing.delete(def.name)
      if (old === def) continue
      try {
        engine.replaceProcess(name, def)
        registry().newer.set(old!, def)
        // Every export is a new object; the notice names those whose body or contract changed.
        if (
          String(old!.fn) !== String(def.fn) ||
          JSON.stringify(old!.contract) !== JSON.stringify(def.contract)
        )
          replaced.push(name)
        else kept++
      } catch (e) {
        report(
          hot,
          file,
          e,
          `Live edit of '${name}' (${file}) refused: the engine keeps running the previous version, and its state is untouched. Fix the contract, or reload the page if the context itself changed.`,
        )
      }
    }
    // New exports join the engines that run this module's other processes.
    if (replaced.length > 0 || missing.size < byName.size)
      for (const name of missing) {
        try {
          engine.registerProcess(byName.get(name)!)
          replaced.push(name)
        } catch (e) {
          report(hot, file, e, `Live edit: the new process '${name}' (${file}) was not registered.`)
        }
      }
    if (replaced.length > 0 || kept > 0)
      notify(
        'process',
        engine,
        replaced.length > 0
          ? `Live edit: ${replaced.join(', ')} replaced from ${basename(file)}; state kept.`
          : `Live edit: ${basename(file)} reloaded (${kept} processes re-registered); state kept.`,
      )
  }
}

/**
 * A recipe file's new version: every live engine that runs the previous one swaps to it (fresh
 * counters). A recipe the engine refuses keeps the previous one and goes to the overlay.
 */
export function acceptRecipe(
  hot: HotContext,
  file: string,
  previous: unknown,
  next: unknown,
): void {
  const reg = registry()
  if (isObject(previous)) reg.newerRecipes.set(previous, next)
  for (const engine of live(reg.engines)) {
    const current = reg.recipes.has(engine) ? reg.recipes.get(engine) : engine.options.auditRecipe
    if (current !== previous) continue
    try {
      engine.replaceAuditRecipe(next)
      reg.recipes.set(engine, next)
      notify(
        'recipe',
        engine,
        `Live edit: audit recipe replaced from ${basename(file)}; audit counters reset.`,
      )
    } catch (e) {
      report(hot, file, e, `Live edit of ${file} refused: the engine keeps the previous recipe.`)
    }
  }
}

/**
 * A workflow file's new version: every live manager built from the previous one takes it, when
 * its current state still exists in it; otherwise it keeps the previous definition, and the
 * overlay says so.
 */
export function acceptWorkflow(
  hot: HotContext,
  file: string,
  previous: unknown,
  next: unknown,
): void {
  const reg = registry()
  let nextDef: StateMachine['definition']
  let previousJson: string
  try {
    previousJson = JSON.stringify(new StateMachine(previous as never).definition)
    nextDef = new StateMachine(next as never).definition
  } catch (e) {
    report(hot, file, e, `Live edit of ${file} refused: the managers keep the previous workflow.`)
    return
  }
  const entry = reg.workflows.get(file) ?? { stale: new Set<string>(), latest: next }
  entry.stale.add(previousJson)
  entry.stale.delete(JSON.stringify(nextDef))
  entry.latest = next
  reg.workflows.set(file, entry)
  for (const manager of live(reg.managers)) {
    if (JSON.stringify(manager.definition) !== previousJson) continue
    const moved = swap(manager, nextDef)
    if (moved === true)
      notify('workflow', undefined, `Live edit: workflow ${basename(file)} updated; state kept.`)
    else report(hot, file, new Error(moved), `Live edit of ${file}: a manager was not updated.`)
  }
}

/**
 * A pipeline file's version (`steps:`): the first version's object, which its importers hold,
 * takes the new version's content in place; `executeWorkflow` reads it at each call, so the next
 * run follows the edit and runs in flight keep the steps they started with.
 */
export function acceptFlux(
  hot: { data?: Record<string, unknown> } | undefined,
  file: string,
  next: Record<string, unknown>,
): Record<string, unknown> {
  const data = hot?.data
  const first = data?.theusFlux as Record<string, unknown> | undefined
  if (data === undefined || first === undefined || first === next) {
    if (data !== undefined) data.theusFlux = next
    return next
  }
  for (const k of Object.keys(first)) delete first[k]
  Object.assign(first, next)
  notify('workflow', undefined, `Live edit: pipeline ${basename(file)} updated; state kept.`)
  return first
}

// A manager that never sent an event was not seen at edit time: it takes the latest
// definition of its file on first use.
function refresh(manager: WorkflowManager): void {
  const json = JSON.stringify(manager.definition)
  for (const { stale, latest } of registry().workflows.values()) {
    if (!stale.has(json)) continue
    swap(manager, new StateMachine(latest as never).definition)
    return
  }
}

// The manager's machine and its signal bridge read the definition on every step: replacing it
// (a validated definition is frozen) keeps the current state and the history.
function swap(manager: WorkflowManager, next: StateMachine['definition']): true | string {
  const state = manager.state.peek()
  if (!Object.hasOwn(next.states, state))
    return `The manager is in state '${state}', which the new workflow no longer has: it keeps the previous definition. Reload the page to start it afresh.`
  ;(manager.machine as { definition: StateMachine['definition'] }).definition = next
  return true
}

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null
}

function basename(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1)
}
