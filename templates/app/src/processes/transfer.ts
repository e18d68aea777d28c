import { process } from '../process'

export class ValueError extends Error {
  override name = 'ValueError'
}

export interface TransferArgs {
  from_user: string
  to_user: string
  amount: number
}

/** Moves money between two accounts; insufficient funds raise the fraud signal instead. */
export const transfer = process(
  {
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts', 'domain.total_reserves', 'domain.sig_fraud_detected'],
    errors: ['ValueError'],
    sideEffects: [],
  },
  function transfer(ctx, args: TransferArgs) {
    if (!(args.amount > 0)) throw new ValueError('Amount must be positive')
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
