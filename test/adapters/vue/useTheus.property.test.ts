import fc from 'fast-check'
import { TheusEngine } from 'theus'
import { createTheusPlugin, useTheus } from 'theus/vue'
import { describe, expect, it } from 'vitest'
import { createApp, effectScope, type Ref } from 'vue'

/**
 * The tracked view is "an equal read-only view" of the snapshot (SPEC §7): after any sequence
 * of commits, every selector gives through the view what it gives on `engine.state.value`,
 * although it re-ran only when something it read changed.
 */
const selectors: Record<string, (s: any) => unknown> = {
  leaf: (s) => s.domain.rec.a,
  missing: (s) => s.domain.rec.zz,
  keys: (s) => Object.keys(s.domain.rec).join(','),
  sum: (s) => Object.values(s.domain.rec).reduce((x: number, y) => x + (y as number), 0),
  length: (s) => s.domain.list.length,
  element: (s) => s.domain.list[1]?.n,
  mapped: (s) => s.domain.list.map((e: { n: number }) => e.n).join(','),
  mapGet: (s) => s.domain.byId.get('x'),
  mapSize: (s) => s.domain.byId.size,
  entries: (s) => JSON.stringify([...s.domain.byId.entries()]),
  json: (s) => JSON.stringify(s.domain),
  has: (s) => 'b' in s.domain.rec,
  nested: (s) => s.domain.deep.inner.v,
}

const edit = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    key: fc.constantFrom('a', 'b', 'c'),
    v: fc.integer({ min: 0, max: 9 }),
  }),
  fc.record({ kind: fc.constant('del' as const), key: fc.constantFrom('a', 'b', 'c') }),
  fc.record({ kind: fc.constant('push' as const), v: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ kind: fc.constant('shift' as const) }),
  fc.record({ kind: fc.constant('elem' as const), v: fc.integer({ min: 0, max: 9 }) }),
  fc.record({
    kind: fc.constant('map' as const),
    key: fc.constantFrom('x', 'y'),
    v: fc.integer({ min: 0, max: 9 }),
  }),
  fc.record({ kind: fc.constant('mapdel' as const), key: fc.constantFrom('x', 'y') }),
  fc.record({ kind: fc.constant('deep' as const), v: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ kind: fc.constant('replace' as const) }),
  fc.record({ kind: fc.constant('fail' as const) }),
)

function apply(engine: TheusEngine<any>, e: any) {
  const run = (fn: (s: any) => void) => engine.edit(fn)
  switch (e.kind) {
    case 'set':
      return run((s) => {
        s.domain.rec[e.key] = e.v
      })
    case 'del':
      return run((s) => {
        delete s.domain.rec[e.key]
      })
    case 'push':
      return run((s) => {
        s.domain.list.push({ n: e.v })
      })
    case 'shift':
      return run((s) => {
        s.domain.list.shift()
      })
    case 'elem':
      return run((s) => {
        if (s.domain.list.length > 1) s.domain.list[1].n = e.v
      })
    case 'map':
      return run((s) => {
        s.domain.byId.set(e.key, e.v)
      })
    case 'mapdel':
      return run((s) => {
        s.domain.byId.delete(e.key)
      })
    case 'deep':
      return run((s) => {
        s.domain.deep.inner.v = e.v
      })
    case 'replace':
      return run((s) => {
        s.domain.deep = { inner: { v: -1 } }
      })
    default:
      try {
        run((s) => {
          s.domain.rec.a = 99
          throw new Error('rolled back')
        })
      } catch {}
  }
}

describe('useTheus(selector) over the tracked view', () => {
  it('always equals the selector applied to the snapshot, whatever the commits', () => {
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 25 }), (edits) => {
        const engine = new TheusEngine({
          domain: {
            rec: { a: 1, b: 2 } as Record<string, number>,
            list: [{ n: 1 }, { n: 2 }],
            byId: new Map<string, number>([['x', 1]]),
            deep: { inner: { v: 0 } },
          },
        })
        const app = createApp({}).use(createTheusPlugin(engine))
        const scope = effectScope()
        const refs = app.runWithContext(() =>
          scope.run(() =>
            Object.fromEntries(
              Object.entries(selectors).map(([k, sel]) => [k, useTheus(sel) as Ref<unknown>]),
            ),
          ),
        )!
        const check = () => {
          for (const [k, sel] of Object.entries(selectors))
            expect(refs[k]!.value, k).toEqual(sel(engine.state.value))
        }
        check()
        for (const e of edits) {
          apply(engine, e)
          check()
        }
        scope.stop()
      }),
      { numRuns: 150 },
    )
  })
})
