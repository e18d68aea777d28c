/**
 * The Flux demo: `workflows/interest.yaml`, a `steps:` pipeline with a `while` loop and an `if`,
 * run with `engine.executeWorkflow`; shows the list of processes it ran.
 */
import { type ReactNode, useState } from 'react'
import type { FluxInput, FluxStep } from 'theus'
import { useEngine, useTheus } from 'theus/react'
import { validateFlux } from 'theus/workflow'
import { ErrorView } from './ErrorView'
import { AccountSelect } from './fields'
import { formatMoney } from './format'
import { useLiveEdits } from './liveEdits'

/** One line per step, the way the YAML reads. */
function outline(steps: readonly FluxStep[], indent = ''): string[] {
  const names = (list: readonly FluxStep[]) =>
    list.every((s) => 'process' in s) ? list.map((s) => (s as { process: string }).process) : null
  const block = (head: string, list: readonly FluxStep[]) => {
    const flat = names(list)
    return flat !== null
      ? [`${indent}${head} [${flat.join(', ')}]`]
      : [`${indent}${head}`, ...outline(list, `${indent}  `)]
  }
  return steps.flatMap((s): string[] => {
    if ('process' in s) return [`${indent}${s.process}`]
    if (s.flux === 'while') return block(`while ${s.condition} do`, s.do)
    if (s.flux === 'if')
      return [
        ...block(`if ${s.condition} then`, s.then),
        ...(s.else.length > 0 ? block('else', s.else) : []),
      ]
    return block('run', s.steps)
  })
}

type Outcome = { ok: true; ran: string[] } | { ok: false; error: unknown }

/**
 * Runs a Flux pipeline for one account and shows the processes it ran, or its error.
 * @example
 * <FluxDemo pipeline={interestPipeline} />
 */
export function FluxDemo({ pipeline }: { pipeline: FluxInput }): ReactNode {
  const engine = useEngine()
  const ledger = useTheus('domain.ledger') as { month: number; accrued: number }
  const [user, setUser] = useState('Alice')
  const [running, setRunning] = useState(false)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  // A live edit of the YAML (vite dev) changes the pipeline object in place: the steps shown
  // follow it, as the next run does.
  useLiveEdits()
  const steps = outline(validateFlux(pipeline).steps).join('\n')
  const onRun = async () => {
    setRunning(true)
    try {
      const ran = await engine.executeWorkflow(pipeline, { user }, { atomic: true })
      setOutcome({ ok: true, ran })
    } catch (error) {
      setOutcome({ ok: false, error })
    } finally {
      setRunning(false)
    }
  }
  return (
    <section className="card">
      <h2>
        Flux pipeline <small>workflows/interest.yaml</small>
      </h2>
      <pre className="code">{steps}</pre>
      <div className="row">
        <AccountSelect name="flux_user" label="Account" value={user} onChange={setUser} />
        <button type="button" data-testid="run-flux" disabled={running} onClick={onRun}>
          Run executeWorkflow
        </button>
        <span className="muted">
          ledger: month {ledger.month}, accrued {formatMoney(ledger.accrued)}
        </span>
      </div>
      {outcome?.ok === true && (
        <ol className="pipeline" data-testid="flux-result">
          {outcome.ran.map((name, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list, the same name may repeat
            <li key={i}>{name}</li>
          ))}
        </ol>
      )}
      {outcome?.ok === false && <ErrorView error={outcome.error} testId="flux-error" />}
    </section>
  )
}
