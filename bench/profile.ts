/** `node scripts/bench.mjs --profile`-style helper: a tight loop of one contender, for --cpu-prof. */
import { effect } from '@preact/signals-core'
import { process as defineProcess, TheusEngine } from 'theus'

export function profileTransfer(
  n = 1000,
  runs = Number(process.env.THEUS_PROFILE_RUNS ?? 300_000),
): void {
  const a: Record<string, number> = {}
  for (let i = 0; i < n; i++) a[`u${i}`] = 1e6
  const transfer = defineProcess(
    { name: 'transfer', inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
    (ctx, args: { from: string; to: string; amount: number }) => {
      const acc = ctx.domain.accounts
      acc[args.from] = acc[args.from] - args.amount
      acc[args.to] = acc[args.to] + args.amount
    },
  )
  const engine = new TheusEngine({ domain: { accounts: a } }, { runLogLimit: 1000 })
  engine.registerProcess(transfer)
  const x = engine.select('domain.accounts.u0')
  const y = engine.select('domain.accounts.u1')
  let sink = 0
  effect(() => {
    sink += (x.value as number) + (y.value as number)
  })
  const args = { from: 'u0', to: 'u1', amount: 1 }
  for (let r = 0; r < 5; r++) {
    const t = performance.now()
    for (let i = 0; i < runs; i++) engine.runProcess('transfer', args)
    console.log(`${(((performance.now() - t) / runs) * 1000).toFixed(2)} µs/op`)
  }
  if (sink === 0) console.log(sink)
}
