/**
 * Undo, redo and patch replay buffer a primitive (or a remove) at a key of a plain object
 * straight into the admin run, without views; everything else goes through the admin view.
 * These pin the cases where the two must agree, and where the direct path must step aside.
 */
import { TheusEngine } from 'theus'
import { describe, expect, it } from 'vitest'

const initial = () => ({
  global: {},
  domain: {
    obj: { a: 1, b: 2, c: 3 } as Record<string, any>,
    deep: { x: { y: 1 } } as Record<string, any>,
    list: [1, 2] as number[],
    heavy_blob: { big: true } as Record<string, any>,
  },
})

describe('undo and redo of keyed changes', () => {
  it('a deleted key comes back last, as a plain object would put it; redo deletes it again', () => {
    const engine = new TheusEngine(initial())
    engine.edit((s) => {
      delete s.domain.obj.a
      s.domain.obj.d = 4
    })
    expect(Object.keys(engine.state.value.domain.obj)).toEqual(['b', 'c', 'd'])
    engine.undo()
    expect(engine.state.value.domain.obj).toEqual({ b: 2, c: 3, a: 1 })
    expect(Object.keys(engine.state.value.domain.obj)).toEqual(['b', 'c', 'a'])
    expect(Object.isFrozen(engine.state.value.domain.obj)).toBe(true)
    engine.redo()
    expect(Object.keys(engine.state.value.domain.obj)).toEqual(['b', 'c', 'd'])
    expect(engine.history.at(-1)!.patches).toEqual([
      { op: 'remove', path: ['domain', 'obj', 'a'] },
      { op: 'add', path: ['domain', 'obj', 'd'], value: 4 },
    ])
  })

  it('undo fires one commit with the inverse patches, moves select() and the versions', () => {
    const engine = new TheusEngine(initial())
    const b = engine.select('domain.obj.b')
    const seen: unknown[] = []
    engine.on('commit', (e) => seen.push([e.process, e.patches]))
    engine.edit((s) => {
      s.domain.obj.b = 20
    })
    const before = engine.state.value
    engine.undo()
    expect(b.value).toBe(2)
    expect(engine.state.value).not.toBe(before)
    expect(before.domain.obj.b).toBe(20)
    expect(seen.at(-1)).toEqual([
      'undo',
      [{ op: 'replace', path: ['domain', 'obj', 'b'], value: 2 }],
    ])
    expect(engine.runLog.at(-1)!.process).toBe('undo')
  })

  it('a patch under a container an earlier patch of the same commit replaced lands in the new one', async () => {
    const log = [
      {
        process: 'edit',
        args: undefined,
        patches: [
          { op: 'replace' as const, path: ['domain', 'deep', 'x'], value: { y: 5, z: 0 } },
          { op: 'replace' as const, path: ['domain', 'deep', 'x', 'y'], value: 7 },
          { op: 'remove' as const, path: ['domain', 'deep', 'x', 'z'] },
        ],
      },
    ]
    const copy = (await TheusEngine.replay(initial(), [], log)) as TheusEngine<any>
    expect(copy.state.value.domain.deep).toEqual({ x: { y: 7 } })
  })

  it('arrays, containers and heavy keys still go through the view', () => {
    const engine = new TheusEngine(initial())
    const blob = engine.state.value.domain.heavy_blob
    engine.edit((s) => {
      s.domain.list[1] = 9
      s.domain.deep.x = { y: 2 }
    })
    engine.undo()
    expect(engine.state.value.domain.list).toEqual([1, 2])
    expect(engine.state.value.domain.deep).toEqual({ x: { y: 1 } })
    engine.redo()
    expect(engine.state.value.domain.list).toEqual([1, 9])
    expect(engine.state.value.domain.deep.x).toEqual({ y: 2 })
    expect(engine.state.value.domain.heavy_blob).toBe(blob)
  })

  it('a patch whose parent is missing still fails with INVALID_ARGS (through the view)', async () => {
    const log = [
      {
        process: 'edit',
        args: undefined,
        patches: [{ op: 'replace' as const, path: ['domain', 'nope', 'k'], value: 1 }],
      },
    ]
    await expect(TheusEngine.replay(initial(), [], log)).rejects.toMatchObject({
      code: 'INVALID_ARGS',
    })
  })
})
