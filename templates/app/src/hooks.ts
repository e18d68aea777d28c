import { createTheusHooks } from 'theus/react'
import type { engine } from './engine'

/** The React hooks, typed for this app's engine: paths, process names and args are checked. */
export const { useTheus, useProcess, useWorkflow, useAuditLog } = createTheusHooks<typeof engine>()
