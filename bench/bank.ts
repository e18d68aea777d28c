/**
 * The bank every benchmark runs: `n` accounts `u0…u(n-1)`, the SPEC §2 transfer, and a process
 * that writes like it and then throws (the rollback rows). One copy, so every bench measures
 * the same work.
 */
import { effect } from '@preact/signals-core'
import { process as defineProcess, type EngineOptions, TheusEngine } from 'theus'

export interface TransferArgs {
  from: string
  to: string
  amount: number
  /** `failing` only: make the error in the body (V8 captures a stack) instead of reusing one. */
  fresh?: boolean
}

/** `n` accounts named `u0`, `u1`, … holding `balance` each. */
export function accounts(n: number, balance = 1_000_000): Record<string, number> {
  const a: Record<string, number> = {}
  for (let i = 0; i < n; i++) a[`u${i}`] = balance
  return a
}

export const transfer = defineProcess(
  { name: 'transfer', inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
  function transfer(ctx, args: TransferArgs) {
    const acc = ctx.domain.accounts
    acc[args.from] = acc[args.from] - args.amount
    acc[args.to] = acc[args.to] + args.amount
  },
)

export class Refused extends Error {}
// Capturing a stack trace costs microseconds: by default the body throws an error made
// beforehand, to show the engine's own rollback cost; `fresh` makes it in the body, as most
// code does.
const prebuilt = new Refused('no')

export const failing = defineProcess(
  {
    name: 'failing',
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts'],
    errors: ['Refused'],
  },
  function failing(ctx, args: TransferArgs) {
    const acc = ctx.domain.accounts
    acc[args.from] = acc[args.from] - args.amount
    acc[args.to] = acc[args.to] + args.amount
    throw args.fresh ? new Refused('no') : prebuilt
  },
)

/** One level C rule that passes on every transfer: the cost of checking a rule on every run. */
export const LEVEL_C_RECIPE = {
  process_recipes: {
    transfer: { outputs: [{ field: 'domain.accounts.u1', min: 0, level: 'C' as const }] },
  },
}

/**
 * An engine over `accounts(n)` with `transfer` and `failing` registered and one subscriber: an
 * effect that reads the two balances a transfer changes (through `engine.select`) and hands
 * their sum to `sink`. What every Theus row of the benchmarks measures against its peers.
 */
export function bankEngine(
  n: number,
  options: EngineOptions,
  sink: (sum: number) => void,
): TheusEngine {
  const engine = new TheusEngine({ domain: { accounts: accounts(n) } }, options)
  engine.registerProcess(transfer)
  engine.registerProcess(failing)
  const a = engine.select('domain.accounts.u0')
  const b = engine.select('domain.accounts.u1')
  effect(() => sink((a.value as number) + (b.value as number)))
  return engine
}
