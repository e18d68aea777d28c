import fc from 'fast-check'
import { process, TheusEngine } from 'theus'
import { describe, expect, it } from 'vitest'

type Model = {
  rec: Record<string, any>
  arr: number[]
  rows: { id: number }[]
  m: Map<string, any>
  s: Set<number>
  nested: { a: { b: number } }
}

const key = fc.constantFrom('a', 'b', 'c', 'd')
const num = fc.integer({ min: -5, max: 20 })

/** One operation, applied the same way to a guarded view and to a plain model. */
type Op = { label: string; apply: (d: Model) => void }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc
    .tuple(key, num)
    .map(([k, v]) => ({ label: `rec.${k}=${v}`, apply: (d: Model) => void (d.rec[k] = v) })),
  fc.tuple(key, num).map(([k, v]) => ({
    label: `rec.${k}={v:${v}}`,
    apply: (d: Model) => void (d.rec[k] = { v, list: [v] }),
  })),
  fc.tuple(key, num).map(([k, v]) => ({
    label: `rec.${k}.v=${v}`,
    apply: (d: Model) => {
      const cur = d.rec[k]
      if (typeof cur === 'object' && cur !== null) {
        cur.v = v
        cur.list.push(v)
      }
    },
  })),
  key.map((k) => ({ label: `delete rec.${k}`, apply: (d: Model) => void delete d.rec[k] })),
  num.map((v) => ({ label: `arr.push(${v})`, apply: (d: Model) => void d.arr.push(v) })),
  fc.constant({ label: 'arr.pop()', apply: (d: Model) => void d.arr.pop() }),
  fc.constant({ label: 'arr.shift()', apply: (d: Model) => void d.arr.shift() }),
  num.map((v) => ({ label: `arr.unshift(${v})`, apply: (d: Model) => void d.arr.unshift(v) })),
  fc.tuple(fc.nat(6), fc.nat(3), fc.array(num, { maxLength: 3 })).map(([s, n, items]) => ({
    label: `arr.splice(${s},${n},${items})`,
    apply: (d: Model) => void d.arr.splice(s, n, ...items),
  })),
  fc.constant({ label: 'arr.sort()', apply: (d: Model) => void d.arr.sort((x, y) => x - y) }),
  fc.constant({ label: 'arr.reverse()', apply: (d: Model) => void d.arr.reverse() }),
  fc.tuple(fc.nat(10), num).map(([i, v]) => ({
    label: `arr[${i}]=${v}`,
    apply: (d: Model) => {
      if (d.arr.length > 0) d.arr[i % d.arr.length] = v
    },
  })),
  fc.nat(10).map((n) => ({
    label: `arr.length=${n}`,
    apply: (d: Model) => {
      d.arr.length = Math.min(n, d.arr.length)
    },
  })),
  num.map((v) => ({ label: `rows.push(${v})`, apply: (d: Model) => void d.rows.push({ id: v }) })),
  fc.tuple(fc.nat(5), num).map(([i, v]) => ({
    label: `rows[${i}].id=${v}`,
    apply: (d: Model) => {
      const r = d.rows[i % Math.max(1, d.rows.length)]
      if (r) r.id = v
    },
  })),
  fc.constant({ label: 'rows.reverse()', apply: (d: Model) => void d.rows.reverse() }),
  fc.constant({
    label: 'rows.sort()',
    apply: (d: Model) => void d.rows.sort((x, y) => x.id - y.id),
  }),
  fc
    .tuple(key, num)
    .map(([k, v]) => ({ label: `m.set(${k},${v})`, apply: (d: Model) => void d.m.set(k, v) })),
  fc.tuple(key, num).map(([k, v]) => ({
    label: `m.set(${k},{v:${v}})`,
    apply: (d: Model) => void d.m.set(k, { v }),
  })),
  fc.tuple(key, num).map(([k, v]) => ({
    label: `m.get(${k}).v=${v}`,
    apply: (d: Model) => {
      const cur = d.m.get(k)
      if (typeof cur === 'object' && cur !== null) cur.v = v
    },
  })),
  key.map((k) => ({ label: `m.delete(${k})`, apply: (d: Model) => void d.m.delete(k) })),
  fc.constant({ label: 'm.clear()', apply: (d: Model) => void d.m.clear() }),
  num.map((v) => ({ label: `s.add(${v})`, apply: (d: Model) => void d.s.add(v) })),
  num.map((v) => ({ label: `s.delete(${v})`, apply: (d: Model) => void d.s.delete(v) })),
  num.map((v) => ({ label: `nested.a.b=${v}`, apply: (d: Model) => void (d.nested.a.b = v) })),
  num.map((v) => ({
    label: `nested.a={b:${v}}`,
    apply: (d: Model) => void (d.nested.a = { b: v }),
  })),
)

const runArb = fc.record({ ops: fc.array(op, { minLength: 0, maxLength: 8 }), fail: fc.boolean() })

const initialModel = (): Model => ({
  rec: { a: 1, b: { v: 2, list: [2] } },
  arr: [3, 1, 2],
  rows: [{ id: 1 }, { id: 2 }],
  m: new Map<string, any>([
    ['a', 1],
    ['b', { v: 2 }],
  ]),
  s: new Set([1, 2]),
  nested: { a: { b: 1 } },
})

/**
 * A plain, comparable form (Map and Set as sorted entries, so snapshot classes and Map order do
 * not matter; Map insertion order has its own test in test/engine/signals.test.ts).
 */
function plain(d: any): unknown {
  return {
    rec: d.rec,
    arr: [...d.arr],
    rows: d.rows.map((r: any) => ({ ...r })),
    m: [...d.m.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
    s: [...d.s].sort((x: number, y: number) => x - y),
    nested: d.nested,
  }
}

class Planned extends Error {
  override name = 'Planned'
}

describe('transactions (property)', () => {
  it('a failed run leaves the state === the state before; a successful one matches a plain model', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(runArb, { minLength: 1, maxLength: 12 }),
        (strictMode, runs) => {
          const engine = new TheusEngine({ domain: initialModel() }, { strictMode })
          engine.registerProcess(
            process(
              {
                outputs: [
                  'domain.rec',
                  'domain.arr',
                  'domain.rows',
                  'domain.m',
                  'domain.s',
                  'domain.nested',
                ],
                errors: ['Planned'],
              },
              function mutate(ctx, args: { ops: Op[]; fail: boolean }) {
                for (const o of args.ops) o.apply(ctx.domain)
                if (args.fail) throw new Planned('planned failure')
                return args.ops.length
              },
            ),
          )
          let model = initialModel()
          for (const run of runs) {
            const before = engine.state.value
            if (run.fail) {
              expect(() => engine.runProcess('mutate', run)).toThrow(Planned)
              expect(engine.state.value).toBe(before)
              expect(plain(engine.state.value.domain)).toEqual(plain(model))
            } else {
              const next = structuredClone(model)
              for (const o of run.ops) o.apply(next)
              expect(engine.runProcess('mutate', run)).toBe(run.ops.length)
              model = next
              expect(plain(engine.state.value.domain)).toEqual(plain(model))
            }
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('reads inside a run always see the run’s own writes, like the plain model', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 10 }), (ops) => {
        const engine = new TheusEngine({ domain: initialModel() })
        engine.registerProcess(
          process(
            {
              outputs: [
                'domain.rec',
                'domain.arr',
                'domain.rows',
                'domain.m',
                'domain.s',
                'domain.nested',
              ],
            },
            function mirror(ctx) {
              const model = initialModel()
              for (const o of ops) {
                o.apply(ctx.domain)
                o.apply(model)
                expect(plain(ctx.domain)).toEqual(plain(model))
              }
            },
          ),
        )
        engine.runProcess('mirror')
      }),
      { numRuns: 150 },
    )
  })
})
