import { process, TheusEngine, TheusError } from 'theus'
import { describe, expect, it } from 'vitest'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(TheusError)
    return (e as TheusError).code
  }
  return undefined
}

describe('new TheusEngine(initial)', () => {
  it('exposes the global and domain layers in state', () => {
    const engine = new TheusEngine({ global: { max: 3 }, domain: { n: 1 } })
    expect(engine.state.value).toEqual({ global: { max: 3 }, domain: { n: 1 } })
  })

  it('defaults a missing layer to {}', () => {
    const a = new TheusEngine({ domain: { n: 1 } })
    expect(a.state.value.global).toEqual({})
    const b = new TheusEngine({ global: { g: 1 } })
    expect(b.state.value.domain).toEqual({})
    const c = new TheusEngine({})
    expect(c.state.value).toEqual({ global: {}, domain: {} })
  })

  it('refuses a local layer with INVALID_CONTEXT', () => {
    expect(codeOf(() => new TheusEngine({ domain: {}, local: {} } as any))).toBe('INVALID_CONTEXT')
  })

  it('refuses any other root key with INVALID_CONTEXT', () => {
    expect(codeOf(() => new TheusEngine({ domain: {}, extra: 1 } as any))).toBe('INVALID_CONTEXT')
    expect(codeOf(() => new TheusEngine({ domian: {} } as any))).toBe('INVALID_CONTEXT')
  })

  it('refuses null with INVALID_CONTEXT', () => {
    expect(codeOf(() => new TheusEngine(null as any))).toBe('INVALID_CONTEXT')
  })

  it('refuses an array with INVALID_CONTEXT', () => {
    expect(codeOf(() => new TheusEngine([] as any))).toBe('INVALID_CONTEXT')
  })

  it('refuses a value that is not a plain object with INVALID_CONTEXT', () => {
    class State {
      domain = {}
    }
    expect(codeOf(() => new TheusEngine(new State() as any))).toBe('INVALID_CONTEXT')
    expect(codeOf(() => new TheusEngine(new Map() as any))).toBe('INVALID_CONTEXT')
    expect(codeOf(() => new TheusEngine('domain' as any))).toBe('INVALID_CONTEXT')
    expect(codeOf(() => new TheusEngine(42 as any))).toBe('INVALID_CONTEXT')
    expect(codeOf(() => new TheusEngine(undefined as any))).toBe('INVALID_CONTEXT')
  })

  it('refuses a layer that is not a plain object with INVALID_CONTEXT', () => {
    expect(codeOf(() => new TheusEngine({ domain: 5 } as any))).toBe('INVALID_CONTEXT')
    expect(codeOf(() => new TheusEngine({ domain: [] } as any))).toBe('INVALID_CONTEXT')
    expect(codeOf(() => new TheusEngine({ global: new Map() } as any))).toBe('INVALID_CONTEXT')
  })

  it('gives INVALID_CONTEXT a message that names the problem', () => {
    try {
      new TheusEngine({ domain: {}, local: {} } as any)
      expect.unreachable()
    } catch (e) {
      expect((e as Error).message).toContain('local')
    }
  })

  it('copies the initial object: mutating it later changes nothing', () => {
    const initial = {
      global: { max: 10 },
      domain: {
        accounts: { Alice: 1 } as Record<string, number>,
        list: [1, 2],
        m: new Map([['a', 1]]),
      },
    }
    const engine = new TheusEngine(initial)
    const before = engine.state.value
    initial.domain.accounts.Alice = 999
    initial.domain.accounts.Eve = 5
    initial.domain.list.push(3)
    initial.domain.m.set('b', 2)
    initial.global.max = 0
    expect(engine.state.value).toBe(before)
    expect(engine.state.value.domain.accounts).toEqual({ Alice: 1 })
    expect(engine.state.value.domain.list).toEqual([1, 2])
    expect(engine.state.value.domain.m.has('b')).toBe(false)
    expect(engine.state.value.global.max).toBe(10)
    expect(engine.select('domain.accounts.Alice').value).toBe(1)
  })

  it('keeps the initial object intact after runs', () => {
    const initial = { domain: { accounts: { Alice: 1 } as Record<string, number> } }
    const engine = new TheusEngine(initial)
    engine.registerProcess(
      process({ outputs: ['domain.accounts'] }, function bump(ctx) {
        ctx.domain.accounts.Alice = 2
      }),
    )
    engine.runProcess('bump')
    expect(initial.domain.accounts.Alice).toBe(1)
    expect(engine.state.value.domain.accounts.Alice).toBe(2)
  })

  it('supports plain objects, arrays, Map, Set, primitives and Date', () => {
    const d = new Date(1000)
    const engine = new TheusEngine({
      domain: {
        o: { a: 1 },
        arr: [1, 'x', null, true],
        m: new Map([['k', 1]]),
        s: new Set([1, 2]),
        d,
      },
    })
    const snap = engine.state.value.domain
    expect(snap.o).toEqual({ a: 1 })
    expect(snap.arr).toEqual([1, 'x', null, true])
    expect(snap.m).toBeInstanceOf(Map)
    expect(snap.m.get('k')).toBe(1)
    expect(snap.s).toBeInstanceOf(Set)
    expect(snap.s.has(2)).toBe(true)
    expect(snap.d).toBeInstanceOf(Date)
    expect(snap.d.getTime()).toBe(1000)
  })
})

// SPEC §1: the root holds the layers `global` and `domain`, each a plain object. That holds
// after every commit too, whatever wrote the root: edit(), or a process with 'domain' or
// 'global' in its outputs, in either mode.
describe('writes to the root of the context', () => {
  const bad: [string, (root: any) => void][] = [
    ['adds a local key', (r) => (r.local = {})],
    ['adds another root key', (r) => (r.extra = 1)],
    ['deletes a layer', (r) => delete r.domain],
    ['sets a layer to a number', (r) => (r.domain = 5)],
    ['sets a layer to null', (r) => (r.global = null)],
    ['sets a layer to an array', (r) => (r.domain = [1])],
    ['sets a layer to a Map', (r) => (r.domain = new Map())],
    ['defines another root key', (r) => Object.defineProperty(r, 'x', { value: 1 })],
  ]

  for (const [what, write] of bad) {
    it(`edit() that ${what} is INVALID_CONTEXT, and nothing changes`, () => {
      const engine = new TheusEngine({ global: { g: 1 }, domain: { n: 0 } })
      const before = engine.state.value
      expect(
        codeOf(() =>
          engine.edit((s) => {
            s.domain.n = 1
            write(s)
          }),
        ),
      ).toBe('INVALID_CONTEXT')
      expect(engine.state.value).toBe(before)
      expect(engine.history).toHaveLength(0)
    })
  }

  it('names what was written in the message (a deleted layer reads undefined)', () => {
    const engine = new TheusEngine({ domain: { n: 0 } })
    let message = ''
    try {
      engine.edit((s: any) => {
        delete s.domain
      })
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toContain("layer 'domain' must be a plain object, got undefined.")
  })

  for (const strictMode of [true, false]) {
    it(`a process that sets a layer to a value that is not a plain object is INVALID_CONTEXT (strictMode ${strictMode}), even when the body swallows it`, () => {
      const engine = new TheusEngine({ domain: { n: 0 } }, { strictMode })
      engine.registerProcess(
        process({ outputs: ['domain', 'global'] }, function wipe(ctx, args: { to: unknown }) {
          try {
            ;(ctx as any).domain = args.to
          } catch {}
          return 'done'
        }),
      )
      for (const to of [5, null, [1], undefined]) {
        expect(codeOf(() => engine.runProcess('wipe', { to }))).toBe('INVALID_CONTEXT')
        expect(engine.state.value).toEqual({ global: {}, domain: { n: 0 } })
      }
      expect(engine.runProcess('wipe', { to: { n: 2 } })).toBe('done')
      expect(engine.state.value).toEqual({ global: {}, domain: { n: 2 } })
    })
  }

  it('edit() may still replace a layer with a plain object', () => {
    const engine = new TheusEngine({ global: { g: 1 }, domain: { n: 0 } })
    engine.edit((s: any) => {
      s.domain = { m: 1 }
      s.global = Object.create(null)
    })
    expect(engine.state.value).toEqual({ global: {}, domain: { m: 1 } })
  })
})
