/**
 * `parseAuditRecipe`: YAML text → a validated, normalised audit recipe, with every problem a
 * `RecipeError` that names the file, line and column.
 */
import type { AuditRecipe } from '../audit/recipe.js'
import { validateAuditRecipe } from '../audit/recipe.js'
import { describe, RecipeError } from '../errors.js'
import { filenameOption, formatPosition, loadYaml, type YamlSyntaxProblem } from './source.js'

/** Options of `parseAuditRecipe`. */
export interface ParseRecipeOptions {
  /** Named in error messages and in the error's `file`. */
  filename?: string
}

/**
 * Parses an audit recipe written in YAML (1.2 core schema, duplicate keys rejected) and
 * validates it. Throws `RecipeError` (code `RECIPE_INVALID`) with `file`, `line`, `column`.
 * @example
 * import { parseAuditRecipe } from 'theus/yaml'
 * const recipe = parseAuditRecipe('process_recipes:\n  transfer:\n    inputs:\n      - { field: amount, max: 10000, level: B }\n', { filename: 'audit_recipe.yaml' })
 */
export function parseAuditRecipe(text: string, options: ParseRecipeOptions = {}): AuditRecipe {
  const filename = filenameOption('parseAuditRecipe', options)
  const fileDetails = filename === undefined ? {} : { file: filename }
  if (typeof text !== 'string') {
    throw new RecipeError(
      `parseAuditRecipe expects YAML text, got ${describeSafe(text)}. Pass the file's contents, or give the parsed object to validateAuditRecipe.`,
      [{ code: 'RECIPE_INVALID', message: 'not a string' }],
      fileDetails,
    )
  }
  let loaded: ReturnType<typeof loadYaml>
  try {
    loaded = loadYaml(text, filename)
  } catch (e) {
    // The loader reports syntax problems as data; anything it throws (an odd alias, say) is
    // still a malformed recipe, never a crash.
    loaded = {
      ok: false,
      problem: { message: (e as Error)?.message ?? String(e), line: 1, column: 1 },
    }
  }
  if (!loaded.ok) throw recipeSyntaxError(loaded.problem, filename)
  const { source } = loaded
  return validateAuditRecipe(source.value, {
    ...(filename === undefined ? {} : { filename }),
    locate: (path, at) => source.locate(path, at),
  })
}

/** A YAML syntax problem (or a limit of the loader) as a positioned `RecipeError`. */
export function recipeSyntaxError(
  problem: YamlSyntaxProblem,
  filename: string | undefined,
): RecipeError {
  const { message, line, column } = problem
  const fileDetails = filename === undefined ? {} : { file: filename }
  const hint =
    problem.hint ??
    (/unique/i.test(message)
      ? 'Each key may appear once per mapping: remove or merge the duplicate.'
      : /escape/i.test(message)
        ? "In double quotes a backslash starts an escape: write it in single quotes ('^\\d+$') or double the backslash."
        : 'Check the indentation and quoting around this position.')
  const issue = {
    code: 'RECIPE_INVALID',
    message: `malformed YAML: ${message}`,
    line,
    column,
    hint,
    ...fileDetails,
  }
  return new RecipeError(
    `Invalid audit recipe at ${formatPosition(filename, { line, column })}: malformed YAML: ${message}. ${hint}`,
    [issue],
    { ...fileDetails, line, column },
  )
}

function describeSafe(v: unknown): string {
  try {
    return describe(v)
  } catch {
    return 'an unreadable value'
  }
}
