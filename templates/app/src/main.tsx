import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { TheusProvider } from 'theus/react'
import { App } from './App'
import { engine } from './engine'

const root = document.getElementById('root')
if (!root) throw new Error('index.html has no #root element')

createRoot(root).render(
  <StrictMode>
    <TheusProvider engine={engine}>
      <App />
    </TheusProvider>
  </StrictMode>,
)
