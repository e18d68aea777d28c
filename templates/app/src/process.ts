import { createProcess } from 'theus'
import type { Context } from './context'

/**
 * `process` bound to the app's context: contract paths are checked and completed against
 * `Context`, and each body's `ctx` shows exactly what its contract declares (inputs read-only,
 * outputs writable, nothing else).
 */
export const process = createProcess<Context>()
