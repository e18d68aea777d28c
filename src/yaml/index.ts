/**
 * theus/yaml: YAML text → validated recipe and workflow objects. Importing this entry also
 * registers its parsers with the core, so the engine accepts YAML text where it accepts
 * parsed objects.
 */
import { registerTextParser } from '../textParsers.js'
import { parseAuditRecipe } from './recipe.js'

export type { ParseRecipeOptions } from './recipe.js'
export { parseAuditRecipe } from './recipe.js'

registerTextParser('recipe', parseAuditRecipe)
