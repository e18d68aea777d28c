/**
 * The inspector: the live committed state, the last commits with their patches, rollbacks with
 * their error codes, the audit log, signal events and the registered processes with their
 * contracts. Everything here is read from the engine's public surface.
 */
import { type ReactNode, useEffect, useState } from 'react'
import type { EngineEventMap, EngineEventType } from 'theus'
import { useAuditLog, useEngine, useTheus } from 'theus/react'
import { errorData, formatPatch, formatValue } from './format'
import { useLiveEdits } from './liveEdits'

const LIMIT = 8

interface Logged<T> {
  id: number
  event: T
}

let nextId = 0

interface EventList<T> {
  /** The last `limit` events, newest first. */
  list: Logged<T>[]
  /** Every event of the type since the inspector mounted. */
  total: number
}

/** The last `limit` events of one type, newest first, and their count, collected while mounted. */
function useEngineEvents<K extends EngineEventType>(
  type: K,
  limit = LIMIT,
): EventList<EngineEventMap[K]> {
  const engine = useEngine()
  const [events, setEvents] = useState<EventList<EngineEventMap[K]>>({ list: [], total: 0 })
  useEffect(
    () =>
      engine.on(type, (event) =>
        setEvents(({ list, total }) => ({
          list: [{ id: nextId++, event }, ...list].slice(0, limit),
          total: total + 1,
        })),
      ),
    [engine, type, limit],
  )
  return events
}

/** "(3)", or "(26, last 8)" once the list is capped: the count is every event, never the cap. */
function counted({ list, total }: EventList<unknown>): string {
  return total > list.length ? `(${total}, last ${list.length})` : `(${total})`
}

function Commits(): ReactNode {
  const commits = useEngineEvents('commit')
  return (
    <details open>
      <summary data-testid="inspector-commits-summary">Commits {counted(commits)}</summary>
      <ol className="log" data-testid="inspector-commits">
        {commits.list.map(({ id, event }) => (
          <li key={id}>
            <strong>{event.process}</strong>
            {/* undo, redo and edit take no args: nothing to show, rather than "undefined" */}
            {event.args !== undefined && (
              <>
                {' '}
                <span className="muted">{formatValue(event.args)}</span>
              </>
            )}
            <ul className="patches">
              {event.patches.length === 0 && <li className="muted">no patches</li>}
              {event.patches.map((p, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: patches of one commit, fixed
                <li key={i}>{formatPatch(p)}</li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </details>
  )
}

function Rollbacks(): ReactNode {
  const rollbacks = useEngineEvents('rollback')
  return (
    <details open>
      <summary>Rollbacks {counted(rollbacks)}</summary>
      <ol className="log" data-testid="inspector-rollbacks">
        {rollbacks.list.map(({ id, event }) => {
          const e = errorData(event.error)
          return (
            <li key={id} title={e.message}>
              <strong>{event.process}</strong> <code>{e.code ?? e.name}</code>{' '}
              <span className="muted">{e.message}</span>
            </li>
          )
        })}
      </ol>
    </details>
  )
}

function AuditLog(): ReactNode {
  const engine = useEngine()
  const findings = useAuditLog(LIMIT)
  // useAuditLog re-renders on every 'audit' event, so the log's length here is current.
  const total = engine.auditLog.length
  return (
    <details open>
      <summary>
        Audit log {total > findings.length ? `(${total}, last ${findings.length})` : `(${total})`}
      </summary>
      <ol className="log" data-testid="inspector-audit">
        {findings.map((f) => (
          <li key={`${f.at}:${f.process}:${f.field}:${f.condition}:${f.count}:${f.action}`}>
            <span className={`badge level-${f.level}`}>
              {f.level} {f.action}
            </span>{' '}
            <strong>{f.process}</strong> {f.gate} <code>{f.field}</code> {f.condition}{' '}
            {formatValue(f.limit)}: {formatValue(f.value)} ({f.count}/{f.threshold})
          </li>
        ))}
      </ol>
    </details>
  )
}

function Signals(): ReactNode {
  const signals = useEngineEvents('signal')
  return (
    <details open>
      <summary>Signals {counted(signals)}</summary>
      <ol className="log" data-testid="inspector-signals">
        {signals.list.map(({ id, event }) => (
          <li key={id}>
            <code>{event.path}</code> = {formatValue(event.value)}{' '}
            <span className="muted">from {event.process}</span>
          </li>
        ))}
      </ol>
    </details>
  )
}

function Processes(): ReactNode {
  const engine = useEngine()
  // A live edit replaces a contract without a commit.
  useLiveEdits()
  return (
    <details>
      <summary>Processes ({engine.processNames.length})</summary>
      <table className="contracts" data-testid="inspector-processes">
        <tbody>
          {engine.processNames.map((name) => {
            const c = engine.getProcess(name)?.contract ?? {}
            return (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>
                  {c.inputs?.length ? <div>in: {c.inputs.join(', ')}</div> : null}
                  {c.outputs?.length ? <div>out: {c.outputs.join(', ')}</div> : null}
                  {c.errors?.length ? <div>errors: {c.errors.join(', ')}</div> : null}
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </details>
  )
}

function LiveState(): ReactNode {
  // The snapshot itself: a new frozen object per commit, the same one otherwise.
  const state = useTheus((s) => s)
  return (
    <details open>
      <summary>State</summary>
      <pre className="code" data-testid="inspector-state">
        {formatValue(state, 2)}
      </pre>
    </details>
  )
}

/**
 * The inspector panel. Mount it once, beside the demos, for the whole life of the page: it
 * collects events only while mounted.
 * @example
 * <TheusProvider engine={engine}><Inspector /></TheusProvider>
 */
export function Inspector(): ReactNode {
  return (
    <aside className="inspector" aria-label="inspector">
      <h2>Inspector</h2>
      <LiveState />
      <Commits />
      <Rollbacks />
      <AuditLog />
      <Signals />
      <Processes />
    </aside>
  )
}
