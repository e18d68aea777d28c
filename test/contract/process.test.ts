import {
  ContractViolationError,
  defineProcess,
  isProcessDefinition,
  process,
  TheusEngine,
  TheusError,
} from 'theus'
import { describe, expect, it } from 'vitest'
import { caught } from '../support/caught.js'

const initial = () => ({
  global: { max_transfer: 10_000 },
  domain: {
    accounts: { Alice: 1000 } as Record<string, number>,
    total_reserves: 1_000_000,
    sig_fraud_detected: false,
    cmd_go: false,
    meta_last_tx: '',
    heavy_chart: new Float64Array(4),
  },
})

describe('process', () => {
  it('is the same function as defineProcess', () => {
    expect(defineProcess).toBe(process)
  })

  it('returns a definition { name, contract, fn }', () => {
    const fn = function transfer() {}
    const contract = { inputs: ['domain.accounts'], outputs: ['domain.accounts'] }
    const def = process(contract, fn)
    expect(def.name).toBe('transfer')
    expect(def.fn).toBe(fn)
    expect(def.contract.inputs).toEqual(['domain.accounts'])
    expect(def.contract.outputs).toEqual(['domain.accounts'])
    expect(isProcessDefinition(def)).toBe(true)
  })

  it('takes the name from contract.name before the function name', () => {
    const def = process({ name: 'renamed' }, function original() {})
    expect(def.name).toBe('renamed')
  })

  it('takes the name from the function when the contract has none', () => {
    const named = () => {}
    expect(process({}, named).name).toBe('named')
  })

  it('throws INVALID_CONTRACT for an anonymous function without a name', () => {
    const e = caught(() => process({}, (() => () => {})()))
    expect(e).toBeInstanceOf(TheusError)
    expect(e.code).toBe('INVALID_CONTRACT')
  })

  it('accepts an anonymous function when the contract gives a name', () => {
    expect(process({ name: 'anon' }, (() => () => {})()).name).toBe('anon')
  })

  it('says that a contract name that is not a non-empty string is the problem, not the function', () => {
    for (const bad of [5, '', true]) {
      const e = caught(() => process({ name: bad as any }, function named() {}))
      expect(e.code).toBe('INVALID_CONTRACT')
      expect(e.message).toContain("'name' must be a non-empty string")
      expect(e.message).not.toContain('anonymous')
      expect(e.details.process).toBe('named')
    }
  })

  it('throws INVALID_CONTRACT for sideEffects that is not an array of names', () => {
    for (const bad of ['fetch', [5], ['']]) {
      const e = caught(() => process({ sideEffects: bad as any }, function p() {}))
      expect(e.code).toBe('INVALID_CONTRACT')
      expect(e.message).toContain("'sideEffects' must be an array of names")
    }
    expect(process({ sideEffects: ['network'] }, function p() {}).contract.sideEffects).toEqual([
      'network',
    ])
  })

  it('throws INVALID_CONTRACT for a path that is not a string', () => {
    for (const bad of [42, null, undefined, {}, ['domain']]) {
      const e = caught(() => process({ inputs: [bad as any] }, function p() {}))
      expect(e).toBeInstanceOf(TheusError)
      expect(e.code).toBe('INVALID_CONTRACT')
    }
    expect(caught(() => process({ outputs: [7 as any] }, function p() {})).code).toBe(
      'INVALID_CONTRACT',
    )
  })

  it('throws INVALID_CONTRACT for an empty path', () => {
    expect(caught(() => process({ inputs: [''] }, function p() {})).code).toBe('INVALID_CONTRACT')
    expect(caught(() => process({ outputs: [''] }, function p() {})).code).toBe('INVALID_CONTRACT')
  })

  it('throws INVALID_CONTRACT for a contract name that is not a non-empty string', () => {
    expect(caught(() => process({ name: 42 as any }, function p() {})).code).toBe(
      'INVALID_CONTRACT',
    )
    expect(caught(() => process({ name: '' }, (() => () => {})())).code).toBe('INVALID_CONTRACT')
  })

  it('throws INVALID_CONTRACT when inputs or outputs is not an array', () => {
    expect(caught(() => process({ inputs: 'domain.a' as any }, function p() {})).code).toBe(
      'INVALID_CONTRACT',
    )
    expect(caught(() => process({ outputs: { a: 1 } as any }, function p() {})).code).toBe(
      'INVALID_CONTRACT',
    )
  })

  it('names the process in an INVALID_CONTRACT message', () => {
    const e = caught(() => process({ inputs: [3 as any] }, function myProc() {}))
    expect(e.message).toContain('myProc')
  })
})

describe('TheusEngine.registerProcess', () => {
  it('registers a definition under its name', () => {
    const engine = new TheusEngine(initial())
    engine.registerProcess(
      process({ outputs: ['domain.total_reserves'] }, function p1() {
        return 1
      }),
    )
    expect(engine.runProcess('p1')).toBe(1)
  })

  it('registers a definition under a given name with registerProcess(name, def)', () => {
    const engine = new TheusEngine(initial())
    const def = process({}, function inner() {
      return 'ran'
    })
    engine.registerProcess('alias', def)
    expect(engine.runProcess('alias')).toBe('ran')
  })

  it('refuses a plain function with INVALID_CONTRACT', () => {
    const engine = new TheusEngine(initial())
    const e = caught(() => engine.registerProcess(function plain() {} as any))
    expect(e).toBeInstanceOf(TheusError)
    expect(e.code).toBe('INVALID_CONTRACT')
    const e2 = caught(() => engine.registerProcess('plain', function plain() {} as any))
    expect(e2.code).toBe('INVALID_CONTRACT')
  })

  it('refuses a lookalike object that was not made by process()', () => {
    const engine = new TheusEngine(initial())
    const fake = { name: 'fake', contract: {}, fn: () => {} }
    expect(caught(() => engine.registerProcess(fake as any)).code).toBe('INVALID_CONTRACT')
  })

  it('refuses a second process with the same name: DUPLICATE_PROCESS', () => {
    const engine = new TheusEngine(initial())
    engine.registerProcess(process({}, function dup() {}))
    const e = caught(() => engine.registerProcess(process({}, function dup() {})))
    expect(e).toBeInstanceOf(TheusError)
    expect(e.code).toBe('DUPLICATE_PROCESS')
    const e2 = caught(() =>
      engine.registerProcess(
        'dup',
        process({}, function other() {}),
      ),
    )
    expect(e2.code).toBe('DUPLICATE_PROCESS')
  })

  it('refuses registering the same definition twice: DUPLICATE_PROCESS', () => {
    const engine = new TheusEngine(initial())
    const def = process({}, function twice() {})
    engine.registerProcess(def)
    const e = caught(() => engine.registerProcess(def))
    expect(e).toBeInstanceOf(TheusError)
    expect(e.code).toBe('DUPLICATE_PROCESS')
  })

  it('keeps the first process after a DUPLICATE_PROCESS', () => {
    const engine = new TheusEngine(initial())
    engine.registerProcess(
      process({}, function dup() {
        return 'first'
      }),
    )
    caught(() =>
      engine.registerProcess(
        process({}, function dup() {
          return 'second'
        }),
      ),
    )
    expect(engine.runProcess('dup')).toBe('first')
  })
})

describe('contract validation at registration', () => {
  it('refuses a signal path in inputs with ZONE_POLICY in strict mode', () => {
    const engine = new TheusEngine(initial())
    for (const path of ['domain.sig_fraud_detected', 'domain.cmd_go']) {
      const e = caught(() =>
        engine.registerProcess(process({ inputs: [path] }, function reads() {})),
      )
      expect(e).toBeInstanceOf(ContractViolationError)
      expect(e.code).toBe('ZONE_POLICY')
      expect(e.message).toContain('reads')
      expect(e.message).toContain(path)
    }
  })

  it('refuses a meta path in inputs with ZONE_POLICY in strict mode', () => {
    const engine = new TheusEngine(initial())
    const e = caught(() =>
      engine.registerProcess(process({ inputs: ['domain.meta_last_tx'] }, function reads() {})),
    )
    expect(e).toBeInstanceOf(ContractViolationError)
    expect(e.code).toBe('ZONE_POLICY')
  })

  it('does not register a process refused by the zone policy', () => {
    const engine = new TheusEngine(initial())
    caught(() =>
      engine.registerProcess(process({ inputs: ['domain.sig_fraud_detected'] }, function z() {})),
    )
    expect(caught(() => engine.runProcess('z')).code).toBe('PROCESS_NOT_FOUND')
  })

  it('applies the zone policy to the first prefixed segment of a nested input', () => {
    const engine = new TheusEngine({
      domain: { ui: { sig_click: '', label: '' }, heavy_img: { sig_x: 1 }, meta_log: { a: 1 } },
    })
    expect(
      caught(() =>
        engine.registerProcess(process({ inputs: ['domain.ui.sig_click'] }, function a() {})),
      ).code,
    ).toBe('ZONE_POLICY')
    expect(
      caught(() =>
        engine.registerProcess(process({ inputs: ['domain.meta_log.a'] }, function b() {})),
      ).code,
    ).toBe('ZONE_POLICY')
    engine.registerProcess(process({ inputs: ['domain.heavy_img.sig_x'] }, function c() {}))
    engine.registerProcess(process({ inputs: ['domain.ui'] }, function d() {}))
  })

  it('applies the zone policy to aliased paths', () => {
    const engine = new TheusEngine(initial())
    expect(
      caught(() =>
        engine.registerProcess(
          process({ inputs: ['domain_ctx.sig_fraud_detected'] }, function a() {}),
        ),
      ).code,
    ).toBe('ZONE_POLICY')
  })

  it('allows signal and meta paths in outputs', () => {
    const engine = new TheusEngine(initial())
    engine.registerProcess(
      process({ outputs: ['domain.sig_fraud_detected', 'domain.meta_last_tx'] }, function w() {}),
    )
    expect(engine.runProcess('w')).toBeUndefined()
  })

  it('allows heavy paths in inputs', () => {
    const engine = new TheusEngine(initial())
    engine.registerProcess(process({ inputs: ['domain.heavy_chart'] }, function h() {}))
  })

  it('treats a layer-wide input such as domain as data', () => {
    const engine = new TheusEngine(initial())
    engine.registerProcess(process({ inputs: ['domain'] }, function all() {}))
    engine.registerProcess(process({ inputs: ['global'] }, function allg() {}))
  })

  it('allows signal and meta paths in inputs in non-strict mode', () => {
    const engine = new TheusEngine(initial(), { strictMode: false })
    engine.registerProcess(
      process({ inputs: ['domain.sig_fraud_detected', 'domain.meta_last_tx'] }, function reads() {
        return 'ok'
      }),
    )
    expect(engine.runProcess('reads')).toBe('ok')
  })

  it('refuses an unknown layer with INVALID_CONTRACT and a did-you-mean', () => {
    const engine = new TheusEngine(initial())
    const e = caught(() =>
      engine.registerProcess(process({ inputs: ['domian.accounts'] }, function typo() {})),
    )
    expect(e).toBeInstanceOf(TheusError)
    expect(e.code).toBe('INVALID_CONTRACT')
    expect(e.message).toMatch(/did you mean/i)
    expect(e.message).toContain('domain')
  })

  it('refuses an unknown second segment with INVALID_CONTRACT and a did-you-mean', () => {
    const engine = new TheusEngine(initial())
    const e = caught(() =>
      engine.registerProcess(process({ outputs: ['domain.acounts'] }, function typo() {})),
    )
    expect(e.code).toBe('INVALID_CONTRACT')
    expect(e.message).toMatch(/did you mean/i)
    expect(e.message).toContain('accounts')
    const g = caught(() =>
      engine.registerProcess(process({ inputs: ['global.max_transfr'] }, function typo2() {})),
    )
    expect(g.code).toBe('INVALID_CONTRACT')
    expect(g.message).toContain('max_transfer')
  })

  it('refuses an unknown second segment even when nothing is close', () => {
    const engine = new TheusEngine(initial())
    const e = caught(() =>
      engine.registerProcess(process({ inputs: ['domain.zzzzzzzzzzzz'] }, function far() {})),
    )
    expect(e.code).toBe('INVALID_CONTRACT')
  })

  it('does not check segments below the second one', () => {
    const engine = new TheusEngine(initial())
    engine.registerProcess(process({ outputs: ['domain.accounts.Carol'] }, function deep() {}))
  })

  it('validates contract paths in non-strict mode too', () => {
    const engine = new TheusEngine(initial(), { strictMode: false })
    expect(
      caught(() => engine.registerProcess(process({ inputs: ['domain.acounts'] }, function t() {})))
        .code,
    ).toBe('INVALID_CONTRACT')
    expect(
      caught(() => engine.registerProcess(process({ inputs: ['doman.x'] }, function t2() {}))).code,
    ).toBe('INVALID_CONTRACT')
  })

  it('accepts local.* paths without checking them', () => {
    const engine = new TheusEngine(initial())
    engine.registerProcess(
      process({ inputs: ['local.tmp'], outputs: ['local.anything.deep'] }, function loc(ctx) {
        ctx.local.x = 1
        return ctx.local.x
      }),
    )
    expect(engine.runProcess('loc')).toBe(1)
  })

  it('accepts the domain_ctx. alias in a contract', () => {
    const engine = new TheusEngine(initial())
    engine.registerProcess(
      process({ outputs: ['domain_ctx.total_reserves'] }, function alias(ctx) {
        ctx.domain.total_reserves = 1
      }),
    )
    engine.runProcess('alias')
    expect(engine.state.value.domain.total_reserves).toBe(1)
  })
})

describe('TheusEngine.scanAndRegister', () => {
  const a = process({}, function pa() {})
  const b = process({}, function pb() {})
  const c = process({}, function pc() {})

  it('registers every process() export of an eager module map and returns the names', () => {
    const engine = new TheusEngine(initial())
    const names = engine.scanAndRegister({
      './processes/a.ts': { pa: a, helper: () => 1, value: 3 },
      './processes/b.ts': { default: b, pc: c },
    })
    expect(names).toEqual(['pa', 'pb', 'pc'])
    expect(engine.runProcess('pb')).toBeUndefined()
  })

  it('registers a process re-exported by several modules once', () => {
    const engine = new TheusEngine(initial())
    const names = engine.scanAndRegister({
      './a.ts': { pa: a },
      './index.ts': { pa: a, again: a, pb: b },
    })
    expect(names).toEqual(['pa', 'pb'])
  })

  it('returns the names in the order found (key order of the map)', () => {
    const engine = new TheusEngine(initial())
    const names = engine.scanAndRegister({
      './z.ts': { pc: c },
      './a.ts': { pb: b, pa: a },
    })
    expect(names).toEqual(['pc', 'pb', 'pa'])
  })

  it('registers only values made by process(), not lookalikes', () => {
    const engine = new TheusEngine(initial())
    const fake = { name: 'fake', contract: {}, fn: () => {} }
    const names = engine.scanAndRegister({ './a.ts': { fake, pa: a, fn: function pz() {} } })
    expect(names).toEqual(['pa'])
    expect(caught(() => engine.runProcess('fake')).code).toBe('PROCESS_NOT_FOUND')
  })

  it('returns a promise for a lazy module map', async () => {
    const engine = new TheusEngine(initial())
    const out = engine.scanAndRegister({
      './a.ts': async () => ({ pa: a }),
      './b.ts': async () => ({ pb: b, again: a }),
    })
    expect(out).toBeInstanceOf(Promise)
    expect(await out).toEqual(['pa', 'pb'])
    expect(engine.runProcess('pa')).toBeUndefined()
  })

  it('returns an array (not a promise) for an eager map', () => {
    const engine = new TheusEngine(initial())
    const out = engine.scanAndRegister({ './a.ts': { pa: a } })
    expect(Array.isArray(out)).toBe(true)
  })
})

describe('contract keys', () => {
  it('refuses an unknown key with the close one and the list', () => {
    const bad = { output: ['domain.n'] } as unknown as Parameters<typeof process>[0]
    expect(() => process(bad, function inc() {})).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONTRACT',
        message: expect.stringMatching(
          /unknown key 'output'.*Did you mean 'outputs'\?.*name, inputs, outputs, errors, sideEffects/,
        ),
      }),
    )
  })

  it('takes every documented key', () => {
    const def = process(
      { name: 'p', inputs: ['domain.a'], outputs: ['domain.b'], errors: ['E'], sideEffects: ['x'] },
      () => {},
    )
    expect(def.name).toBe('p')
  })
})
