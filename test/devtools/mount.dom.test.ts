import { fireEvent, within } from '@testing-library/dom'
import { HMR_EVENT, mountTheusDevtools } from 'theus/devtools'
import { afterEach, describe, expect, it } from 'vitest'
import { makeBank, tx } from './bank'

const flush = () => new Promise<void>((r) => queueMicrotask(r))

let unmounts: (() => void)[] = []
afterEach(() => {
  for (const u of unmounts) u()
  unmounts = []
  document.body.replaceChildren()
})

type Options = Parameters<typeof mountTheusDevtools>[2]

function mount(options: Options | ((bank: ReturnType<typeof makeBank>) => Options) = {}) {
  const bank = makeBank()
  if (typeof options === 'function') options = options(bank)
  const el = document.createElement('div')
  document.body.append(el)
  const unmount = mountTheusDevtools(bank.engine, el, options)
  unmounts.push(unmount)
  const host = el.querySelector('[data-theus-devtools]') as HTMLElement
  const shadow = host.shadowRoot!
  const ui = within(shadow as unknown as HTMLElement)
  const open = async (tab: string) => {
    fireEvent.click(ui.getByTestId(`devtools-tab-${tab}`))
    await flush()
    return ui.getByTestId(`devtools-panel-${tab}`)
  }
  return { ...bank, el, host, shadow, ui, open, unmount }
}

describe('mountTheusDevtools', () => {
  it('renders in a shadow root inside the element, with scoped styles, and unmounts cleanly', () => {
    const { el, host, shadow, unmount, engine } = mount()
    expect(shadow.querySelector('style')?.textContent).toContain('.panel')
    // Nothing of the panel's style reaches the page.
    expect(document.head.querySelector('style')).toBeNull()
    expect(el.children).toHaveLength(1)
    unmount()
    expect(host.isConnected).toBe(false)
    // It stopped listening: a commit after unmount touches nothing (and does not throw).
    engine.runProcess('transfer', tx(1))
    unmount()
  })

  it('shows the live state as a collapsible tree, heavy values summarised and big records capped', async () => {
    const { ui, engine } = mount()
    const state = ui.getByTestId('devtools-state')
    expect(state.textContent).toContain('heavy_chart: Float64Array(365)')
    const accounts = state.querySelector('[data-path="domain.accounts"]') as HTMLDetailsElement
    expect(accounts.open).toBe(false)
    // Children are built only when opened.
    expect(accounts.querySelector('[data-path="domain.accounts.Alice"]')).toBeNull()
    accounts.open = true
    fireEvent(accounts, new Event('toggle'))
    expect(accounts.querySelector('[data-path="domain.accounts.Alice"]')?.textContent).toBe(
      'Alice: 1000',
    )
    const big = state.querySelector('[data-path="domain.big"]') as HTMLDetailsElement
    big.open = true
    fireEvent(big, new Event('toggle'))
    expect(big.querySelectorAll('.tree > [data-path]')).toHaveLength(200)
    expect(big.textContent).toContain('… 300 more')
    // The view follows commits and keeps what was open.
    engine.runProcess('transfer', tx(300))
    await flush()
    const again = ui.getByTestId('devtools-state')
    expect(again.querySelector('[data-path="domain.accounts.Alice"]')?.textContent).toBe(
      'Alice: 700',
    )
  })

  it('lists runs with outcome, args and patches as a diff, and rollbacks with code and message', async () => {
    const { engine, open } = mount()
    engine.runProcess('transfer', tx(300))
    expect(() => engine.runProcess('transfer', tx(-1))).toThrow()
    const runs = await open('runs')
    const [rollback, commit] = runs.querySelectorAll('li.row')
    expect(commit?.getAttribute('data-outcome')).toBe('commit')
    expect(commit?.textContent).toContain('transfer committed')
    expect(commit?.textContent).toContain('amount: 300')
    const diff = [...(commit?.querySelectorAll('.diff li') ?? [])].map((li) => li.textContent)
    expect(diff).toEqual(['~ domain.accounts.Alice: 1000 → 700', '~ domain.accounts.Bob: 0 → 300'])
    expect(rollback?.getAttribute('data-outcome')).toBe('rollback')
    expect(rollback?.textContent).toContain('ValueError')
    expect(rollback?.textContent).toContain('Amount must be positive')
  })

  it('keeps at most `limit` runs', async () => {
    const { engine, open } = mount({ limit: 3 })
    for (let i = 1; i <= 5; i++) engine.runProcess('transfer', tx(i))
    const runs = await open('runs')
    expect(runs.querySelectorAll('li.row')).toHaveLength(3)
    expect(runs.querySelector('li.row')?.textContent).toContain('amount: 5')
  })

  it('groups audit findings by level and shows each counter against its threshold', async () => {
    const { engine, open } = mount()
    engine.runProcess('transfer', tx(700))
    expect(() => engine.runProcess('transfer', tx(700))).toThrow()
    const audit = await open('audit')
    expect(audit.querySelector('[data-testid="devtools-audit-levels"]')?.textContent).toContain(
      'B: 2',
    )
    expect(audit.querySelectorAll('[data-testid="devtools-audit-B"] li')).toHaveLength(2)
    const counter = audit.querySelector('[data-testid="devtools-counters"] tbody tr')
    expect(counter?.textContent).toContain('transfer:input:amount:max')
    expect(counter?.textContent).toContain('2 / 2')
    expect(counter?.textContent).toContain('block')
  })

  it('says when live editing swapped the recipe, and resets its counters', async () => {
    const { engine, open, ui } = mount()
    engine.runProcess('transfer', tx(700))
    let audit = await open('audit')
    expect(audit.querySelector('[data-testid="devtools-counters"]')).not.toBeNull()
    globalThis.dispatchEvent(
      new CustomEvent(HMR_EVENT, {
        detail: { kind: 'recipe', engine, message: 'audit_recipe.yaml replaced: counters reset' },
      }),
    )
    await flush()
    audit = ui.getByTestId('devtools-panel-audit')
    expect(audit.querySelector('[data-testid="devtools-counters"]')).toBeNull()
    expect(ui.getByTestId('devtools-notice').textContent).toBe(
      'audit_recipe.yaml replaced: counters reset',
    )
    // A notice for another engine is not this panel's.
    globalThis.dispatchEvent(
      new CustomEvent(HMR_EVENT, { detail: { kind: 'process', engine: {}, message: 'other' } }),
    )
    expect(ui.getByTestId('devtools-notice').textContent).not.toBe('other')
  })

  it('shows signals as they fire, and processes with their contracts', async () => {
    const { engine, open } = mount()
    engine.runProcess('transfer', tx(5000))
    const signals = await open('signals')
    expect(signals.textContent).toContain('domain.sig_fraud_detected = true from transfer')
    const processes = await open('processes')
    expect(processes.textContent).toContain('transfer')
    expect(processes.textContent).toContain('inputs: domain.accounts')
    expect(processes.textContent).toContain('outputs: domain.accounts, domain.sig_fraud_detected')
    expect(processes.textContent).toContain('errors: ValueError')
  })

  it('shows workflow managers with their current state and transitions', async () => {
    const { machine, open, ui } = mount((b) => ({ workflows: { bank: b.machine } }))
    let wf = await open('workflows')
    expect(wf.querySelector('h3')?.textContent).toBe('bank: IDLE (idle)')
    expect(wf.textContent).toContain('CMD_TX → PROCESSING')
    await machine.send('CMD_TX', tx(10))
    await flush()
    wf = ui.getByTestId('devtools-panel-workflows')
    expect(wf.textContent).toContain('PROCESSING —EVT_CHAIN_DONE→ IDLE')
    expect(wf.textContent).toContain('IDLE —CMD_TX→ PROCESSING')
  })

  it('time travel: steps and jumps through history with undo/redo, the view following', async () => {
    const { engine, ui, open } = mount()
    engine.runProcess('transfer', tx(100))
    engine.runProcess('transfer', tx(200))
    await flush()
    const position = () => ui.getByTestId('devtools-position').textContent
    expect(position()).toBe('2 / 2')
    fireEvent.click(ui.getByTestId('devtools-back'))
    expect(engine.state.value.domain.accounts.Alice).toBe(900)
    await flush()
    expect(position()).toBe('1 / 2')
    expect((ui.getByTestId('devtools-forward') as HTMLButtonElement).disabled).toBe(false)
    fireEvent.click(ui.getByTestId('devtools-first'))
    expect(engine.state.value.domain.accounts.Alice).toBe(1000)
    await flush()
    expect(position()).toBe('0 / 2')
    expect((ui.getByTestId('devtools-back') as HTMLButtonElement).disabled).toBe(true)
    const alice = () =>
      ui.getByTestId('devtools-state').querySelector('[data-path="domain.accounts"]')
    expect(alice()?.textContent).toContain('{2}')
    const slider = ui.getByTestId('devtools-slider') as HTMLInputElement
    slider.value = '2'
    fireEvent.input(slider)
    expect(engine.state.value.domain.accounts.Alice).toBe(700)
    // The history tab lists every point, undone ones too, and jumps on click.
    fireEvent.click(ui.getByTestId('devtools-back'))
    const history = await open('history')
    expect(history.querySelectorAll('li')).toHaveLength(3)
    expect(history.querySelector('li.undone')?.textContent).toContain('amount: 200')
    fireEvent.click(ui.getByTestId('devtools-jump-0'))
    expect(engine.state.value.domain.accounts.Alice).toBe(1000)
    // A new commit drops the undone entries, as the engine does.
    engine.runProcess('transfer', tx(1))
    await flush()
    expect(position()).toBe('1 / 1')
    expect(engine.runLog.map((e) => e.process)).toEqual([
      'transfer',
      'transfer',
      'undo',
      'undo',
      'redo',
      'redo',
      'undo',
      'undo',
      'transfer',
    ])
  })

  it('shows a halt, and resumes the engine from its button', async () => {
    const { engine, ui } = mount()
    engine.replaceAuditRecipe({
      process_recipes: { transfer: { inputs: [{ field: 'amount', max: 1, level: 'S' }] } },
    })
    expect(() => engine.runProcess('transfer', tx(5))).toThrow()
    await flush()
    expect(ui.getByTestId('devtools-halted').textContent).toBe('halted')
    const resume = ui.getByTestId('devtools-resume')
    expect(resume.hidden).toBe(false)
    fireEvent.click(resume)
    expect(engine.halted).toBe(false)
    await flush()
    expect(resume.hidden).toBe(true)
  })

  it('is a keyboard tablist: arrows, Home and End move the selection and the focus', () => {
    const { ui } = mount()
    const tabs = ui.getAllByRole('tab')
    expect(tabs.map((t) => t.getAttribute('aria-selected'))[0]).toBe('true')
    expect(tabs.filter((t) => t.tabIndex === 0)).toHaveLength(1)
    tabs[0]!.focus()
    fireEvent.keyDown(tabs[0]!, { key: 'ArrowRight' })
    expect(tabs[1]!.getAttribute('aria-selected')).toBe('true')
    expect((ui.getByTestId('devtools-tab-runs').getRootNode() as ShadowRoot).activeElement).toBe(
      tabs[1],
    )
    fireEvent.keyDown(tabs[1]!, { key: 'End' })
    expect(tabs.at(-1)!.getAttribute('aria-selected')).toBe('true')
    fireEvent.keyDown(tabs.at(-1)!, { key: 'ArrowRight' })
    expect(tabs[0]!.getAttribute('aria-selected')).toBe('true')
    fireEvent.keyDown(tabs[0]!, { key: 'ArrowLeft' })
    expect(tabs.at(-1)!.getAttribute('aria-selected')).toBe('true')
    fireEvent.keyDown(tabs.at(-1)!, { key: 'Home' })
    expect(tabs[0]!.getAttribute('aria-selected')).toBe('true')
    const panel = ui.getByTestId('devtools-panel-state')
    expect(panel.getAttribute('role')).toBe('tabpanel')
    expect(panel.getAttribute('aria-labelledby')).toBe(tabs[0]!.id)
    expect(ui.getByTestId('devtools-panel-runs').hidden).toBe(true)
  })

  it('renders once per task however many events arrive, and only the visible tab', async () => {
    const { engine, ui } = mount()
    const panel = ui.getByTestId('devtools-panel-state')
    let renders = 0
    new MutationObserver(() => renders++).observe(panel, { childList: true })
    for (let i = 0; i < 20; i++) engine.runProcess('transfer', tx(1))
    await flush()
    await flush()
    expect(renders).toBe(1)
    expect(ui.getByTestId('devtools-panel-runs').childElementCount).toBe(0)
  })

  it('renders values as text: no markup from the state reaches the DOM', async () => {
    const { engine, shadow } = mount()
    engine.edit((s) => {
      s.domain.accounts['<img src=x onerror=alert(1)>'] = 1
    })
    await flush()
    const accounts = shadow.querySelector('[data-path="domain.accounts"]') as HTMLDetailsElement
    accounts.open = true
    fireEvent(accounts, new Event('toggle'))
    expect(shadow.querySelector('img')).toBeNull()
    expect(accounts.textContent).toContain('<img src=x onerror=alert(1)>: 1')
  })
})
