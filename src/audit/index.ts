/** Audit recipes: the object model, its validation, and the auditor that runs the gates. */
export type { AuditHost, Auditor, AuditRead } from './auditor.js'
export { createAuditor } from './auditor.js'
export type {
  AuditCondition,
  AuditRecipe,
  AuditRecipeSource,
  AuditRuleSource,
  AuditScalar,
  NormalizedProcessRecipe,
  NormalizedRule,
  ProcessRecipeSource,
  RecipeLocator,
  ValidateRecipeOptions,
} from './recipe.js'
export {
  AUDIT_CONDITIONS,
  auditRecipeSchema,
  isAuditRecipe,
  validateAuditRecipe,
} from './recipe.js'
