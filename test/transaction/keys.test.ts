import { process, TheusEngine } from 'theus'
import { describe, expect, it } from 'vitest'

describe('runProcess: keys that shadow Object.prototype', () => {
  it('writes, reads and patches keys named like inherited members as plain data', () => {
    const engine = new TheusEngine({ domain: { words: { hello: 1 } as Record<string, unknown> } })
    engine.registerProcess(
      process({ outputs: ['domain.words'] }, function addWords(ctx) {
        const w = ctx.domain.words
        // Own data only (SPEC §10.1): inherited members read as absent keys.
        const before = [w.constructor === undefined, 'toString' in w]
        w.toString = 2
        w.constructor = 3
        return [...before, w.toString, w.constructor]
      }),
    )
    const patches: unknown[] = []
    engine.on('commit', (e) => patches.push(...e.patches))
    expect(engine.runProcess('addWords')).toEqual([true, false, 2, 3])
    expect(patches).toEqual([
      { op: 'add', path: ['domain', 'words', 'toString'], value: 2 },
      { op: 'add', path: ['domain', 'words', 'constructor'], value: 3 },
    ])
    expect(Object.keys(engine.state.value.domain.words)).toEqual([
      'hello',
      'toString',
      'constructor',
    ])
    expect(engine.undo()).toBe(true)
    expect(engine.state.value.domain.words).toEqual({ hello: 1 })
  })
})
