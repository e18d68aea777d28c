/**
 * SPEC §9 "Remaining edges": the engine bullets (history entries, undo/redo results, the key
 * order of scanAndRegister, a null context), through public names only.
 */
import { process, TheusEngine, TheusError } from 'theus'
import { describe, expect, it } from 'vitest'

const inc = process({ inputs: ['domain.n'], outputs: ['domain.n'] }, function inc(ctx) {
  ctx.domain.n++
})

describe('SPEC §9 remaining edges (engine)', () => {
  it('history entries are { process, args, patches, inversePatches, at }', () => {
    const engine = new TheusEngine({ domain: { n: 0 } })
    engine.registerProcess(inc)
    engine.runProcess('inc', { why: 'test' })
    expect(engine.history).toHaveLength(1)
    const h = engine.history[0]!
    expect(Object.keys(h).sort()).toEqual(['args', 'at', 'inversePatches', 'patches', 'process'])
    expect(h.process).toBe('inc')
    expect(h.args).toEqual({ why: 'test' })
    expect(typeof h.at).toBe('number')
  })

  it('undo() and redo() return true when they did something, false otherwise', () => {
    const engine = new TheusEngine({ domain: { n: 0 } })
    engine.registerProcess(inc)
    expect(engine.undo()).toBe(false)
    expect(engine.redo()).toBe(false)
    engine.runProcess('inc')
    expect(engine.undo()).toBe(true)
    expect(engine.state.value.domain.n).toBe(0)
    expect(engine.undo()).toBe(false)
    expect(engine.redo()).toBe(true)
    expect(engine.state.value.domain.n).toBe(1)
    expect(engine.redo()).toBe(false)
  })

  it('scanAndRegister visits a module map in its key order', () => {
    const mk = (name: string) => process({ name }, () => undefined)
    const engine = new TheusEngine({ domain: {} })
    const names = engine.scanAndRegister({
      './z.ts': { z: mk('z') },
      './a.ts': { b: mk('b'), a: mk('a') },
      './m.ts': { m: mk('m') },
    })
    expect(names).toEqual(['z', 'b', 'a', 'm'])
  })

  it('scanAndRegister registers all or nothing, eager or lazy', async () => {
    const mk = (name: string, inputs: string[] = []) => process({ name, inputs }, () => undefined)
    const eager = new TheusEngine({ domain: {} })
    expect(() =>
      eager.scanAndRegister({
        './a.ts': { a: mk('a') },
        './b.ts': { b: mk('b', ['domain.nope']) },
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_CONTRACT' }))
    expect(eager.processNames).toEqual([])
    expect(eager.scanAndRegister({ './a.ts': { a: mk('a') } })).toEqual(['a'])
    const lazy = new TheusEngine({ domain: {} })
    const failed = lazy.scanAndRegister({
      './a.ts': async () => ({ a: mk('a') }),
      './b.ts': async () => ({ a: mk('a') }),
    })
    await expect(failed).rejects.toMatchObject({ code: 'DUPLICATE_PROCESS' })
    expect(lazy.processNames).toEqual([])
  })

  it("scanAndRegister after registerProcess, as SPEC §3's sample does, finds the same definition again without a DUPLICATE_PROCESS", async () => {
    const mk = (name: string) => process({ name }, () => undefined)
    const transfer = mk('transfer')
    const deposit = mk('deposit')
    const engine = new TheusEngine({ domain: {} })
    engine.registerProcess(transfer)
    const mods = { './processes/deposit.ts': { deposit }, './processes/transfer.ts': { transfer } }
    expect(engine.scanAndRegister(mods)).toEqual(['deposit', 'transfer'])
    expect(engine.processNames).toEqual(['transfer', 'deposit'])
    // Another definition under a registered name is still a duplicate, and a refused scan
    // leaves the earlier registration in place.
    const lazy = engine.scanAndRegister({
      './a.ts': async () => ({ transfer }),
      './b.ts': async () => ({ other: mk('deposit') }),
    })
    await expect(lazy).rejects.toMatchObject({ code: 'DUPLICATE_PROCESS' })
    expect(engine.processNames).toEqual(['transfer', 'deposit'])
  })

  it('a copy of a definition is no definition: scanAndRegister skips it, registerProcess refuses it', () => {
    const engine = new TheusEngine({ domain: { n: 0 } })
    const copy = { ...inc, name: 'copy' }
    const forged = { name: 'forged', contract: {}, fn() {}, [Symbol.for('theus.process')]: true }
    expect(engine.scanAndRegister({ './a.ts': { copy, forged, inc } })).toEqual(['inc'])
    for (const def of [copy, forged])
      expect(() => engine.registerProcess(def as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_CONTRACT' }),
      )
    expect(engine.processNames).toEqual(['inc'])
  })

  it('null as a context is INVALID_CONTEXT', () => {
    let err: unknown
    try {
      new TheusEngine(null as never)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(TheusError)
    expect((err as TheusError).code).toBe('INVALID_CONTEXT')
  })
})
