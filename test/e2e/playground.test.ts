/**
 * The playground in a real browser: Debian's Chromium driven by playwright-core (STYLE.md),
 * against a production build of `playground/` served by `vite preview` on 127.0.0.1, and once
 * against the dev server that `npm run dev` starts. Each test loads the page afresh, so each
 * starts from the initial context (Alice 1,000, Bob 0, Carol 15,000, Dave 300 (frozen),
 * reserves 1,000,000). Screenshots at laptop (1280) and phone (390) widths go to test-results/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { createServer, type PreviewServer, type ViteDevServer } from 'vite'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { freePort, launchChromium, previewPlayground, root, watchErrors } from './browser'

const shots = join(root, 'test-results')
const configFile = join(root, 'vite.config.ts')
const playground = join(root, 'playground')

let tmp = ''
let server: PreviewServer | undefined
let context: BrowserContext | undefined
let page: Page
let url = ''
const pageErrors: string[] = []

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'theus-e2e-'))
  ;({ server, url } = await previewPlayground(join(tmp, 'dist')))
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
  context = await launchChromium(join(tmp, 'profile'), { width: 1280, height: 900 })
  page = watchErrors(context.pages()[0] ?? (await context.newPage()), pageErrors)
})

afterAll(async () => {
  await context?.close()
  await server?.close()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

async function open(hash = ''): Promise<void> {
  // A different URL each time, so that going from `/#workflows` to `/` reloads the page.
  await page.goto('about:blank')
  await page.goto(`${url}${hash}`)
  try {
    await page.getByTestId('tab-bank').waitFor()
  } catch (e) {
    throw new Error(`the playground did not render; page errors: ${pageErrors.join(' | ')}`, {
      cause: e,
    })
  }
}

beforeEach(async () => {
  pageErrors.length = 0
  await open()
})

const text = (testId: string) => () => page.getByTestId(testId).textContent()
const texts = (testId: string) => page.getByTestId(testId).locator(':scope > li').allTextContents()

const ACCOUNTS = ['Alice', 'Bob', 'Carol', 'Dave']

async function balances(prefix = ''): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {}
  for (const name of ACCOUNTS) {
    out[name] = await page.getByTestId(`${prefix}balance-${name}`).textContent()
  }
  return out
}

async function renders(prefix = ''): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {}
  for (const name of ACCOUNTS) {
    out[name] = await page.getByTestId(`${prefix}renders-${name}`).textContent()
  }
  return out
}

async function transfer(from: string, to: string, amount: string): Promise<void> {
  await page.selectOption('select[name=from_user]', from)
  await page.selectOption('select[name=to_user]', to)
  await page.fill('input[name=amount]', amount)
  await page.getByTestId('transfer').click()
}

const INITIAL = { Alice: '1,000', Bob: '0', Carol: '15,000', Dave: '300' }
const ONCE = { Alice: '1', Bob: '1', Carol: '1', Dave: '1' }

describe('playground bank demo in Chromium', () => {
  it('renders the accounts once each, and the inspector lists the processes and their contracts', async () => {
    expect(await balances()).toEqual(INITIAL)
    expect(await renders()).toEqual(ONCE)
    expect(await page.getByTestId('reserves').textContent()).toBe('1,000,000')
    const state = JSON.parse((await page.getByTestId('inspector-state').textContent()) ?? '')
    expect(state.domain.accounts).toEqual({ Alice: 1000, Bob: 0, Carol: 15000, Dave: 300 })
    expect(state.domain.heavy_chart).toBe('Float64Array(365)')

    const processes = page.getByTestId('inspector-processes')
    const transferRow = processes.locator('tr', { hasText: /^transfer/ })
    expect(await transferRow.textContent()).toBe(
      'transferin: domain.accountsout: domain.accounts, domain.total_reserves, domain.sig_fraud_detectederrors: ValueError',
    )
    // Names survive the production minifier (keepNames): every process is listed by name.
    for (const name of [
      'deposit',
      'drain_reserves',
      'skim',
      'notify',
      'check_funds',
      'accrue_interest',
    ]) {
      expect(await processes.locator('th', { hasText: new RegExp(`^${name}$`) }).count()).toBe(1)
    }
    expect(pageErrors).toEqual([])
  })

  it('a transfer changes exactly the two balances, re-renders exactly their rows, and the inspector lists the commit with its patches', async () => {
    await transfer('Alice', 'Bob', '250')
    await expect.poll(text('transfer-result')).toBe('Success')
    expect(await balances()).toEqual({ ...INITIAL, Alice: '750', Bob: '250' })
    expect(await renders()).toEqual({ ...ONCE, Alice: '2', Bob: '2' })
    expect(await page.getByTestId('history-count').textContent()).toBe('1')

    const commits = await texts('inspector-commits')
    expect(commits).toHaveLength(1)
    expect(commits[0]).toContain('transfer')
    expect(commits[0]).toContain('replace domain.accounts.Alice = 750')
    expect(commits[0]).toContain('replace domain.accounts.Bob = 250')
    const state = JSON.parse((await page.getByTestId('inspector-state').textContent()) ?? '')
    expect(state.domain.accounts).toEqual({ Alice: 750, Bob: 250, Carol: 15000, Dave: 300 })
    expect(pageErrors).toEqual([])
  })

  it('a transfer the process rejects shows its error as data and changes nothing', async () => {
    await transfer('Alice', 'Alice', '5')
    await expect.poll(text('transfer-error-name')).toBe('ValueError')
    expect(await page.getByTestId('transfer-error-message').textContent()).toBe(
      'From and To are the same account (Alice)',
    )
    expect(await page.getByTestId('transfer-result').count()).toBe(0)
    expect(await balances()).toEqual(INITIAL)
    expect(await renders()).toEqual(ONCE)
    expect(await page.getByTestId('history-count').textContent()).toBe('0')
    expect(await texts('inspector-commits')).toEqual([])
    const rollbacks = await texts('inspector-rollbacks')
    expect(rollbacks).toHaveLength(1)
    expect(rollbacks[0]).toMatch(/^transfer ValueError From and To are the same account/)
  })

  it('refuses what is not a positive amount before any run: the button is disabled and says why', async () => {
    const button = page.getByTestId('transfer')
    for (const [typed, why] of [
      ['', 'Enter an amount.'],
      ['0', 'The amount must be more than 0.'],
      ['-5', 'The amount must be more than 0.'],
    ] as const) {
      await page.fill('input[name=amount]', typed)
      expect(await button.isDisabled()).toBe(true)
      expect(await page.getByTestId('amount-why').textContent()).toBe(why)
      expect(await page.getAttribute('input[name=amount]', 'aria-invalid')).toBe('true')
    }
    // The form cannot be sent with Enter either.
    await page.press('input[name=amount]', 'Enter')
    await page.fill('input[name=deposit_amount]', '')
    expect(await page.getByTestId('deposit').isDisabled()).toBe(true)
    expect(await page.getByTestId('deposit_amount-why').textContent()).toBe('Enter an amount.')
    // Nothing ran: no rollback, no audit finding (the level B and C rules never saw NaN).
    expect(await texts('inspector-rollbacks')).toEqual([])
    expect(await texts('inspector-audit')).toEqual([])
    await page.fill('input[name=amount]', '12.5')
    expect(await button.isDisabled()).toBe(false)
    expect(await page.getByTestId('amount-why').count()).toBe(0)
    await button.click()
    await expect.poll(text('balance-Bob')).toBe('12.5')

    // Called directly, the processes refuse NaN with their own error (check_funds has no audit
    // rule in front of it; transfer's level B rule fails closed on NaN before its body runs).
    const direct = await page.evaluate(() => {
      const e = (globalThis as any).engine
      const attempt = (name: string, args: unknown) => {
        try {
          e.runProcess(name, args)
          return 'ran'
        } catch (err) {
          return `${(err as Error).name} ${(err as { code?: string }).code ?? ''} ${(err as Error).message}`
        }
      }
      return [
        attempt('check_funds', { from_user: 'Alice', to_user: 'Bob', amount: Number.NaN }),
        attempt('transfer', { from_user: 'Alice', to_user: 'Bob', amount: Number.NaN }),
      ]
    })
    expect(direct[0]).toBe('ValueError  Amount must be a positive number, got NaN')
    expect(direct[1]).toMatch(/^AuditBlockError AUDIT_BLOCK /)
    expect(pageErrors).toEqual([])
  })

  it('insufficient funds raises the fraud signal, moves no money and reads as a failure', async () => {
    await transfer('Bob', 'Alice', '5')
    const result = page.getByTestId('transfer-result')
    await expect
      .poll(() => result.locator('strong').textContent())
      .toBe('Failed: Insufficient Funds')
    // Shown as a failure: the error style and role, not the green success line.
    expect(await result.getAttribute('data-outcome')).toBe('failure')
    expect(await result.getAttribute('role')).toBe('alert')
    expect(await result.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(164, 22, 26)')
    expect(await result.textContent()).toContain('No money moved')
    await page.getByTestId('fraud-signal').waitFor()
    expect(await balances()).toEqual(INITIAL)
    expect(await renders()).toEqual(ONCE)
    expect(await texts('inspector-signals')).toEqual([
      'domain.sig_fraud_detected = true from transfer',
    ])
    // A signal lasts one commit: the next commit resets it. A success reads as one.
    await transfer('Alice', 'Bob', '1')
    await expect.poll(() => page.getByTestId('fraud-signal').count()).toBe(0)
    expect(await result.getAttribute('data-outcome')).toBe('success')
    expect(await result.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(31, 111, 63)')
  })

  it('the audit recipe blocks a transfer over 10,000 (AUDIT_BLOCK) and warns at level C on the second large one', async () => {
    await transfer('Alice', 'Bob', '20000')
    await expect.poll(text('transfer-error-code')).toBe('AUDIT_BLOCK')
    expect(await page.getByTestId('transfer-error-name').textContent()).toBe('AuditBlockError')
    expect(await page.getByTestId('transfer-error-message').textContent()).toContain(
      'Transfers over 10,000 need a manual review',
    )
    expect(await balances()).toEqual(INITIAL)
    expect(await texts('inspector-rollbacks')).toEqual([
      expect.stringMatching(/^transfer AUDIT_BLOCK /),
    ])

    // The level C rule (over 5,000, threshold 2) counted that one too: the next large transfer
    // reaches its threshold and warns; the run goes on (here: insufficient funds).
    await transfer('Alice', 'Bob', '6000')
    await expect
      .poll(() => page.getByTestId('transfer-result').locator('strong').textContent())
      .toBe('Failed: Insufficient Funds')
    const audit = await texts('inspector-audit')
    expect(audit).toHaveLength(3)
    // Every rule of a gate is checked, in the order the recipe lists them.
    expect(audit[0]).toMatch(/^B block transfer input amount max 10000: 20000 \(1\/1\)/)
    expect(audit[1]).toMatch(/^C early-warning transfer input amount max 5000: 20000 \(1\/2\)/)
    expect(audit[2]).toMatch(/^C warn transfer input amount max 5000: 6000 \(2\/2\)/)
  })

  it('level C warnings show under the transfer form, where the run happened (Carol can afford two large transfers)', async () => {
    await transfer('Carol', 'Bob', '6000')
    await expect.poll(text('transfer-result')).toBe('Success')
    await expect
      .poll(() => texts('transfer-audit'))
      .toEqual([
        expect.stringMatching(/^C early-warning Two large transfers in a row: amount = 6000/),
      ])
    await transfer('Carol', 'Bob', '6000')
    await expect
      .poll(() => texts('transfer-audit'))
      .toEqual([
        expect.stringMatching(
          /^C warn Two large transfers in a row: amount = 6000 \(max 5000, 2\/2\)/,
        ),
      ])
    expect(await balances()).toEqual({ ...INITIAL, Bob: '12,000', Carol: '3,000' })
    // A small transfer passes every rule: no warning left from the previous run.
    await transfer('Alice', 'Bob', '10')
    await expect.poll(() => page.getByTestId('transfer-audit').count()).toBe(0)
    // Level B blocks a transfer over 10,000 even when the money is there.
    await transfer('Bob', 'Alice', '11000')
    await expect.poll(text('transfer-error-code')).toBe('AUDIT_BLOCK')
    expect(await page.getByTestId('balance-Bob').textContent()).toBe('12,010')
  })

  it('a level A interlock refuses a transfer from the frozen account, without halting the engine', async () => {
    await page.getByTestId('frozen').click()
    await expect.poll(text('breaker-error-code')).toBe('AUDIT_INTERLOCK')
    expect(await page.getByTestId('breaker-error-level').textContent()).toBe('level A')
    expect(await page.getByTestId('breaker-error-message').textContent()).toContain(
      "Dave's account is frozen",
    )
    expect(await page.getByTestId('halt-banner').count()).toBe(0)
    expect(await balances()).toEqual(INITIAL)
    expect(await texts('inspector-audit')).toEqual([
      expect.stringMatching(/^A abort transfer input from_user neq "Dave": "Dave"/),
    ])
    await transfer('Alice', 'Bob', '10')
    await expect.poll(text('transfer-result')).toBe('Success')
  })

  it('a level S interlock halts the engine: the banner shows, runs are refused, Resume clears it', async () => {
    await page.getByTestId('drain').click()
    await page.getByTestId('halt-banner').waitFor()
    expect(await page.getByTestId('breaker-error-code').textContent()).toBe('AUDIT_INTERLOCK')
    expect(await page.getByTestId('halt-banner').textContent()).toContain('drain_reserves')
    expect(await page.getByTestId('halt-banner').textContent()).toContain(
      'Reserves must never be negative',
    )
    expect(await page.getByTestId('reserves').textContent()).toBe('1,000,000')
    expect(await texts('inspector-audit')).toEqual([
      expect.stringMatching(
        /^S interlock drain_reserves output domain\.total_reserves min 0: -1000000/,
      ),
    ])

    await transfer('Alice', 'Bob', '10')
    await expect.poll(text('transfer-error-code')).toBe('ENGINE_HALTED')
    expect(await balances()).toEqual(INITIAL)
    mkdirSync(shots, { recursive: true })
    await page.screenshot({ path: join(shots, 'playground-halted-1280.png') })

    // Resume ends the halt, and the messages that described it go with it.
    await page.getByTestId('resume').click()
    await expect.poll(() => page.getByTestId('halt-banner').count()).toBe(0)
    await expect.poll(() => page.getByTestId('transfer-error').count()).toBe(0)
    await expect.poll(() => page.getByTestId('breaker-error').count()).toBe(0)
    await transfer('Alice', 'Bob', '10')
    await expect.poll(text('transfer-result')).toBe('Success')
    expect(await balances()).toEqual({ ...INITIAL, Alice: '990', Bob: '10' })
  })

  it('a deposit that conflicts with a transfer says so, advises what a form can do, and runs again', async () => {
    // Both clicks in one task: the deposit (400 ms) is still running when the transfer to Bob
    // commits, whatever the machine's speed.
    await page.evaluate(() => {
      ;(document.querySelector('[data-testid=deposit]') as HTMLButtonElement).click()
      ;(document.querySelector('[data-testid=transfer]') as HTMLButtonElement).click()
    })
    await expect.poll(text('deposit-error-code')).toBe('CONFLICT')
    expect(await page.getByTestId('deposit-error-advice').textContent()).toContain(
      'useProcess(name, { retries: 2 })',
    )
    expect(await page.getByTestId('balance-Bob').textContent()).toBe('100')
    await page.getByTestId('deposit-again').click()
    await expect.poll(text('deposit-result')).toBe('Deposited 50 for Bob')
    expect(await page.getByTestId('balance-Bob').textContent()).toBe('150')
    expect(await page.getByTestId('deposit-error').count()).toBe(0)
  })

  it('undo restores the balances, redo applies them again', async () => {
    await transfer('Alice', 'Bob', '250')
    await expect.poll(text('balance-Bob')).toBe('250')
    await page.getByTestId('undo').click()
    await expect.poll(text('balance-Bob')).toBe('0')
    expect(await balances()).toEqual(INITIAL)
    expect(await renders()).toEqual({ ...ONCE, Alice: '3', Bob: '3' })
    expect(await page.getByTestId('history-count').textContent()).toBe('0')
    expect(await page.getByTestId('undo').isDisabled()).toBe(true)
    const commits = await texts('inspector-commits')
    expect(commits[0]).toContain('undo')
    expect(commits[0]).toContain('replace domain.accounts.Alice = 1000')

    await page.getByTestId('redo').click()
    await expect.poll(text('balance-Bob')).toBe('250')
    expect(await page.getByTestId('balance-Alice').textContent()).toBe('750')
    expect(await page.getByTestId('redo').isDisabled()).toBe(true)
    await expect.poll(text('history-count')).toBe('1')
    expect(await page.getByTestId('undo').getAttribute('title')).toBe(
      'Undo the last transfer commit',
    )
  })

  it('an async deposit shows pending, then its result', async () => {
    await page.fill('input[name=deposit_amount]', '50')
    await page.getByTestId('deposit').click()
    await page.getByTestId('deposit-pending').waitFor()
    await expect.poll(text('deposit-result')).toBe('Deposited 50 for Bob')
    expect(await page.getByTestId('deposit-pending').count()).toBe(0)
    expect(await balances()).toEqual({ ...INITIAL, Bob: '50' })
    expect(await page.getByTestId('reserves').textContent()).toBe('1,000,050')
  })

  it('a process that writes outside its contract is stopped and rolled back', async () => {
    await page.getByTestId('skim').click()
    await expect.poll(text('breaker-error-code')).toBe('ILLEGAL_WRITE')
    const message = await page.getByTestId('breaker-error-message').textContent()
    expect(message).toMatch(/^Illegal Write/)
    expect(message).toContain("'skim'")
    expect(message).toContain('domain.total_reserves')
    expect(await balances()).toEqual(INITIAL)
    expect(await page.getByTestId('reserves').textContent()).toBe('1,000,000')
    expect(await texts('inspector-rollbacks')).toEqual([
      expect.stringMatching(/^skim ILLEGAL_WRITE /),
    ])

    expect(pageErrors).toEqual([])
  })
})

describe('playground inspector in Chromium', () => {
  it('counts every commit as the card does, while listing the last 8', async () => {
    for (let i = 1; i <= 10; i++) {
      await transfer('Alice', 'Bob', '1')
      await expect.poll(text('history-count')).toBe(String(i))
    }
    expect(await page.getByTestId('inspector-commits-summary').textContent()).toBe(
      'Commits (10, last 8)',
    )
    expect(await texts('inspector-commits')).toHaveLength(8)
    await page.getByTestId('undo').click()
    await expect.poll(text('history-count')).toBe('9')
    expect(await page.getByTestId('inspector-commits-summary').textContent()).toBe(
      'Commits (11, last 8)',
    )
  })

  it('shows undo and redo without args (never "undefined"), and NaN as NaN', async () => {
    await transfer('Alice', 'Bob', '250')
    await expect.poll(text('balance-Bob')).toBe('250')
    await page.getByTestId('undo').click()
    await expect.poll(text('balance-Bob')).toBe('0')
    await page.getByTestId('redo').click()
    await expect.poll(text('balance-Bob')).toBe('250')
    const commits = page.getByTestId('inspector-commits').locator(':scope > li')
    expect(await commits.nth(0).locator(':scope > strong').textContent()).toBe('redo')
    expect(await commits.nth(1).locator(':scope > strong').textContent()).toBe('undo')
    for (const i of [0, 1]) {
      expect(await commits.nth(i).locator(':scope > .muted').count()).toBe(0)
      expect(await commits.nth(i).textContent()).not.toContain('undefined')
    }
    expect(await commits.nth(2).locator(':scope > .muted').textContent()).toBe(
      '{"from_user":"Alice","to_user":"Bob","amount":250}',
    )
    // An admin edit that stores NaN: the inspector shows NaN, not JSON's null.
    await page.evaluate(() =>
      (globalThis as any).engine.edit((s: any) => {
        s.domain.ledger.accrued = Number.NaN
      }),
    )
    await expect
      .poll(() => commits.nth(0).textContent())
      .toContain('replace domain.ledger.accrued = NaN')
    expect(await page.getByTestId('inspector-state').textContent()).toContain('"accrued": NaN')
  })
})

describe('playground workflows in Chromium', () => {
  it('the state machine goes IDLE → PROCESSING → NOTIFY → IDLE and lists its transitions', async () => {
    await page.getByTestId('tab-workflows').click()
    expect(await page.getByTestId('fsm-state').textContent()).toBe('IDLE')
    await page.getByTestId('send-CMD_TX').click()
    await expect
      .poll(() => texts('fsm-history'))
      .toEqual([
        'IDLE —CMD_TX→ PROCESSING',
        'PROCESSING —EVT_SUCCESS→ NOTIFY',
        'NOTIFY —EVT_CHAIN_DONE→ IDLE',
      ])
    await expect.poll(text('fsm-status')).toBe('idle')
    expect(await page.getByTestId('fsm-state').textContent()).toBe('IDLE')
    expect(await page.getByTestId('fsm-last-tx').textContent()).toBe('Alice → Bob: 100')
    expect(await page.getByTestId('fsm-error').count()).toBe(0)
    const commits = await texts('inspector-commits')
    expect(commits.map((c) => c.split(' ')[0])).toEqual(['notify', 'transfer', 'check_funds'])

    // A transfer that cannot move money (Bob holds 0): check_funds fails the chain, and
    // PROCESSING's EVT_FAIL leads straight back to IDLE, with no notification.
    await page.selectOption('select[name=fsm_from]', 'Bob')
    await page.selectOption('select[name=fsm_to]', 'Carol')
    await page.fill('input[name=fsm_amount]', '9999')
    await page.getByTestId('send-CMD_TX').click()
    await expect.poll(text('fsm-error-name')).toBe('ValueError')
    expect(await page.getByTestId('fsm-error-message').textContent()).toBe(
      'Insufficient funds: Bob holds 100, the transfer needs 9999',
    )
    await expect
      .poll(async () => (await texts('fsm-history')).slice(3))
      .toEqual(['IDLE —CMD_TX→ PROCESSING', 'PROCESSING —EVT_FAIL→ IDLE'])
    expect(await page.getByTestId('fsm-state').textContent()).toBe('IDLE')
    expect(await page.getByTestId('fsm-last-tx').textContent()).toBe('Alice → Bob: 100')

    await page.getByTestId('tab-bank').click()
    expect(await balances()).toEqual({ ...INITIAL, Alice: '900', Bob: '100' })
    expect(pageErrors).toEqual([])
  })

  it('chooses accounts from the existing ones, and transfer refuses an unknown account', async () => {
    await open('#workflows')
    for (const name of ['fsm_from', 'fsm_to', 'flux_user']) {
      expect(await page.locator(`select[name=${name}] option`).allTextContents()).toEqual(ACCOUNTS)
    }
    const outcome = await page.evaluate(() => {
      const e = (globalThis as any).engine
      try {
        e.runProcess('transfer', { from_user: 'Carol', to_user: 'bobb', amount: 5 })
        return 'ran'
      } catch (err) {
        return `${(err as Error).name}: ${(err as Error).message}`
      }
    })
    expect(outcome).toBe(
      'ValueError: Unknown receiving account "bobb"; the accounts are Alice, Bob, Carol, Dave',
    )
    const state = JSON.parse((await page.getByTestId('inspector-state').textContent()) ?? '')
    expect(Object.keys(state.domain.accounts)).toEqual(ACCOUNTS)
  })

  it('draws the machine: states, transitions labelled by event, the current state named for assistive technology', async () => {
    await open('#workflows')
    const svg = page.getByTestId('fsm-diagram')
    expect(await svg.locator('g.node').count()).toBe(3)
    expect(await svg.locator('g.edge text').allTextContents()).toEqual([
      'CMD_TX',
      'EVT_SUCCESS',
      'EVT_FAIL',
      'EVT_CHAIN_DONE',
    ])
    expect(await svg.locator('g.edge path[marker-end]').count()).toBe(4)
    const current = svg.locator('[aria-current]')
    expect(await current.count()).toBe(1)
    expect(await current.getAttribute('aria-label')).toBe('Current state: IDLE')
    expect(await page.getByRole('img', { name: 'Current state: IDLE' }).count()).toBe(1)
    expect(await page.getByTestId('fsm-node-IDLE').getAttribute('class')).toContain('current')
    // IDLE accepts one event: one button.
    expect(
      await page.locator('fieldset.events button[data-testid^=send-]').allTextContents(),
    ).toEqual(['Send CMD_TX'])

    // Record what the page shows while the chains run: the queue and the current state.
    await page.evaluate(() => {
      const seen: { queue: string[]; current: string[]; buttons: string[] } = {
        queue: [],
        current: [],
        buttons: [],
      }
      ;(globalThis as any).__seen = seen
      const record = () => {
        const q = document.querySelector('[data-testid=fsm-queue]')?.textContent
        if (q) seen.queue.push(q)
        const c = document.querySelector('svg.fsm [aria-current]')?.getAttribute('aria-label')
        if (c && seen.current.at(-1) !== c) seen.current.push(c)
        const b = [...document.querySelectorAll('fieldset.events button[data-testid^=send-]')]
          .map((x) => x.textContent)
          .join(',')
        if (seen.buttons.at(-1) !== b) seen.buttons.push(b)
      }
      new MutationObserver(record).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      })
      // Two CMD_TX in one task: the second is sent while the first one's chain runs.
      const send = document.querySelector('[data-testid=send-CMD_TX]') as HTMLButtonElement
      send.click()
      send.click()
    })
    await expect.poll(async () => (await texts('fsm-history')).length).toBe(6)
    await expect.poll(text('fsm-status')).toBe('idle')
    const seen = await page.evaluate(() => (globalThis as any).__seen)
    expect(seen.queue).toContain('CMD_TX')
    expect(seen.current).toEqual(
      // PROCESSING's processes are synchronous: it may pass between two paints.
      expect.arrayContaining(['Current state: NOTIFY (running)', 'Current state: IDLE']),
    )
    expect(seen.buttons).toEqual(expect.arrayContaining(['Send EVT_CHAIN_DONE']))
    expect(await page.getByTestId('fsm-queue-empty').count()).toBe(1)
    // The last transition taken is drawn as such.
    expect(await page.getByTestId('fsm-edge-NOTIFY-EVT_CHAIN_DONE').getAttribute('class')).toBe(
      'edge taken',
    )
    await page.screenshot({ path: join(shots, 'playground-fsm-1280.png') })

    // Reset empties the transitions list.
    await page.getByTestId('fsm-reset').click()
    await page.getByTestId('fsm-history-empty').waitFor()
    expect(await page.getByTestId('fsm-history').count()).toBe(0)
    expect(pageErrors).toEqual([])
  })

  it('a level A interlock aborts the workflow: shown on the diagram, events disabled until Reset', async () => {
    await open('#workflows')
    await page.selectOption('select[name=fsm_from]', 'Dave')
    await page.getByTestId('send-CMD_TX').click()
    await expect.poll(text('fsm-status')).toBe('aborted')
    expect(await page.getByTestId('fsm-error-code').textContent()).toBe('AUDIT_INTERLOCK')
    expect(await page.getByTestId('fsm-error-level').textContent()).toBe('level A')
    expect(
      await page.getByTestId('fsm-diagram').locator('[aria-current]').getAttribute('aria-label'),
    ).toBe('Current state: PROCESSING (aborted)')
    await page.getByTestId('fsm-aborted').waitFor()
    for (const b of await page.locator('fieldset.events button[data-testid^=send-]').all())
      expect(await b.isDisabled()).toBe(true)
    await page.getByTestId('fsm-reset').click()
    await expect.poll(text('fsm-state')).toBe('IDLE')
    expect(await page.getByTestId('fsm-history-empty').count()).toBe(1)
    expect(await page.getByTestId('fsm-error').count()).toBe(0)
    expect(await page.getByTestId('send-CMD_TX').isDisabled()).toBe(false)
  })

  it('the Flux pipeline loops three months, posts the interest and shows the processes it ran', async () => {
    await open('#workflows')
    await page.getByTestId('run-flux').click()
    await expect
      .poll(() => texts('flux-result'))
      .toEqual([
        'open_quarter',
        'accrue_interest',
        'accrue_interest',
        'accrue_interest',
        'post_interest',
      ])
    // An account with nothing to earn takes the pipeline's `else` branch.
    await page.selectOption('select[name=flux_user]', 'Bob')
    await page.getByTestId('run-flux').click()
    await expect.poll(async () => (await texts('flux-result')).at(-1)).toBe('skip_interest')

    await page.getByTestId('tab-bank').click()
    expect(await balances()).toEqual({ ...INITIAL, Alice: '1,030' })
    expect(await page.getByTestId('reserves').textContent()).toBe('999,970')
    expect(pageErrors).toEqual([])
  })
})

describe('playground dev server (npm run dev)', () => {
  let dev: ViteDevServer | undefined
  afterAll(async () => {
    await dev?.close()
  })

  it('serves the playground from the sources (YAML compiled by theus/vite), and a transfer works', async () => {
    dev = await createServer({
      configFile,
      root: playground,
      logLevel: 'warn',
      server: { host: '127.0.0.1', port: await freePort(), strictPort: true, hmr: false },
    })
    await dev.listen()
    const devUrl = dev.resolvedUrls?.local[0] ?? ''
    const devPage = await context!.newPage()
    const errors: string[] = []
    devPage.on('pageerror', (e) => errors.push(e.message))
    // React's development build warns on the console (keys, effects, unstable selectors...).
    devPage.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text())
    })
    await devPage.goto(devUrl)
    // The first load may pre-bundle dependencies and reload the page once: wait for the text.
    await devPage.getByTestId('balance-Alice').filter({ hasText: '1,000' }).waitFor()
    await devPage.fill('input[name=amount]', '40')
    await devPage.getByTestId('transfer').click()
    await devPage.getByTestId('balance-Bob').filter({ hasText: '40' }).waitFor()
    expect(await devPage.getByTestId('balance-Alice').textContent()).toBe('960')
    // The recipe came through the plugin: its level B rule blocks.
    await devPage.fill('input[name=amount]', '20000')
    await devPage.getByTestId('transfer').click()
    await devPage.getByTestId('transfer-error-code').filter({ hasText: 'AUDIT_BLOCK' }).waitFor()
    await devPage.getByTestId('tab-workflows').click()
    await devPage.getByTestId('send-CMD_TX').click()
    await devPage.getByTestId('fsm-history').locator('li', { hasText: 'EVT_CHAIN_DONE' }).waitFor()
    await devPage.getByTestId('run-flux').click()
    await devPage.getByTestId('flux-result').waitFor()
    // Vue's development build warns when its feature flags are not set: the Vue tab sets them.
    await devPage.getByTestId('tab-vue').click()
    await devPage.getByTestId('vue-balance-Bob').filter({ hasText: '140' }).waitFor()
    expect(errors).toEqual([])
    await devPage.close()
  })
})

describe('playground Vue tab in Chromium', () => {
  it('mounts a Vue app on theus/vue that shares the engine with the React tabs', async () => {
    await transfer('Alice', 'Bob', '100')
    await expect.poll(text('balance-Bob')).toBe('100')
    await page.getByTestId('tab-vue').click()
    await page.getByTestId('vue-app').waitFor()
    // A real Vue app: its root element carries Vue's app instance.
    expect(
      await page.getByTestId('vue-host').evaluate((el) => '__vue_app__' in (el as object)),
    ).toBe(true)
    expect(await balances('vue-')).toEqual({ ...INITIAL, Alice: '900', Bob: '100' })
    expect(await renders('vue-')).toEqual(ONCE)

    // A transfer in Vue re-renders exactly its two rows, and the inspector (React) sees it.
    await page.selectOption('select[name=vue_from_user]', 'Carol')
    await page.selectOption('select[name=vue_to_user]', 'Dave')
    await page.fill('input[name=vue_amount]', '500')
    await page.getByTestId('vue-transfer').click()
    await expect.poll(text('vue-transfer-result')).toBe('Success')
    expect(await balances('vue-')).toEqual({
      Alice: '900',
      Bob: '100',
      Carol: '14,500',
      Dave: '800',
    })
    expect(await renders('vue-')).toEqual({ ...ONCE, Carol: '2', Dave: '2' })
    const state = JSON.parse((await page.getByTestId('inspector-state').textContent()) ?? '')
    expect(state.domain.accounts).toEqual({ Alice: 900, Bob: 100, Carol: 14500, Dave: 800 })

    // A commit from elsewhere reaches the Vue rows too; errors are data, failures read as such.
    await page.evaluate(() =>
      (globalThis as any).engine.runProcess('transfer', {
        from_user: 'Alice',
        to_user: 'Bob',
        amount: 1,
      }),
    )
    await expect.poll(text('vue-balance-Bob')).toBe('101')
    await page.selectOption('select[name=vue_from_user]', 'Bob')
    await page.fill('input[name=vue_amount]', '5000')
    await page.getByTestId('vue-transfer').click()
    await expect
      .poll(() => page.getByTestId('vue-transfer-result').getAttribute('data-outcome'))
      .toBe('failure')
    await page.fill('input[name=vue_amount]', '20000')
    await page.getByTestId('vue-transfer').click()
    await expect.poll(text('vue-transfer-error-code')).toBe('AUDIT_BLOCK')
    await page.fill('input[name=vue_amount]', '')
    expect(await page.getByTestId('vue-transfer').isDisabled()).toBe(true)
    expect(await texts('vue-audit')).toEqual([
      'B block transfer amount = 20000 (1/1)',
      'C early-warning transfer amount = 20000 (1/2)',
    ])

    // Back to React: the same engine, the same balances.
    await page.getByTestId('tab-bank').click()
    expect(await balances()).toEqual({ Alice: '899', Bob: '101', Carol: '14,500', Dave: '800' })
    expect(pageErrors).toEqual([])
  })
})

describe('playground layout in Chromium', () => {
  const TABS = ['bank', 'workflows', 'vue'] as const

  it('no tab scrolls sideways at 390 px, and screenshots at 1280 and 390 px go to test-results/', async () => {
    mkdirSync(shots, { recursive: true })
    try {
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 })
        for (const tab of TABS) {
          await open(`#${tab}`)
          // Long messages on screen too: an error, the audit warnings, the transitions.
          if (tab === 'bank') {
            await transfer('Carol', 'Bob', '6000')
            await transfer('Carol', 'Bob', '20000')
            await page.getByTestId('transfer-error').waitFor()
          }
          if (tab === 'workflows') {
            await page.getByTestId('send-CMD_TX').click()
            await page
              .getByTestId('fsm-history')
              .locator('li', { hasText: 'EVT_CHAIN_DONE' })
              .waitFor()
          }
          if (tab === 'vue') await page.getByTestId('vue-app').waitFor()
          const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth)
          expect({ tab, width, scrollWidth: Math.min(scrollWidth, width) }).toEqual({
            tab,
            width,
            scrollWidth,
          })
          await page.screenshot({
            path: join(shots, `playground-${tab}-${width}.png`),
            fullPage: true,
          })
        }
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 })
    }
    for (const width of [1280, 390])
      for (const tab of TABS)
        expect(existsSync(join(shots, `playground-${tab}-${width}.png`))).toBe(true)
    expect(pageErrors).toEqual([])
  })
})
