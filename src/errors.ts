/**
 * Every error Theus throws, with the one table of codes. Messages say what happened, where
 * (process, path, file:line:col) and what to do. Throw through these classes and builders,
 * never `new Error('...')` inline.
 */

/** Every error code Theus uses. Each has a page in `docs/errors/`. */
export type TheusErrorCode =
  | 'ILLEGAL_READ'
  | 'ILLEGAL_WRITE'
  | 'IMMUTABLE_INPUT'
  | 'UNDECLARED_ERROR'
  | 'ZONE_POLICY'
  | 'INVALID_CONTRACT'
  | 'INVALID_CONTEXT'
  | 'PROCESS_NOT_FOUND'
  | 'DUPLICATE_PROCESS'
  | 'NESTED_RUN'
  | 'FLUX_SAFETY_TRIP'
  | 'DISPOSED'
  | 'INVALID_ARGS'
  | 'NO_PROVIDER'
  | 'CONFLICT'
  | 'SCHEMA_VIOLATION'
  | 'ENGINE_HALTED'
  | 'AUDIT_BLOCK'
  | 'AUDIT_INTERLOCK'
  | 'RECIPE_INVALID'
  | 'WORKFLOW_INVALID'
  | 'ABORTED'
  | 'PERSIST_INVALID'
  | 'UNAUTHORIZED'

/** Where an error points: any of a process, a path, a file position. */
export interface TheusErrorDetails {
  process?: string
  path?: string
  file?: string
  line?: number
  column?: number
  [key: string]: unknown
}

/**
 * The base of every Theus error.
 * @example
 * try { engine.runProcess('nope') } catch (e) { if (e instanceof TheusError) console.log(e.code) }
 */
export class TheusError extends Error {
  override name = 'TheusError'
  // `declare`: assigned in the constructor, so no field initialiser is emitted (bundle size).
  declare readonly code: string
  declare readonly details: TheusErrorDetails
  constructor(
    code: TheusErrorCode | (string & {}),
    message: string,
    options: { cause?: unknown; details?: TheusErrorDetails } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options.details ?? {}
  }
}

/**
 * A process broke its contract: an illegal read or write, a write to an input, an undeclared
 * error, or a zone policy violation.
 * @example
 * if (e instanceof ContractViolationError && e.code === 'ILLEGAL_WRITE') console.log(e.details.path)
 */
export class ContractViolationError extends TheusError {
  override name = 'ContractViolationError'
}

/** A level B audit rule blocked a run; the run was rolled back. */
export class AuditBlockError extends TheusError {
  override name = 'AuditBlockError'
  constructor(message: string, details: TheusErrorDetails = {}) {
    super('AUDIT_BLOCK', message, { details })
  }
}

/** A level S (stop: the engine halts) or A (abort: the workflow stops) audit interlock. */
export class AuditInterlockError extends TheusError {
  override name = 'AuditInterlockError'
  declare readonly level: 'S' | 'A'
  constructor(level: 'S' | 'A', message: string, details: TheusErrorDetails = {}) {
    super('AUDIT_INTERLOCK', message, { details })
    this.level = level
  }
}

/** The engine is halted after a level S interlock; call `engine.resume()`. */
export class EngineHaltedError extends TheusError {
  override name = 'EngineHaltedError'
  constructor(message: string, options?: { cause?: unknown; details?: TheusErrorDetails }) {
    super('ENGINE_HALTED', message, options)
  }
}

/** An async run read or wrote a path that another commit changed meanwhile. */
export class ConflictError extends TheusError {
  override name = 'ConflictError'
  declare readonly paths: readonly string[]
  constructor(message: string, paths: readonly string[], details: TheusErrorDetails = {}) {
    super('CONFLICT', message, { details })
    this.paths = paths
  }
}

/** One problem found by a schema, with the path it concerns. */
export interface SchemaIssue {
  message: string
  path: (string | number)[]
}

/** The would-be state failed the engine's schema; the run was rolled back. */
export class SchemaViolationError extends TheusError {
  override name = 'SchemaViolationError'
  declare readonly issues: readonly SchemaIssue[]
  constructor(message: string, issues: readonly SchemaIssue[], details: TheusErrorDetails = {}) {
    super('SCHEMA_VIOLATION', message, { details })
    this.issues = issues
  }
}

/** One problem in a recipe, workflow or pipeline, as data. */
export interface SourceIssue {
  code: string
  message: string
  file?: string
  line?: number
  column?: number
  hint?: string
}

/** An error about a source document: its issues, and where the first one stands. */
export abstract class SourceError extends TheusError {
  declare readonly issues: readonly SourceIssue[]
  declare readonly file: string | undefined
  declare readonly line: number | undefined
  declare readonly column: number | undefined
  constructor(
    code: TheusErrorCode,
    message: string,
    issues: readonly SourceIssue[],
    details: TheusErrorDetails,
  ) {
    super(code, message, { details })
    this.issues = issues
    this.file = details.file
    this.line = details.line
    this.column = details.column
  }
}

/** A malformed audit recipe (YAML or object). */
export class RecipeError extends SourceError {
  override name = 'RecipeError'
  constructor(
    message: string,
    issues: readonly SourceIssue[] = [],
    details: TheusErrorDetails = {},
  ) {
    super('RECIPE_INVALID', message, issues, details)
  }
}

/** A malformed state machine, Flux pipeline or condition expression. */
export class WorkflowError extends SourceError {
  override name = 'WorkflowError'
  constructor(
    message: string,
    issues: readonly SourceIssue[] = [],
    details: TheusErrorDetails = {},
  ) {
    super('WORKFLOW_INVALID', message, issues, details)
  }
}

/** A run aborted through its `AbortSignal`; `cause` is the signal's reason. */
export class AbortError extends TheusError {
  override name = 'AbortError'
  constructor(message: string, options?: { cause?: unknown; details?: TheusErrorDetails }) {
    super('ABORTED', message, options)
  }
}

//#region message builders: the one place where the wording of the common errors lives

export const errors = {
  illegalRead(process: string, path: string, didYouMean?: string): ContractViolationError {
    return new ContractViolationError(
      'ILLEGAL_READ',
      `Illegal Read: process '${process}' attempted to read '${path}', which is not declared in inputs or outputs.${didYouMean === undefined ? '' : ` Did you mean '${didYouMean}'?`} Add '${path}' (or an ancestor) to the contract's inputs.`,
      {
        details:
          didYouMean === undefined
            ? { process, path }
            : { process, path, hint: `Did you mean '${didYouMean}'?` },
      },
    )
  },
  /** A write of the key `__proto__`: never a data key (SPEC §10.1), whatever the contract. */
  protoKey(process: string, path: string): ContractViolationError {
    return new ContractViolationError(
      'ILLEGAL_WRITE',
      `Illegal Write: process '${process}' attempted to modify '${path}': '__proto__' is never a data key, since writing it would reach a prototype. Use another key name (or a Map); if the key comes from user input, refuse that input.`,
      { details: { process, path } },
    )
  },
  /** A value that is not plain data, written outside `heavy_` in strict mode. */
  zonePolicyValue(process: string, path: string, cls: string): ContractViolationError {
    return new ContractViolationError(
      'ZONE_POLICY',
      `Zone policy: process '${process}' wrote ${aValueOf(cls)} to '${path}'. The data, signal and meta zones hold plain data only (plain objects, arrays, Map, Set, Date, primitives), which the engine can copy, freeze and roll back. Convert it to plain data, or keep it under a 'heavy_' key (held by reference, never rolled back).`,
      { details: { process, path, class: cls } },
    )
  },
  /** A value with a cycle, written into the state (the state is a tree). */
  zonePolicyCycle(process: string, path: string): ContractViolationError {
    return new ContractViolationError(
      'ZONE_POLICY',
      `Zone policy: process '${process}' wrote a value that contains itself at '${path}'. The state is a tree of plain data: break the cycle (store an id instead of the object), or keep it under a 'heavy_' key.`,
      { details: { process, path } },
    )
  },
  /** An initial context holding a value that is not plain data, outside `heavy_` (strict). */
  foreignContext(path: string, cls: string): TheusError {
    return errors.invalidContext(
      `'${path}' holds ${aValueOf(cls)}, which is not plain data. The data, signal and meta zones hold plain objects, arrays, Map, Set, Date and primitives; keep other values under a 'heavy_' key (held by reference)`,
    )
  },
  /** An initial context that contains itself at `path`. */
  cycleContext(path: string): TheusError {
    return errors.invalidContext(
      `'${path}' contains itself; the context is a tree of plain data (store an id instead of the object)`,
    )
  },
  /** A view used after its run ended (SPEC §10.1). */
  deadView(process: string, path: string): TheusError {
    return errors.invalidContract(
      process,
      `the view of '${path || '(root)'}' was used after its run ended. A run's views live only while its body runs: do not keep ctx, or values read from it, beyond the run (copy plain values out instead).`,
      path,
    )
  },
  /** A run or an edit started inside a run; `process` when it was `runProcess` itself. */
  nestedRun(what: string, process?: string): TheusError {
    return new TheusError(
      'NESTED_RUN',
      `${what} was called while a run of this engine is in progress (its body, its audit gates and their listeners, or its schema check). Processes do not call each other: chain them with a workflow (WorkflowManager or executeWorkflow), or ${process === undefined ? 'act' : 'start the run'} from a 'commit' listener, which runs once the commit is applied.`,
      { details: process === undefined ? {} : { process } },
    )
  },
  illegalWrite(process: string, path: string): ContractViolationError {
    return new ContractViolationError(
      'ILLEGAL_WRITE',
      `Illegal Write: process '${process}' attempted to modify '${path}', which is not declared in outputs. Add it to outputs, or move this write to a process that owns it.`,
      { details: { process, path } },
    )
  },
  immutableInput(process: string, path: string): ContractViolationError {
    return new ContractViolationError(
      'IMMUTABLE_INPUT',
      `Immutable Violation: process '${process}' attempted to modify '${path}', which it may only read (declared in inputs). Declare the path in outputs to change it.`,
      { details: { process, path } },
    )
  },
  undeclaredError(
    process: string,
    cause: unknown,
    declared: readonly string[],
  ): ContractViolationError {
    const name = cause instanceof Error ? cause.name : typeof cause
    // String() throws for an object without a prototype: describe() names it instead.
    const msg =
      cause instanceof Error
        ? cause.message
        : typeof cause === 'object' && cause
          ? describe(cause)
          : String(cause)
    return new ContractViolationError(
      'UNDECLARED_ERROR',
      `Undeclared Error Violation: process '${process}' threw ${name} ('${msg}'), which is not in its declared errors [${declared.join(', ')}]. The run was rolled back. Add '${name}' to the contract's errors if it is expected.`,
      { cause, details: { process, error: name } },
    )
  },
  notFound(name: string, known: readonly string[]): TheusError {
    // The message is the contract's wording exactly (SPEC §3); `details.hint` says what to
    // do: a likely typo's correction, or how to register.
    const close = suggest(name, known)
    return new TheusError('PROCESS_NOT_FOUND', `Process '${name}' not found in registry.`, {
      details: {
        process: name,
        hint: close
          ? `Did you mean '${close}'?`
          : 'Register it with engine.registerProcess() (or scanAndRegister) before running it.',
      },
    })
  },
  disposed(what: string): TheusError {
    return new TheusError(
      'DISPOSED',
      `The engine is disposed: ${what} is no longer possible. Create a new TheusEngine.`,
    )
  },
  invalidArgs(process: string, got: unknown): TheusError {
    return new TheusError(
      'INVALID_ARGS',
      `Invalid args for process '${process}': expected one plain object (or nothing), got ${describe(got)}. Pass the arguments as { name: value }.`,
      { details: { process } },
    )
  },
  /** Args that could not be walked or copied: a cycle (the RangeError), or a getter that threw. */
  argsShape(process: string, e: unknown): TheusError {
    return new TheusError(
      'INVALID_ARGS',
      `Invalid args for process '${process}': ${e instanceof RangeError ? 'they hold a cycle or nest too deeply' : 'reading them threw (see cause)'}. Pass plain data.`,
      { cause: e, details: { process } },
    )
  },
  /** A return value that cannot be copied: it contains itself at `at`, or nests too deeply. */
  resultShape(process: string, at: string | undefined): TheusError {
    return errors.invalidContract(
      process,
      `its return value ${at ? `contains itself at '${at}'` : 'nests too deeply'}; return plain data without cycles (an id instead of the object).`,
    )
  },
  invalidContext(reason: string): TheusError {
    return new TheusError(
      'INVALID_CONTEXT',
      `Invalid context: ${reason}. A context is a plain object with the layers 'global' and 'domain' ('local' exists only inside a running process).`,
    )
  },
  invalidContract(process: string, reason: string, path?: string): TheusError {
    return new TheusError(
      'INVALID_CONTRACT',
      `Invalid contract for process '${process}': ${reason}`,
      {
        details: path === undefined ? { process } : { process, path },
      },
    )
  },
} as const

//#endregion

//#region small helpers shared by messages

/** Describes a value for a message: its type and a short rendering. */
export function describe(value: unknown): string {
  if (value == null) return String(value)
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string')
    return `the string '${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`
  if (typeof value === 'object') return `an object of class ${value.constructor?.name ?? 'null'}`
  return `${typeof value} ${String(value)}`
}

/** A value that is not plain data, for a message: `a function`, or `an object of class X`. */
export function aValueOf(cls: string): string {
  return cls === 'Function' ? 'a function' : `an object of class ${cls}`
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const dp: number[] = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!
    dp[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return dp[b.length]!
}

/** The closest candidate to `word`, when one is close enough to be a likely typo. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestD = Number.POSITIVE_INFINITY
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase())
    if (d < bestD) {
      bestD = d
      best = c
    }
  }
  if (best === undefined) return undefined
  // A candidate that shares no letter in place (every one replaced: 'x' for 'a') is no typo.
  // (An integer distance ≤ length / 3 is ≤ its floor: no Math.floor needed.)
  return bestD <= Math.max(2, word.length / 3) && bestD < word.length ? best : undefined
}

const warned = new Set<string>()
/**
 * Warns once per cause, with the `[theus]` prefix. Public so that the adapters share one set
 * of causes with the core; applications rarely need it.
 * @example
 * warnOnce('my-cause', 'this shows once')
 */
export function warnOnce(cause: string, message: string): void {
  if (warned.has(cause)) return
  warned.add(cause)
  console.warn(`[theus] ${message}`)
}

//#endregion
