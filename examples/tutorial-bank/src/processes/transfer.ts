import { process } from '../context'

export class ValueError extends Error {
  override name = 'ValueError'
}

export interface TransferArgs {
  from_user: string
  to_user: string
  amount: number
}

export const transfer = process(
  {
    name: 'transfer',
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts', 'domain.sig_fraud_detected', 'domain.meta_last_tx'],
    errors: ['ValueError'],
  },
  function transfer(ctx, args: TransferArgs) {
    if (!(args.amount > 0)) throw new ValueError('Amount must be positive')
    const balance = ctx.domain.accounts[args.from_user] ?? 0
    if (balance < args.amount) {
      ctx.domain.sig_fraud_detected = true
      return 'Failed: Insufficient Funds'
    }
    ctx.domain.accounts[args.from_user] = balance - args.amount
    ctx.domain.accounts[args.to_user] = (ctx.domain.accounts[args.to_user] ?? 0) + args.amount
    ctx.domain.meta_last_tx = `${args.from_user} -> ${args.to_user}: ${args.amount}`
    return 'Success'
  },
)
