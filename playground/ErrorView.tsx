import type { ReactNode } from 'react'
import { errorData } from './format'

/**
 * An error shown as data: class name, code and message in separate fields.
 * @example
 * <ErrorView error={error} testId="transfer-error" />
 */
export function ErrorView({ error, testId }: { error: unknown; testId: string }): ReactNode {
  if (error === null || error === undefined) return null
  const e = errorData(error)
  return (
    <p className="error" role="alert" data-testid={testId}>
      <strong data-testid={`${testId}-name`}>{e.name}</strong>
      {e.code !== undefined && <code data-testid={`${testId}-code`}>{e.code}</code>}
      <span data-testid={`${testId}-message`}>{e.message}</span>
    </p>
  )
}
