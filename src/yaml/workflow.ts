/**
 * `workflow.yaml` text → a validated state machine definition, with every error at its line
 * and column.
 */
import { describe, WorkflowError } from '../errors.js'
import { validateWorkflow, type WorkflowDefinition } from '../workflow/definition.js'
import { filenameOption, formatPosition, loadYaml, type YamlSyntaxProblem } from './source.js'

/**
 * Parses and validates a state machine written in YAML. Malformed YAML, duplicate keys and
 * every validation problem are a `WorkflowError` with file, line and column.
 * @example
 * const def = parseWorkflow('states:\n  IDLE:\n    on: { GO: IDLE }\n', { filename: 'workflow.yaml' })
 */
export function parseWorkflow(
  text: string,
  options: { filename?: string } = {},
): WorkflowDefinition {
  const filename = filenameOption('parseWorkflow', options)
  if (typeof text !== 'string') throw notText('parseWorkflow', text, filename)
  const loaded = loadYaml(text, filename)
  if (!loaded.ok) throw syntaxError('workflow', loaded.problem, filename)
  return validateWorkflow(loaded.source.value, {
    filename,
    locate: loaded.source.locate,
  })
}

/** A YAML syntax problem as a `WorkflowError`. */
export function syntaxError(
  kind: 'workflow' | 'pipeline',
  problem: YamlSyntaxProblem,
  filename: string | undefined,
): WorkflowError {
  const { line, column } = problem
  return new WorkflowError(
    `Invalid ${kind} at ${formatPosition(filename, { line, column })}: malformed YAML: ${problem.message}. ${problem.hint ?? 'Fix the YAML syntax at this position.'}`,
    [
      {
        code: 'YAML_SYNTAX',
        message: problem.message,
        line,
        column,
        ...(problem.hint === undefined ? {} : { hint: problem.hint }),
        ...(filename === undefined ? {} : { file: filename }),
      },
    ],
    { ...(filename === undefined ? {} : { file: filename }), line, column },
  )
}

/** The error for a parser given something other than text. */
export function notText(fn: string, got: unknown, filename: string | undefined): WorkflowError {
  let what: string
  try {
    what = describe(got)
  } catch {
    what = 'an unreadable value'
  }
  return new WorkflowError(
    `${fn} expects YAML text, got ${what}. Pass the file's contents, or give the parsed object to ${fn === 'parseFlux' ? 'validateFlux' : 'validateWorkflow'}.`,
    [
      {
        code: 'NOT_TEXT',
        message: 'not a string',
        ...(filename === undefined ? {} : { file: filename }),
      },
    ],
    filename === undefined ? {} : { file: filename },
  )
}
