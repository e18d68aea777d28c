/**
 * The audit recipe object model: what a recipe looks like as written (snake_case keys, as in
 * YAML), the one rule table that says what each key accepts, the checker that applies it, and
 * the normalised form the auditor runs (inheritance resolved, one condition per rule, defaults
 * filled in).
 *
 * This file is in the core, so it imports neither `yaml` nor `zod` (SPEC §10.5): the checker is
 * a small interpreter of `RULE_TABLE`, `PROCESS_TABLE` and `TOP_TABLE`. `theus/yaml` builds its zod schema from the same table
 * (`auditRecipeSchema`), so there is one source of truth. YAML text reaches this file through
 * `theus/yaml` or the Vite plugin, which pass a locator so that every problem points at a line
 * and column.
 *
 * Why one file over 600 lines: the table, its checker and the normaliser are one concept (what a
 * recipe may say and what it means); split, each part would need the table's private shapes
 * and the positions the checker records for the normaliser's errors.
 */
import type { AuditLevel } from '../engine/types.js'
import { describe, RecipeError, type SourceIssue } from '../errors.js'
import { firstPosition, isRecord as isMapping, nearest, pathText } from '../workflow/issues.js'
import { parseField } from './field.js'
import { regexHazard } from './regex.js'

//#region types

/** The conditions a rule may test. A rule written with two conditions becomes two rules. */
export type AuditCondition = 'min' | 'max' | 'eq' | 'neq' | 'min_len' | 'max_len' | 'regex'

/** Every condition key, in the order the docs list them. */
export const AUDIT_CONDITIONS: readonly AuditCondition[] = [
  'min',
  'max',
  'eq',
  'neq',
  'min_len',
  'max_len',
  'regex',
]

/** A value `eq` / `neq` compare with `===`: only scalars can ever be equal that way. */
export type AuditScalar = string | number | boolean | null

/** One rule as written in a recipe. */
export interface AuditRuleSource {
  /**
   * A key of the process's args, or a context path (`domain.x`, `domain_ctx.x`), or a computed
   * value: `len`, `sum`, `min`, `max`, `mean` or `abs` of one (`len(domain.cart)`).
   */
  field: string
  /** `S` stop, `A` abort, `B` block, `C` warn (default). */
  level?: AuditLevel
  min?: number
  max?: number
  eq?: AuditScalar
  neq?: AuditScalar
  min_len?: number
  max_len?: number
  /** JavaScript syntax, no flags; tested with `RegExp.prototype.test` (anchor with `^…$`). */
  regex?: string
  /** Alias of `max_threshold`. */
  threshold?: number
  /** Violations in a row before the level acts (default 1). */
  max_threshold?: number
  /** Below `max_threshold`, a count at or over this records an early warning (default 0). */
  min_threshold?: number
  /** A passing check resets the counter (default true). */
  reset_on_success?: boolean
  /** Added to the finding's message and to the error. */
  message?: string
}

/** The recipe of one process as written. */
export interface ProcessRecipeSource {
  /** The name of another entry of `process_recipes` whose rules come first. */
  inherits?: string
  inputs?: AuditRuleSource[] | null
  outputs?: AuditRuleSource[] | null
  side_effects?: string[] | null
  errors?: string[] | null
}

/** A whole recipe as written (the YAML file's shape). */
export interface AuditRecipeSource {
  process_recipes: Record<string, ProcessRecipeSource | null> | null
  name?: string
  description?: string
}

/** One rule as the auditor runs it: exactly one condition, defaults filled in. */
export interface NormalizedRule {
  field: string
  condition: AuditCondition
  /** The rule's operand: a number, the `eq`/`neq` scalar, or the regex source. */
  limit: AuditScalar
  level: AuditLevel
  minThreshold: number
  maxThreshold: number
  resetOnSuccess: boolean
  message?: string
}

/** The effective recipe of one process: inherited rules first. */
export interface NormalizedProcessRecipe {
  readonly inputs: readonly NormalizedRule[]
  readonly outputs: readonly NormalizedRule[]
  readonly side_effects: readonly string[]
  readonly errors: readonly string[]
}

/** A validated, normalised recipe, as `validateAuditRecipe` and `parseAuditRecipe` return it. */
export interface AuditRecipe {
  readonly process_recipes: Readonly<Record<string, NormalizedProcessRecipe>>
  /**
   * The entries that other entries inherit: rule sets (like `base_money_rules`) that need not
   * be the name of a process.
   */
  readonly inherited?: readonly string[]
}

/** Maps a path inside the recipe to a 1-based position in its source text. */
export type RecipeLocator = (
  path: readonly (string | number)[],
  at?: 'key' | 'value',
) => { line: number; column: number } | undefined

/** Options of `validateAuditRecipe`. */
export interface ValidateRecipeOptions {
  /** Named in messages and in the error's `file`. */
  filename?: string
  /** Gives positions to the issues (the YAML parser passes one). */
  locate?: RecipeLocator
}

//#endregion

//#region the rule table: what each key accepts (shared with the zod schema of theus/yaml)

/**
 * What a key of a recipe accepts. `theus/yaml` turns the same table into its zod schema, so
 * the core's checker and the schema tools see cannot disagree.
 */
export type RecipeKeyKind =
  | 'string'
  | 'number'
  | 'count'
  | 'boolean'
  | 'scalar'
  | 'level'
  | 'path'
  | 'regex'
  | 'rules'
  | 'strings'
  | 'processes'

/** One key of the table: its kind, the message when the value has the wrong type, its bounds. */
export interface RecipeKeySpec {
  readonly kind: RecipeKeyKind
  /** Said when the value has the wrong type (or, for a required key, is missing). */
  readonly message: string
  /** `count`: the smallest value allowed. */
  readonly min?: number
  /** The key must be present. */
  readonly required?: boolean
  /** `null` is accepted (as an empty list or recipe). */
  readonly nullable?: boolean
  /** The hint of a problem with the value (a missing `field` has its own). */
  readonly hint?: string
}

const key = (
  kind: RecipeKeyKind,
  message: string,
  more?: Omit<RecipeKeySpec, 'kind' | 'message'>,
): RecipeKeySpec => ({ kind, message, ...more })
const count = (name: string, min: number) => key('count', `${name} must be a number`, { min })
const list = (kind: RecipeKeyKind, name: string) =>
  key(kind, `${name} must be a list`, { nullable: true })
const SCALAR = 'must be a string, number, boolean or null (compared with ===)'
const ROOT_HINT = 'Start the file with `process_recipes:`.'

/** The keys of a rule. */
export const RULE_TABLE: Readonly<Record<keyof AuditRuleSource, RecipeKeySpec>> = {
  field: key('path', 'a rule needs a `field`: an args key or a context path', { required: true }),
  level: key('level', 'must be one of S, A, B, C', {
    hint: 'Write level: S, A, B or C (C, the default, only warns).',
  }),
  min: key('number', 'min must be a number'),
  max: key('number', 'max must be a number'),
  eq: key('scalar', SCALAR),
  neq: key('scalar', SCALAR),
  min_len: count('min_len', 0),
  max_len: count('max_len', 0),
  regex: key('regex', 'regex must be a string', {
    hint: 'Check the brackets and escapes; in YAML, quote the pattern with single quotes. A pattern that can backtrack catastrophically is refused: bound its repetitions (`{1,20}`) or remove the nesting.',
  }),
  threshold: count('threshold', 1),
  max_threshold: count('max_threshold', 1),
  min_threshold: count('min_threshold', 0),
  reset_on_success: key('boolean', 'reset_on_success must be true or false'),
  message: key('string', 'message must be a string'),
}

/** The keys of one process's recipe. */
export const PROCESS_TABLE: Readonly<Record<keyof ProcessRecipeSource, RecipeKeySpec>> = {
  inherits: key('string', 'inherits must be the name of another process recipe'),
  inputs: list('rules', 'inputs'),
  outputs: list('rules', 'outputs'),
  side_effects: list('strings', 'side_effects'),
  errors: list('strings', 'errors'),
}

/** The top-level keys of a recipe. */
export const TOP_TABLE: Readonly<Record<keyof AuditRecipeSource, RecipeKeySpec>> = {
  process_recipes: key(
    'processes',
    '`process_recipes` must be a mapping of process names to recipes',
    { required: true, nullable: true, hint: ROOT_HINT },
  ),
  name: key('string', 'name must be a string'),
  description: key('string', 'description must be a string'),
}

/** The message when a recipe is not a mapping at all. */
export const NOT_A_RECIPE = 'a recipe must be a mapping with a `process_recipes` key'

const isString = (v: unknown): v is string => typeof v === 'string'
const has = Object.hasOwn
/** Whether a value has the type its kind of key accepts (`number` and `count`: finite). */
const TYPE_OK: Readonly<Record<RecipeKeyKind, (v: unknown) => boolean>> = {
  string: isString,
  path: isString,
  regex: isString,
  number: Number.isFinite,
  count: Number.isFinite,
  boolean: (v) => typeof v === 'boolean',
  scalar: (v) => v === null || isString(v) || typeof v === 'boolean' || Number.isFinite(v),
  level: (v) => v === 'S' || v === 'A' || v === 'B' || v === 'C',
  rules: Array.isArray,
  strings: Array.isArray,
  processes: isMapping,
}

// A YAML key such as `__proto__` must never become a process, and `constructor` or `prototype`
// would shadow what every object has: refused by name.
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype'])
// Symbol.for, not a module-local symbol: `theus` and `theus/yaml` may be bundled as separate
// copies of this file, and a recipe validated by one must be accepted by the other as is. A
// symbol key cannot come from JSON or YAML data, and it is set non-enumerable, by
// `normalize` and by code the Vite plugin emits, only on recipes that passed this checker.
const BRAND = Symbol.for('theus.auditRecipe')
/**
 * The key under which code emitted by the `theus/vite` plugin attaches the normalised form of a
 * recipe it checked at build time, so the core adopts it without checking it again. Like the
 * brand, a symbol key is out of reach of JSON and YAML data: only code can set it, and code is
 * trusted (SPEC §10.1).
 */
export const COMPILED_RECIPE = Symbol.for('theus.compiledRecipe')
const MAX_ISSUES = 100
// Nesting deeper than 200 levels in any form is refused (SPEC §10.4).
const MAX_INHERITANCE = 200

//#endregion

//#region the checker

type Path = (string | number)[]

/** One problem found, before it is positioned. */
export interface RecipeProblem {
  path: Path
  message: string
  hint?: string | undefined
  at: 'key' | 'value'
}

/**
 * Checks a value of the right type against one key of the table: the problems beyond its type
 * (a path that does not parse, a regex that does not compile or can backtrack catastrophically,
 * a count out of bounds). Exported for the zod schema, which calls it from a refinement.
 */
export function valueProblem(key: string, spec: RecipeKeySpec, v: unknown): string | undefined {
  const { kind } = spec
  if (kind === 'path' && parseField(v) === undefined)
    return 'is not a valid path or computed value (write e.g. `amount`, `domain.accounts.Alice` or `len(domain.cart)`; the functions are len, sum, min, max, mean, abs, of one path each)'
  if (kind === 'count') {
    const min = spec.min ?? 0
    if (!Number.isInteger(v)) return `${key} must be a whole number`
    if ((v as number) < min)
      return `${key} must be ${min === 0 ? 'zero or more' : `at least ${min}`}`
  }
  if (kind === 'regex') {
    try {
      new RegExp(v as string)
    } catch {
      return 'is not a valid JavaScript regular expression'
    }
    const hazard = regexHazard(v as string)
    if (hazard) return `can backtrack catastrophically: ${hazard}`
  }
  return undefined
}

const didYouMean = (near: string) => `Did you mean '${near}'?`

/**
 * Every problem of a recipe as written, without positions: the core of `validateAuditRecipe`,
 * and what the zod schema of `theus/yaml` reports. At most 100 problems are listed.
 */
export function recipeProblems(obj: unknown): { problems: RecipeProblem[]; more: number } {
  const problems: RecipeProblem[] = []
  let more = 0
  const full = () => problems.length >= MAX_ISSUES
  // Every message but two starts with the path it is about.
  const add = (path: Path, at: 'key' | 'value', message: string, hint?: string, bare?: 1) => {
    if (full()) more++
    else problems.push({ path, message: bare ? message : `${where(path)}: ${message}`, hint, at })
  }
  const got = (v: unknown) => `, got ${describe(v)}`

  const checkKeys = (
    o: Record<string, unknown>,
    path: Path,
    table: Record<string, RecipeKeySpec>,
  ) => {
    const valid = Object.keys(table)
    for (const key of Object.keys(o)) {
      if (has(table, key)) continue
      const near = nearest(key, valid)
      add(
        [...path, key],
        'key',
        `unknown key '${key}' in ${where(path)}`,
        near ? didYouMean(near) : `Valid keys: ${valid.join(', ')}.`,
        1,
      )
    }
    for (const key of valid) {
      const spec = table[key]!
      const at = [...path, key]
      const v = o[key]
      // A key set to `undefined` is absent, as the optional properties of the types allow.
      if (v === undefined) {
        if (spec.required)
          add(
            at,
            'key',
            `${spec.message} (it is missing)`,
            key === 'field' ? 'Add `field: <args key or context path>` to the rule.' : spec.hint,
          )
        continue
      }
      if (v === null && spec.nullable) continue
      const problem = TYPE_OK[spec.kind](v)
        ? valueProblem(key, spec, v)
        : `${spec.message}${got(v)}`
      if (problem) add(at, 'value', problem, spec.hint)
      else if (spec.kind === 'rules' || spec.kind === 'strings') {
        const items = v as unknown[]
        for (let i = 0; i < items.length && !full(); i++) {
          const item = items[i]
          const ip = [...at, i]
          if (spec.kind === 'strings') {
            if (!isString(item))
              add(
                ip,
                'value',
                `must be ${key === 'errors' ? 'an error name (a string)' : 'a string'}${got(item)}`,
              )
          } else if (!isMapping(item))
            add(ip, 'value', `a rule must be a mapping with a \`field\`${got(item)}`)
          else {
            checkKeys(item, ip, RULE_TABLE)
            // "No condition" is noise when the rule has an unknown key: that key is most likely
            // the misspelt condition, and its issue says so.
            if (
              AUDIT_CONDITIONS.every((c) => item[c] === undefined) &&
              Object.keys(item).every((k) => has(RULE_TABLE, k))
            )
              add(
                [...ip, 'field'],
                'key',
                `the rule on '${String(item['field'])}' has no condition`,
                `Add one of ${AUDIT_CONDITIONS.join(', ')}.`,
              )
            if (item['threshold'] !== undefined && item['max_threshold'] !== undefined)
              add(
                [...ip, 'threshold'],
                'key',
                '`threshold` is an alias of `max_threshold`; both are given',
                'Keep only `max_threshold`.',
              )
          }
        }
      }
    }
  }

  if (!isMapping(obj)) {
    add([], 'value', `${NOT_A_RECIPE}${got(obj)}`, ROOT_HINT)
    return { problems, more }
  }
  checkKeys(obj, [], TOP_TABLE)
  const procs = obj['process_recipes']
  if (isMapping(procs)) {
    const names = Object.keys(procs)
    for (const name of names) {
      if (full()) break
      const path = ['process_recipes', name]
      const rec = procs[name]
      if (RESERVED_NAMES.has(name))
        add(path, 'key', `'${name}' cannot be a process name`, 'Rename the process.', 1)
      else if (isMapping(rec)) checkKeys(rec, path, PROCESS_TABLE)
      else if (rec !== null)
        add(path, 'value', `must be a mapping (inputs, outputs, ...)${got(rec)}`)
    }
    // Inheritance: `inherits` names an entry, and no chain comes back to where it started.
    const parentOf = (n: string): unknown => {
      const r = has(procs, n) ? procs[n] : undefined
      return isMapping(r) && has(r, 'inherits') ? r['inherits'] : undefined
    }
    for (const name of names) {
      if (full()) break
      const parent = parentOf(name)
      if (!isString(parent)) continue
      const path = ['process_recipes', name, 'inherits']
      if (!has(procs, parent) || RESERVED_NAMES.has(parent)) {
        const near =
          names.length <= 1000
            ? nearest(
                parent,
                names.filter((n) => n !== name),
              )
            : undefined
        add(
          path,
          'value',
          `'${name}' inherits '${parent}', which is not in process_recipes`,
          near
            ? didYouMean(near)
            : 'Define it under process_recipes (recipes that exist only to be inherited live there too).',
        )
        continue
      }
      // Follow the chain; coming back to `name` is a cycle. Chains through a cycle that does
      // not include `name` are reported once, by a member of that cycle. Each walk stops after
      // MAX_INHERITANCE steps, so checking every chain costs O(processes) in all.
      const seen = new Set([name])
      for (let cur: unknown = parent; isString(cur) && has(procs, cur); cur = parentOf(cur)) {
        if (cur === name) {
          add(
            path,
            'value',
            `'${name}' inherits itself through ${[...seen, name].join(' -> ')}`,
            'Remove one `inherits` to break the cycle.',
          )
          break
        }
        if (seen.has(cur)) break
        if (seen.size > MAX_INHERITANCE) {
          add(
            path,
            'value',
            `'${name}' inherits through more than ${MAX_INHERITANCE} levels`,
            'Flatten the chain: let a few recipes hold the shared rules.',
          )
          break
        }
        seen.add(cur)
      }
    }
  }
  return { problems, more }
}

// Every path named starts with a key that is not empty (`process_recipes`, `name`, ...).
function where(path: readonly (string | number)[]): string {
  return pathText(path) || 'the recipe'
}

//#endregion

//#region validation

/**
 * Checks a recipe object and returns it normalised: `inherits` resolved (the parent's rules
 * first), a rule with two conditions split into two, defaults filled in. Throws `RecipeError`
 * (code `RECIPE_INVALID`) listing every problem in `issues` (at most 100), the first one in the
 * message with its position when `locate` is given. Never throws anything else, whatever the
 * input (getters that throw, proxies, cycles).
 *
 * Decision: `inherits` may name only an entry of `process_recipes`; recipes that exist only to
 * be inherited (like `base_money_rules`) live there too.
 * @example
 * const recipe = validateAuditRecipe({
 *   process_recipes: { transfer: { inputs: [{ field: 'amount', max: 10000, level: 'B' }] } },
 * })
 * recipe.process_recipes.transfer?.inputs[0]?.condition // 'max'
 */
export function validateAuditRecipe(
  obj: unknown,
  options: ValidateRecipeOptions = {},
): AuditRecipe {
  // Options that are not an object count as none; a filename that is not a string is refused
  // (only the typed error, whatever the input: SPEC §10.4).
  const { filename, locate } = options ?? {}
  if (typeof (filename ?? '') !== 'string')
    throw new RecipeError(`Recipe options: filename must be a string, got ${describe(filename)}.`)
  const file = filename === undefined ? {} : { file: filename }
  try {
    if (isAuditRecipe(obj)) return obj
    const compiled = fromCompiled(obj)
    if (compiled) return compiled
    const { problems, more } = recipeProblems(obj)
    if (problems.length === 0) return normalize(obj as AuditRecipeSource)
    const issues = problems.map(({ path, message, hint, at }) => {
      const out: SourceIssue = { code: 'RECIPE_INVALID', message }
      if (hint !== undefined) out.hint = hint
      Object.assign(out, file)
      // An empty document has no node to point at; its problem is at the start of the file.
      const pos =
        locate && (locate(path, at) ?? (path.length === 0 ? { line: 1, column: 1 } : undefined))
      if (pos) {
        out.line = pos.line
        out.column = pos.column
      }
      return out
    })
    // Report in source order when positions are known, so the message names the first problem.
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
    const first = issues[0]!
    const [at, details] = firstPosition(first, filename)
    const others = issues.length - 1 + more
    throw new RecipeError(
      `Invalid audit recipe${at ? ` at ${at}` : ''}: ${first.message}.${first.hint ? ` ${first.hint}` : ''}${others > 0 ? ` (${others} more problem${others > 1 ? 's' : ''} in error.issues)` : ''}`,
      issues,
      details,
    )
  } catch (e) {
    if (e instanceof RecipeError) throw e
    // A hostile object (throwing getters, revoked proxies) must still end as a RecipeError.
    throw new RecipeError(
      `Invalid audit recipe${filename ? ` in ${filename}` : ''}: it could not be read (${e instanceof Error ? e.message : String(e)}). Pass plain data.`,
      [{ code: 'RECIPE_INVALID', message: 'the recipe could not be read' }],
      file,
    )
  }
}

/**
 * True for a recipe returned by `validateAuditRecipe` / `parseAuditRecipe`, or compiled by the
 * `theus/vite` plugin (it is not checked again). The mark is a non-enumerable symbol key, which
 * no JSON or YAML document can carry.
 * @example
 * isAuditRecipe(validateAuditRecipe({ process_recipes: {} })) // true
 */
export function isAuditRecipe(value: unknown): value is AuditRecipe {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true
  )
}

//#endregion

//#region normalisation

const SECTIONS = ['inputs', 'outputs', 'side_effects', 'errors'] as const

// Both results, a checked recipe and an adopted compiled one, are built on a null-prototype
// object with defineProperty (a process name can never reach a prototype), frozen and branded.
function sealed(
  procs: Record<string, NormalizedProcessRecipe>,
  inherited: readonly string[],
): AuditRecipe {
  const recipe: AuditRecipe = {
    process_recipes: Object.freeze(procs),
    inherited: Object.freeze(inherited),
  }
  Object.defineProperty(recipe, BRAND, { value: true })
  return Object.freeze(recipe)
}

/** Adds one process's frozen recipe, its four lists given by `list`. */
function define(
  procs: object,
  name: string,
  list: (k: (typeof SECTIONS)[number]) => readonly unknown[],
): void {
  const rec = Object.fromEntries(SECTIONS.map((k) => [k, Object.freeze(list(k))]))
  Object.defineProperty(procs, name, { value: Object.freeze(rec), enumerable: true })
}

// Adopts the normalised recipe that the Vite plugin attached at build time: frozen and
// branded as `normalize` would have returned it.
function fromCompiled(obj: unknown): AuditRecipe | undefined {
  const c = (obj as Record<symbol, unknown> | null | undefined)?.[COMPILED_RECIPE]
  if (typeof obj !== 'object' || !isMapping(c) || !isMapping(c['process_recipes'])) return undefined
  const procs: Record<string, NormalizedProcessRecipe> = Object.create(null)
  for (const [name, rec] of Object.entries(c['process_recipes'])) {
    if (RESERVED_NAMES.has(name) || !isMapping(rec)) return undefined
    define(procs, name, (k) => {
      const v = rec[k]
      return Array.isArray(v) ? v.map(Object.freeze) : []
    })
  }
  const inherited = c['inherited']
  return sealed(procs, Array.isArray(inherited) ? inherited.filter(isString) : [])
}

function normalize(src: AuditRecipeSource): AuditRecipe {
  const procs = src.process_recipes ?? {}
  const out: Record<string, NormalizedProcessRecipe> = Object.create(null)
  const inherited = new Set<string>()
  const resolve = (name: string): NormalizedProcessRecipe => {
    const done = out[name]
    if (done) return done
    const own = procs[name] ?? {}
    const parent = own.inherits === undefined ? undefined : resolve(own.inherits)
    // The parent's rules first; side effects and errors are the union of both.
    define(out, name, (k) => {
      const first: readonly unknown[] = parent?.[k] ?? []
      return k === 'inputs' || k === 'outputs'
        ? [...first, ...splitRules(own[k])]
        : [...new Set([...first, ...(own[k] ?? [])])]
    })
    return out[name]!
  }
  for (const name of Object.keys(procs)) {
    resolve(name)
    const parent = procs[name]?.inherits
    if (parent !== undefined) inherited.add(parent)
  }
  return sealed(out, [...inherited])
}

function splitRules(rules: readonly AuditRuleSource[] | null | undefined): NormalizedRule[] {
  const out: NormalizedRule[] = []
  for (const r of rules ?? []) {
    // The key order the author wrote is the order the conditions are checked in.
    for (const [key, limit] of Object.entries(r)) {
      if (limit === undefined || !(AUDIT_CONDITIONS as readonly string[]).includes(key)) continue
      const rule: NormalizedRule = {
        field: r.field,
        condition: key as AuditCondition,
        limit: limit as AuditScalar,
        level: r.level ?? 'C',
        minThreshold: r.min_threshold ?? 0,
        maxThreshold: r.max_threshold ?? r.threshold ?? 1,
        resetOnSuccess: r.reset_on_success ?? true,
      }
      if (r.message !== undefined) rule.message = r.message
      out.push(Object.freeze(rule))
    }
  }
  return out
}

//#endregion
