import fc from 'fast-check'
import { ContractViolationError, process, TheusEngine } from 'theus'
import { describe, expect, it } from 'vitest'

const PATHS = [
  'domain',
  'domain.a',
  'domain.a.x',
  'domain.a.y',
  'domain.a.y.z',
  'domain.b',
  'domain.b.x',
  'domain.c',
]
const TARGETS = PATHS.filter((p) => p !== 'domain')

const initial = () => ({ domain: { a: { x: 1, y: { z: 1 } }, b: { x: 1 }, c: 1 } })

const isAncestorOrSelf = (anc: string, p: string) => p === anc || p.startsWith(`${anc}.`)
const parentOf = (p: string) => p.slice(0, p.lastIndexOf('.'))

/** SPEC §2 and §9, written out as a model. */
function expected(inputs: string[], outputs: string[], op: 'read' | 'write', p: string): string {
  const declared = [...inputs, ...outputs]
  const readable = (q: string) =>
    declared.some((d) => isAncestorOrSelf(d, q)) || declared.some((d) => isAncestorOrSelf(q, d))
  const writable = (q: string) => outputs.some((o) => isAncestorOrSelf(o, q))
  if (op === 'read') return readable(p) ? 'ok' : 'ILLEGAL_READ'
  const parent = parentOf(p)
  if (!readable(parent)) return 'ILLEGAL_READ'
  if (writable(p)) return 'ok'
  const throughInput = inputs.some((i) => isAncestorOrSelf(i, parent)) || writable(parent)
  return throughInput ? 'IMMUTABLE_INPUT' : 'ILLEGAL_WRITE'
}

describe('guard (property)', () => {
  it('grants exactly the reads and writes SPEC §2 grants, with the §9 codes, and nothing leaks', () => {
    fc.assert(
      fc.property(
        fc.subarray(PATHS),
        fc.subarray(PATHS),
        fc.constantFrom('read' as const, 'write' as const),
        fc.constantFrom(...TARGETS),
        (inputs, outputs, op, target) => {
          const engine = new TheusEngine(initial())
          engine.registerProcess(
            process({ inputs, outputs }, function probe(ctx) {
              const segs = target.split('.').slice(1)
              let cur = ctx.domain
              for (const s of segs.slice(0, -1)) cur = cur[s]
              const last = segs[segs.length - 1]!
              if (op === 'read') return JSON.stringify(cur[last])
              cur[last] = 42
              return 'written'
            }),
          )
          const before = engine.state.value
          const want = expected(inputs, outputs, op, target)
          let got = 'ok'
          try {
            engine.runProcess('probe')
          } catch (e) {
            expect(e).toBeInstanceOf(ContractViolationError)
            got = (e as ContractViolationError).code
          }
          expect(got).toBe(want)
          if (got !== 'ok' || op === 'read') expect(engine.state.value).toBe(before)
          else expect((engine as TheusEngine).select(target).value).toBe(42)
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('never lets a value read through the guard change the state unless the path is an output', () => {
    fc.assert(
      fc.property(
        fc.subarray(PATHS),
        fc.subarray(PATHS),
        fc.constantFrom('domain.a', 'domain.a.y', 'domain.b'),
        fc.constantFrom('x', 'z', 'fresh'),
        (inputs, outputs, target, key) => {
          const declared = [...inputs, ...outputs]
          const readable =
            declared.some((d) => isAncestorOrSelf(d, target)) ||
            declared.some((d) => isAncestorOrSelf(target, d))
          fc.pre(readable)
          const engine = new TheusEngine(initial())
          engine.registerProcess(
            process({ inputs, outputs }, function leak(ctx) {
              let cur = ctx.domain
              for (const s of target.split('.').slice(1)) cur = cur[s]
              const escaped = cur
              try {
                escaped[key] = 99
              } catch {}
              return escaped
            }),
          )
          const before = engine.state.value
          const allowed = outputs.some((o) => isAncestorOrSelf(o, `${target}.${key}`))
          let failed = false
          let out: any
          try {
            out = engine.runProcess('leak')
          } catch (e) {
            expect(e).toBeInstanceOf(ContractViolationError)
            failed = true
          }
          if (allowed) {
            expect(failed).toBe(false)
            expect((engine as TheusEngine).select(`${target}.${key}`).value).toBe(99)
            expect(Object.isFrozen(out)).toBe(true)
          } else {
            expect(failed).toBe(true)
            expect(engine.state.value).toBe(before)
          }
        },
      ),
      { numRuns: 1000 },
    )
  })
})
