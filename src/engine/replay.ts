/**
 * `TheusEngine.replay`, loaded on demand with `import()` (it is async anyway): the checks of an
 * untrusted run log and the replay loop ship only to apps that replay (SPEC §10.5).
 * Nothing else imports this module statically, or bundlers would load it at start.
 */
import type { protoKeyIn } from '../context/plainData.js'
import type { isProcessDefinition, ProcessDefinition } from '../contract/process.js'
import type { describe, errors, TheusError } from '../errors.js'
import type { deepCopy } from '../transaction/tree.js'
import type { checkPatch, Records, withoutSignals } from './history.js'
import type { Patch, RunLogEntry } from './types.js'

/**
 * The helpers replay shares with the core, handed over by the engine rather than imported:
 * a module imported both by the core and by this on-demand chunk would make bundlers split the
 * core into more files at start, which costs more than this chunk saves.
 */
export interface ReplayKit {
  Engine: new (initial: never, options: never) => object
  TheusError: typeof TheusError
  errors: typeof errors
  describe: typeof describe
  protoKeyIn: typeof protoKeyIn
  deepCopy: typeof deepCopy
  checkPatch: typeof checkPatch
  withoutSignals: typeof withoutSignals
  isProcessDefinition: typeof isProcessDefinition
}

/** The engine's members replay drives (some are internal). */
interface Replaying {
  readonly _records: Records
  readonly _registry: Map<string, { def?: unknown } | undefined>
  readonly processNames: string[]
  readonly _auditor: { readonly recipe: unknown } | undefined
  replaceAuditRecipe(recipe: unknown): void
  registerProcess(nameOrDef: string | ProcessDefinition, def?: ProcessDefinition): void
  scanAndRegister(modules: Record<string, unknown>): unknown
  runProcess(name: string, args: Record<string, unknown>): unknown
  undo(): boolean
  redo(): boolean
  _commitPatches(
    patches: readonly Patch[],
    label: string,
    logRun?: boolean,
    applied?: (patches: Patch[], inverse: Patch[]) => void,
  ): Patch[]
}

/** Checks one replayed run-log entry (untrusted input): its shape, and no `__proto__` in it. */
function checkLogEntry(
  { TheusError, describe, protoKeyIn, checkPatch }: ReplayKit,
  entry: unknown,
  i: number,
): void {
  const where = `runLog[${i}]`
  if (
    typeof entry !== 'object' ||
    entry === null ||
    typeof (entry as RunLogEntry).process !== 'string'
  )
    throw new TheusError(
      'INVALID_ARGS',
      `Cannot replay ${where}: expected { process, args }, got ${describe(entry)}.`,
    )
  const e = entry as RunLogEntry
  // Anywhere in the entry: its args, its patches, the entry itself (SPEC §10.1).
  const proto = protoKeyIn(entry, 'entry')
  if (proto !== undefined)
    throw new TheusError(
      'INVALID_ARGS',
      `Cannot replay ${where} ('${e.process}'): ${proto} is a '__proto__' key, which is never data. The log was tampered with or built from untrusted input.`,
      { details: { process: e.process, path: proto } },
    )
  if (e.patches !== undefined) {
    if (!Array.isArray(e.patches))
      throw new TheusError(
        'INVALID_ARGS',
        `Cannot replay ${where}: patches must be an array, got ${describe(e.patches)}.`,
      )
    for (const p of e.patches) checkPatch(p, `${where} ('${e.process}')`)
  }
}

/** Builds an engine with `Engine` from `initial` and replays `runLog` into it. */
export async function replay(
  kit: ReplayKit,
  initial: unknown,
  processes: readonly ProcessDefinition[] | Record<string, unknown>,
  runLog: readonly RunLogEntry[],
  options: unknown,
): Promise<unknown> {
  const { Engine, TheusError, errors, describe, deepCopy, withoutSignals, isProcessDefinition } =
    kit
  if (!Array.isArray(runLog))
    throw new TheusError(
      'INVALID_ARGS',
      `replay expects a run log (an array of { process, args }), got ${describe(runLog)}.`,
    )
  if (processes === null || typeof processes !== 'object')
    throw new TheusError(
      'INVALID_ARGS',
      `replay expects its processes as an array, a process map or a module map, got ${describe(processes)}.`,
    )
  for (const [i, entry] of runLog.entries()) checkLogEntry(kit, entry, i)
  const engine = new Engine(initial as never, options as never) as unknown as Replaying
  if (Array.isArray(processes)) {
    // A definition that `options.processes` registered already (the options the live engine
    // was built with) is found, not registered twice, as scanAndRegister does.
    for (const p of processes)
      if (p == null || engine._registry.get(p.name)?.def !== p) engine.registerProcess(p)
  }
  // A process map ({ transfer, deposit }, the shape of `options.processes`) registers each
  // definition under its key, as `options.processes` does, so that a log of the engine built
  // with `{ alias: def }` names processes the copy knows; other values are modules to scan
  // (import.meta.glob).
  else {
    const modules: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(processes)) {
      if (!isProcessDefinition(value)) modules[key] = value
      else if (engine._registry.get(key)?.def !== value) engine.registerProcess(key, value)
    }
    await engine.scanAndRegister(modules)
  }
  // Each logged run passed its gates when it ran, but the refused runs whose violations moved
  // the counters are not in the log: each replayed run is judged with fresh counters (a
  // replaced auditor), so a rule with a threshold above 1 cannot block a run that committed.
  const recipe = engine._auditor?.recipe
  const fresh = () => recipe && engine.replaceAuditRecipe(recipe)
  for (const entry of runLog) {
    // A run logs { process, args } and a built-in entry its patches, so a process of the
    // application may be named 'edit', 'undo' or 'redo'.
    const run = entry.patches === undefined && engine._registry.has(entry.process)
    if (!run && entry.process === 'edit') engine._commitPatches(entry.patches ?? [], 'edit')
    else if (!run && (entry.process === 'undo' || entry.process === 'redo')) {
      // The undone (or redone) commit may lie before the log's first entry (runLogLimit):
      // then the entry's own patches say what it did.
      const undo = entry.process === 'undo'
      const records = engine._records
      const stack = undo ? records.history.length : records.redo.length
      if (stack > 0) undo ? engine.undo() : engine.redo()
      else if (entry.patches !== undefined)
        // The stacks then get the entry the original had, so that a later undo or redo of
        // it in the log finds it where the original did.
        engine._commitPatches(withoutSignals(entry.patches), entry.process, true, (p, inv) =>
          records.replayed(undo, p, inv),
        )
    } else if (engine._registry.has(entry.process)) {
      fresh()
      // The logged args are frozen; the body gets a copy it may scribble on, as the original did.
      await engine.runProcess(entry.process, deepCopy(entry.args ?? {}) as Record<string, unknown>)
    } else if (Array.isArray(entry.patches)) engine._commitPatches(entry.patches, entry.process)
    else throw errors.notFound(entry.process, engine.processNames)
  }
  fresh()
  return engine
}
