/**
 * The audit recipe object model: what a recipe looks like as written (snake_case keys, as in
 * YAML), the one zod schema that checks it, and the normalised form the auditor runs
 * (inheritance resolved, one condition per rule, defaults filled in).
 *
 * This file never imports `yaml`: YAML text reaches it through `theus/yaml` or the Vite
 * plugin, which pass a locator so that every problem points at a line and column.
 */
import { z } from 'zod'
import { parsePath } from '../context/paths.js'
import type { AuditLevel } from '../engine/types.js'
import { describe, RecipeError, type SourceIssue, suggest } from '../errors.js'

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
  /** A key of the process's args, or a context path (`domain.x`, `domain_ctx.x`). */
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

//#region the schema

// Symbol.for, not a module-local symbol: `theus` and `theus/yaml` may be bundled as separate
// copies of this file, and a recipe validated by one must be accepted by the other as is.
const BRAND = Symbol.for('theus.auditRecipe')

const RULE_KEYS = [
  'field',
  'level',
  ...AUDIT_CONDITIONS,
  'threshold',
  'max_threshold',
  'min_threshold',
  'reset_on_success',
  'message',
] as const
const PROCESS_KEYS = ['inherits', 'inputs', 'outputs', 'side_effects', 'errors'] as const
const TOP_KEYS = ['process_recipes', 'name', 'description'] as const
// A YAML key such as `__proto__` must never become a process: zod's record skips it silently,
// so it is refused by name instead.
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype'])

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source)
    return true
  } catch {
    return false
  }
}

const count = (what: string, min: number) =>
  z
    .number({ error: `${what} must be a number` })
    .int({ error: `${what} must be a whole number` })
    .min(min, { error: `${what} must be ${min === 0 ? 'zero or more' : `at least ${min}`}` })

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: 'must be a string, number, boolean or null (compared with ===)',
})

const ruleSchema = z
  .strictObject({
    field: z
      .string({ error: 'a rule needs a `field`: an args key or a context path' })
      .refine((s) => parsePath(s) !== undefined, {
        error: 'is not a valid path (write e.g. `amount` or `domain.accounts.Alice`)',
      }),
    level: z.enum(['S', 'A', 'B', 'C'], { error: 'must be one of S, A, B, C' }).optional(),
    min: z.number({ error: 'min must be a number' }).optional(),
    max: z.number({ error: 'max must be a number' }).optional(),
    eq: scalar.optional(),
    neq: scalar.optional(),
    min_len: count('min_len', 0).optional(),
    max_len: count('max_len', 0).optional(),
    regex: z
      .string({ error: 'regex must be a string' })
      .refine(isValidRegex, { error: 'is not a valid JavaScript regular expression' })
      .optional(),
    threshold: count('threshold', 1).optional(),
    max_threshold: count('max_threshold', 1).optional(),
    min_threshold: count('min_threshold', 0).optional(),
    reset_on_success: z.boolean({ error: 'reset_on_success must be true or false' }).optional(),
    message: z.string({ error: 'message must be a string' }).optional(),
  })
  .superRefine((rule, ctx) => {
    if (!AUDIT_CONDITIONS.some((c) => c in rule)) {
      ctx.addIssue({
        code: 'custom',
        path: ['field'],
        message: `the rule on '${rule.field}' has no condition`,
        params: {
          at: 'key',
          hint: `Add one of ${AUDIT_CONDITIONS.join(', ')}.`,
          noCondition: true,
        },
      })
    }
    if (rule.threshold !== undefined && rule.max_threshold !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['threshold'],
        message: '`threshold` is an alias of `max_threshold`; both are given',
        params: { at: 'key', hint: 'Keep only `max_threshold`.' },
      })
    }
  })

const listOf = <T extends z.ZodType>(item: T, what: string) =>
  z
    .array(item, { error: `${what} must be a list` })
    .nullable()
    .optional()

const processSchema = z
  .strictObject({
    inherits: z.string({ error: 'inherits must be the name of another process recipe' }).optional(),
    inputs: listOf(ruleSchema, 'inputs'),
    outputs: listOf(ruleSchema, 'outputs'),
    side_effects: listOf(z.string({ error: 'must be a string' }), 'side_effects'),
    errors: listOf(z.string({ error: 'must be an error name (a string)' }), 'errors'),
  })
  .nullable()

/**
 * The one schema of a recipe as written. Exported for tools (JSON Schema generation, editors);
 * use `validateAuditRecipe` to get a normalised recipe with positioned errors.
 */
export const auditRecipeSchema = z
  .strictObject(
    {
      process_recipes: z
        .record(z.string(), processSchema, {
          error: '`process_recipes` must be a mapping of process names to recipes',
        })
        .nullable(),
      name: z.string().optional(),
      description: z.string().optional(),
    },
    { error: 'a recipe must be a mapping with a `process_recipes` key' },
  )
  .superRefine((recipe, ctx) => {
    const procs = recipe.process_recipes ?? {}
    const names = Object.keys(procs)
    for (const name of names) {
      const parent = procs[name]?.inherits
      if (parent === undefined) continue
      const path = ['process_recipes', name, 'inherits']
      if (!Object.hasOwn(procs, parent) || RESERVED_NAMES.has(parent)) {
        const near = suggest(
          parent,
          names.filter((n) => n !== name),
        )
        ctx.addIssue({
          code: 'custom',
          path,
          message: `'${name}' inherits '${parent}', which is not in process_recipes`,
          params: {
            at: 'value',
            hint: near
              ? `Did you mean '${near}'?`
              : 'Define it under process_recipes (recipes that exist only to be inherited live there too).',
          },
        })
        continue
      }
      // Follow the chain; coming back to `name` is a cycle. Chains through a cycle that does
      // not include `name` are reported once, by a member of that cycle.
      const seen = new Set([name])
      let cur: string | undefined = parent
      while (cur !== undefined && Object.hasOwn(procs, cur)) {
        if (cur === name) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `'${name}' inherits itself through ${[...seen, name].join(' -> ')}`,
            params: { at: 'value', hint: 'Remove one `inherits` to break the cycle.' },
          })
          break
        }
        if (seen.has(cur)) break
        seen.add(cur)
        cur = procs[cur]?.inherits
      }
    }
  })

//#endregion

//#region validation

/**
 * Checks a recipe object and returns it normalised: `inherits` resolved (the parent's rules
 * first), a rule with two conditions split into two, defaults filled in. Throws `RecipeError`
 * (code `RECIPE_INVALID`) listing every problem in `issues`, the first one in the message
 * with its position when `locate` is given.
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
  try {
    if (isAuditRecipe(obj)) return obj
    const result = auditRecipeSchema.safeParse(obj)
    const reserved = reservedNameIssues(obj)
    if (!result.success || reserved.length > 0) {
      throw toRecipeError(
        [...reserved, ...(result.success ? [] : result.error.issues)],
        obj,
        options,
      )
    }
    return normalize(obj as AuditRecipeSource)
  } catch (e) {
    if (e instanceof RecipeError) throw e
    // A hostile object (throwing getters, revoked proxies) must still end as a RecipeError.
    throw new RecipeError(
      `Invalid audit recipe${options.filename ? ` in ${options.filename}` : ''}: it could not be read (${e instanceof Error ? e.message : String(e)}). Pass plain data.`,
      [{ code: 'RECIPE_INVALID', message: 'the recipe could not be read' }],
      options.filename === undefined ? {} : { file: options.filename },
    )
  }
}

/**
 * True for a recipe returned by `validateAuditRecipe` / `parseAuditRecipe` (it is not
 * checked again).
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

type ZodIssue = z.core.$ZodIssue

// zod's record skips a `__proto__` key without a word (so its value is never checked), so
// reserved process names are looked for on the raw input.
function reservedNameIssues(obj: unknown): ZodIssue[] {
  const procs = valueAt(obj, ['process_recipes'])
  if (typeof procs !== 'object' || procs === null) return []
  return Object.keys(procs)
    .filter((name) => RESERVED_NAMES.has(name))
    .map((name) => ({
      code: 'custom' as const,
      input: undefined,
      path: ['process_recipes', name],
      message: `'${name}' cannot be a process name`,
      params: { at: 'key', hint: 'Rename the process.' },
    }))
}

function toRecipeError(
  zIssues: readonly ZodIssue[],
  input: unknown,
  options: ValidateRecipeOptions,
): RecipeError {
  const issues: SourceIssue[] = []
  // "No condition" is noise when the rule has an unknown key: that key is most likely the
  // misspelt condition, and its issue says so.
  const withUnknownKeys = new Set(
    zIssues.filter((i) => i.code === 'unrecognized_keys').map((i) => i.path.map(String).join('\0')),
  )
  for (const iss of zIssues) {
    const noCondition = (iss as { params?: { noCondition?: boolean } }).params?.noCondition
    if (noCondition && withUnknownKeys.has(iss.path.slice(0, -1).map(String).join('\0'))) continue
    const path = iss.path.filter((p): p is string | number => typeof p !== 'symbol')
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) {
        const valid = validKeysAt(path)
        const near = suggest(key, valid)
        issues.push(
          issue(
            `unknown key '${key}' in ${where(path)}`,
            near ? `Did you mean '${near}'?` : `Valid keys: ${valid.join(', ')}.`,
            [...path, key],
            'key',
            options,
          ),
        )
      }
      continue
    }
    const params = (iss as { params?: { at?: 'key' | 'value'; hint?: string } }).params
    const value = valueAt(input, path)
    const missing = value === undefined
    let message = `${where(path)}: ${iss.message}`
    // Zod's own wording for unions is vague; say what was found instead.
    if (
      iss.code === 'invalid_type' ||
      iss.code === 'invalid_union' ||
      iss.code === 'invalid_value'
    ) {
      message += missing ? ' (it is missing)' : `, got ${describe(value)}`
    }
    issues.push(
      issue(
        message,
        params?.hint ?? hintFor(path, iss),
        path,
        params?.at ?? (missing ? 'key' : 'value'),
        options,
      ),
    )
  }
  // Report in source order when positions are known, so the message names the first problem.
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
  const first = issues[0] ?? { code: 'RECIPE_INVALID', message: 'the recipe is invalid' }
  const at =
    first.line !== undefined
      ? `${options.filename ?? '<inline>'}:${first.line}:${first.column}`
      : options.filename
  const more =
    issues.length > 1
      ? ` (${issues.length - 1} more problem${issues.length > 2 ? 's' : ''} in error.issues)`
      : ''
  const details: { file?: string; line?: number; column?: number } = {}
  if (options.filename !== undefined) details.file = options.filename
  if (first.line !== undefined) details.line = first.line
  if (first.column !== undefined) details.column = first.column
  return new RecipeError(
    `Invalid audit recipe${at ? ` at ${at}` : ''}: ${first.message}.${first.hint ? ` ${first.hint}` : ''}${more}`,
    issues,
    details,
  )
}

function issue(
  message: string,
  hint: string | undefined,
  path: readonly (string | number)[],
  at: 'key' | 'value',
  options: ValidateRecipeOptions,
): SourceIssue {
  const out: SourceIssue = { code: 'RECIPE_INVALID', message }
  if (hint !== undefined) out.hint = hint
  if (options.filename !== undefined) out.file = options.filename
  // An empty document has no node to point at; its problem is at the start of the file.
  const pos =
    options.locate?.(path, at) ??
    (options.locate && path.length === 0 ? { line: 1, column: 1 } : undefined)
  if (pos) {
    out.line = pos.line
    out.column = pos.column
  }
  return out
}

function hintFor(path: readonly (string | number)[], iss: ZodIssue): string | undefined {
  const last = path[path.length - 1]
  if (last === 'level') return 'Write level: S, A, B or C (C, the default, only warns).'
  if (last === 'regex')
    return 'Check the brackets and escapes; in YAML, quote the pattern with single quotes.'
  if (path.length === 0) return 'Start the file with `process_recipes:`.'
  if (iss.code === 'invalid_type' && last === 'field')
    return 'Add `field: <args key or context path>` to the rule.'
  return undefined
}

function validKeysAt(path: readonly (string | number)[]): readonly string[] {
  if (path.length === 0) return TOP_KEYS
  if (path.length === 2) return PROCESS_KEYS
  return RULE_KEYS
}

function where(path: readonly (string | number)[]): string {
  if (path.length === 0) return 'the recipe'
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`
  return out
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let cur = root
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, p)) return undefined
    cur = (cur as Record<string | number, unknown>)[p]
  }
  return cur
}

//#endregion

//#region normalisation

function normalize(src: AuditRecipeSource): AuditRecipe {
  const procs = src.process_recipes ?? {}
  // Built with defineProperty on a null-prototype object: a process name can never reach a
  // prototype, whatever the input held.
  const out: Record<string, NormalizedProcessRecipe> = Object.create(null)
  const resolve = (name: string): NormalizedProcessRecipe => {
    const done = out[name]
    if (done) return done
    const own = procs[name] ?? {}
    const parent = own.inherits === undefined ? undefined : resolve(own.inherits)
    const rec: NormalizedProcessRecipe = Object.freeze({
      inputs: Object.freeze([...(parent?.inputs ?? []), ...splitRules(own.inputs)]),
      outputs: Object.freeze([...(parent?.outputs ?? []), ...splitRules(own.outputs)]),
      side_effects: Object.freeze(union(parent?.side_effects, own.side_effects)),
      errors: Object.freeze(union(parent?.errors, own.errors)),
    })
    Object.defineProperty(out, name, { value: rec, enumerable: true })
    return rec
  }
  for (const name of Object.keys(procs)) resolve(name)
  const recipe: AuditRecipe = { process_recipes: Object.freeze(out) }
  Object.defineProperty(recipe, BRAND, { value: true })
  return Object.freeze(recipe)
}

function splitRules(rules: readonly AuditRuleSource[] | null | undefined): NormalizedRule[] {
  const out: NormalizedRule[] = []
  for (const r of rules ?? []) {
    // The key order the author wrote is the order the conditions are checked in.
    for (const key of Object.keys(r)) {
      if (!(AUDIT_CONDITIONS as readonly string[]).includes(key)) continue
      const rule: NormalizedRule = {
        field: r.field,
        condition: key as AuditCondition,
        limit: r[key as AuditCondition] as AuditScalar,
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

function union(
  a: readonly string[] | undefined,
  b: readonly string[] | null | undefined,
): string[] {
  return [...new Set([...(a ?? []), ...(b ?? [])])]
}

//#endregion
