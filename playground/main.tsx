/**
 * The playground: the bank and state-machine demos of the spec and an inspector, as a React app
 * on `theus/react`, and the bank again as a Vue app on `theus/vue` sharing the same engine. Public names only (`theus`, `theus/react`), resolved to the sources by the
 * aliases in vite.config.ts.
 */
import { type ReactNode, useEffect, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { TheusDevtools } from 'theus/devtools/react'
import { TheusProvider } from 'theus/react'
import { BankDemo } from './BankDemo'
import { engine, interestPipeline, machine } from './engine'
import { FluxDemo } from './FluxDemo'
import { HaltBanner } from './HaltBanner'
import { Inspector } from './Inspector'
import { StateMachineDemo } from './StateMachineDemo'
import { VueTab } from './VueTab'

const TABS = { bank: 'Bank', workflows: 'Workflows', vue: 'Vue' } as const
type Tab = keyof typeof TABS

const tabOf = (hash: string): Tab => {
  const t = hash.slice(1)
  return Object.hasOwn(TABS, t) ? (t as Tab) : 'bank'
}

function App(): ReactNode {
  const [tab, setTab] = useState<Tab>(() => tabOf(location.hash))
  useEffect(() => {
    const onHash = () => setTab(tabOf(location.hash))
    addEventListener('hashchange', onHash)
    return () => removeEventListener('hashchange', onHash)
  }, [])
  return (
    <TheusProvider engine={engine}>
      <header>
        <h1>Theus playground</h1>
        <nav>
          {(Object.keys(TABS) as Tab[]).map((t) => (
            <a
              key={t}
              href={`#${t}`}
              aria-current={t === tab ? 'page' : undefined}
              data-testid={`tab-${t}`}
            >
              {TABS[t]}
            </a>
          ))}
        </nav>
      </header>
      <HaltBanner />
      <div className="layout">
        <main>
          {tab === 'bank' && <BankDemo />}
          {tab === 'workflows' && (
            <div className="stack">
              <StateMachineDemo manager={machine} />
              <FluxDemo pipeline={interestPipeline} />
            </div>
          )}
          {tab === 'vue' && <VueTab />}
        </main>
        <Inspector />
      </div>
      <TheusDevtools workflows={{ workflow: machine }} className="devtools" />
    </TheusProvider>
  )
}

// No <StrictMode>: its development-only double render would double the rows' render counters,
// which are here to show how precisely `useTheus(path)` re-renders. (The adapters' StrictMode
// behaviour is covered by their own tests.)
createRoot(document.getElementById('root')!).render(<App />)
