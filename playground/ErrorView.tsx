import { type ReactNode, useEffect, useState } from 'react'
import { useEngine } from 'theus/react'
import { errorData } from './format'

/** Errors that only say "the engine was halted": `resume()` makes them stale. */
function isHaltError(e: unknown): boolean {
  const { code, level } = errorData(e)
  return code === 'ENGINE_HALTED' || (code === 'AUDIT_INTERLOCK' && level === 'S')
}

/**
 * What to do about an error, where its message alone would mislead in this page: a conflict's
 * message names the engine's `runProcess` option, which a form reaches through
 * `useProcess(name, { retries })`.
 */
function adviceFor(code: string | undefined): string | null {
  if (code === 'CONFLICT')
    return 'Another commit changed what this run read, so it was rolled back: run it again. A form can let it re-run on its own with useProcess(name, { retries: 2 }).'
  return null
}

/**
 * An error shown as data: class name, code (and interlock level) and message in separate
 * fields. An `ENGINE_HALTED` error or a level S interlock is cleared when the engine resumes:
 * it described the halt, which is over.
 * @example
 * <ErrorView error={error} testId="transfer-error" />
 */
export function ErrorView({ error, testId }: { error: unknown; testId: string }): ReactNode {
  const engine = useEngine()
  const [stale, setStale] = useState<unknown>(null)
  useEffect(
    () =>
      engine.on('resume', () => {
        if (error !== null && error !== undefined && isHaltError(error)) setStale(error)
      }),
    [engine, error],
  )
  if (error === null || error === undefined || error === stale) return null
  const e = errorData(error)
  const advice = adviceFor(e.code)
  return (
    <div className="error" role="alert" data-testid={testId}>
      <p>
        <strong data-testid={`${testId}-name`}>{e.name}</strong>
        {e.code !== undefined && <code data-testid={`${testId}-code`}>{e.code}</code>}
        {e.level !== undefined && (
          <span className={`badge level-${e.level}`} data-testid={`${testId}-level`}>
            level {e.level}
          </span>
        )}
        <span data-testid={`${testId}-message`}>{e.message}</span>
      </p>
      {advice !== null && (
        <p className="advice" data-testid={`${testId}-advice`}>
          {advice}
        </p>
      )}
    </div>
  )
}
