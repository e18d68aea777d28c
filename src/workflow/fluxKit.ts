/**
 * The kit of the Flux runtime (see `kit.ts`), built from the real modules. Statically
 * reachable from the core (the engine hands it to the runtime it loads on demand) and from the
 * static entries `flux.ts` and `expression.ts`.
 */
import { suggest, TheusError, WorkflowError, warnOnce } from '../errors.js'
import { parseText } from '../textParsers.js'
import { deepFreeze } from '../transaction/plain.js'
import { notADefinition } from './definition.js'
import { isPlainObject, lengthOf } from './functions.js'
import { isThenable, maxOpsOf } from './host.js'
import { guard, IssueCollector, isRecord, kindOf, MAX_NESTING, nearest } from './issues.js'
import type { FluxKit } from './kit.js'

export const FLUX_KIT: FluxKit = {
  TheusError,
  WorkflowError,
  warnOnce,
  suggest,
  parseText,
  deepFreeze,
  notADefinition,
  lengthOf,
  isPlainObject,
  isThenable,
  maxOpsOf,
  guard,
  IssueCollector,
  isRecord,
  kindOf,
  MAX_NESTING,
  nearest,
}
