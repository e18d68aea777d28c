import { act, render } from '@testing-library/react'
import { Fragment, type ReactNode, StrictMode } from 'react'
import type { TheusEngine } from 'theus'
import { TheusProvider } from 'theus/react'

/**
 * Every suite runs in and out of StrictMode. `renders` is how many times StrictMode calls a
 * component body per render (React calls it twice in development).
 */
export const modes = [
  { mode: 'plain', Wrapper: Fragment, renders: 1 },
  { mode: 'StrictMode', Wrapper: StrictMode, renders: 2 },
] as const

export function renderWith(
  engine: TheusEngine<any>,
  Wrapper: (p: { children?: ReactNode }) => ReactNode,
  ui: ReactNode,
) {
  return render(
    <Wrapper>
      <TheusProvider engine={engine}>{ui}</TheusProvider>
    </Wrapper>,
  )
}

export { act }
