import { createTheusHooks } from 'theus/react'
import type { engine } from './engine'

// Hooks typed from the engine: paths, process names, args and results are checked.
export const { useEngine, useTheus, useProcess, useWorkflow, useAuditLog } =
  createTheusHooks<typeof engine>()
