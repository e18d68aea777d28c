import { createContext, type ReactNode } from 'react'
import type { TheusEngine } from 'theus'

/** @internal The engine of the nearest `<TheusProvider>`; `null` outside one. */
export const EngineContext = createContext<TheusEngine | null>(null)
EngineContext.displayName = 'TheusEngine'

/** Props of `<TheusProvider>`. */
export interface TheusProviderProps {
  /** The engine the hooks below read and run processes on. */
  engine: TheusEngine<any>
  children?: ReactNode
}

/**
 * Makes an engine available to `useEngine`, `useTheus`, `useProcess` and `useAuditLog` below it.
 * @example
 * createRoot(el).render(<TheusProvider engine={engine}><App /></TheusProvider>)
 */
export function TheusProvider({ engine, children }: TheusProviderProps): ReactNode {
  return <EngineContext.Provider value={engine}>{children}</EngineContext.Provider>
}
