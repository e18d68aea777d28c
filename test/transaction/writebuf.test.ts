import { process, TheusEngine } from 'theus'
import { describe, expect, it } from 'vitest'

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
