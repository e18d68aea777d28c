/** The playground's Flux card follows a live edit of its pipeline (theus/vite updates it in place). */
import { act, cleanup, render } from '@testing-library/react'
import { process, TheusEngine } from 'theus'
import { HMR_EVENT } from 'theus/devtools'
import { TheusProvider } from 'theus/react'
import { afterEach, describe, expect, it } from 'vitest'
import { FluxDemo } from '../../playground/FluxDemo'

afterEach(cleanup)

describe('playground FluxDemo', () => {
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
