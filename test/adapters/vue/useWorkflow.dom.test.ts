import { cleanup, render } from '@testing-library/vue'
import { type AuditLogEntry, process, TheusEngine, WorkflowManager } from 'theus'
import { createTheusPlugin, useAuditLog, useWorkflow, type WorkflowHandle } from 'theus/vue'
import { afterEach, describe, expect, it } from 'vitest'
import { defineComponent, h, isReadonly, nextTick, type ShallowRef } from 'vue'
import { deferred, transfer } from '../bank.js'

afterEach(cleanup)

describe('useWorkflow (vue)', () => {
  it('follows state, status and lastError of a real WorkflowManager as readonly refs', async () => {
    const gate = deferred<void>()
    const engine = new TheusEngine({ domain: { n: 0 } })
    engine.registerProcess(
      process(
        { inputs: ['domain.n'], outputs: ['domain.n'], errors: ['RangeError'] },
        async function step(ctx, args: { by: number }) {
          await gate.promise
          if (args.by < 0) throw new RangeError('negative step')
          ctx.domain.n += args.by
        },
      ),
    )
    const manager = new WorkflowManager(engine, {
      states: {
        IDLE: { events: { GO: 'STEPPING' } },
        STEPPING: { entry: 'step', events: { EVT_CHAIN_DONE: 'DONE', EVT_CHAIN_FAIL: 'IDLE' } },
        DONE: { events: { AGAIN: 'IDLE' } },
      },
    })
    let wf!: WorkflowHandle
    const View = defineComponent(() => {
      wf = useWorkflow(manager)
      return () =>
        h(
          'p',
          { 'data-testid': 'v' },
          `${wf.state.value} ${wf.status.value} ${String(wf.lastError.value)}`,
        )
    })
    const { getByTestId } = render(View, { global: { plugins: [createTheusPlugin(engine)] } })
    expect(isReadonly(wf.state) && isReadonly(wf.status) && isReadonly(wf.lastError)).toBe(true)
    expect(getByTestId('v').textContent).toBe('IDLE idle null')
    const done = wf.send('GO', { by: 2 })
    await nextTick()
    expect(getByTestId('v').textContent).toBe('STEPPING running null')
    gate.resolve()
    await done
    await nextTick()
    expect(getByTestId('v').textContent).toBe('DONE idle null')
    await wf.send('AGAIN')
    await wf.send('GO', { by: -1 })
    await nextTick()
    expect(wf.state.value).toBe('IDLE')
    expect(wf.lastError.value).toBeInstanceOf(RangeError)
  })
})

describe('useAuditLog (vue)', () => {
  it('shows the latest entries, oldest first, on every audit event, and stops after unmount', async () => {
    const engine = new TheusEngine(
      {
        domain: {
          accounts: { a: 1000, b: 0 } as Record<string, number>,
          total_reserves: 0,
          sig_fraud_detected: false,
        },
      },
      {
        auditRecipe: {
          process_recipes: { transfer: { inputs: [{ field: 'amount', max: 50, level: 'C' }] } },
        },
      },
    )
    engine.registerProcess(transfer)
    engine.runProcess('transfer', { from_user: 'a', to_user: 'b', amount: 51 })
    let log!: Readonly<ShallowRef<readonly AuditLogEntry[]>>
    let renders = 0
    const View = defineComponent(() => {
      log = useAuditLog(2)
      return () => {
        renders++
        return h(
          'ol',
          log.value.map((f) => h('li', String(f.value))),
        )
      }
    })
    const { getAllByRole, unmount } = render(View, {
      global: { plugins: [createTheusPlugin(engine)] },
    })
    expect(log.value.map((f) => f.value)).toEqual([51])
    for (const amount of [60, 70])
      engine.runProcess('transfer', { from_user: 'a', to_user: 'b', amount })
    await nextTick()
    expect(getAllByRole('listitem').map((li) => li.textContent)).toEqual(['60', '70'])
    renders = 0
    engine.runProcess('transfer', { from_user: 'a', to_user: 'b', amount: 1 })
    await nextTick()
    expect(renders).toBe(0)
    unmount()
    const before = log.value
    engine.runProcess('transfer', { from_user: 'a', to_user: 'b', amount: 99 })
    expect(log.value).toBe(before)
  })
})
