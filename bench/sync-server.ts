/**
 * `npx tsx bench/sync-server.ts`: theus/server on loopback (127.0.0.1, real `ws` sockets).
 *   latency     one client, one run at a time: from runProcess (optimistic, local) to the
 *               server's commit applied back in the client; 2 000 runs, mean / p50 / p99
 *   throughput  10 clients fire 1 000 runs each at once; runs per second until every client
 *               is equal to the server
 * Figures vary with the machine and its load: compare runs of the same session only.
 */
import { process as defineProcess, TheusEngine } from 'theus'
import { createTheusServer } from 'theus/server'
import { connectTheusServer } from 'theus/sync'
import { WebSocket } from 'ws'

const transfer = defineProcess(
  { inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
  function transfer(ctx, args: { from: string; to: string; amount: number }) {
    const bal = ctx.domain.accounts[args.from] ?? 0
    if (bal < args.amount) return 'Failed'
    ctx.domain.accounts[args.from] = bal - args.amount
    ctx.domain.accounts[args.to] = (ctx.domain.accounts[args.to] ?? 0) + args.amount
    return 'Success'
  },
)
const names = Array.from({ length: 100 }, (_, i) => `u${i}`)
const make = () => {
  const e = new TheusEngine({
    domain: {
      accounts: Object.fromEntries(names.map((n) => [n, 1_000_000])) as Record<string, number>,
    },
  })
  e.registerProcess(transfer)
  return e
}

const server = createTheusServer({ engine: make(), port: 0 })
await server.ready
const url = `ws://127.0.0.1:${server.port}`

// Latency.
{
  const client = make()
  const sync = connectTheusServer(client, url, { WebSocket })
  await sync.ready
  const times: number[] = []
  for (let i = 0; i < 2000; i++) {
    const t0 = performance.now()
    client.runProcess('transfer', { from: names[i % 100]!, to: names[(i + 1) % 100]!, amount: 1 })
    await sync.synced()
    times.push(performance.now() - t0)
    if (sync.seq !== server.seq)
      throw new Error('synced() resolved before the server commit came back')
  }
  times.sort((a, b) => a - b)
  const mean = times.reduce((a, b) => a + b, 0) / times.length
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!
  console.log(
    `latency per run (1 client, loopback, ${times.length} runs): mean ${mean.toFixed(3)} ms, p50 ${q(0.5).toFixed(3)} ms, p99 ${q(0.99).toFixed(3)} ms`,
  )
  sync.close()
}

// Throughput.
{
  const clients = Array.from({ length: 10 }, () => {
    const engine = make()
    return { engine, sync: connectTheusServer(engine, url, { WebSocket }) }
  })
  await Promise.all(clients.map((c) => c.sync.ready))
  const seq0 = server.seq
  const t0 = performance.now()
  clients.forEach((c, i) => {
    for (let k = 0; k < 1000; k++)
      c.engine.runProcess('transfer', {
        from: names[(i * 10 + k) % 100]!,
        to: names[(i * 10 + k + 3) % 100]!,
        amount: 1,
      })
  })
  let serverMs = 0
  const watch = setInterval(() => {
    if (serverMs === 0 && server.seq - seq0 === 10_000) serverMs = performance.now() - t0
  }, 1)
  await Promise.all(clients.map((c) => c.sync.synced()))
  while (clients.some((c) => c.sync.seq !== server.seq)) await new Promise((r) => setTimeout(r, 1))
  const ms = performance.now() - t0
  clearInterval(watch)
  const runs = server.seq - seq0
  if (serverMs === 0) serverMs = ms
  console.log(
    `server order (10 000 runs sequenced and broadcast): ${serverMs.toFixed(0)} ms = ${Math.round((runs / serverMs) * 1000)} runs/s`,
  )
  const want = JSON.stringify(clients[0]!.engine.toDict())
  if (clients.some((c) => JSON.stringify(c.engine.toDict()) !== want))
    throw new Error('clients differ')
  console.log(
    `throughput (10 clients × 1 000 runs at once, loopback): ${runs} runs in ${ms.toFixed(0)} ms = ${Math.round((runs / ms) * 1000)} runs/s, every client equal to the server`,
  )
  for (const c of clients) c.sync.close()
}
await server.close()
