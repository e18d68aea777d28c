/**
 * The playground in a real browser: Debian's Chromium driven by playwright-core (STYLE.md),
 * against a production build of `playground/` served by `vite preview` on 127.0.0.1, and once
 * against the dev server that `npm run dev` starts.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
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
  await build({
    configFile,
    root: playground,
    mode: 'production',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  })
  server = await preview({
    configFile,
    root: playground,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: await freePort(), strictPort: true, open: false },
  })
  url = server.resolvedUrls?.local[0] ?? ''
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)

  context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
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

beforeEach(async () => {
  await page.goto(url)
  try {
    await page.getByTestId('balance-Alice').filter({ hasText: /\d/ }).waitFor()
  } catch (e) {
    throw new Error(`the playground did not render; page errors: ${pageErrors.join(' | ')}`, {
      cause: e,
    })
  }
})

const text = (testId: string) => () => page.getByTestId(testId).textContent()

async function transfer(from: string, to: string, amount: string): Promise<void> {
  await page.selectOption('select[name=from_user]', from)
  await page.selectOption('select[name=to_user]', to)
  await page.fill('input[name=amount]', amount)
  await page.click('#transfer')
}

describe('playground bank demo in Chromium', () => {
  it('shows the initial balances from engine.select() signals', async () => {
    await expect.poll(text('balance-Alice')).toBe('1,000')
    await expect.poll(text('balance-Bob')).toBe('0')
    await expect.poll(text('reserves')).toBe('1,000,000')
    expect(pageErrors).toEqual([])
  })

  it('a transfer commits and both balances change', async () => {
    await transfer('Alice', 'Bob', '250')
    await expect.poll(text('result')).toBe('transfer: Success')
    await expect.poll(text('balance-Alice')).toBe('750')
    await expect.poll(text('balance-Bob')).toBe('250')
    await expect.poll(text('commits')).toBe('1')
    expect(await page.getByTestId('error').textContent()).toBe('')

    mkdirSync(join(root, '.tmp'), { recursive: true })
    await page.screenshot({ path: join(root, '.tmp/e2e-playground.png'), fullPage: true })
  })

  it('a transfer the process rejects shows the error and changes nothing', async () => {
    await transfer('Alice', 'Bob', '100')
    await expect.poll(text('balance-Alice')).toBe('900')
    await transfer('Alice', 'Bob', '-5')
    await expect.poll(text('error')).toBe('ValueError: Amount must be positive')
    expect(await page.getByTestId('result').textContent()).toBe('')
    expect(await page.getByTestId('balance-Alice').textContent()).toBe('900')
    expect(await page.getByTestId('balance-Bob').textContent()).toBe('100')
    expect(await page.getByTestId('commits').textContent()).toBe('1')
  })

  it('insufficient funds raises the fraud signal and moves no money', async () => {
    await transfer('Bob', 'Alice', '5')
    await expect.poll(text('result')).toBe('transfer: Failed: Insufficient Funds')
    await expect.poll(text('signal')).toContain('domain.sig_fraud_detected = true')
    expect(await page.getByTestId('balance-Alice').textContent()).toBe('1,000')
    expect(await page.getByTestId('balance-Bob').textContent()).toBe('0')
  })

  it('a process that writes outside its contract is stopped and rolled back', async () => {
    await page.click('#illegal-write')
    await expect
      .poll(text('error'))
      .toMatch(/^ContractViolationError \[ILLEGAL_WRITE\]: Illegal Write/)
    const error = await page.getByTestId('error').textContent()
    expect(error).toContain("'skim'")
    expect(error).toContain('domain.total_reserves')
    expect(await page.getByTestId('balance-Alice').textContent()).toBe('1,000')
    expect(await page.getByTestId('reserves').textContent()).toBe('1,000,000')
    expect(await page.getByTestId('commits').textContent()).toBe('0')
    expect(pageErrors).toEqual([])
  })
})

describe('playground dev server (npm run dev)', () => {
  let dev: ViteDevServer | undefined
  afterAll(async () => {
    await dev?.close()
  })

  it('serves the bank demo from the sources, and a transfer works', async () => {
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
    await devPage.goto(devUrl)
    // The first load may pre-bundle dependencies and reload the page once: wait for the text.
    await devPage.getByTestId('balance-Alice').filter({ hasText: '1,000' }).waitFor()
    await devPage.fill('input[name=amount]', '40')
    await devPage.click('#transfer')
    await devPage.getByTestId('balance-Bob').filter({ hasText: '40' }).waitFor()
    expect(await devPage.getByTestId('balance-Alice').textContent()).toBe('960')
    expect(errors).toEqual([])
    await devPage.close()
  })
})
