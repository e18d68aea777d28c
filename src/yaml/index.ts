/**
 * theus/yaml: YAML text → validated recipe and workflow objects. Importing this entry also
 * registers its parsers with the core, so the engine accepts YAML text where it accepts
 * parsed objects.
 */
import { registerTextParser } from '../textParsers.js'
import { parseFlux } from './flux.js'
import { parseAuditRecipe } from './recipe.js'
import { parseWorkflow } from './workflow.js'

export { parseFlux } from './flux.js'
export type { ParseRecipeOptions } from './recipe.js'
export { parseAuditRecipe } from './recipe.js'
export { auditRecipeSchema } from './schema.js'
export { parseWorkflow } from './workflow.js'

registerTextParser('recipe', parseAuditRecipe)
registerTextParser('workflow', parseWorkflow)
registerTextParser('flux', parseFlux)
