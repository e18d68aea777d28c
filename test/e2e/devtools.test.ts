/**
 * The devtools panel in the playground, in a real Chromium (the production build, served by
 * `vite preview`): it shows a transfer's patches, and jumping back in time restores the
 * balances on the page. With THEUS_SCREENSHOTS=1 it also refreshes the screenshots in
 * docs/images/ (`THEUS_SCREENSHOTS=1 npx vitest run --project e2e test/e2e/devtools.test.ts`).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Locator, Page } from 'playwright-core'
import type { PreviewServer } from 'vite'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { launchChromium, previewPlayground, root, watchErrors } from './browser'

let tmp = ''
let server: PreviewServer | undefined
let context: BrowserContext | undefined
let page: Page
let url = ''
const pageErrors: string[] = []

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'theus-devtools-e2e-'))
  ;({ server, url } = await previewPlayground(join(tmp, 'dist')))
  context = await launchChromium(join(tmp, 'profile'), { width: 1280, height: 1400 })
  page = watchErrors(context.pages()[0] ?? (await context.newPage()), pageErrors)
})

afterAll(async () => {
  await context?.close()
  await server?.close()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

beforeEach(async () => {
  pageErrors.length = 0
  await page.goto('about:blank')
  await page.goto(url)
  await page.getByTestId('devtools-tab-state').waitFor()
})

async function transfer(from: string, to: string, amount: string): Promise<void> {
  await page.selectOption('select[name=from_user]', from)
  await page.selectOption('select[name=to_user]', to)
  await page.fill('input[name=amount]', amount)
  await page.getByTestId('transfer').click()
}

const balance = (name: string) => page.getByTestId(`balance-${name}`)

// The panel lives in a shadow root: Playwright's locators pierce it, the page's CSS does not.
async function shoot(locator: Locator, name: string): Promise<void> {
  const file = join(tmp, `${name}.png`)
  await locator.screenshot({ path: file })
  // A real PNG, not an empty box.
  const png = readFileSync(file)
  expect(png.subarray(1, 4).toString()).toBe('PNG')
  expect(png.length).toBeGreaterThan(5_000)
  if (process.env.THEUS_SCREENSHOTS === '1')
    copyFileSync(file, join(root, 'docs', 'images', `${name}.png`))
}

describe('the devtools panel in the playground (Chromium)', () => {
  it("shows a transfer's patches, and jumping back in time restores the balances on the page", async () => {
    await transfer('Alice', 'Bob', '300')
    await balance('Bob').filter({ hasText: '300' }).waitFor()
    await transfer('Carol', 'Bob', '50')
    await balance('Bob').filter({ hasText: '350' }).waitFor()

    await page.getByTestId('devtools-tab-runs').click()
    const runs = page.getByTestId('devtools-runs')
    const first = runs.locator('li[data-outcome=commit]', { hasText: 'amount: 300' })
    expect(await first.locator('.diff li').allTextContents()).toEqual([
      '~ domain.accounts.Alice: 1000 → 700',
      '~ domain.accounts.Bob: 0 → 300',
    ])
    await shoot(page.locator('[data-theus-devtools-root]'), 'devtools-runs')

    // One step back: the second transfer is undone on the page.
    await page.getByTestId('devtools-back').click()
    await balance('Bob').filter({ hasText: /^300$/ }).waitFor()
    expect(await balance('Carol').textContent()).toBe('15,000')
    expect(await page.getByTestId('devtools-position').textContent()).toBe('1 / 2')
    // Jump to the start through the history tab.
    await page.getByTestId('devtools-tab-history').click()
    await shoot(page.locator('[data-theus-devtools-root]'), 'devtools-history')
    await page.getByTestId('devtools-jump-0').click()
    await balance('Alice').filter({ hasText: '1,000' }).waitFor()
    expect(await balance('Bob').textContent()).toBe('0')
    // And forward again to the latest state.
    await page.getByTestId('devtools-last').click()
    await balance('Bob').filter({ hasText: '350' }).waitFor()
    expect(await balance('Alice').textContent()).toBe('700')
    expect(await page.getByTestId('devtools-position').textContent()).toBe('2 / 2')
    expect(pageErrors).toEqual([])
  })

  it('shows the state tree, the audit counters and the workflow, keyboard first', async () => {
    await transfer('Alice', 'Bob', '20000')
    await page.getByTestId('transfer-error-code').filter({ hasText: 'AUDIT_BLOCK' }).waitFor()
    const tab = page.getByTestId('devtools-tab-state')
    await tab.focus()
    const accounts = page.locator('[data-path="domain.accounts"] > summary')
    await accounts.click()
    await page.locator('[data-path="domain.accounts.Alice"]').filter({ hasText: '1000' }).waitFor()
    expect(await page.getByTestId('devtools-state').textContent()).toContain(
      'heavy_chart: Float64Array(365)',
    )
    await shoot(page.locator('[data-theus-devtools-root]'), 'devtools-state')
    // Arrow keys walk the tablist: State → Runs → History → Audit.
    await tab.focus()
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight')
    const audit = page.getByTestId('devtools-panel-audit')
    await audit.getByTestId('devtools-audit-B').waitFor()
    expect(await audit.getByTestId('devtools-counters').textContent()).toContain(
      'transfer:input:amount:max',
    )
    await shoot(page.locator('[data-theus-devtools-root]'), 'devtools-audit')
    await page.keyboard.press('End')
    const workflows = page.getByTestId('devtools-panel-workflows')
    await workflows.getByTestId('devtools-workflow-workflow').waitFor()
    expect(await workflows.textContent()).toContain('CMD_TX → PROCESSING')
    expect(pageErrors).toEqual([])
  })
})
