/**
 * The seam between the core and `theus/yaml`. The core never imports `yaml`; importing
 * `theus/yaml` registers its parsers here, after which the engine and the workflow classes
 * accept YAML text where they accept parsed objects.
 */
import { RecipeError, WorkflowError } from './errors.js'

/** The kinds of document the YAML entry can parse. */
export type TextKind = 'recipe' | 'workflow' | 'flux'

type Parser = (text: string, options?: { filename?: string }) => unknown

const parsers = new Map<TextKind, Parser>()

/** Called by `theus/yaml` on import. */
export function registerTextParser(kind: TextKind, parser: Parser): void {
  parsers.set(kind, parser)
}

/** Parses text of a kind with the registered parser, or explains how to get one. */
export function parseText(kind: TextKind, text: string): unknown {
  const p = parsers.get(kind)
  if (p) return p(text)
  const msg = `A ${kind === 'recipe' ? 'recipe' : 'workflow'} was given as YAML text, but no YAML parser is loaded. Add \`import 'theus/yaml'\` once in your app, compile the file at build time with the \`theus/vite\` plugin, or pass the parsed object.`
  throw kind === 'recipe' ? new RecipeError(msg) : new WorkflowError(msg)
}
