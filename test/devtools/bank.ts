/** The bank of SPEC §2, with a recipe and a workflow, for the panel's tests. */
import { process, TheusEngine, WorkflowManager } from 'theus'

class ValueError extends Error {
  override name = 'ValueError'
}

export const transfer = process(
  {
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts', 'domain.sig_fraud_detected'],
    errors: ['ValueError'],
  },
  function transfer(ctx, args: { from_user: string; to_user: string; amount: number }) {
    if (args.amount <= 0) throw new ValueError('Amount must be positive')
    const bal = ctx.domain.accounts[args.from_user] ?? 0
    if (bal < args.amount) {
      ctx.domain.sig_fraud_detected = true
      return 'Failed: Insufficient Funds'
    }
    ctx.domain.accounts[args.from_user] = bal - args.amount
    ctx.domain.accounts[args.to_user] = (ctx.domain.accounts[args.to_user] ?? 0) + args.amount
    return 'Success'
  },
)

export function makeBank() {
  const engine = new TheusEngine(
    {
      domain: {
        accounts: { Alice: 1000, Bob: 0 } as Record<string, number>,
        sig_fraud_detected: false,
        heavy_chart: new Float64Array(365),
        big: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i])),
      },
    },
    {
      auditRecipe: {
        process_recipes: {
          transfer: { inputs: [{ field: 'amount', max: 600, level: 'B', threshold: 2 }] },
        },
      },
    },
  )
  engine.registerProcess(transfer)
  const machine = new WorkflowManager(engine, {
    initial: 'IDLE',
    states: {
      IDLE: { events: { CMD_TX: 'PROCESSING' } },
      PROCESSING: { entry: 'transfer', events: { EVT_CHAIN_DONE: 'IDLE', EVT_CHAIN_FAIL: 'IDLE' } },
    },
  })
  return { engine, machine }
}

export const tx = (amount: number, from_user = 'Alice', to_user = 'Bob') => ({
  from_user,
  to_user,
  amount,
})
