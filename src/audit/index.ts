/** Audit recipes: the object model, its validation, and the auditor that runs the gates. */
export type { AuditHost, Auditor, AuditRead } from './auditor.js'
export { createAuditor } from './auditor.js'
export type { RecipeKnowledge } from './names.js'
export { checkRecipeAgainst } from './names.js'
export type {
  AuditCondition,
  AuditRecipe,
  AuditRecipeSource,
  AuditRuleSource,
  AuditScalar,
  NormalizedProcessRecipe,
  NormalizedRule,
  ProcessRecipeSource,
  RecipeKeyKind,
  RecipeKeySpec,
  RecipeLocator,
  RecipeProblem,
  ValidateRecipeOptions,
} from './recipe.js'
export {
  AUDIT_CONDITIONS,
  COMPILED_RECIPE,
  isAuditRecipe,
  NOT_A_RECIPE,
  PROCESS_TABLE,
  RULE_TABLE,
  recipeProblems,
  TOP_TABLE,
  validateAuditRecipe,
  valueProblem,
} from './recipe.js'
export { MAX_REGEX_INPUT, regexHazard } from './regex.js'
