import { process } from '../context'
import type { TransferArgs } from './transfer'

// The state machine hands every process of a chain the event's args: the transfer's own.
export const notify = process(
  { name: 'notify', inputs: [], outputs: [] },
  function notify(ctx, args: TransferArgs) {
    ctx.log.info('transfer confirmed', {
      from: args.from_user,
      to: args.to_user,
      amount: args.amount,
    })
  },
)
