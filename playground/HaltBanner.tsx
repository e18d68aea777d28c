import { type ReactNode, useEffect, useState } from 'react'
import type { HaltEvent } from 'theus'
import { useEngine } from 'theus/react'
import { resumeEngine } from './resume'

/**
 * Shown while the engine is halted by a level S interlock: every run is refused with
 * `ENGINE_HALTED` until Resume calls `engine.resume()`.
 * @example
 * <TheusProvider engine={engine}><HaltBanner /></TheusProvider>
 */
export function HaltBanner(): ReactNode {
  const engine = useEngine()
  const [halt, setHalt] = useState<HaltEvent | null>(null)
  // `halted` is a plain getter: the 'halt' event says when it turns true, and only `resume()`
  // (below) turns it back.
  useEffect(() => engine.on('halt', setHalt), [engine])
  if (halt === null && !engine.halted) return null
  return (
    <div className="banner" role="alert" data-testid="halt-banner">
      <div>
        <strong>Engine halted.</strong> A level S interlock in <code>{halt?.process}</code> stopped
        every run: {halt?.error.message}
      </div>
      <button
        type="button"
        data-testid="resume"
        onClick={() => {
          resumeEngine(engine)
          setHalt(null)
        }}
      >
        Resume
      </button>
    </div>
  )
}
