/**
 * Resume, as the page does it. SPEC §10.2 has the engine fire a `'resume'` event; until the
 * engine fires it, the playground resumes through this one function and tells its own
 * listeners, so that messages about the halt clear everywhere at once.
 */
import type { TheusEngine } from 'theus'

const listeners = new Set<() => void>()

/** Calls `engine.resume()` and notifies every `onResume` listener. */
export function resumeEngine(engine: TheusEngine): void {
  engine.resume()
  for (const listener of [...listeners]) listener()
}

/** Calls `listener` after each `resumeEngine`; returns the unsubscribe function. */
export function onResume(listener: () => void): () => void {
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
  }
}
