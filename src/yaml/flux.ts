/**
 * Flux pipeline YAML text → a validated pipeline, conditions parsed, every error at its line
 * and column.
 */
import { type FluxDefinition, validateFlux } from '../workflow/flux.js'
import { filenameOption, loadYaml } from './source.js'
import { notText, syntaxError } from './workflow.js'

/**
 * Parses and validates a Flux pipeline written in YAML. Malformed YAML, duplicate keys, bad
 * steps and condition syntax errors are a `WorkflowError` with file, line and column (inside a
 * condition, the column of the offending character).
 * @example
 * const def = parseFlux('steps:\n  - p_init\n  - flux: while\n    condition: "domain.n < 3"\n    do: [p_inc]\n')
 */
export function parseFlux(text: string, options: { filename?: string } = {}): FluxDefinition {
  const filename = filenameOption('parseFlux', options)
  if (typeof text !== 'string') throw notText('parseFlux', text, filename)
  const loaded = loadYaml(text, filename)
  if (!loaded.ok) throw syntaxError('pipeline', loaded.problem, filename)
  return validateFlux(loaded.source.value, {
    filename,
    locate: loaded.source.locate,
    text,
  })
}
