/**
 * The browser side of live editing, driven without a browser: a fake `import.meta.hot`
 * records what would reach Vite's overlay, and "new versions" of modules are plain objects.
 */
import { process, TheusEngine, WorkflowManager } from 'theus'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  acceptFlux,
  acceptProcesses,
  acceptRecipe,
  acceptWorkflow,
  HMR_ERROR_EVENT,
} from '../../src/vite/hmrRuntime'

const hot = () => ({ send: vi.fn(), invalidate: vi.fn() })
const quiet = () => {
  vi.spyOn(console, 'info').mockImplementation(() => {})
  vi.spyOn(console, 'error').mockImplementation(() => {})
}
afterEach(() => {
  vi.restoreAllMocks()
})

class ValueError extends Error {
  override name = 'ValueError'
}
const bumpBy = (n: number, contract: object = { inputs: ['domain.n'], outputs: ['domain.n'] }) =>
  process(contract, function bump(ctx: { domain: { n: number } }) {
    ctx.domain.n += n
  })

function engineWith(...defs: ReturnType<typeof bumpBy>[]) {
  const engine = new TheusEngine({ domain: { n: 0 } })
  for (const d of defs) engine.registerProcess(d)
  return engine
}

describe('acceptProcesses', () => {
  it('replaces the body on every live engine that runs it, keeping the state', () => {
    quiet()
    const a = engineWith(bumpBy(1))
    const b = engineWith(bumpBy(1))
    a.runProcess('bump')
    const h = hot()
    acceptProcesses(h, '/app/processes.ts', { bump: bumpBy(100), ValueError })
    a.runProcess('bump')
    b.runProcess('bump')
    expect(a.state.value.domain.n).toBe(101)
    expect(b.state.value.domain.n).toBe(100)
    expect(h.send).not.toHaveBeenCalled()
    expect(h.invalidate).not.toHaveBeenCalled()
  })

  it('an engine built after the edit from the exports of before (a factory) gets the new bodies', () => {
    quiet()
    const v1 = bumpBy(1)
    engineWith(v1)
    const v2 = bumpBy(100)
    acceptProcesses(hot(), '/app/factory.ts', { bump: v2 })
    acceptProcesses(hot(), '/app/factory.ts', { bump: bumpBy(1000) })
    // The importer still holds v1: its module was replaced in place, the importer not re-run.
    const made = [
      engineWith(v1),
      new TheusEngine({ domain: { n: 0 } }, { processes: { bump: v1 } }),
      new TheusEngine({ domain: { n: 0 } }),
    ]
    made[2]!.scanAndRegister({ './factory.ts': { bump: v1 } })
    for (const engine of made) {
      engine.runProcess('bump')
      expect(engine.state.value.domain.n).toBe(1000)
    }
  })

  it('announces the swap to the devtools panel with a theus:hmr event', () => {
    quiet()
    const engine = engineWith(bumpBy(1))
    const seen: unknown[] = []
    const target = new EventTarget()
    vi.stubGlobal('dispatchEvent', (e: Event) => target.dispatchEvent(e))
    target.addEventListener('theus:hmr', (e) => seen.push((e as CustomEvent).detail))
    const edited = process(
      { outputs: ['domain.n'] },
      function bump(ctx: { domain: { n: number } }) {
        ctx.domain.n = 42
      },
    )
    acceptProcesses(hot(), '/app/processes.ts', { bump: edited })
    // A save that changed no body or contract (only, say, a comment) still re-registers.
    acceptProcesses(hot(), '/app/processes.ts', { bump: process(edited.contract, edited.fn) })
    vi.unstubAllGlobals()
    // Engines of earlier tests run a 'bump' too: look at this one's notices.
    expect(seen.filter((d) => (d as { engine: unknown }).engine === engine)).toEqual([
      {
        kind: 'process',
        engine,
        message: 'Live edit: bump replaced from processes.ts; state kept.',
      },
      {
        kind: 'process',
        engine,
        message: 'Live edit: processes.ts reloaded (1 processes re-registered); state kept.',
      },
    ])
  })

  it('registers a new export on the engines that run the module, and leaves other engines alone', () => {
    quiet()
    const withBump = engineWith(bumpBy(1))
    const other = new TheusEngine({ domain: { n: 0 } })
    other.registerProcess(process({ outputs: ['domain.n'] }, function unrelated() {}))
    const reset = process(
      { outputs: ['domain.n'] },
      function reset(ctx: { domain: { n: number } }) {
        ctx.domain.n = 0
      },
    )
    acceptProcesses(hot(), '/app/processes.ts', { bump: bumpBy(1), reset })
    expect(withBump.processNames).toEqual(['bump', 'reset'])
    expect(other.processNames).toEqual(['unrelated'])
  })

  it('reports a contract the state no longer fits to the overlay and keeps the old body', () => {
    quiet()
    const engine = engineWith(bumpBy(1))
    const h = hot()
    acceptProcesses(h, '/app/processes.ts', {
      bump: bumpBy(5, { inputs: ['domain.gone'], outputs: ['domain.n'] }),
    })
    expect(h.send).toHaveBeenCalledWith(
      HMR_ERROR_EVENT,
      expect.objectContaining({
        file: '/app/processes.ts',
        code: 'INVALID_CONTRACT',
        message: expect.stringContaining('domain.gone'),
      }),
    )
    engine.runProcess('bump')
    expect(engine.state.value.domain.n).toBe(1)
  })

  it('hands a module with other exports back to Vite (invalidate), changing nothing', () => {
    const engine = engineWith(bumpBy(1))
    const h = hot()
    acceptProcesses(h, '/app/util.ts', { bump: bumpBy(9), helper: () => 1 })
    expect(h.invalidate).toHaveBeenCalled()
    engine.runProcess('bump')
    expect(engine.state.value.domain.n).toBe(1)
  })
})

describe('acceptRecipe', () => {
  const recipe = (max: number) => ({
    process_recipes: { bump: { outputs: [{ field: 'domain.n', max, level: 'B' as const }] } },
  })

  it('swaps the recipe of the engines that ran the previous one, edit after edit', () => {
    quiet()
    const v1 = recipe(0)
    const engine = new TheusEngine({ domain: { n: 0 } }, { auditRecipe: v1 })
    engine.registerProcess(bumpBy(1))
    const untouched = new TheusEngine({ domain: { n: 0 } }, { auditRecipe: recipe(0) })
    untouched.registerProcess(bumpBy(1))
    expect(() => engine.runProcess('bump')).toThrow()
    const v2 = recipe(10)
    acceptRecipe(hot(), '/app/specs/audit_recipe.yaml', v1, v2)
    engine.runProcess('bump')
    expect(engine.state.value.domain.n).toBe(1)
    expect(() => untouched.runProcess('bump')).toThrow()
    acceptRecipe(hot(), '/app/specs/audit_recipe.yaml', v2, recipe(0))
    expect(() => engine.runProcess('bump')).toThrow()
  })

  it('an engine built after the edits from the recipe of before (a factory) gets the latest', () => {
    quiet()
    const v1 = recipe(0)
    const v2 = recipe(0)
    acceptRecipe(hot(), '/app/specs/factory.yaml', v1, v2)
    acceptRecipe(hot(), '/app/specs/factory.yaml', v2, recipe(10))
    // The importer still holds v1: the recipe module was replaced in place, the importer not re-run.
    const engine = new TheusEngine({ domain: { n: 0 } }, { auditRecipe: v1 })
    engine.registerProcess(bumpBy(1))
    engine.runProcess('bump')
    expect(engine.state.value.domain.n).toBe(1)
    const byKey = new TheusEngine(
      { domain: { n: 0 } },
      { auditRecipe: v1, processes: { bump: bumpBy(1) } },
    )
    byKey.runProcess('bump')
    expect(byKey.state.value.domain.n).toBe(1)
  })

  it('reports a recipe the engine refuses, and keeps the previous one', () => {
    quiet()
    const v1 = recipe(0)
    const engine = new TheusEngine({ domain: { n: 0 } }, { auditRecipe: v1 })
    engine.registerProcess(bumpBy(1))
    const h = hot()
    acceptRecipe(h, '/app/r.yaml', v1, { process_recipes: { bump: { oops: 1 } } })
    expect(h.send).toHaveBeenCalledWith(
      HMR_ERROR_EVENT,
      expect.objectContaining({ code: 'RECIPE_INVALID' }),
    )
    expect(() => engine.runProcess('bump')).toThrow()
  })
})

describe('acceptWorkflow', () => {
  const wf = (extra: Record<string, unknown> = {}) => ({
    initial: 'IDLE',
    states: {
      IDLE: { events: { GO: 'BUSY' } },
      BUSY: { events: { STOP: 'IDLE' } },
      ...extra,
    },
  })

  it('updates live managers in place: same state, new transitions', async () => {
    quiet()
    const engine = engineWith(bumpBy(1))
    const v1 = wf()
    const manager = new WorkflowManager(engine, v1)
    await manager.send('GO')
    expect(manager.state.value).toBe('BUSY')
    const v2 = wf({ BUSY: { events: { STOP: 'IDLE', PAUSE: 'PAUSED' } }, PAUSED: { events: {} } })
    acceptWorkflow(hot(), '/app/workflow.yaml', v1, v2)
    expect(manager.state.value).toBe('BUSY')
    await manager.send('PAUSE')
    expect(manager.state.value).toBe('PAUSED')
    expect(manager.history.map((t) => t.to)).toEqual(['BUSY', 'PAUSED'])
  })

  it('a manager not seen yet takes the new definition on its first send', async () => {
    quiet()
    const engine = engineWith(bumpBy(1))
    const v1 = wf({ X: { events: {} } })
    const manager = new WorkflowManager(engine, v1)
    acceptWorkflow(hot(), '/app/w2.yaml', v1, {
      initial: 'IDLE',
      states: { IDLE: { events: { GO: 'DONE' } }, DONE: { events: {} } },
    })
    await manager.send('GO')
    expect(manager.state.value).toBe('DONE')
  })

  it('keeps the old definition and reports when the current state is gone', async () => {
    quiet()
    const engine = engineWith(bumpBy(1))
    const v1 = wf({ Y: { events: {} } })
    const manager = new WorkflowManager(engine, v1)
    await manager.send('GO')
    const h = hot()
    acceptWorkflow(h, '/app/w3.yaml', v1, { initial: 'IDLE', states: { IDLE: { events: {} } } })
    expect(h.send).toHaveBeenCalledWith(
      HMR_ERROR_EVENT,
      expect.objectContaining({ message: expect.stringContaining("'BUSY'") }),
    )
    await manager.send('STOP')
    expect(manager.state.value).toBe('IDLE')
  })
})

describe('acceptFlux', () => {
  it('gives the first version to importers and updates it in place on each edit', async () => {
    quiet()
    const engine = engineWith(
      bumpBy(1),
      process({ outputs: ['domain.n'] }, function ten(ctx: { domain: { n: number } }) {
        ctx.domain.n += 10
      }),
    )
    const h = { data: {} as Record<string, unknown> }
    const v1 = acceptFlux(h, '/app/flux.yaml', { steps: ['bump'] })
    expect(await engine.executeWorkflow(v1)).toEqual(['bump'])
    const v2 = acceptFlux(h, '/app/flux.yaml', { name: 'tens', steps: ['ten', 'ten'] })
    expect(v2).toBe(v1)
    expect(await engine.executeWorkflow(v1)).toEqual(['ten', 'ten'])
    acceptFlux(h, '/app/flux.yaml', { steps: ['bump'] })
    expect(v1).toEqual({ steps: ['bump'] })
    expect(engine.state.value.domain.n).toBe(21)
    // Without a hot context (a build), the module's own object.
    const own = { steps: ['bump'] }
    expect(acceptFlux(undefined, '/app/flux.yaml', own)).toBe(own)
  })
})
