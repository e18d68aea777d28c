import { createProcess, TheusEngine } from 'theus'

/**
 * An engine whose async `bump` reads `domain.n`, awaits, then writes it: an `edit` of `n`
 * made while it awaits is a conflict (SPEC §3.1), which `retries` re-runs past.
 */
export function conflictEngine() {
  const initial = { domain: { n: 0 } }
  const p = createProcess<typeof initial>()
  let bodies = 0
  const bump = p({ outputs: ['domain.n'] }, async function bump(ctx, args: { by: number }) {
    bodies++
    const before = ctx.domain.n
    await new Promise((r) => setTimeout(r, 0))
    ctx.domain.n = before + args.by
    return ctx.domain.n
  })
  const engine = new TheusEngine(initial, { processes: { bump } })
  return { engine, bump, bodies: () => bodies }
}
