/**
 * The state machine document (`workflow.yaml`): validation and normalisation. Aliases are
 * resolved here once (`on`/`transitions` → `events`, `process` → `entry`, `start_state` →
 * `initial`), so the machine and the manager only ever see one shape.
 */

import { parsePath } from '../context/paths.js'
import { zoneOfSegment } from '../context/zones.js'
import { describe, WorkflowError } from '../errors.js'
import { parseText } from '../textParsers.js'
import { deepFreeze } from '../transaction/plain.js'
import {
  defined,
  guard,
  IssueCollector,
  isRecord,
  kindOf,
  nearest,
  setOwn,
  type ValidateOptions,
} from './issues.js'

/** One state: the processes run on entry, and the transitions `event → target state`. */
export interface WorkflowState {
  entry: string[]
  events: Record<string, string>
}

/** A validated, normalised state machine. It is also a valid input to `validateWorkflow`. */
export interface WorkflowDefinition {
  name?: string
  description?: string
  initial: string
  states: Record<string, WorkflowState>
  /** The signal bridge: signal field key (`sig_…`/`cmd_…`) → the event to send. */
  signals: Record<string, string>
}

const TOP_KEYS = ['name', 'description', 'initial', 'start_state', 'states', 'signals'] as const
const STATE_KEYS = ['entry', 'process', 'events', 'on', 'transitions', 'description'] as const
const EVENT_ALIASES = ['events', 'on', 'transitions'] as const
const ENTRY_ALIASES = ['entry', 'process'] as const
/** The initial state when a document names none. */
export const DEFAULT_INITIAL = 'IDLE'

const validated = new WeakSet<object>()

/**
 * Where a validated definition came from (the file name and locator `parseWorkflow` passes)
 * and the document as written, so that `checkWorkflowProcesses` can point at an unknown
 * process as it was written (`process:` or `entry:`, one name or a list), line and column
 * included.
 */
const origins = new WeakMap<object, [ValidateOptions, unknown]>()

/**
 * Where the entry process names of a workflow compiled by `theus/vite` are (`at`: the path
 * joined by NUL → `[line, column]`): JSON data has no locator, and this symbol key, which no
 * data can hold, carries the part `checkWorkflowProcesses` needs.
 */
export const ORIGIN: unique symbol = Symbol.for('theus.origin') as never
export interface WorkflowOrigin {
  file: string
  at: Record<string, [number, number]>
}

/**
 * Validates a state machine document (the parsed YAML, or an object written in code) and
 * returns its normalised form. Every problem is collected; the `WorkflowError` points at the
 * first (file, line, column, and a hint) and lists all in `issues`.
 * @example
 * const def = validateWorkflow({ states: { IDLE: { on: { GO: 'BUSY' } }, BUSY: { process: 'work' } } })
 * def.states.BUSY.entry // ['work']
 */
export function validateWorkflow(obj: unknown, options: ValidateOptions = {}): WorkflowDefinition {
  return guard('workflow', options, (o) => check(obj, o))
}

function check(obj: unknown, options: ValidateOptions): WorkflowDefinition {
  if (typeof obj === 'object' && obj !== null && validated.has(obj))
    return obj as WorkflowDefinition
  const issues = new IssueCollector('workflow', options)
  if (!isRecord(obj)) {
    issues.add(
      'NOT_A_MAPPING',
      `a workflow must be a mapping with 'states:', got ${kindOf(obj)}`,
      [],
      'value',
      'Start the file with `states:`.',
    )
    issues.throwIfAny()
  }
  const doc = defined(obj as Record<string, unknown>)

  for (const key of Object.keys(doc)) {
    if (!(TOP_KEYS as readonly string[]).includes(key)) unknownKey(issues, key, [key], TOP_KEYS)
  }
  for (const key of ['name', 'description'] as const) {
    if (Object.hasOwn(doc, key) && typeof doc[key] !== 'string') {
      issues.add('BAD_VALUE', `'${key}' must be a string, got ${kindOf(doc[key])}`, [key], 'value')
    }
  }

  // initial / start_state
  const initialKey = pickAlias(issues, doc, ['initial', 'start_state'], [])
  const initialRaw = initialKey === undefined ? DEFAULT_INITIAL : doc[initialKey]
  if (initialKey !== undefined && (typeof initialRaw !== 'string' || initialRaw === '')) {
    issues.add(
      'BAD_VALUE',
      `'${initialKey}' must be a state name, got ${kindOf(initialRaw)}`,
      [initialKey],
      'value',
    )
  }

  // states
  const states: Record<string, WorkflowState> = {}
  const rawStates = doc['states']
  if (!Object.hasOwn(doc, 'states')) {
    issues.add(
      'NO_STATES',
      "the workflow has no 'states:'",
      [],
      'key',
      'Add `states:` with at least the initial state.',
    )
  } else if (!isRecord(rawStates)) {
    issues.add(
      'BAD_VALUE',
      `'states' must be a mapping of state names, got ${kindOf(rawStates)}`,
      ['states'],
      'value',
    )
  }
  const stateDefs = isRecord(rawStates) ? rawStates : {}
  const stateNames = Object.keys(stateDefs)
  const eventsKeyOf = new Map<string, string | undefined>()

  for (const name of stateNames) {
    const given = stateDefs[name]
    const raw = isRecord(given) ? defined(given) : given
    const state: WorkflowState = { entry: [], events: {} }
    setOwn(states, name, state)
    // A bare `DONE:` is a final state with nothing to do.
    if (raw === null || raw === undefined) continue
    if (!isRecord(raw)) {
      issues.add(
        'BAD_VALUE',
        `state '${name}' must be a mapping (entry, events), got ${kindOf(raw)}`,
        ['states', name],
        'value',
      )
      continue
    }
    for (const key of Object.keys(raw)) {
      if (!(STATE_KEYS as readonly string[]).includes(key))
        unknownKey(issues, key, ['states', name, key], STATE_KEYS, `state '${name}'`)
    }
    if (Object.hasOwn(raw, 'description') && typeof raw['description'] !== 'string') {
      issues.add(
        'BAD_VALUE',
        `'description' must be a string`,
        ['states', name, 'description'],
        'value',
      )
    }

    const entryKey = pickAlias(issues, raw, ENTRY_ALIASES, ['states', name])
    if (entryKey !== undefined) {
      const entry = raw[entryKey]
      const path = ['states', name, entryKey]
      if (typeof entry === 'string') {
        if (entry === '')
          issues.add(
            'BAD_ENTRY',
            `state '${name}' has an empty '${entryKey}'`,
            path,
            'value',
            'Name a process.',
          )
        else state.entry = [entry]
      } else if (Array.isArray(entry)) {
        entry.forEach((item, i) => {
          if (typeof item !== 'string' || item === '') {
            issues.add(
              'BAD_ENTRY',
              `'${entryKey}' of state '${name}' must list process names, item ${i} is ${kindOf(item)}`,
              [...path, i],
              'value',
              'Write each entry as a process name.',
            )
          } else state.entry.push(item)
        })
      } else {
        // SPEC §5.1: an entry that is not a string or list, an empty `entry:` included.
        issues.add(
          'BAD_ENTRY',
          `'${entryKey}' of state '${name}' must be a process name or a list of them, got ${kindOf(entry)}`,
          path,
          entry === null ? 'key' : 'value',
          `Write \`${entryKey}: name\` or \`${entryKey}: [a, b]\`.`,
        )
      }
    }

    const eventsKey = pickAlias(issues, raw, EVENT_ALIASES, ['states', name])
    eventsKeyOf.set(name, eventsKey)
    if (eventsKey !== undefined) {
      const events = isRecord(raw[eventsKey])
        ? defined(raw[eventsKey] as Record<string, unknown>)
        : raw[eventsKey]
      if (isRecord(events)) {
        for (const ev of Object.keys(events)) {
          const target = events[ev]
          if (typeof target !== 'string' || target === '') {
            issues.add(
              'BAD_TRANSITION',
              `transition '${ev}' of state '${name}' must name a target state, got ${kindOf(target)}`,
              ['states', name, eventsKey, ev],
              // An empty value has no text of its own: point at its key.
              target === null || target === undefined ? 'key' : 'value',
            )
          } else setOwn(state.events, ev, target)
        }
      } else if (events !== null) {
        issues.add(
          'BAD_VALUE',
          `'${eventsKey}' of state '${name}' must be a mapping EVENT: STATE, got ${kindOf(events)}`,
          ['states', name, eventsKey],
          'value',
          `Write \`${eventsKey}: { EVT: NEXT_STATE }\`.`,
        )
      }
    }
  }

  // Targets must exist. Checked after every state is known, so forward references work.
  for (const name of stateNames) {
    const state = states[name]!
    for (const [ev, target] of Object.entries(state.events)) {
      if (!Object.hasOwn(states, target)) {
        issues.add(
          'UNDEFINED_STATE',
          `transition '${ev}' of state '${name}' goes to '${target}', which is not a defined state`,
          ['states', name, eventsKeyOf.get(name) ?? 'events', ev],
          'value',
          () => {
            const close = nearest(target, stateNames)
            return close
              ? `Did you mean '${close}'?`
              : `Define '${target}' under states, or use one of: ${listed(stateNames)}.`
          },
        )
      }
    }
  }

  const initial = typeof initialRaw === 'string' && initialRaw !== '' ? initialRaw : DEFAULT_INITIAL
  if (
    isRecord(rawStates) &&
    (initialKey === undefined || typeof initialRaw === 'string') &&
    !Object.hasOwn(states, initial)
  ) {
    const close = nearest(initial, stateNames)
    issues.add(
      'MISSING_INITIAL',
      initialKey === undefined
        ? `the initial state defaults to '${DEFAULT_INITIAL}', which is not defined`
        : `the initial state '${initial}' is not defined`,
      initialKey === undefined ? ['states'] : [initialKey],
      initialKey === undefined ? 'key' : 'value',
      close
        ? `Did you mean '${close}'?`
        : `Define '${initial}' under states, or set \`initial:\` to one of: ${listed(stateNames) || '(none)'}.`,
    )
  }

  // signals: the signal bridge
  const signals: Record<string, string> = {}
  if (Object.hasOwn(doc, 'signals')) {
    const raw = isRecord(doc['signals']) ? defined(doc['signals']) : doc['signals']
    if (isRecord(raw)) {
      const handled = new Set(stateNames.flatMap((s) => Object.keys(states[s]!.events)))
      for (const key of Object.keys(raw)) {
        const event = raw[key]
        const field = signalKey(key)
        if (field === undefined) {
          issues.add(
            'BAD_SIGNAL',
            `'${key}' under signals is not a signal field`,
            ['signals', key],
            'key',
            "Name a field with the 'sig_' or 'cmd_' prefix, such as sig_fraud_detected.",
          )
        } else if (typeof event !== 'string' || event === '') {
          issues.add(
            'BAD_SIGNAL',
            `signal '${key}' must map to an event name, got ${kindOf(event)}`,
            ['signals', key],
            'value',
          )
        } else if (!handled.has(event)) {
          issues.add(
            'BAD_SIGNAL',
            `signal '${key}' sends '${event}', which no state handles`,
            ['signals', key],
            'value',
            () => {
              const close = nearest(event, handled)
              return close
                ? `Did you mean '${close}'?`
                : `Add '${event}' to the events of the states that should react to it.`
            },
          )
        } else setOwn(signals, field, event)
      }
    } else if (raw !== null) {
      issues.add(
        'BAD_VALUE',
        `'signals' must be a mapping sig_field: EVENT, got ${kindOf(raw)}`,
        ['signals'],
        'value',
      )
    }
  }

  issues.throwIfAny()
  const def: WorkflowDefinition = { initial, states, signals }
  if (typeof doc['name'] === 'string') def.name = doc['name']
  if (typeof doc['description'] === 'string') def.description = doc['description']
  // Frozen, so that what was checked is what runs: a change after validation throws where it
  // is made (build a new object, `{ ...def, states }`, to change it).
  validated.add(deepFreeze(def))
  const o = doc[ORIGIN as never] as WorkflowOrigin | undefined
  origins.set(def, [
    o && !options.locate
      ? {
          filename: options.filename ?? o.file,
          locate: (path) => {
            const p = o.at[path.join('\0')]
            return p && { line: p[0], column: p[1] }
          },
        }
      : options,
    doc,
  ])
  return def
}

/** Turns any accepted workflow input (an object, or YAML text) into a validated definition. */
export function toWorkflowDefinition(def: unknown): WorkflowDefinition {
  if (typeof def === 'string') return validateWorkflow(parseText('workflow', def))
  if (typeof def !== 'object' || def === null) throw notADefinition('workflow', def)
  return validateWorkflow(def)
}

/**
 * The key a signal is known by: the segment with the `sig_`/`cmd_` prefix (the field's own
 * key), from a bare key or a dotted path. `undefined` when no segment is a signal field.
 * @example
 * signalKey('domain.sig_fraud_detected') // 'sig_fraud_detected'
 */
export function signalKey(path: string): string | undefined {
  const segs = parsePath(path) ?? [path]
  return segs.find((s) => zoneOfSegment(s) === 'signal')
}

/** A list of names for a hint, cut short when long. */
function listed(names: readonly string[]): string {
  return names.length > 20 ? `${names.slice(0, 20).join(', ')}, …` : names.join(', ')
}

/** Returns which of the alias keys the mapping uses; two at once is an error. */
function pickAlias(
  issues: IssueCollector,
  obj: Record<string, unknown>,
  aliases: readonly string[],
  at: readonly (string | number)[],
): string | undefined {
  const present = aliases.filter((k) => Object.hasOwn(obj, k))
  if (present.length > 1) {
    issues.add(
      'DUPLICATE_ALIAS',
      `'${present[0]}' and '${present[1]}' are aliases of one another and both are given`,
      [...at, present[1]!],
      'key',
      `Keep only '${present[0]}'.`,
    )
  }
  return present[0]
}

function unknownKey(
  issues: IssueCollector,
  key: string,
  path: readonly (string | number)[],
  known: readonly string[],
  where = 'the workflow',
): void {
  issues.add('UNKNOWN_KEY', `unknown key '${key}' in ${where}`, path, 'key', () => {
    const close = nearest(key, known)
    return close ? `Did you mean '${close}'?` : `Allowed keys: ${known.join(', ')}.`
  })
}

/** Throws a `WorkflowError` for a definition given in a form nothing can read. */
export function notADefinition(what: string, got: unknown): WorkflowError {
  return new WorkflowError(
    `Expected a ${what} (an object, or YAML text with \`import 'theus/yaml'\`), got ${kindOf(got)}.`,
    [{ code: 'NOT_A_MAPPING', message: `expected a ${what}` }],
  )
}

/**
 * Throws a `WorkflowError` listing every entry process of a workflow that is not among
 * `processes` (issue 14: a typo would otherwise fail only when its state is entered), with
 * "did you mean". For apps to call at start-up or in a test with `engine.processNames`;
 * `WorkflowManager` does not (an unknown entry fails its chain with PROCESS_NOT_FOUND).
 * Takes the workflow in any form `StateMachine` takes; one from `parseWorkflow` is placed at
 * its file, line and column.
 * @example
 * checkWorkflowProcesses(parseWorkflow(text, { filename: 'workflow.yaml' }), engine.processNames)
 */
export function checkWorkflowProcesses(
  def: WorkflowDefinition | Record<string, unknown> | string,
  processes: Iterable<string>,
  options: ValidateOptions = {},
): void {
  guard('workflow', options, (o) => {
    const d = toWorkflowDefinition(def)
    // A definition from parseWorkflow points into its file unless the caller says otherwise.
    const [from, doc] = origins.get(d) ?? [{}, {}]
    const states = (doc as { states?: Record<string, Record<string, unknown> | null> }).states
    const iterable =
      typeof processes !== 'string' &&
      typeof (processes as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] === 'function'
    const names: unknown[] = iterable ? [...processes] : [undefined]
    if (names.some((n) => typeof n !== 'string'))
      throw new WorkflowError(
        `checkWorkflowProcesses needs the registered process names (engine.processNames), got ${describe(processes)}.`,
      )
    const known = new Set(names as string[])
    const issues = new IssueCollector('workflow', {
      filename: o.filename ?? from.filename,
      locate: o.locate ?? from.locate,
    })
    for (const [state, { entry }] of Object.entries(d.states)) {
      // The entry as written: `entry:` or `process:`, one name or a list.
      const raw = states?.[state]
      const key = raw && Object.hasOwn(raw, 'process') ? 'process' : 'entry'
      const one = typeof raw?.[key] === 'string'
      entry.forEach((name, i) => {
        if (known.has(name)) return
        issues.add(
          'UNKNOWN_PROCESS',
          `state '${state}' runs '${name}', which is not a registered process`,
          one ? ['states', state, key] : ['states', state, key, i],
          'value',
          () => {
            const close = nearest(name, names as string[])
            return close
              ? `Did you mean '${close}'?`
              : `Register it before creating the manager, or use one of: ${listed(names as string[]) || '(none registered)'}.`
          },
        )
      })
    }
    issues.throwIfAny()
  })
}
