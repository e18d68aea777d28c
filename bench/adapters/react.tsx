/**
 * 1 000 and 10 000 account rows, 1 000 transfers, in jsdom: total time (transfer + render,
 * flushed with `flushSync`) and row render count for Theus (`useTheus(path)` per row, and
 * `useTheus(selector)` per row), zustand (selectors), jotai (an atom per account), MobX (an
 * observable record read through a `useSyncExternalStore` hook over `reaction`:
 * mobx-react-lite is not installed), valtio (`useSnapshot`) and Redux Toolkit (`useSelector`).
 * Same app, same run, rounds interleaved.
 *
 *   npm run bench react [rounds]
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

let TRANSFERS = 1000
const rounds = Number(globalThis.process.argv.find((a) => /^\d+$/.test(a)) ?? 3)
let ROWS = 1000

const { createElement: h } = await import('react')
const { flushSync } = await import('react-dom')
const { createRoot } = await import('react-dom/client')
const { process: defineProcess, TheusEngine } = await import('theus')
const { TheusProvider, useTheus } = await import('theus/react')
const { create } = await import('zustand')
const { configureStore, createSlice } = await import('@reduxjs/toolkit')
const { Provider, useSelector } = await import('react-redux')
const {
  atom,
  createStore: createJotaiStore,
  Provider: JotaiProvider,
  useAtomValue,
} = await import('jotai')
const { observable, reaction, runInAction } = await import('mobx')
const { useSyncExternalStore, useCallback } = await import('react')
const { proxy } = await import('valtio/vanilla')
const { useSnapshot } = await import('valtio/react')
const { report } = await import('../report.js')

let names: string[] = []
const initialAccounts = () =>
  Object.fromEntries(names.map((n) => [n, 1000])) as Record<string, number>
let pairs: (readonly [string, string])[] = []

let rowRenders = 0

interface App {
  name: string
  engine?: import('theus').TheusEngine
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
    engine,
    mount(el) {
      const root = createRoot(el)
      flushSync(() => root.render(h(TheusProvider, { engine }, h(List))))
      return () => flushSync(() => root.unmount())
    },
    transfer: (from, to, amount) => engine.runProcess('transfer', { from, to, amount }),
    balance: (n) => engine.state.value.domain.accounts[n] as number,
  }
}

function theusSelectorApp(): App {
  const app = theusApp()
  const engine = app.engine!
  function Row({ name }: { name: string }) {
    rowRenders++
    const select = useCallback((s: any) => s.domain.accounts[name] as number, [name])
    return h('li', null, useTheus(select))
  }
  const List = () =>
    h(
      'ul',
      null,
      names.map((n) => h(Row, { key: n, name: n })),
    )
  return {
    ...app,
    name: 'theus (selector)',
    mount(el) {
      const root = createRoot(el)
      flushSync(() => root.render(h(TheusProvider, { engine }, h(List))))
      return () => flushSync(() => root.unmount())
    },
  }
}

function jotaiApp(): App {
  const store = createJotaiStore()
  const atoms = new Map(names.map((n) => [n, atom(1000)]))
  function Row({ name }: { name: string }) {
    rowRenders++
    return h('li', null, useAtomValue(atoms.get(name)!))
  }
  const List = () =>
    h(
      'ul',
      null,
      names.map((n) => h(Row, { key: n, name: n })),
    )
  return {
    name: 'jotai',
    mount(el) {
      const root = createRoot(el)
      flushSync(() => root.render(h(JotaiProvider, { store }, h(List))))
      return () => flushSync(() => root.unmount())
    },
    transfer: (from, to, amount) => {
      const a = atoms.get(from)!
      const b = atoms.get(to)!
      store.set(a, store.get(a) - amount)
      store.set(b, store.get(b) + amount)
    },
    balance: (n) => store.get(atoms.get(n)!),
  }
}

function mobxApp(): App {
  const state = observable({ accounts: initialAccounts() })
  // mobx-react-lite is not installed: the smallest equivalent, a reaction per row.
  function useObserved(read: () => number): number {
    const subscribe = useCallback((on: () => void) => reaction(read, on), [read])
    return useSyncExternalStore(subscribe, read)
  }
  function Row({ name }: { name: string }) {
    rowRenders++
    const read = useCallback(() => state.accounts[name]!, [name])
    return h('li', null, useObserved(read))
  }
  const List = () =>
    h(
      'ul',
      null,
      names.map((n) => h(Row, { key: n, name: n })),
    )
  return {
    name: 'mobx',
    mount(el) {
      const root = createRoot(el)
      flushSync(() => root.render(h(List)))
      return () => flushSync(() => root.unmount())
    },
    transfer: (from, to, amount) =>
      runInAction(() => {
        state.accounts[from]! -= amount
        state.accounts[to]! += amount
      }),
    balance: (n) => state.accounts[n]!,
  }
}

function valtioApp(): App {
  const state = proxy({ accounts: initialAccounts() })
  function Row({ name }: { name: string }) {
    rowRenders++
    const snap = useSnapshot(state, { sync: true })
    return h('li', null, snap.accounts[name])
  }
  const List = () =>
    h(
      'ul',
      null,
      names.map((n) => h(Row, { key: n, name: n })),
    )
  return {
    name: 'valtio',
    mount(el) {
      const root = createRoot(el)
      flushSync(() => root.render(h(List)))
      return () => flushSync(() => root.unmount())
    },
    transfer: (from, to, amount) => {
      state.accounts[from]! -= amount
      state.accounts[to]! += amount
    },
    balance: (n) => state.accounts[n]!,
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

const makers = [theusApp, theusSelectorApp, zustandApp, jotaiApp, mobxApp, valtioApp, reduxApp]
const out: Record<number, { name: string; ms: number; renders: number }[]> = {}
for (const rows of [1_000, 10_000]) {
  ROWS = rows
  // At 10 000 rows some libraries take over 100 ms per transfer: 200 transfers, per-transfer
  // figures compared as they are (the total column is scaled to 1 000 transfers).
  TRANSFERS = rows >= 10_000 ? 200 : 1000
  names = Array.from({ length: ROWS }, (_, i) => `acc${i}`)
  pairs = Array.from(
    { length: TRANSFERS },
    (_, i) => [names[i % ROWS]!, names[(i * 7 + 1) % ROWS]!] as const,
  )
  if (rows < 10_000) for (const m of makers) runOnce(m) // warm-up (the 10 000 run follows it)
  const results = new Map<string, { ms: number[]; renders: number }>()
  const n = rows >= 10_000 ? Math.max(1, Math.ceil(rounds / 3)) : rounds
  for (let r = 0; r < n; r++) {
    for (const m of makers) {
      const { name, ms, renders } = runOnce(m)
      const e = results.get(name) ?? { ms: [], renders }
      e.ms.push(ms)
      results.set(name, e)
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const base = median(results.get('theus')!.ms)
  const base1000 = (base * 1000) / TRANSFERS
  console.log(
    `\n${ROWS} rows, ${TRANSFERS} transfers (totals per 1 000), median of ${n} rounds (jsdom, flushSync per transfer, NODE_ENV=${globalThis.process.env.NODE_ENV ?? 'development'})`,
  )
  console.log('library            total ms   per transfer   row renders   vs theus')
  out[rows] = []
  for (const [name, { ms, renders }] of results) {
    const m = (median(ms) * 1000) / TRANSFERS
    out[rows].push({ name, ms: m, renders: (renders * 1000) / TRANSFERS })
    console.log(
      `${name.padEnd(18)} ${m.toFixed(1).padStart(8)}   ${(m / 1000).toFixed(3).padStart(9)} ms   ${String((renders * 1000) / TRANSFERS).padStart(11)}   ${(m / base1000).toFixed(2)}x`,
    )
  }
}
report('react', { transfers: 1000, results: out })

export {}
