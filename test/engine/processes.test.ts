import { createProcess, process, TheusEngine, TheusError } from 'theus'
import { describe, expect, it } from 'vitest'
import { caught } from '../support/caught.js'

const initial = () => ({
  global: { max_transfer: 10_000 },
  domain: { accounts: { Alice: 1000, Bob: 0 } as Record<string, number>, n: 0 },
})
type Ctx = ReturnType<typeof initial>
const typed = createProcess<Ctx>()

const transfer = typed(
  { inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
  function transfer(ctx, args: { from: string; to: string; amount: number }) {
    const bal = ctx.domain.accounts[args.from] ?? 0
    ctx.domain.accounts[args.from] = bal - args.amount
    ctx.domain.accounts[args.to] = (ctx.domain.accounts[args.to] ?? 0) + args.amount
    return 'Success'
  },
)
const bump = typed({ outputs: ['domain.n'] }, async function bump(ctx, args: { by: number }) {
  await Promise.resolve()
  ctx.domain.n += args.by
  return ctx.domain.n
})

describe('createProcess', () => {
  it('is process() at run time: a branded definition named after its function', () => {
    expect(transfer.name).toBe('transfer')
    expect(transfer.contract.inputs).toEqual(['domain.accounts'])
    const engine = new TheusEngine(initial())
    engine.registerProcess(transfer)
    expect(engine.processNames).toEqual(['transfer'])
  })

  it('checks the contract at run time as process() does', () => {
    const bad = createProcess<Ctx>() as (c: unknown, f: unknown) => unknown
    expect(caught(() => bad({ inputs: [''] }, function p() {})).code).toBe('INVALID_CONTRACT')
  })
})

describe('new TheusEngine(initial, { processes })', () => {
  it('registers every process under its key, as registerProcess(key, def) does', () => {
    const engine = new TheusEngine(initial(), { processes: { transfer, pay: transfer, bump } })
    expect(engine.processNames).toEqual(['transfer', 'pay', 'bump'])
    expect(engine.getProcess('pay')).toBe(transfer)
    expect(engine.runProcess('pay', { from: 'Alice', to: 'Bob', amount: 5 })).toBe('Success')
    expect(engine.state.value.domain.accounts.Bob).toBe(5)
  })

  it('refuses a non-object processes option and a value that is not a process', () => {
    const err = caught(
      () =>
        new TheusEngine(initial(), {
          processes: [transfer] as unknown as { transfer: typeof transfer },
        }),
    )
    expect(err).toBeInstanceOf(TheusError)
    expect(err.code).toBe('INVALID_ARGS')
    expect(err.message).toContain('{ transfer, deposit }')
    const plain = caught(
      () =>
        new TheusEngine(initial(), {
          processes: { f: (() => 1) as unknown as typeof transfer },
        }),
    )
    expect(plain.code).toBe('INVALID_CONTRACT')
  })

  it('checks contracts against the context at construction (INVALID_CONTRACT)', () => {
    const wrong = process({ inputs: ['domain.acounts'] }, function wrong() {})
    const err = caught(() => new TheusEngine(initial(), { processes: { wrong } }))
    expect(err.code).toBe('INVALID_CONTRACT')
    expect(err.message).toContain("Did you mean 'domain.accounts'?")
  })
})

describe('runProcess(definition)', () => {
  it('runs the registered process given as its definition', () => {
    const engine = new TheusEngine(initial(), { processes: { transfer } })
    expect(engine.runProcess(transfer, { from: 'Alice', to: 'Bob', amount: 7 })).toBe('Success')
    expect(engine.state.value.domain.accounts.Alice).toBe(993)
    expect(engine.runLog.at(-1)?.process).toBe('transfer')
  })

  it('uses the name the definition was registered under', async () => {
    const engine = new TheusEngine(initial())
    engine.registerProcess('plus', bump)
    await expect(engine.runProcess(bump, { by: 2 })).resolves.toBe(2)
    expect(engine.runLog.at(-1)?.process).toBe('plus')
  })

  it('is PROCESS_NOT_FOUND for a definition that was never registered', () => {
    const engine = new TheusEngine(initial())
    const err = caught(() => engine.runProcess(transfer, { from: 'Alice', to: 'Bob', amount: 1 }))
    expect(err.code).toBe('PROCESS_NOT_FOUND')
    expect(err.message).toBe("Process 'transfer' not found in registry.")
  })
})
