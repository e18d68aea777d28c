/**
 * `syncTabs` in a real Chromium: pages of one origin in one profile share BroadcastChannel and
 * Web Locks as tabs do. The page (test/sync/page) is served by Vite's dev server on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { createServer, type ViteDevServer } from 'vite'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, root, watchErrors } from './browser'

let tmp = ''
let server: ViteDevServer | undefined
let context: BrowserContext | undefined
let url = ''
let pages: Page[] = []
const pageErrors: string[] = []

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'theus-sync-e2e-'))
  server = await createServer({
    configFile: false,
    root: join(root, 'test/sync/page'),
    logLevel: 'warn',
    resolve: {
      alias: [
        { find: /^theus\/sync$/, replacement: join(root, 'src/sync/index.ts') },
        { find: /^theus$/, replacement: join(root, 'src/index.ts') },
      ],
    },
    server: { host: '127.0.0.1', port: 0, fs: { allow: [root] }, hmr: false },
  })
  await server.listen()
  url = server.resolvedUrls?.local[0] ?? ''
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
  context = await launchChromium(join(tmp, 'profile'))
})

afterAll(async () => {
  await context?.close()
  await server?.close()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

afterEach(async () => {
  for (const p of pages) if (!p.isClosed()) await p.close()
  pages = []
  const errs = pageErrors.splice(0)
  expect(errs).toEqual([])
})

async function tab(): Promise<Page> {
  const page = watchErrors(await context!.newPage(), pageErrors)
  await page.goto(url)
  await page.waitForFunction(() => 'app' in window)
  await page.evaluate(() => (window as any).app.ready)
  pages.push(page)
  return page
}

const accounts = (p: Page) => p.evaluate(() => (window as any).app.accounts())
const isLeader = (p: Page) => p.evaluate(() => (window as any).app.isLeader() as boolean)
const conflicts = (p: Page) =>
  p.evaluate(() => (window as any).app.conflicts() as { code: string; process: string }[])

describe('syncTabs in Chromium', () => {
  it('shows a transfer made in one tab in the other', async () => {
    const a = await tab()
    const b = await tab()
    expect([await isLeader(a), await isLeader(b)].filter(Boolean)).toHaveLength(1)
    await b.evaluate(() => (window as any).app.transfer('Alice', 'Bob', 250))
    await a.getByTestId('balance-Bob').filter({ hasText: /^250$/ }).waitFor()
    expect(await a.getByTestId('balance-Alice').textContent()).toBe('750')
    expect(await accounts(a)).toEqual(await accounts(b))
  })

  it('keeps both tabs equal, the sum conserved and reports one CONFLICT for two concurrent conflicting transfers', async () => {
    const leader = await tab()
    const follower = await tab()
    expect(await isLeader(leader)).toBe(true)
    // The follower's event loop is blocked while the leader commits, so the follower's
    // transfer is made on the old state and reaches the leader after the leader's own.
    const late = follower.evaluate(() =>
      (window as any).app.transferAfterBusy(1500, 'Alice', 'Carol', 700),
    )
    await new Promise((r) => setTimeout(r, 300))
    await leader.evaluate(() => (window as any).app.transfer('Alice', 'Bob', 600))
    expect(await late).toBe('Success')
    await follower.getByTestId('conflicts').filter({ hasText: /^1$/ }).waitFor()
    await follower.getByTestId('balance-Alice').filter({ hasText: /^400$/ }).waitFor()
    const fa = await accounts(follower)
    const la = await accounts(leader)
    expect(fa).toEqual(la)
    expect(fa).toEqual({ Alice: 400, Bob: 600, Carol: 500 })
    expect(Object.values(fa as Record<string, number>).reduce((x, y) => x + y, 0)).toBe(1500)
    expect(await conflicts(follower)).toEqual([{ code: 'CONFLICT', process: 'transfer' }])
    expect(await conflicts(leader)).toEqual([])
  })

  it('elects another leader when the leader tab closes, and keeps syncing', async () => {
    const a = await tab()
    const b = await tab()
    const c = await tab()
    expect(await isLeader(a)).toBe(true)
    await a.close()
    await b
      .getByTestId('leader')
      .filter({ hasText: /^true$/ })
      .waitFor()
    expect(await isLeader(c)).toBe(false)
    await c.evaluate(() => (window as any).app.transfer('Carol', 'Bob', 125))
    await b.getByTestId('balance-Bob').filter({ hasText: /^125$/ }).waitFor()
    expect(await accounts(b)).toEqual(await accounts(c))
  })
})

describe('the playground Sync page', () => {
  let dev: ViteDevServer | undefined
  afterAll(async () => {
    await dev?.close()
  })

  it('shows two synced views: a transfer in one shows in the other, and a conflict keeps them equal', async () => {
    dev = await createServer({
      configFile: join(root, 'vite.config.ts'),
      root: join(root, 'playground'),
      logLevel: 'warn',
      server: { host: '127.0.0.1', port: 0, hmr: false },
    })
    await dev.listen()
    const page = await context!.newPage()
    pages.push(page)
    page.on('pageerror', (e) => pageErrors.push(e.message))
    await page.goto(`${dev.resolvedUrls?.local[0]}#sync`)
    const a = page.getByTestId('sync-A')
    const b = page.getByTestId('sync-B')
    await a.getByText('(leader)').waitFor()
    await a.getByRole('button', { name: 'Alice → Bob 100' }).click()
    await b.getByRole('row', { name: /Bob/ }).filter({ hasText: '100' }).waitFor()
    await page.getByRole('button', { name: /Conflict/ }).click()
    await b.getByText(/^CONFLICT: /).waitFor()
    const rows = async (v: typeof a) =>
      ((await v.locator('tbody').textContent()) ?? '').replace(/\s+/g, ' ')
    await expect.poll(() => rows(b)).toBe(await rows(a))
    expect(await page.getByText(/^CONFLICT: /).count()).toBe(1)
  })
})
