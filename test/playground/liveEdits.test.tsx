/** The playground's cards follow live edits (theus/vite changes a pipeline or a process without a commit). */
import { act, cleanup, render } from '@testing-library/react'
import { process, TheusEngine } from 'theus'
import { HMR_EVENT } from 'theus/devtools'
import { TheusProvider } from 'theus/react'
import { afterEach, describe, expect, it } from 'vitest'
import { FluxDemo } from '../../playground/FluxDemo'
import { Inspector } from '../../playground/Inspector'

afterEach(cleanup)

const liveEdit = () =>
  act(() => {
    dispatchEvent(new CustomEvent(HMR_EVENT, { detail: { kind: 'process', message: '' } }))
  })

describe('playground live edits', () => {
  it("the inspector's process table shows a contract replaced by a live edit", () => {
    const contract = (outputs: string[]) =>
      process({ inputs: ['domain.n'], outputs }, function bump(ctx) {
        ctx.domain.n++
      })
    const engine = new TheusEngine(
      { domain: { n: 0, m: 0 } },
      { processes: { bump: contract(['domain.n']) } },
    )
    const { getByTestId } = render(
      <TheusProvider engine={engine}>
        <Inspector />
      </TheusProvider>,
    )
    expect(getByTestId('inspector-processes').textContent).toContain('out: domain.n')
    engine.replaceProcess(contract(['domain.n', 'domain.m']))
    liveEdit()
    expect(getByTestId('inspector-processes').textContent).toContain('out: domain.n, domain.m')
  })

  it('shows the steps of the pipeline as a live edit leaves them', () => {
    const tick = process({ outputs: ['domain.ledger'] }, function tick(ctx) {
      ctx.domain.ledger.month++
    })
    const engine = new TheusEngine(
      { domain: { ledger: { month: 0, accrued: 0 }, accounts: { Alice: 1 } } },
      { processes: { tick } },
    )
    const pipeline: { steps: unknown[] } = { steps: ['tick'] }
    const { getByText } = render(
      <TheusProvider engine={engine}>
        <FluxDemo pipeline={pipeline as never} />
      </TheusProvider>,
    )
    expect(getByText('tick', { selector: 'pre' })).toBeTruthy()
    // What theus/vite's acceptFlux does: the same object, new steps, then its notice.
    pipeline.steps = ['tick', 'tick']
    act(() => {
      dispatchEvent(new CustomEvent(HMR_EVENT, { detail: { kind: 'workflow', message: '' } }))
    })
    expect(
      getByText('tick tick', { selector: 'pre', normalizer: (t) => t.replace(/\s+/g, ' ') }),
    ).toBeTruthy()
  })
})
