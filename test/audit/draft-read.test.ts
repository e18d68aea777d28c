/**
 * The output gate reads the run's draft along each rule's path. Each rule keeps the containers
 * along its path from one run to the next and re-checks them in place; these tests make the
 * draft change under a kept path in every way a run or an admin commit can (a buffered write,
 * a removed key, a container replaced whole, array elements moved, Map entries) and check that
 * the gate still sees exactly what the run commits.
 */
import fc from 'fast-check'
import { type AuditLogEntry, process, TheusEngine } from 'theus'
import { describe, expect, it } from 'vitest'

const initial = () => ({
  domain: {
    accounts: { a: 1, b: 2 } as Record<string, number>,
    list: [10, 20, 30],
    items: [{ qty: 1 }, { qty: 2 }, { qty: 3 }],
    m: new Map<string, number>([['k', 1]]),
    other: 0,
  },
})

type Op =
  | { op: 'set'; key: 'a' | 'b'; v: number }
  | { op: 'del'; key: 'a' | 'b' }
  | { op: 'replaceAccounts'; v: number }
  | { op: 'listSet'; v: number }
  | { op: 'listShift' }
  | { op: 'listUnshift'; v: number }
  | { op: 'itemsReverse' }
  | { op: 'itemsReplace'; v: number }
  | { op: 'qty'; v: number }
  | { op: 'mapSet'; v: number }
  | { op: 'mapDel' }
  | { op: 'other' }

/** One process that does any of the writes above, chosen by its args. */
const apply = process({ inputs: ['domain'], outputs: ['domain'] }, function apply(ctx, o: Op) {
  const d = ctx.domain
  switch (o.op) {
    case 'set':
      d.accounts[o.key] = o.v
      break
    case 'del':
      delete d.accounts[o.key]
      break
    case 'replaceAccounts':
      d.accounts = { a: o.v, b: o.v + 1 }
      break
    case 'listSet':
      d.list[1] = o.v
      break
    case 'listShift':
      d.list.shift()
      break
    case 'listUnshift':
      d.list.unshift(o.v)
      break
    case 'itemsReverse':
      d.items.reverse()
      break
    case 'itemsReplace':
      d.items = [{ qty: o.v }, { qty: o.v + 1 }]
      break
    case 'qty':
      if (d.items[0]) d.items[0].qty = o.v
      break
    case 'mapSet':
      d.m.set('k', o.v)
      break
    case 'mapDel':
      d.m.delete('k')
      break
    case 'other':
      d.other++
      break
  }
})

// `eq` a value no path holds: every run violates every rule, so each finding shows the value
// the gate read. Level C only warns, so every run commits.
const NEVER = '\u0000never'
const FIELDS = [
  'domain.accounts.a',
  'domain.accounts.b',
  'domain.list.1',
  'domain.items.0.qty',
  'domain.items.1',
  'domain.m.k',
  'domain.accounts',
]

function engineWithRules() {
  const engine = new TheusEngine(initial(), {
    auditRecipe: {
      process_recipes: {
        apply: { outputs: FIELDS.map((field) => ({ field, eq: NEVER, level: 'C' as const })) },
      },
    },
  })
  engine.registerProcess(apply)
  const events: AuditLogEntry[] = []
  engine.on('audit', (e) => events.push(e))
  return { engine, events }
}

/** The committed value at a dotted path, read off the public snapshot. */
function committed(engine: TheusEngine<any>, field: string): unknown {
  let v: any = engine.state.value
  for (const seg of field.split('.')) {
    if (v === null || typeof v !== 'object') return undefined
    v = v instanceof Map ? v.get(seg) : Object.hasOwn(v, seg) ? v[seg] : undefined
  }
  return v
}

/** Runs one op and checks that the gate read, for every rule, what the run then committed. */
function runAndCheck(engine: TheusEngine<any>, events: AuditLogEntry[], o: Op): void {
  events.length = 0
  engine.runProcess('apply', o)
  expect(events.map((e) => e.field)).toEqual(FIELDS)
  for (const e of events)
    expect(e.value, `${e.field} after ${o.op}`).toEqual(committed(engine, e.field))
}

describe('output gate draft reads', () => {
  it('sees a buffered write on a path it read before', () => {
    const { engine, events } = engineWithRules()
    runAndCheck(engine, events, { op: 'other' })
    runAndCheck(engine, events, { op: 'set', key: 'a', v: 7 })
    expect(events[0]).toMatchObject({ field: 'domain.accounts.a', value: 7 })
    runAndCheck(engine, events, { op: 'other' })
    expect(events[0]).toMatchObject({ field: 'domain.accounts.a', value: 7 })
  })

  it('reads a key the run removed as missing', () => {
    const { engine, events } = engineWithRules()
    runAndCheck(engine, events, { op: 'other' })
    runAndCheck(engine, events, { op: 'del', key: 'a' })
    expect(events[0]).toMatchObject({ field: 'domain.accounts.a', value: undefined })
    runAndCheck(engine, events, { op: 'other' })
    expect(events[0]!.value).toBeUndefined()
  })

  it('follows a container the run replaced whole, and the committed replacement after it', () => {
    const { engine, events } = engineWithRules()
    runAndCheck(engine, events, { op: 'set', key: 'a', v: 5 })
    runAndCheck(engine, events, { op: 'replaceAccounts', v: 40 })
    expect(events[0]).toMatchObject({ field: 'domain.accounts.a', value: 40 })
    runAndCheck(engine, events, { op: 'other' })
    expect(events[0]).toMatchObject({ field: 'domain.accounts.a', value: 40 })
    runAndCheck(engine, events, { op: 'set', key: 'a', v: 41 })
    expect(events[0]).toMatchObject({ field: 'domain.accounts.a', value: 41 })
  })

  it('sees a container replaced by an admin commit between runs', () => {
    const { engine, events } = engineWithRules()
    runAndCheck(engine, events, { op: 'other' })
    engine.edit((s) => {
      s.domain.accounts = { a: 99, b: 98 }
      s.domain.items = [{ qty: 50 }]
    })
    runAndCheck(engine, events, { op: 'other' })
    expect(events[0]).toMatchObject({ field: 'domain.accounts.a', value: 99 })
    expect(events[3]).toMatchObject({ field: 'domain.items.0.qty', value: 50 })
    expect(events[4]).toMatchObject({ field: 'domain.items.1', value: undefined })
  })

  it('reads array elements by index as they move, and within a copied array', () => {
    const { engine, events } = engineWithRules()
    runAndCheck(engine, events, { op: 'other' })
    runAndCheck(engine, events, { op: 'itemsReverse' })
    expect(events[3]).toMatchObject({ field: 'domain.items.0.qty', value: 3 })
    expect(events[4]).toMatchObject({ field: 'domain.items.1', value: { qty: 2 } })
    runAndCheck(engine, events, { op: 'qty', v: 8 })
    expect(events[3]).toMatchObject({ field: 'domain.items.0.qty', value: 8 })
    runAndCheck(engine, events, { op: 'listShift' })
    expect(events[2]).toMatchObject({ field: 'domain.list.1', value: 30 })
    runAndCheck(engine, events, { op: 'other' })
    expect(events[2]).toMatchObject({ field: 'domain.list.1', value: 30 })
  })

  it('reads Map entries, set and deleted', () => {
    const { engine, events } = engineWithRules()
    runAndCheck(engine, events, { op: 'other' })
    runAndCheck(engine, events, { op: 'mapSet', v: 3 })
    expect(events[5]).toMatchObject({ field: 'domain.m.k', value: 3 })
    runAndCheck(engine, events, { op: 'mapDel' })
    expect(events[5]!.value).toBeUndefined()
  })

  it('reads a field of a heavy object by reference, not a write of its parent under that name', () => {
    class Point {
      constructor(public x: number) {}
    }
    const engine = new TheusEngine(
      { domain: { heavy_pt: new Point(1), x: 5 } },
      {
        auditRecipe: {
          process_recipes: {
            bump: { outputs: [{ field: 'domain.heavy_pt.x', eq: NEVER, level: 'C' }] },
          },
        },
      },
    )
    engine.registerProcess(
      process({ inputs: ['domain'], outputs: ['domain'] }, function bump(ctx) {
        ctx.domain.x = 9
      }),
    )
    const seen: unknown[] = []
    engine.on('audit', (e) => seen.push(e.value))
    engine.runProcess('bump', {})
    engine.runProcess('bump', {})
    expect(seen).toEqual([1, 1])
  })

  it('follows a kept container under a Map key named like a Map method, and under an own `constructor` key', () => {
    // The kept path is re-checked with a plain load of the key: a Map's entries and a deleted
    // own key (which uncovers the inherited `constructor`) must still read as getKey reads them.
    const engine = new TheusEngine(
      {
        domain: {
          m: new Map<string, { v: number }>([['get', { v: 1 }]]),
          o: { constructor: { v: 2 } } as Record<string, { v: number } | undefined>,
        },
      },
      {
        auditRecipe: {
          process_recipes: {
            step: {
              outputs: [
                { field: 'domain.m.get.v', eq: NEVER, level: 'C' },
                { field: 'domain.o.constructor.v', eq: NEVER, level: 'C' },
              ],
            },
          },
        },
      },
    )
    engine.registerProcess(
      process({ inputs: ['domain'], outputs: ['domain'] }, function step(ctx, a: { n: number }) {
        const d = ctx.domain
        if (a.n === 1) d.m.get('get')!.v = 10
        if (a.n === 2) d.m.set('get', { v: 20 })
        if (a.n === 3) d.o['constructor'] = { v: 30 }
        if (a.n === 4) delete d.o['constructor']
      }),
    )
    const seen: unknown[] = []
    engine.on('audit', (e) => seen.push(e.value))
    for (const n of [0, 0, 1, 0, 2, 0, 3, 0, 4, 0]) engine.runProcess('step', { n })
    expect(seen).toEqual([
      1,
      2,
      1,
      2,
      10,
      2,
      10,
      2,
      20,
      2,
      20,
      2,
      20,
      30,
      20,
      30,
      20,
      undefined,
      20,
      undefined,
    ])
  })

  it('reads own data only under a Date, a Set or a heavy object, as the input gate does', () => {
    // §10.1: a key the container does not hold as its own data is missing, never an inherited
    // member (`getTime`, a Set's `size`, a typed array's `constructor`), at either gate; and a
    // path goes on through a heavy object to its end (it once stopped one key in).
    const fields = [
      'domain.d.getTime',
      'domain.st.size',
      'domain.heavy_t.constructor',
      'domain.heavy_o.a.b',
    ]
    const gates = { inputs: [] as object[], outputs: [] as object[] }
    for (const field of fields) {
      gates.inputs.push({ field, eq: NEVER })
      gates.outputs.push({ field, eq: NEVER })
    }
    const engine = new TheusEngine(
      {
        domain: {
          d: new Date(0),
          st: new Set([1, 2]),
          heavy_t: new Float64Array(2),
          heavy_o: new (class Holder {
            a = { b: 7 }
          })(),
          x: 0,
        },
      },
      { auditRecipe: { process_recipes: { step: gates } } },
    )
    engine.registerProcess(
      process({ inputs: [], outputs: ['domain.x'] }, function step(ctx) {
        ctx.domain.x = 1
      }),
    )
    engine.runProcess('step', {})
    const read = (gate: string) =>
      engine.auditLog.filter((e) => e.gate === gate).map((e) => e.value)
    expect(read('input')).toEqual([undefined, undefined, undefined, 7])
    expect(read('output')).toEqual(read('input'))
  })

  it('keeps its verdicts: a passing rule stays silent run after run, a failing one reports each run', () => {
    const engine = new TheusEngine(initial(), {
      auditRecipe: {
        process_recipes: {
          apply: { outputs: [{ field: 'domain.accounts.a', min: 0, level: 'C' }] },
        },
      },
    })
    engine.registerProcess(apply)
    const seen: unknown[] = []
    engine.on('audit', (e) => seen.push(e.value))
    for (let i = 0; i < 3; i++) engine.runProcess('apply', { op: 'set', key: 'a', v: i })
    engine.runProcess('apply', { op: 'other' })
    expect(seen).toEqual([])
    engine.runProcess('apply', { op: 'set', key: 'a', v: -1 })
    engine.runProcess('apply', { op: 'other' })
    engine.runProcess('apply', { op: 'del', key: 'a' })
    engine.runProcess('apply', { op: 'replaceAccounts', v: -3 })
    engine.edit((s) => {
      s.domain.accounts = { a: 4 }
    })
    engine.runProcess('apply', { op: 'other' })
    expect(seen).toEqual([-1, -1, undefined, -3])
  })

  it('reads what the run commits, whatever the sequence of writes, edits and undos (fast-check)', () => {
    const v = fc.integer({ min: -5, max: 5 })
    const key = fc.constantFrom('a' as const, 'b' as const)
    const op: fc.Arbitrary<Op | { op: 'edit'; v: number } | { op: 'undo' }> = fc.oneof(
      fc.record({ op: fc.constant('set' as const), key, v }),
      fc.record({ op: fc.constant('del' as const), key }),
      fc.record({ op: fc.constant('replaceAccounts' as const), v }),
      fc.record({ op: fc.constant('listSet' as const), v }),
      fc.record({ op: fc.constant('listShift' as const) }),
      fc.record({ op: fc.constant('listUnshift' as const), v }),
      fc.record({ op: fc.constant('itemsReverse' as const) }),
      fc.record({ op: fc.constant('itemsReplace' as const), v }),
      fc.record({ op: fc.constant('qty' as const), v }),
      fc.record({ op: fc.constant('mapSet' as const), v }),
      fc.record({ op: fc.constant('mapDel' as const) }),
      fc.record({ op: fc.constant('other' as const) }),
      fc.record({ op: fc.constant('edit' as const), v }),
      fc.record({ op: fc.constant('undo' as const) }),
    )
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 25 }), (ops) => {
        const { engine, events } = engineWithRules()
        for (const o of ops) {
          if (o.op === 'edit')
            engine.edit((s) => {
              s.domain.accounts = { a: o.v }
              s.domain.items = [{ qty: o.v }, { qty: o.v }]
            })
          else if (o.op === 'undo') engine.undo()
          else runAndCheck(engine, events, o)
        }
        runAndCheck(engine, events, { op: 'other' })
      }),
      { numRuns: 150 },
    )
  })
})
