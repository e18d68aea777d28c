/**
 * 1 000 account rows, 1 000 transfers, in jsdom: total time (transfer + render, flushed with
 * `flushSync`) and row render count for Theus (`useTheus(path)`), zustand (selectors) and Redux
 * Toolkit (`useSelector`). Same app, same run, rounds interleaved.
 *
 *   NODE_ENV=production node --expose-gc --import tsx bench/adapters/react.tsx [rounds]
 *
 * NODE_ENV=production selects React's production build and turns Redux Toolkit's development
 * checks off, as in a shipped app; without it every library pays React's development costs.
 */
// biome-ignore-all lint/correctness/noComponentHookFactories: each app builds its components once, over its own store.

// jsdom ships no types here; this is all the bench uses of it.
const jsdomModule = 'jsdom'
const { JSDOM } = (await import(jsdomModule)) as {
  JSDOM: new (html: string) => { window: Window & typeof globalThis }
}

const dom = new JSDOM('<!doctype html><html><body></body></html>')
Object.assign(globalThis, {
  window: dom.window,
  document: dom.window.document,
  navigator: dom.window.navigator,
  HTMLElement: dom.window.HTMLElement,
})

const ROWS = 1000
const TRANSFERS = 1000
const rounds = Number(globalThis.process.argv[2] ?? 5)

const { createElement: h } = await import('react')
const { flushSync } = await import('react-dom')
const { createRoot } = await import('react-dom/client')
const { process: defineProcess, TheusEngine } = await import('theus')
const { TheusProvider, useTheus } = await import('theus/react')
const { create } = await import('zustand')
const { configureStore, createSlice } = await import('@reduxjs/toolkit')
const { Provider, useSelector } = await import('react-redux')

const names = Array.from({ length: ROWS }, (_, i) => `acc${i}`)
const initialAccounts = () =>
  Object.fromEntries(names.map((n) => [n, 1000])) as Record<string, number>
const pairs = Array.from(
  { length: TRANSFERS },
  (_, i) => [names[i % ROWS]!, names[(i * 7 + 1) % ROWS]!] as const,
)

let rowRenders = 0

interface App {
  name: string
  mount(el: HTMLElement): () => void
  transfer(from: string, to: string, amount: number): void
  balance(name: string): number
}

function theusApp(): App {
  const engine = new TheusEngine({ domain: { accounts: initialAccounts() } })
  engine.registerProcess(
    defineProcess(
      { inputs: ['domain.accounts'], outputs: ['domain.accounts'] },
      function transfer(ctx, args: { from: string; to: string; amount: number }) {
        ctx.domain.accounts[args.from] = (ctx.domain.accounts[args.from] ?? 0) - args.amount
        ctx.domain.accounts[args.to] = (ctx.domain.accounts[args.to] ?? 0) + args.amount
      },
    ),
  )
  function Row({ name }: { name: string }) {
    rowRenders++
    const v = useTheus(`domain.accounts.${name}`) as number
    return h('li', null, v)
  }
  const List = () =>
    h(
      'ul',
      null,
      names.map((n) => h(Row, { key: n, name: n })),
    )
  return {
    name: 'theus',
    mount(el) {
      const root = createRoot(el)
      flushSync(() => root.render(h(TheusProvider, { engine }, h(List))))
      return () => flushSync(() => root.unmount())
    },
    transfer: (from, to, amount) => engine.runProcess('transfer', { from, to, amount }),
    balance: (n) => engine.state.value.domain.accounts[n] as number,
  }
}

function zustandApp(): App {
  interface S {
    accounts: Record<string, number>
    transfer(from: string, to: string, amount: number): void
  }
  const useStore = create<S>()((set) => ({
    accounts: initialAccounts(),
    transfer: (from, to, amount) =>
      set((s) => ({
        accounts: {
          ...s.accounts,
          [from]: (s.accounts[from] ?? 0) - amount,
          [to]: (s.accounts[to] ?? 0) + amount,
        },
      })),
  }))
  function Row({ name }: { name: string }) {
    rowRenders++
    const v = useStore((s) => s.accounts[name]) as number
    return h('li', null, v)
  }
  const List = () =>
    h(
      'ul',
      null,
      names.map((n) => h(Row, { key: n, name: n })),
    )
  return {
    name: 'zustand',
    mount(el) {
      const root = createRoot(el)
      flushSync(() => root.render(h(List)))
      return () => flushSync(() => root.unmount())
    },
    transfer: (from, to, amount) => useStore.getState().transfer(from, to, amount),
    balance: (n) => useStore.getState().accounts[n] as number,
  }
}

function reduxApp(): App {
  const bank = createSlice({
    name: 'bank',
    initialState: { accounts: initialAccounts() },
    reducers: {
      transfer(s, a: { payload: { from: string; to: string; amount: number } }) {
        const { from, to, amount } = a.payload
        s.accounts[from] = (s.accounts[from] ?? 0) - amount
        s.accounts[to] = (s.accounts[to] ?? 0) + amount
      },
    },
  })
  const store = configureStore({ reducer: { bank: bank.reducer } })
  type RootState = ReturnType<typeof store.getState>
  function Row({ name }: { name: string }) {
    rowRenders++
    const v = useSelector((s: RootState) => s.bank.accounts[name]) as number
    return h('li', null, v)
  }
  const List = () =>
    h(
      'ul',
      null,
      names.map((n) => h(Row, { key: n, name: n })),
    )
  return {
    name: 'redux-toolkit',
    mount(el) {
      const root = createRoot(el)
      flushSync(() => root.render(h(Provider, { store, children: h(List) })))
      return () => flushSync(() => root.unmount())
    },
    transfer: (from, to, amount) => store.dispatch(bank.actions.transfer({ from, to, amount })),
    balance: (n) => store.getState().bank.accounts[n] as number,
  }
}

function runOnce(make: () => App): { name: string; ms: number; renders: number } {
  const app = make()
  const el = document.createElement('div')
  document.body.append(el)
  const unmount = app.mount(el)
  ;(globalThis as { gc?: () => void }).gc?.()
  rowRenders = 0
  const t0 = performance.now()
  for (const [from, to] of pairs) flushSync(() => app.transfer(from, to, 1))
  const ms = performance.now() - t0
  const renders = rowRenders
  // The DOM must show what the store holds: a wrong app is not a fast one.
  const shown = Number(el.querySelectorAll('li')[1]?.textContent)
  if (shown !== app.balance('acc1'))
    throw new Error(`${app.name}: DOM shows ${shown}, store ${app.balance('acc1')}`)
  unmount()
  el.remove()
  return { name: app.name, ms, renders }
}

const makers = [theusApp, zustandApp, reduxApp]
for (const m of makers) runOnce(m) // warm-up
const results = new Map<string, { ms: number[]; renders: number }>()
for (let r = 0; r < rounds; r++) {
  for (const m of makers) {
    const { name, ms, renders } = runOnce(m)
    const e = results.get(name) ?? { ms: [], renders }
    e.ms.push(ms)
    results.set(name, e)
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const base = median(results.get('theus')!.ms)
console.log(
  `${ROWS} rows, ${TRANSFERS} transfers, median of ${rounds} rounds (jsdom, flushSync per transfer, NODE_ENV=${globalThis.process.env.NODE_ENV ?? 'development'})`,
)
console.log('library        total ms   per transfer   row renders   vs theus')
for (const [name, { ms, renders }] of results) {
  const m = median(ms)
  console.log(
    `${name.padEnd(14)} ${m.toFixed(1).padStart(8)}   ${(m / TRANSFERS).toFixed(3).padStart(9)} ms   ${String(renders).padStart(11)}   ${(m / base).toFixed(2)}x`,
  )
}

export {}
