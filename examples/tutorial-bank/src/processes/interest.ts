import { process } from '../context'

export const interest = process(
  {
    name: 'interest',
    inputs: ['global.monthly_rate'],
    outputs: ['domain.accounts', 'domain.month', 'domain.heavy_chart'],
  },
  function interest(ctx) {
    let total = 0
    for (const [user, balance] of Object.entries(ctx.domain.accounts)) {
      const next = Math.round(balance * (1 + ctx.global.monthly_rate) * 100) / 100
      ctx.domain.accounts[user] = next
      total += next
    }
    // The chart is a Float64Array in the heavy zone: written in place, never copied.
    ctx.domain.heavy_chart[ctx.domain.month % 12] = total
    ctx.domain.month += 1
  },
)
