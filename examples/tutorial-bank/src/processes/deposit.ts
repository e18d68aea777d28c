import { confirmDeposit } from '../api'
import { process } from '../context'

export const deposit = process(
  {
    name: 'deposit',
    inputs: [],
    outputs: ['domain.accounts', 'domain.total_reserves'],
  },
  async function deposit(ctx, args: { user: string; amount: number }) {
    // Read before the await: if another commit changes this balance meanwhile, the run
    // conflicts instead of overwriting it.
    const balance = ctx.domain.accounts[args.user] ?? 0
    const receipt = await confirmDeposit(args.user, args.amount, ctx.signal)
    ctx.domain.accounts[args.user] = balance + args.amount
    ctx.domain.total_reserves += args.amount
    return receipt
  },
)
