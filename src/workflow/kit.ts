/**
 * What the on-demand Flux runtime (`fluxRuntime.ts`, `expressionRuntime.ts`) takes from the
 * rest of Theus. Those two modules import nothing else at run time: `engine.executeWorkflow`
 * loads them with `import()` and hands them `FLUX_KIT` (`fluxKit.ts`), and the static entries
 * (`flux.ts`, `expression.ts`, for `theus/workflow`, `theus/yaml` and `theus/vite`) do the
 * same before each call. A module imported both by the core and by an on-demand chunk makes
 * esbuild load it at start in a chunk of its own, and the core split in two files gzips
 * 1.5 kB worse than in one (docs/performance.md).
 */
import type { suggest, TheusError, WorkflowError, warnOnce } from '../errors.js'
import type { parseText } from '../textParsers.js'
import type { deepFreeze } from '../transaction/plain.js'
import type { notADefinition } from './definition.js'
import type { isPlainObject, lengthOf } from './functions.js'
import type { isThenable, maxOpsOf } from './host.js'
import type { guard, IssueCollector, isRecord, kindOf, MAX_NESTING, nearest } from './issues.js'

export interface FluxKit {
  TheusError: typeof TheusError
  WorkflowError: typeof WorkflowError
  warnOnce: typeof warnOnce
  suggest: typeof suggest
  parseText: typeof parseText
  deepFreeze: typeof deepFreeze
  notADefinition: typeof notADefinition
  lengthOf: typeof lengthOf
  isPlainObject: typeof isPlainObject
  isThenable: typeof isThenable
  maxOpsOf: typeof maxOpsOf
  guard: typeof guard
  IssueCollector: typeof IssueCollector
  isRecord: typeof isRecord
  kindOf: typeof kindOf
  MAX_NESTING: typeof MAX_NESTING
  nearest: typeof nearest
}

/** The kit in force: filled by `installKit` before any runtime function runs. */
export const K = {} as FluxKit

/** Installs the kit (the same objects every time; installing again changes nothing). */
export function installKit(kit: FluxKit): void {
  if (K.TheusError === undefined) Object.assign(K, kit)
}
