import { process, TheusEngine } from 'theus'
import { describe, expect, it, vi } from 'vitest'

// The write buffer is two arrays scanned linearly while small and indexed once large, kept
// from run to run: these pin what a Map gave for free.
describe('the write buffer of a run', () => {
  it('treats NaN as one Map key, as a Map does', () => {
    const engine = new TheusEngine({ domain: { m: new Map<number, string>([[1, 'a']]) } })
    engine.registerProcess(
      process({ outputs: ['domain.m'] }, function nan(ctx) {
        ctx.domain.m.set(Number.NaN, 'x')
        ctx.domain.m.set(Number.NaN, 'y')
        return [ctx.domain.m.get(Number.NaN), ctx.domain.m.size]
      }),
    )
    expect(engine.runProcess('nan')).toEqual(['y', 2])
    expect([...engine.state.value.domain.m]).toEqual([
      [1, 'a'],
      [Number.NaN, 'y'],
    ])
  })

  it('keeps order and read-your-writes past the linear scan (many keys, many containers)', () => {
    const rows: Record<string, Record<string, number>> = {}
    for (let r = 0; r < 12; r++) rows[`r${r}`] = { a: 0 }
    const engine = new TheusEngine({ domain: { rows, flat: { x: 0 } as Record<string, number> } })
    engine.registerProcess(
      process({ outputs: ['domain.rows', 'domain.flat'] }, function many(ctx, args: { n: number }) {
        const flat = ctx.domain.flat
        for (let i = 0; i < args.n; i++) flat[`k${i}`] = i
        delete flat.k3
        flat.k3 = 33
        delete flat.x
        for (let r = 0; r < 12; r++) ctx.domain.rows[`r${r}`]!.a = r + args.n
        let sum = 0
        for (let i = 0; i < args.n; i++) sum += flat[`k${i}`]!
        return [sum, 'x' in flat, ctx.domain.rows.r11!.a]
      }),
    )
    const n = 40
    const expectedSum = (n * (n - 1)) / 2 - 3 + 33
    expect(engine.runProcess('many', { n })).toEqual([expectedSum, false, 11 + n])
    const keys = Object.keys(engine.state.value.domain.flat)
    expect(keys[keys.length - 1]).toBe('k3')
    expect(keys).not.toContain('x')
    expect(engine.state.value.domain.rows.r11!.a).toBe(11 + n)
    // The reused buffers start empty: a second run sees only the committed state.
    expect(engine.runProcess('many', { n: 2 })).toEqual([1, false, 13])
    expect(Object.keys(engine.state.value.domain.flat)).toHaveLength(n)
    expect(engine.undo()).toBe(true)
    expect(engine.state.value.domain.rows.r0!.a).toBe(n)
  })
})

// SPEC §3.2: arrays may copy on write when a run reorders or resizes them. A primitive written
// at an index the array has is one buffered key, and the run reads it back everywhere.
describe('index writes of an array without a copy', () => {
  const make = () => {
    const engine = new TheusEngine({ domain: { list: [1, 2, 3] as number[], rows: [{ v: 1 }] } })
    engine.registerProcess(
      process({ outputs: ['domain.list'] }, function poke(ctx, args: { next?: 'push' | 'sort' }) {
        const list = ctx.domain.list
        list[1] = 20
        const seen = {
          get: list[1],
          spread: [...list],
          json: JSON.stringify(list),
          map: list.map((x: number) => x * 2),
          includes: list.includes(20),
          desc: Object.getOwnPropertyDescriptor(list, '1')?.value,
          entries: Object.entries(list),
        }
        if (args.next === 'push') list.push(4)
        if (args.next === 'sort') list.sort((a: number, b: number) => b - a)
        return { seen, after: [...list] }
      }),
    )
    return engine
  }

  it('reads its own index write through get, iteration, JSON, methods and descriptors', () => {
    const engine = make()
    const before = engine.state.value
    const out = engine.runProcess('poke', {}) as any
    expect(out.seen).toEqual({
      get: 20,
      spread: [1, 20, 3],
      json: '[1,20,3]',
      map: [2, 40, 6],
      includes: true,
      desc: 20,
      entries: [
        ['0', 1],
        ['1', 20],
        ['2', 3],
      ],
    })
    expect(engine.state.value.domain.list).toEqual([1, 20, 3])
    expect(engine.state.value.domain.rows).toBe(before.domain.rows)
    expect(engine.history.at(-1)!.patches).toEqual([
      { op: 'replace', path: ['domain', 'list', 1], value: 20 },
    ])
  })

  it('copies no array for an index write (O(1), whatever the length)', () => {
    const engine = new TheusEngine({
      domain: { big: Array.from({ length: 100_000 }, (_, i) => i) },
    })
    engine.registerProcess(
      process({ outputs: ['domain.big'] }, function setOne(ctx) {
        ctx.domain.big[5] = -1
        return ctx.domain.big[5]
      }),
    )
    const slice = vi.spyOn(Array.prototype, 'slice')
    try {
      expect(engine.runProcess('setOne')).toBe(-1)
      expect(slice.mock.contexts.filter((a) => (a as unknown[]).length === 100_000)).toEqual([])
    } finally {
      slice.mockRestore()
    }
    expect(engine.state.value.domain.big[5]).toBe(-1)
  })

  it('keeps the index write when the run then resizes or reorders the array', () => {
    const engine = make()
    expect((engine.runProcess('poke', { next: 'push' }) as any).after).toEqual([1, 20, 3, 4])
    expect(engine.state.value.domain.list).toEqual([1, 20, 3, 4])
    expect((engine.runProcess('poke', { next: 'sort' }) as any).after).toEqual([20, 4, 3, 1])
    expect(engine.state.value.domain.list).toEqual([20, 4, 3, 1])
    engine.undo()
    engine.undo()
    expect(engine.state.value.domain.list).toEqual([1, 2, 3])
  })

  it('drops the index write on rollback and shows it to the output gate', () => {
    const engine = new TheusEngine(
      { domain: { list: [1, 2, 3] as number[] } },
      {
        auditRecipe: {
          process_recipes: {
            setAt: { outputs: [{ field: 'domain.list.1', max: 10, level: 'B' }] },
          },
        },
      },
    )
    engine.registerProcess(
      process({ outputs: ['domain.list'] }, function setAt(ctx, args: { v: number }) {
        ctx.domain.list[1] = args.v
      }),
    )
    const before = engine.state.value
    expect(() => engine.runProcess('setAt', { v: 11 })).toThrow()
    expect(engine.state.value).toBe(before)
    engine.runProcess('setAt', { v: 9 })
    expect(engine.state.value.domain.list).toEqual([1, 9, 3])
  })

  it('an async run that wrote an index conflicts with a commit that moved it meanwhile', async () => {
    const engine = new TheusEngine({ domain: { list: [1, 2, 3] as number[] } })
    let go!: () => void
    const gate = new Promise<void>((r) => {
      go = r
    })
    engine.registerProcess(
      process({ outputs: ['domain.list'] }, async function later(ctx) {
        ctx.domain.list[2] = 30
        await gate
      }),
    )
    engine.registerProcess(
      process({ outputs: ['domain.list'] }, function shift(ctx) {
        ctx.domain.list.shift()
      }),
    )
    const p = engine.runProcess('later')
    engine.runProcess('shift')
    go()
    await expect(p).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(engine.state.value.domain.list).toEqual([2, 3])
  })
})
