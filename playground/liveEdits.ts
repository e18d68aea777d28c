/**
 * Re-renders the calling component after each live edit that `theus/vite` makes in `vite dev`
 * (a process replaced, a pipeline updated in place): what it reads from the engine or a pipeline
 * object changed without a commit.
 */
import { useEffect, useReducer } from 'react'
import { HMR_EVENT } from 'theus/devtools'

/**
 * @example
 * function Processes() { useLiveEdits(); return <>{engine.processNames.join(', ')}</> }
 */
export function useLiveEdits(): void {
  const [, edited] = useReducer((n: number) => n + 1, 0)
  useEffect(() => {
    addEventListener(HMR_EVENT, edited)
    return () => removeEventListener(HMR_EVENT, edited)
  }, [])
}
