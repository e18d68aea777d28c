/**
 * Transactions under faults (issue 11): random sequences of sync and async runs, edits,
 * undo and redo, with random throws (declared and undeclared), swallowed violations, aborts,
 * schema rejections and concurrent async pairs, compared step by step with a plain reference
 * model. A failed step must leave the snapshot `===` the one before; every step must leave
 * the state equal to the model's; at the end, `replay(runLogBase, processes, runLog)` must
 * rebuild the live state. The number of engine operations is printed (and asserted).
 */
import fc from 'fast-check'
import { process, TheusEngine, type TheusError } from 'theus'
import { describe, expect, it } from 'vitest'

class ValueError extends Error {
  override name = 'ValueError'
}

type Key = 'k0' | 'k1' | 'k2' | 'bad'
type Op =
  | { t: 'set'; k: Key; v: number }
  | { t: 'del'; k: Key }
  | { t: 'push'; v: number }
  | { t: 'pop' }
  | { t: 'mset'; k: Key; v: number }
  | { t: 'mdel'; k: Key }
type Fault =
  | { kind: 'none' }
  | { kind: 'throw'; at: number; declared: boolean }
  | { kind: 'illegal' }
  | { kind: 'abort' }

interface Model {
  r: Record<string, number>
  arr: number[]
  mp: Map<string, number>
}

const clone = (m: Model): Model => ({ r: { ...m.r }, arr: [...m.arr], mp: new Map(m.mp) })

function applyOps(m: Model, ops: readonly Op[]): Model {
  const out = clone(m)
  for (const op of ops) {
    if (op.t === 'set') out.r[op.k] = op.v
    else if (op.t === 'del') delete out.r[op.k]
    else if (op.t === 'push') out.arr.push(op.v)
    else if (op.t === 'pop') out.arr.pop()
    else if (op.t === 'mset') out.mp.set(op.k, op.v)
    else out.mp.delete(op.k)
  }
  return out
}

/**
 * The keys a run buffers (what its commit writes and what its conflict check looks at): a
 * key present when the run began and touched at all, or absent then and set last.
 */
function buffered(
  start: Model,
  ops: readonly Op[],
): { rec: Set<string>; map: Set<string>; arr: boolean } {
  const lastRec = new Map<string, 'set' | 'del'>()
  const lastMap = new Map<string, 'set' | 'del'>()
  let arr = false
  for (const op of ops) {
    if (op.t === 'set' || op.t === 'del') lastRec.set(op.k, op.t)
    else if (op.t === 'mset') lastMap.set(op.k, 'set')
    else if (op.t === 'mdel') lastMap.set(op.k, 'del')
    else arr = true
  }
  const rec = new Set<string>()
  for (const [k, last] of lastRec) if (Object.hasOwn(start.r, k) || last === 'set') rec.add(k)
  const map = new Set<string>()
  for (const [k, last] of lastMap) if (start.mp.has(k) || last === 'set') map.add(k)
  return { rec, map, arr }
}
/** The record keys a run deleted while they were absent from its view: reads of the key. */
function deletedAbsent(start: Model, ops: readonly Op[]): Set<string> {
  const present = new Set(Object.keys(start.r))
  const out = new Set<string>()
  for (const op of ops) {
    if (op.t === 'set') present.add(op.k)
    else if (op.t === 'del') {
      if (!present.has(op.k)) out.add(op.k)
      present.delete(op.k)
    }
  }
  return out
}
const wrote = (start: Model, ops: readonly Op[]) => {
  const b = buffered(start, ops)
  return b.arr || b.rec.size > 0 || b.map.size > 0
}
const schemaOk = (m: Model) => m.r.bad === undefined

function applyToView(d: any, op: Op): void {
  if (op.t === 'set') d.r[op.k] = op.v
  else if (op.t === 'del') delete d.r[op.k]
  else if (op.t === 'push') d.arr.push(op.v)
  else if (op.t === 'pop') d.arr.pop()
  else if (op.t === 'mset') d.mp.set(op.k, op.v)
  else d.mp.delete(op.k)
}

interface Plan {
  ops: Op[]
  fault: Fault
}

const contract = {
  outputs: ['domain.r', 'domain.arr', 'domain.mp'],
  errors: ['ValueError'],
}
function runBody(ctx: any, plan: Plan): void | Promise<void> {
  const step = (i: number) => {
    if (plan.fault.kind === 'throw' && plan.fault.at === i)
      throw plan.fault.declared ? new ValueError('declared') : new Error('undeclared')
  }
  for (let i = 0; i < plan.ops.length; i++) {
    step(i)
    applyToView(ctx.domain, plan.ops[i]!)
  }
  step(plan.ops.length)
  if (plan.fault.kind === 'illegal')
    try {
      ctx.domain.other = 1
    } catch {}
}
const syncApply = process(contract, function syncApply(ctx, plan: Plan) {
  runBody(ctx, plan)
})
const asyncApply = process(contract, async function asyncApply(ctx, plan: Plan) {
  const step = (i: number) => {
    if (plan.fault.kind === 'throw' && plan.fault.at === i)
      throw plan.fault.declared ? new ValueError('declared') : new Error('undeclared')
  }
  for (let i = 0; i < plan.ops.length; i++) {
    await Promise.resolve()
    step(i)
    applyToView(ctx.domain, plan.ops[i]!)
  }
  await Promise.resolve()
  step(plan.ops.length)
  if (plan.fault.kind === 'illegal')
    try {
      ctx.domain.other = 1
    } catch {}
})
const gated = process(contract, async function gated(ctx, plan: Plan & { gate: number }) {
  await gates.get(plan.gate)
  runBody(ctx, plan)
})
const gates = new Map<number, Promise<void>>()

const keyArb = fc.constantFrom<Key>('k0', 'k1', 'k2', 'k0', 'k1', 'bad')
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('set' as const),
      k: keyArb,
      v: fc.integer({ min: 0, max: 9 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('del' as const), k: keyArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('push' as const), v: fc.integer({ min: 0, max: 9 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'pop' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('mset' as const),
      k: keyArb,
      v: fc.integer({ min: 0, max: 9 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('mdel' as const), k: keyArb }) },
)
const recOpArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('set' as const), k: keyArb, v: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ t: fc.constant('del' as const), k: keyArb }),
)
const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('throw' as const),
      at: fc.integer({ min: 0, max: 4 }),
      declared: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'illegal' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'abort' as const }) },
)
const planArb = (ops: fc.Arbitrary<Op>) =>
  fc.record({ ops: fc.array(ops, { maxLength: 4 }), fault: faultArb })

type Step =
  | { s: 'run'; async: boolean; plan: Plan }
  | { s: 'edit'; plan: Plan }
  | { s: 'undo' }
  | { s: 'redo' }
  | { s: 'pair'; a: Plan; b: Plan }
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      s: fc.constant('run' as const),
      async: fc.boolean(),
      plan: planArb(opArb),
    }),
  },
  { weight: 2, arbitrary: fc.record({ s: fc.constant('edit' as const), plan: planArb(opArb) }) },
  { weight: 2, arbitrary: fc.constant({ s: 'undo' as const }) },
  { weight: 1, arbitrary: fc.constant({ s: 'redo' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      s: fc.constant('pair' as const),
      a: planArb(recOpArb),
      b: planArb(recOpArb),
    }),
  },
)

let operations = 0
let gateSeq = 0

/** Whether a plan's own fault fails the run (abort only applies to async runs). */
function faultFails(plan: Plan, async: boolean): boolean {
  const f = plan.fault
  if (f.kind === 'throw') return f.at <= plan.ops.length
  if (f.kind === 'illegal') return true
  return f.kind === 'abort' && async
}

async function check(steps: Step[], runLogLimit: number): Promise<void> {
  const engine = new TheusEngine(
    {
      domain: {
        r: { k0: 0 } as Record<string, number>,
        arr: [] as number[],
        mp: new Map<string, number>(),
        other: 0,
      },
    },
    {
      runLogLimit,
      schema: {
        '~standard': {
          version: 1,
          vendor: 'test',
          validate: (v: any) =>
            v.domain.r.bad === undefined
              ? { value: v }
              : { issues: [{ message: 'no bad', path: ['domain', 'r', 'bad'] }] },
        },
      },
    },
  )
  engine.registerProcess(syncApply)
  engine.registerProcess(asyncApply)
  engine.registerProcess(gated)
  let model: Model = { r: { k0: 0 }, arr: [], mp: new Map() }
  const past: Model[] = []
  let future: Model[] = []
  const commitRun = (next: Model, before: Model, ops: readonly Op[]) => {
    if (wrote(before, ops)) {
      past.push(before)
      future = []
    }
    model = next
  }
  const same = (label: string) => {
    const d = engine.toDict().domain as any
    expect({ r: d.r, arr: d.arr, mp: d.mp }, label).toEqual(model)
  }
  for (const [i, step] of steps.entries()) {
    const label = `step ${i}: ${JSON.stringify(step)}`
    const before = engine.state.value
    operations++
    if (step.s === 'run' || step.s === 'edit') {
      const async = step.s === 'run' && step.async
      // An edit has no contract (nothing is illegal) and no abort signal.
      const plan: Plan =
        step.s === 'edit' &&
        (step.plan.fault.kind === 'illegal' || step.plan.fault.kind === 'abort')
          ? { ops: step.plan.ops, fault: { kind: 'none' } }
          : step.plan
      const next = applyOps(model, plan.ops)
      const fails = faultFails(plan, async) || !schemaOk(next)
      let failed = false
      try {
        if (step.s === 'edit') engine.edit((s: any) => runBody({ domain: s.domain }, plan))
        else if (async) {
          const ctl = new AbortController()
          const p = engine.runProcess('asyncApply', plan as any, {
            signal: ctl.signal,
          }) as Promise<unknown>
          if (plan.fault.kind === 'abort') ctl.abort('test')
          await p
        } else engine.runProcess('syncApply', plan as any)
      } catch (e) {
        failed = true
        if (
          plan.fault.kind === 'throw' &&
          plan.fault.declared &&
          step.s === 'run' &&
          faultFails(plan, async)
        )
          expect(e, label).toBeInstanceOf(ValueError)
        else if (step.s === 'run') expect((e as TheusError).code, label).toBeTypeOf('string')
      }
      expect(failed, label).toBe(fails)
      if (fails) expect(engine.state.value, label).toBe(before)
      else commitRun(next, model, plan.ops)
    } else if (step.s === 'undo') {
      const did = engine.undo()
      expect(did, label).toBe(past.length > 0)
      if (did) {
        future.push(model)
        model = past.pop()!
      }
    } else if (step.s === 'redo') {
      const did = engine.redo()
      expect(did, label).toBe(future.length > 0)
      if (did) {
        past.push(model)
        model = future.pop()!
      }
    } else {
      // Two async runs in flight: A settles first; B conflicts iff it buffered a key A wrote.
      const ga = ++gateSeq
      const gb = ++gateSeq
      let openA!: () => void
      let openB!: () => void
      gates.set(ga, new Promise<void>((r) => (openA = r)))
      gates.set(gb, new Promise<void>((r) => (openB = r)))
      const a =
        step.a.fault.kind === 'abort' ? { ...step.a, fault: { kind: 'none' as const } } : step.a
      const b =
        step.b.fault.kind === 'abort' ? { ...step.b, fault: { kind: 'none' as const } } : step.b
      const start = model
      const pa = (engine.runProcess('gated', { ...a, gate: ga } as any) as Promise<unknown>).then(
        () => true,
        () => false,
      )
      const pb = (engine.runProcess('gated', { ...b, gate: gb } as any) as Promise<unknown>).then(
        () => true,
        (e) => (e as TheusError).code ?? false,
      )
      openA()
      const okA = await pa
      const nextA = applyOps(start, a.ops)
      const expectA = !faultFails(a, true) && schemaOk(nextA)
      expect(okA, `${label} (A)`).toBe(expectA)
      if (expectA) commitRun(nextA, start, a.ops)
      openB()
      const okB = await pb
      const aWrote = expectA ? buffered(start, a.ops).rec : new Set<string>()
      // B's body runs once its gate opens, after A's commit: it buffers against that state,
      // and a key it deleted while absent is a read of that key (it saw A's change).
      const bKeys = [...buffered(model, b.ops).rec, ...deletedAbsent(model, b.ops)]
      const conflict = bKeys.some((k) => aWrote.has(k))
      const nextB = applyOps(model, b.ops)
      if (faultFails(b, true)) expect(okB, `${label} (B)`).not.toBe(true)
      else if (conflict) expect(okB, `${label} (B)`).toBe('CONFLICT')
      else if (!schemaOk(nextB)) expect(okB, `${label} (B)`).toBe('SCHEMA_VIOLATION')
      else {
        expect(okB, `${label} (B)`).toBe(true)
        commitRun(nextB, model, b.ops)
      }
      gates.delete(ga)
      gates.delete(gb)
    }
    same(label)
  }
  const copy = await TheusEngine.replay(
    engine.runLogBase,
    [syncApply, asyncApply, gated],
    engine.runLog,
  )
  expect(copy.toDict(), 'replay from runLogBase').toEqual(engine.toDict())
}

describe('transactions under faults (fast-check, reference model)', () => {
  it('matches the model after every step, rolls failures back to the same snapshot, and replays', async () => {
    operations = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 10, maxLength: 30, size: 'medium' }),
        fc.constantFrom(0, 2, 5, 1000, Number.POSITIVE_INFINITY),
        async (steps, limit) => {
          // Pairs replay from the log with fresh gates: open them all.
          gates.clear()
          await check(steps, limit)
        },
      ),
      { numRuns: 300 },
    )
    console.log(`[faults fuzz] ${operations} engine operations in 300 sequences`)
    expect(operations).toBeGreaterThan(4000)
  }, 120_000) // a ceiling for loaded machines, not a speed assertion (it takes ~2 s)
})
