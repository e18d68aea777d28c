import { type ReactNode, useEffect, useState } from 'react'
import type { HaltEvent } from 'theus'
import { useEngine } from 'theus/react'

/**
 * Shown while the engine is halted by a level S interlock: every run is refused with
 * `ENGINE_HALTED` until Resume calls `engine.resume()`.
 * @example
 * <TheusProvider engine={engine}><HaltBanner /></TheusProvider>
 */
export function HaltBanner(): ReactNode {
  const engine = useEngine()
  const [halt, setHalt] = useState<HaltEvent | null>(null)
  // The 'halt' event says when the engine halts; 'resume' when anyone resumes it (this banner,
  // or the devtools panel's Resume).
  useEffect(() => {
    const offHalt = engine.on('halt', setHalt)
    const offResume = engine.on('resume', () => setHalt(null))
    return () => {
      offHalt()
      offResume()
    }
  }, [engine])
  if (halt === null && !engine.halted) return null
  return (
    <div className="banner" role="alert" data-testid="halt-banner">
      <div>
        <strong>Engine halted.</strong> A level S interlock in <code>{halt?.process}</code> stopped
        every run: {halt?.error.message}
      </div>
      <button type="button" data-testid="resume" onClick={() => engine.resume()}>
        Resume
      </button>
    </div>
  )
}
