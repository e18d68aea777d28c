/**
 * Checks of a recipe against what an engine knows (issue 14): a recipe entry whose name is no
 * registered process is silently inactive, and a rule whose context path can never resolve
 * fails closed on every run (at level S, it halts the engine on every run). Both are
 * `RecipeError`s with "did you mean", raised when the engine knows its processes and its
 * context. Pure functions, called by the engine.
 */
import { RecipeError, type SourceIssue, suggest } from '../errors.js'
import { isRecord as isPlain } from '../workflow/issues.js'
import { parseField } from './field.js'
import type { AuditRecipe } from './recipe.js'

/** What the engine knows when it checks a recipe. */
export interface RecipeKnowledge {
  /**
   * Every process the engine will run. Give it only when the list is complete (an engine built
   * with `processes`), since an entry for a process registered later would be reported.
   */
  processes?: Iterable<string>
  /** The initial context: a rule on `domain.x` needs `x` in `domain` (keys never appear later). */
  context?: { global?: unknown; domain?: unknown }
}

/**
 * Throws a `RecipeError` listing every recipe entry that names no process (and that no entry
 * inherits), and every rule whose context path names a key its layer does not have.
 * @example
 * checkRecipeAgainst(engine.options.auditRecipe, { processes: ['set_quantity'], context: initial })
 * // RecipeError: the recipe has rules for 'set_quantty', which is not a registered process. Did you mean 'set_quantity'?
 */
export function checkRecipeAgainst(recipe: AuditRecipe, known: RecipeKnowledge): void {
  const issues: SourceIssue[] = []
  const procs = recipe.process_recipes
  const inherited = new Set(recipe.inherited ?? [])
  if (known.processes !== undefined) {
    const names = [...known.processes]
    const registered = new Set(names)
    for (const name of Object.keys(procs)) {
      if (registered.has(name) || inherited.has(name)) continue
      const near = name.length <= 64 ? suggest(name, names) : undefined
      issues.push({
        code: 'RECIPE_INVALID',
        message: `the recipe has rules for '${name}', which is not a registered process`,
        hint: near
          ? `Did you mean '${near}'?`
          : `Rename the entry to a registered process (${names.slice(0, 10).join(', ') || 'none is registered'}), or remove it.`,
      })
    }
  }
  const context = known.context
  if (context !== undefined) {
    for (const name of Object.keys(procs)) {
      const rec = procs[name]!
      for (const [gate, rules] of [
        ['inputs', rec.inputs],
        ['outputs', rec.outputs],
      ] as const) {
        for (const rule of rules) {
          const f = parseField(rule.field)
          const layer = f?.segs[0]
          const key = f?.segs[1]
          if (f === undefined || key === undefined || (layer !== 'domain' && layer !== 'global'))
            continue
          const data = context[layer]
          const keys = isPlain(data) ? Object.keys(data) : []
          if (keys.includes(key)) continue
          const near = key.length <= 64 ? suggest(key, keys) : undefined
          issues.push({
            code: 'RECIPE_INVALID',
            message: `the ${gate} rule of '${name}' on '${rule.field}' reads '${layer}.${key}', which is not in the context`,
            hint: near
              ? `Did you mean '${layer}.${near}'?`
              : `Use a path of the context (${layer}: ${keys.slice(0, 10).join(', ') || 'empty'}), or an args key.`,
          })
        }
      }
    }
  }
  const first = issues[0]
  if (!first) return
  const more = issues.length > 1 ? ` (${issues.length - 1} more in error.issues)` : ''
  throw new RecipeError(
    `Invalid audit recipe: ${first.message}. ${first.hint ?? ''}${more}`.trim(),
    issues,
  )
}
