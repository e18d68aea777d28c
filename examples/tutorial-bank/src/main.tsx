import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { connectReduxDevTools, persist } from 'theus'
import { TheusProvider } from 'theus/react'
import { App } from './App'
import { engine } from './engine'

// Keep the balances across reloads (the data zone only: signals, meta and heavy stay out).
persist(engine, { storage: localStorage, key: 'tutorial-bank', version: 1 })

// Every commit in the Redux DevTools extension, in development only.
if (import.meta.env.DEV) connectReduxDevTools(engine, { name: 'tutorial bank' })

const root = document.getElementById('root')
if (!root) throw new Error('index.html has no #root element')

createRoot(root).render(
  <StrictMode>
    <TheusProvider engine={engine}>
      <App />
    </TheusProvider>
  </StrictMode>,
)
