import { process, TheusEngine, type TheusError } from 'theus'
import { describe, expect, it } from 'vitest'

// Views keep their shape (node, permissions, path) from run to run of a process: a container
// that moved, or another container at the same key, must get the permissions of where it is.
describe('view shapes cached across runs', () => {
  it('follows array elements that moved between two runs', () => {
    const engine = new TheusEngine({ domain: { list: [{ v: 'a' }, { v: 'b' }] } })
    engine.registerProcess(
      process(
        { inputs: ['domain.list'], outputs: ['domain.list.0'] },
        function touch(ctx, args: { first: string; second?: string }) {
          const list = ctx.domain.list
          list[0]!.v = args.first
          if (args.second !== undefined) list[1]!.v = args.second
          return list[1]!.v
        },
      ),
    )
    engine.registerProcess(
      process({ outputs: ['domain.list'] }, function flip(ctx) {
        ctx.domain.list.reverse()
      }),
    )
    expect(engine.runProcess('touch', { first: 'x' })).toBe('b')
    engine.runProcess('flip')
    // The element now at 0 was at 1: it is the writable one now.
    expect(engine.runProcess('touch', { first: 'y' })).toBe('x')
    expect(engine.state.value.domain.list).toEqual([{ v: 'y' }, { v: 'x' }])
    let err: TheusError | undefined
    try {
      engine.runProcess('touch', { first: 'z', second: 'w' })
    } catch (e) {
      err = e as TheusError
    }
    expect(err?.code).toBe('IMMUTABLE_INPUT')
    expect(err?.message).toContain("'domain.list.1.v'")
    expect(engine.state.value.domain.list).toEqual([{ v: 'y' }, { v: 'x' }])
  })

  it('sees a container replaced at the same key, and keeps a Map view guarded after iterating', () => {
    const engine = new TheusEngine({
      domain: {
        rec: { a: { n: 1 } } as Record<string, { n: number }>,
        m: new Map([['k', { n: 1 }]]),
      },
    })
    engine.registerProcess(
      process(
        { inputs: ['domain.rec', 'domain.m'], outputs: ['domain.rec.a'] },
        function read(ctx) {
          const seen: number[] = []
          for (const [, v] of ctx.domain.m) seen.push(v.n)
          seen.push(ctx.domain.m.get('k')!.n, ctx.domain.rec.a!.n)
          ctx.domain.rec.a!.n++
          return seen
        },
      ),
    )
    engine.registerProcess(
      process({ outputs: ['domain.rec', 'domain.m'] }, function swap(ctx) {
        ctx.domain.rec.a = { n: 10 }
        ctx.domain.m.set('k', { n: 20 })
      }),
    )
    expect(engine.runProcess('read')).toEqual([1, 1, 1])
    engine.runProcess('swap')
    expect(engine.runProcess('read')).toEqual([20, 20, 10])
    expect(engine.state.value.domain.rec.a).toEqual({ n: 11 })
    engine.registerProcess(
      process({ inputs: ['domain.m'] }, function writeM(ctx) {
        ctx.domain.m.get('k')!.n = 5
      }),
    )
    expect(() => engine.runProcess('writeM')).toThrow(
      expect.objectContaining({ code: 'IMMUTABLE_INPUT' }),
    )
  })
})

// edit(), undo() and redo() reuse one admin Run: a view kept from one edit stays dead.
describe('the reused admin run', () => {
  it('keeps a view from an earlier edit dead, also during a later edit', () => {
    const engine = new TheusEngine({ domain: { n: 0, o: { a: 1 } } })
    let kept: any
    engine.edit((s) => {
      kept = s.domain.o
      s.domain.n = 1
    })
    let during: string | undefined
    engine.edit((s) => {
      try {
        kept.a = 99
      } catch (e) {
        during = (e as TheusError).code
      }
      s.domain.n = 2
    })
    expect(during).toBe('INVALID_CONTRACT')
    expect(engine.undo()).toBe(true)
    expect(engine.redo()).toBe(true)
    expect(() => (kept.a = 5)).toThrow(expect.objectContaining({ code: 'INVALID_CONTRACT' }))
    expect(engine.state.value.domain).toEqual({ n: 2, o: { a: 1 } })
    expect(engine.runLog.map((e) => e.process)).toEqual(['edit', 'edit', 'undo', 'redo'])
    expect(engine.runLog[2]!.patches).toEqual([{ op: 'replace', path: ['domain', 'n'], value: 1 }])
  })

  it('records the read of a container reached through a cached shape (conflict check)', async () => {
    const engine = new TheusEngine({ domain: { rec: { n: 1 }, b: 0 } })
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    engine.registerProcess(
      process(
        { inputs: ['domain.rec'], outputs: ['domain.b'] },
        // Synchronous when told not to wait: its Run, and the shapes cached on it, are reused.
        function derive(ctx, args: { wait?: boolean }) {
          const rec = ctx.domain.rec
          if (!args.wait) return
          return gate.then(() => {
            ctx.domain.b = rec.n
          })
        },
      ),
    )
    engine.registerProcess(
      process({ outputs: ['domain.rec'] }, function replace(ctx) {
        ctx.domain.rec = { n: 2 }
      }),
    )
    engine.runProcess('derive')
    const p = engine.runProcess('derive', { wait: true }) as unknown as Promise<void>
    engine.runProcess('replace')
    release()
    await expect(p).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(engine.state.value.domain).toEqual({ rec: { n: 2 }, b: 0 })
  })
})
