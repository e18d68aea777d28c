/**
 * The playground in a real browser: Debian's Chromium driven by playwright-core (STYLE.md),
 * against a production build of `playground/` served by `vite preview` on 127.0.0.1, and once
 * against the dev server that `npm run dev` starts. Each test loads the page afresh, so each
 * starts from the initial context (Alice 1,000, Bob 0, Carol 500, reserves 1,000,000).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { build, createServer, type PreviewServer, preview, type ViteDevServer } from 'vite'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const configFile = join(root, 'vite.config.ts')
const playground = join(root, 'playground')

// Without the background-networking flags Chromium keeps dialling Google's hosts, which this
// machine's closed network refuses.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(addr)))
    })
  })
}

let tmp = ''
let server: PreviewServer | undefined
let context: BrowserContext | undefined
let page: Page
let url = ''
const pageErrors: string[] = []

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'theus-e2e-'))
  const outDir = join(tmp, 'dist')
  // Vitest sets NODE_ENV=test, which Vite would honour and bundle React's development build;
  // the preview should serve what `vite build` gives a user.
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await build({
      configFile,
      root: playground,
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    })
  } finally {
    process.env.NODE_ENV = nodeEnv
  }
  server = await preview({
    configFile,
    root: playground,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: await freePort(), strictPort: true, open: false },
  })
  url = server.resolvedUrls?.local[0] ?? ''
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)

  if (!existsSync('/usr/bin/chromium'))
    throw new Error(
      'Chromium is not installed at /usr/bin/chromium: run `apt-get update && apt-get install -y chromium` (README, "Working on Theus"); .ci/run does it for CI.',
    )
  context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  })
  // A broken page should fail in seconds, not after the 30 s default, once per test.
  context.setDefaultTimeout(15_000)
  page = context.pages()[0] ?? (await context.newPage())
  page.on('pageerror', (e) => pageErrors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text())
  })
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

async function balances(): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {}
  for (const name of ['Alice', 'Bob', 'Carol']) {
    out[name] = await page.getByTestId(`balance-${name}`).textContent()
  }
  return out
}

async function renders(): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {}
  for (const name of ['Alice', 'Bob', 'Carol']) {
    out[name] = await page.getByTestId(`renders-${name}`).textContent()
  }
  return out
}

async function transfer(from: string, to: string, amount: string): Promise<void> {
  await page.selectOption('select[name=from_user]', from)
  await page.selectOption('select[name=to_user]', to)
  await page.fill('input[name=amount]', amount)
  await page.getByTestId('transfer').click()
}

const INITIAL = { Alice: '1,000', Bob: '0', Carol: '500' }

describe('playground bank demo in Chromium', () => {
  it('renders the accounts once each, and the inspector lists the processes and their contracts', async () => {
    expect(await balances()).toEqual(INITIAL)
    expect(await renders()).toEqual({ Alice: '1', Bob: '1', Carol: '1' })
    expect(await page.getByTestId('reserves').textContent()).toBe('1,000,000')
    const state = JSON.parse((await page.getByTestId('inspector-state').textContent()) ?? '')
    expect(state.domain.accounts).toEqual({ Alice: 1000, Bob: 0, Carol: 500 })
    expect(state.domain.heavy_chart).toBe('Float64Array(365)')

    const processes = page.getByTestId('inspector-processes')
    const transferRow = processes.locator('tr', { hasText: /^transfer/ })
    expect(await transferRow.textContent()).toBe(
      'transferin: domain.accountsout: domain.accounts, domain.total_reserves, domain.sig_fraud_detectederrors: ValueError',
    )
    // Names survive the production minifier (keepNames): every process is listed by name.
    for (const name of ['deposit', 'drain_reserves', 'skim', 'notify', 'accrue_interest']) {
      expect(await processes.locator('th', { hasText: new RegExp(`^${name}$`) }).count()).toBe(1)
    }
    expect(pageErrors).toEqual([])
  })

  it('a transfer changes exactly the two balances, re-renders exactly their rows, and the inspector lists the commit with its patches', async () => {
    await transfer('Alice', 'Bob', '250')
    await expect.poll(text('transfer-result')).toBe('Success')
    expect(await balances()).toEqual({ Alice: '750', Bob: '250', Carol: '500' })
    expect(await renders()).toEqual({ Alice: '2', Bob: '2', Carol: '1' })
    expect(await page.getByTestId('history-count').textContent()).toBe('1')

    const commits = await texts('inspector-commits')
    expect(commits).toHaveLength(1)
    expect(commits[0]).toContain('transfer')
    expect(commits[0]).toContain('replace domain.accounts.Alice = 750')
    expect(commits[0]).toContain('replace domain.accounts.Bob = 250')
    const state = JSON.parse((await page.getByTestId('inspector-state').textContent()) ?? '')
    expect(state.domain.accounts).toEqual({ Alice: 750, Bob: 250, Carol: 500 })
    expect(pageErrors).toEqual([])
  })

  it('a transfer the process rejects shows its error as data and changes nothing', async () => {
    await transfer('Alice', 'Bob', '-5')
    await expect.poll(text('transfer-error-name')).toBe('ValueError')
    expect(await page.getByTestId('transfer-error-message').textContent()).toBe(
      'Amount must be positive',
    )
    expect(await page.getByTestId('transfer-result').count()).toBe(0)
    expect(await balances()).toEqual(INITIAL)
    expect(await renders()).toEqual({ Alice: '1', Bob: '1', Carol: '1' })
    expect(await page.getByTestId('history-count').textContent()).toBe('0')
    expect(await texts('inspector-commits')).toEqual([])
    const rollbacks = await texts('inspector-rollbacks')
    expect(rollbacks).toHaveLength(1)
    expect(rollbacks[0]).toMatch(/^transfer ValueError Amount must be positive/)
  })

  it('insufficient funds raises the fraud signal and moves no money', async () => {
    await transfer('Bob', 'Alice', '5')
    await expect.poll(text('transfer-result')).toBe('Failed: Insufficient Funds')
    await page.getByTestId('fraud-signal').waitFor()
    expect(await balances()).toEqual(INITIAL)
    expect(await renders()).toEqual({ Alice: '1', Bob: '1', Carol: '1' })
    expect(await texts('inspector-signals')).toEqual([
      'domain.sig_fraud_detected = true from transfer',
    ])
    // A signal lasts one commit: the next commit resets it.
    await transfer('Alice', 'Bob', '1')
    await expect.poll(() => page.getByTestId('fraud-signal').count()).toBe(0)
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
    await expect.poll(text('transfer-result')).toBe('Failed: Insufficient Funds')
    const audit = await texts('inspector-audit')
    expect(audit).toHaveLength(3)
    // Every rule of a gate is checked, in the order the recipe lists them.
    expect(audit[0]).toMatch(/^B block transfer input amount max 10000: 20000 \(1\/1\)/)
    expect(audit[1]).toMatch(/^C early-warning transfer input amount max 5000: 20000 \(1\/2\)/)
    expect(audit[2]).toMatch(/^C warn transfer input amount max 5000: 6000 \(2\/2\)/)
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
    mkdirSync(join(root, '.tmp'), { recursive: true })
    await page.screenshot({ path: join(root, '.tmp/playground-halted.png') })

    await page.getByTestId('resume').click()
    await expect.poll(() => page.getByTestId('halt-banner').count()).toBe(0)
    await transfer('Alice', 'Bob', '10')
    await expect.poll(text('transfer-result')).toBe('Success')
    expect(await balances()).toEqual({ Alice: '990', Bob: '10', Carol: '500' })
  })

  it('undo restores the balances, redo applies them again', async () => {
    await transfer('Alice', 'Bob', '250')
    await expect.poll(text('balance-Bob')).toBe('250')
    await page.getByTestId('undo').click()
    await expect.poll(text('balance-Bob')).toBe('0')
    expect(await balances()).toEqual(INITIAL)
    expect(await renders()).toEqual({ Alice: '3', Bob: '3', Carol: '1' })
    expect(await page.getByTestId('history-count').textContent()).toBe('0')
    expect(await page.getByTestId('undo').isDisabled()).toBe(true)
    const commits = await texts('inspector-commits')
    expect(commits[0]).toContain('undo')
    expect(commits[0]).toContain('replace domain.accounts.Alice = 1000')

    await page.getByTestId('redo').click()
    await expect.poll(text('balance-Bob')).toBe('250')
    expect(await page.getByTestId('balance-Alice').textContent()).toBe('750')
    expect(await page.getByTestId('redo').isDisabled()).toBe(true)
  })

  it('an async deposit shows pending, then its result', async () => {
    await page.fill('input[name=deposit_amount]', '50')
    await page.getByTestId('deposit').click()
    await page.getByTestId('deposit-pending').waitFor()
    await expect.poll(text('deposit-result')).toBe('Deposited 50 for Bob')
    expect(await page.getByTestId('deposit-pending').count()).toBe(0)
    expect(await balances()).toEqual({ Alice: '1,000', Bob: '50', Carol: '500' })
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

    // Most of what the suite checks is on screen now: keep a picture to look at.
    await transfer('Alice', 'Bob', '250')
    await transfer('Bob', 'Alice', '6000')
    await expect.poll(() => texts('inspector-audit')).toHaveLength(1)
    mkdirSync(join(root, '.tmp'), { recursive: true })
    await page.screenshot({ path: join(root, '.tmp/playground.png'), fullPage: true })
    expect(pageErrors).toEqual([])
  })
})

describe('playground workflows in Chromium', () => {
  it('the state machine goes IDLE → PROCESSING → NOTIFY → IDLE and lists its transitions', async () => {
    await page.getByTestId('tab-workflows').click()
    expect(await page.getByTestId('fsm-state').textContent()).toBe('IDLE')
    await page.getByTestId('send-cmd-tx').click()
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
    expect(commits.map((c) => c.split(' ')[0])).toEqual(['notify', 'transfer'])

    // A transfer that throws: PROCESSING's EVT_FAIL leads straight back to IDLE.
    await page.fill('input[name=fsm_amount]', '-1')
    await page.getByTestId('send-cmd-tx').click()
    await expect.poll(text('fsm-error-name')).toBe('ValueError')
    await expect
      .poll(async () => (await texts('fsm-history')).slice(3))
      .toEqual(['IDLE —CMD_TX→ PROCESSING', 'PROCESSING —EVT_FAIL→ IDLE'])
    expect(await page.getByTestId('fsm-state').textContent()).toBe('IDLE')

    await page.getByTestId('tab-bank').click()
    expect(await balances()).toEqual({ Alice: '900', Bob: '100', Carol: '500' })
    await page.getByTestId('tab-workflows').click()
    await page.screenshot({ path: join(root, '.tmp/playground-workflows.png'), fullPage: true })
    expect(pageErrors).toEqual([])
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
    await page.fill('input[name=flux_user]', 'Bob')
    await page.getByTestId('run-flux').click()
    await expect.poll(async () => (await texts('flux-result')).at(-1)).toBe('skip_interest')

    await page.getByTestId('tab-bank').click()
    expect(await balances()).toEqual({ Alice: '1,030', Bob: '0', Carol: '500' })
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
    await devPage.getByTestId('send-cmd-tx').click()
    await devPage.getByTestId('fsm-history').locator('li', { hasText: 'EVT_CHAIN_DONE' }).waitFor()
    await devPage.getByTestId('run-flux').click()
    await devPage.getByTestId('flux-result').waitFor()
    expect(errors).toEqual([])
    await devPage.close()
  })
})
