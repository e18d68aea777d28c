// biome-ignore-all lint/correctness/noComponentHookFactories: each test defines its components once, over that test's engine and counters, and renders them once.
import { act, cleanup, screen } from '@testing-library/react'
import { type AuditLogEntry, TheusEngine } from 'theus'
import { useAuditLog } from 'theus/react'
import { afterEach, describe, expect, it } from 'vitest'
import { transfer } from '../bank.js'
import { modes, renderWith } from './modes.js'

afterEach(cleanup)

// Level C: every finding is logged and the run goes on.
const recipe = {
  process_recipes: { transfer: { inputs: [{ field: 'amount', max: 50, level: 'C' }] } },
}

function auditedBank() {
  const engine = new TheusEngine(
    {
      domain: {
        accounts: { a: 1000, b: 0 } as Record<string, number>,
        total_reserves: 0,
        sig_fraud_detected: false,
      },
    },
    { auditRecipe: recipe },
  )
  engine.registerProcess(transfer)
  return engine
}

describe.each(modes)('useAuditLog ($mode)', ({ Wrapper, renders }) => {
  it('shows the latest entries, oldest first, updated on every audit event', () => {
    const engine = auditedBank()
    let seen: readonly AuditLogEntry[] = []
    let bodies = 0
    function Log() {
      bodies++
      seen = useAuditLog(2)
      return (
        <ol>
          {seen.map((f) => (
            <li key={`${f.at}:${String(f.value)}`}>{String(f.value)}</li>
          ))}
        </ol>
      )
    }
    renderWith(engine, Wrapper, <Log />)
    expect(seen).toEqual([])
    bodies = 0
    for (const amount of [60, 70, 80]) {
      act(() => {
        engine.runProcess('transfer', { from_user: 'a', to_user: 'b', amount })
      })
    }
    expect(bodies).toBe(3 * renders)
    expect(seen.map((f) => f.value)).toEqual([70, 80])
    expect(seen.every((f) => f.action === 'warn' && f.field === 'amount')).toBe(true)
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['70', '80'])
    // A passing run is not a finding: no new entry, no render.
    bodies = 0
    act(() => {
      engine.runProcess('transfer', { from_user: 'a', to_user: 'b', amount: 1 })
    })
    expect(bodies).toBe(0)
  })

  it('a limit that is not a number shows none, as below 1 (it showed all, a new array per read)', () => {
    const engine = auditedBank()
    for (const amount of [60, 70])
      engine.runProcess('transfer', { from_user: 'a', to_user: 'b', amount })
    let seen: readonly AuditLogEntry[] | undefined
    let bodies = 0
    function Log() {
      bodies++
      seen = useAuditLog(Number.NaN)
      return null
    }
    renderWith(engine, Wrapper, <Log />)
    expect(seen).toEqual([])
    bodies = 0
    act(() => {
      engine.runProcess('transfer', { from_user: 'a', to_user: 'b', amount: 80 })
    })
    expect(seen).toEqual([])
    expect(bodies).toBe(0)
  })

  it('defaults to the latest 50 and starts from what is already logged', () => {
    const engine = auditedBank()
    for (let i = 0; i < 60; i++)
      engine.runProcess('transfer', { from_user: 'a', to_user: 'b', amount: 51 + (i % 3) })
    let seen: readonly AuditLogEntry[] = []
    function Log() {
      seen = useAuditLog()
      return null
    }
    renderWith(engine, Wrapper, <Log />)
    expect(seen).toHaveLength(50)
    expect(seen).toEqual(engine.auditLog.slice(-50))
  })

  it('stops listening after unmount', () => {
    const engine = auditedBank()
    let bodies = 0
    function Log() {
      bodies++
      useAuditLog()
      return null
    }
    const { unmount } = renderWith(engine, Wrapper, <Log />)
    unmount()
    bodies = 0
    engine.runProcess('transfer', { from_user: 'a', to_user: 'b', amount: 99 })
    expect(engine.auditLog).toHaveLength(1)
    expect(bodies).toBe(0)
  })
})
