import { process, TheusEngine, WorkflowManager } from 'theus'
import { createTheusPlugin, useAuditLog, useTheus, useWorkflow } from 'theus/vue'
import { describe, expect, it, vi } from 'vitest'
import { createSSRApp, defineComponent, h, onServerPrefetch } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { createBank } from '../bank.js'

describe('theus/vue on the server', () => {
  it('renders the current snapshot with renderToString, without warnings', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const engine = createBank(3)
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 5 })
    const Row = defineComponent(
      (props: { name: string }) => {
        const balance = useTheus(`domain.accounts.${props.name}`)
        return () => h('li', `${props.name}: ${String(balance.value)}`)
      },
      { props: ['name'] },
    )
    const App = defineComponent(
      () => () =>
        h(
          'ul',
          ['acc0', 'acc1'].map((name) => h(Row, { name })),
        ),
    )
    const html = await renderToString(createSSRApp(App).use(createTheusPlugin(engine)))
    expect(html).toContain('acc0: 95')
    expect(html).toContain('acc1: 105')
    expect(warn).not.toHaveBeenCalled()
    expect(error).not.toHaveBeenCalled()
    warn.mockRestore()
    error.mockRestore()
  })
})

describe('theus/vue on the server: subscriptions', () => {
  it('subscribes to nothing during a server render (Vue never disposes scopes there)', async () => {
    const engine = createBank(2)
    const on = vi.spyOn(engine, 'on')
    let signalReads = 0
    const select = engine.select.bind(engine)
    // Counts reads (`.value`) of the selected signal.
    vi.spyOn(engine, 'select').mockImplementation(
      ((path: any) =>
        new Proxy(select(path), {
          get(target, key) {
            if (key === 'value') signalReads++
            return Reflect.get(target, key, target)
          },
        })) as typeof engine.select,
    )
    const View = defineComponent(() => {
      const balance = useTheus('domain.accounts.acc0')
      const findings = useAuditLog()
      return () => h('p', `${String(balance.value)} ${findings.value.length}`)
    })
    expect(await renderToString(createSSRApp(View).use(createTheusPlugin(engine)))).toBe(
      '<p>100 0</p>',
    )
    expect(on).not.toHaveBeenCalled()
    // After the render, a commit must reach no leftover effect (a leak would re-read the signal).
    signalReads = 0
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 1 })
    expect(signalReads).toBe(0)
  })

  it('renders a selector from the current state, without warnings', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const engine = createBank(3)
    engine.runProcess('transfer', { from_user: 'acc0', to_user: 'acc1', amount: 10 })
    const View = defineComponent(() => {
      const v = useTheus(
        (s: any) => `${s.domain.accounts.acc0}/${Object.keys(s.domain.accounts).length}`,
      )
      return () => h('p', v.value)
    })
    expect(await renderToString(createSSRApp(View).use(createTheusPlugin(engine)))).toBe(
      '<p>90/3</p>',
    )
    expect(warn).not.toHaveBeenCalled()
    warn.mockRestore()
  })

  it('gives no development warning there for a selector that builds a new object', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const engine = createBank(3)
    const View = defineComponent(() => {
      const v = useTheus((s: any) => ({ names: Object.keys(s.domain.accounts) }))
      return () => h('p', v.value.names.join())
    })
    expect(await renderToString(createSSRApp(View).use(createTheusPlugin(engine)))).toBe(
      '<p>acc0,acc1,acc2</p>',
    )
    expect(warn).not.toHaveBeenCalled()
    warn.mockRestore()
  })

  it('renders the state of the render, after onServerPrefetch changed it', async () => {
    const load = process(
      { name: 'load', outputs: ['domain.items'] },
      async function load(ctx: any) {
        await Promise.resolve()
        ctx.domain.items = ['a', 'b']
      },
    )
    const engine = new TheusEngine(
      { domain: { items: [] as string[] } },
      {
        processes: { load },
        auditRecipe: {
          process_recipes: { load: { outputs: [{ field: 'domain.items', max_len: 1 }] } },
        },
      },
    )
    const manager = new WorkflowManager(engine, {
      states: { IDLE: { on: { LOAD: 'READY' } }, READY: { entry: 'load' } },
    })
    const View = defineComponent(() => {
      const items = useTheus('domain.items')
      const count = useTheus((s) => s.domain.items.length)
      const flow = useWorkflow(manager)
      const findings = useAuditLog()
      const before = count.value // read in setup, before the prefetch
      onServerPrefetch(() => flow.send('LOAD'))
      return () =>
        h(
          'p',
          `${items.value.join()} ${count.value} ${flow.state.value} ${findings.value.length} ${before}`,
        )
    })
    // Each showed the state of the setup: ' 0 IDLE 0 0'.
    expect(await renderToString(createSSRApp(View).use(createTheusPlugin(engine)))).toBe(
      '<p>a,b 2 READY 1 0</p>',
    )
  })
})
