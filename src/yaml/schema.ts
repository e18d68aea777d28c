/**
 * The zod schema of an audit recipe as written, built from the core's rule table
 * (`RULE_TABLE`, `PROCESS_TABLE`, `TOP_TABLE` in `src/audit/recipe.ts`): one source of truth
 * for what each key accepts. The core checks recipes with a small interpreter of that table
 * and never imports zod (SPEC §10.5); this schema is for tools: JSON Schema generation
 * (`z.toJSONSchema(auditRecipeSchema)`), editors, and code that already validates with zod.
 * Its refinements call the core's own checks, so the two accept and refuse the same recipes.
 */
import { z } from 'zod'
import {
  NOT_A_RECIPE,
  PROCESS_TABLE,
  type RecipeKeySpec,
  RULE_TABLE,
  recipeProblems,
  TOP_TABLE,
  valueProblem,
} from '../audit/recipe.js'

function fromSpec(key: string, spec: RecipeKeySpec, rule: z.ZodType): z.ZodType {
  let out: z.ZodType
  switch (spec.kind) {
    case 'string':
    case 'path':
    case 'regex':
      out = z.string({ error: spec.message })
      break
    case 'number':
    case 'count':
      out = z.number({ error: spec.message })
      break
    case 'boolean':
      out = z.boolean({ error: spec.message })
      break
    case 'scalar':
      out = z.union([z.string(), z.number(), z.boolean(), z.null()], { error: spec.message })
      break
    case 'level':
      out = z.enum(['S', 'A', 'B', 'C'], { error: spec.message })
      break
    case 'rules':
      out = z.array(rule, { error: spec.message })
      break
    case 'strings':
      out = z.array(z.string(), { error: spec.message })
      break
    case 'processes':
      out = z.record(z.string(), z.strictObject(shape(PROCESS_TABLE, rule)).nullable(), {
        error: spec.message,
      })
      break
  }
  if (spec.kind === 'path' || spec.kind === 'count' || spec.kind === 'regex') {
    out = out.superRefine((v, ctx) => {
      const problem = valueProblem(key, spec, v)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    })
  }
  if (spec.nullable) out = out.nullable()
  return spec.required ? out : out.optional()
}

function shape(
  table: Readonly<Record<string, RecipeKeySpec>>,
  rule: z.ZodType,
): Record<string, z.ZodType> {
  const out: Record<string, z.ZodType> = {}
  for (const [key, spec] of Object.entries(table)) out[key] = fromSpec(key, spec, rule)
  return out
}

function build(): z.ZodType {
  const rule = z.strictObject(shape(RULE_TABLE, z.never()))
  return z
    .strictObject(shape(TOP_TABLE, rule), { error: NOT_A_RECIPE })
    .superRefine((recipe, ctx) => {
      // The checks across keys (a condition per rule, one threshold key, inherits naming an
      // entry, no cycle, reserved names) are the core's, reused as they are.
      for (const p of recipeProblems(recipe).problems) {
        ctx.addIssue({ code: 'custom', path: p.path, message: p.message })
      }
    })
}

/**
 * The zod schema of an audit recipe as written (snake_case keys, as in YAML). It accepts
 * exactly what `validateAuditRecipe` accepts; use `validateAuditRecipe` or `parseAuditRecipe`
 * to get the normalised recipe with positioned errors.
 * @example
 * import { z } from 'zod'
 * import { auditRecipeSchema } from 'theus/yaml'
 * const jsonSchema = z.toJSONSchema(auditRecipeSchema)
 */
export const auditRecipeSchema: z.ZodType = /* @__PURE__ */ build()
