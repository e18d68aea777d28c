import { process } from '../process'

/** Records the last transfer (meta zone) and logs it; run by the workflow after a transfer. */
export const notify = process(
  { outputs: ['domain.meta_last_tx'] },
  function notify(ctx, args: { from_user: string; to_user: string; amount: number }) {
    const line = `${args.from_user} -> ${args.to_user}: ${args.amount}`
    ctx.domain.meta_last_tx = line
    ctx.log.info('transfer done', { line })
  },
)
