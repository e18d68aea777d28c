import { process } from '../context'

export const loan = process(
  {
    name: 'loan',
    inputs: [],
    outputs: ['domain.accounts', 'domain.total_reserves'],
  },
  function loan(ctx, args: { user: string; amount: number }) {
    ctx.domain.total_reserves -= args.amount
    ctx.domain.accounts[args.user] = (ctx.domain.accounts[args.user] ?? 0) + args.amount
  },
)
