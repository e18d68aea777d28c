/**
 * Live editing against a real Vite dev server and Chromium: a small app (a temporary copy of
 * a fixture, never the playground) is served with `theus/vite`; the test edits its files on
 * disk and watches the running page take the new code while its state stays.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { createServer, type ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { theusPlugin } from '../../src/vite/index'
import { freePort, launchChromium, root } from './browser'

const processes = (body: string, inputs = "['domain.n']") => `import { process } from 'theus'

export class LimitError extends Error {
  override name = 'LimitError'
}

export const bump = process(
  { inputs: ${inputs}, outputs: ['domain.n'] },
  function bump(ctx) {
    ${body}
  },
)
`

const recipe = (max: number) => `process_recipes:
  bump:
    outputs:
      - field: domain.n
        max: ${max}
        level: B
`

const workflow = (busy: string, extra = '') => `initial: IDLE
states:
  IDLE:
    events: { GO: BUSY }
  BUSY:
    events: { ${busy} }
${extra}`

const FILES: Record<string, string> = {
  'index.html': `<!doctype html>
<html><body>
<output id="n"></output> <button id="bump">bump</button> <output id="error"></output>
<output id="wf"></output> <button id="go">GO</button> <button id="pause">PAUSE</button>
<button id="flux">flux</button> <output id="ran"></output>
<div id="devtools"></div>
<script type="module" src="/main.ts"></script>
</body></html>
`,
  'engine.ts': `import { TheusEngine, WorkflowManager } from 'theus'
import * as processes from './processes'
import auditRecipe from './audit_recipe.yaml'
import workflow from './workflow.yaml'
export { default as pipeline } from './pipeline.yaml'

export const engine = new TheusEngine({ domain: { n: 0 } }, { auditRecipe })
engine.scanAndRegister({ './processes.ts': processes })
export const machine = new WorkflowManager(engine, workflow)
`,
  'main.ts': `import { mountTheusDevtools } from 'theus/devtools'
import { engine, machine, pipeline } from './engine'

const ran = document.getElementById('ran')!
document.getElementById('flux')!.addEventListener('click', async () => {
  ran.textContent = (await engine.executeWorkflow(pipeline)).join(',')
})

mountTheusDevtools(engine, document.getElementById('devtools')!, { workflows: { machine } })

const wf = document.getElementById('wf')!
machine.state.subscribe((s) => { wf.textContent = s })
document.getElementById('go')!.addEventListener('click', () => void machine.send('GO'))
document.getElementById('pause')!.addEventListener('click', () => void machine.send('PAUSE'))

const n = document.getElementById('n')!
const error = document.getElementById('error')!
engine.state.subscribe((s) => { n.textContent = String(s.domain.n) })
document.getElementById('bump')!.addEventListener('click', () => {
  try {
    engine.runProcess('bump')
    error.textContent = ''
  } catch (e) {
    error.textContent = (e as { code?: string }).code ?? String(e)
  }
})
`,
  'processes.ts': processes('ctx.domain.n += 1'),
  'audit_recipe.yaml': recipe(1000),
  'workflow.yaml': workflow('STOP: IDLE'),
  'pipeline.yaml': 'steps:\n  - bump\n',
}

let tmp = ''
let app = ''
let server: ViteDevServer | undefined
let context: BrowserContext | undefined
let page: Page
const logs: string[] = []
const pageErrors: string[] = []

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'theus-hmr-'))
  app = join(tmp, 'app')
  mkdirSync(app)
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(app, name), text)
  server = await createServer({
    configFile: false,
    root: app,
    logLevel: 'silent',
    resolve: {
      alias: [
        { find: /^theus$/, replacement: join(root, 'src/index.ts') },
        { find: /^theus\/devtools$/, replacement: join(root, 'src/devtools/index.ts') },
      ],
    },
    plugins: [theusPlugin()],
    // Nothing to pre-bundle (the core is ESM sources): no reload in the middle of the test.
    optimizeDeps: { noDiscovery: true, include: [] },
    server: {
      host: '127.0.0.1',
      port: await freePort(),
      strictPort: true,
      fs: { allow: [tmp, root] },
    },
  })
  await server.listen()
  context = await launchChromium(join(tmp, 'profile'))
  page = context.pages()[0] ?? (await context.newPage())
  page.on('console', (m) => logs.push(m.text()))
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto(server.resolvedUrls?.local[0] ?? '')
  await page.locator('#n', { hasText: '0' }).waitFor()
})

afterAll(async () => {
  await context?.close()
  await server?.close()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

async function bump(times = 1) {
  for (let i = 0; i < times; i++) await page.click('#bump')
}

async function edit(file: string, text: string, logged: string) {
  const before = logs.filter((l) => l.includes(logged)).length
  writeFileSync(join(app, file), text)
  await expect
    .poll(() => logs.filter((l) => l.includes(logged)).length, { timeout: 15_000 })
    .toBeGreaterThan(before)
}

describe('live editing with theus/vite', () => {
  it('editing a process body re-registers it on the running engine and keeps the state', async () => {
    await bump(2)
    await page.locator('#n', { hasText: '2' }).waitFor()
    // A marker on window: a full reload would lose it.
    await page.evaluate(() => Object.assign(window, { __kept: true }))
    await edit('processes.ts', processes('ctx.domain.n += 10'), 'Live edit: bump replaced')
    await bump()
    await page.locator('#n', { hasText: '12' }).waitFor()
    expect(await page.evaluate(() => (window as { __kept?: boolean }).__kept)).toBe(true)
  })

  it('a contract the state no longer fits shows in the overlay; the old body keeps running', async () => {
    await edit(
      'processes.ts',
      processes('ctx.domain.n += 100', "['domain.gone']"),
      "Live edit of 'bump'",
    )
    const overlay = page.locator('vite-error-overlay')
    await overlay.waitFor()
    expect(await overlay.locator('.message-body').textContent()).toContain('domain.gone')
    await page.evaluate(() => document.querySelector('vite-error-overlay')?.remove())
    const before = Number(await page.textContent('#n'))
    await bump()
    await page.locator('#n', { hasText: String(before + 10) }).waitFor()
    expect(await page.evaluate(() => (window as { __kept?: boolean }).__kept)).toBe(true)
  })

  it('editing the recipe swaps it in the running engine', async () => {
    await edit('processes.ts', processes('ctx.domain.n += 1'), 'Live edit: bump replaced')
    await edit('audit_recipe.yaml', recipe(0), 'audit recipe replaced')
    // The panel says so (its notice bar, inside its shadow root).
    await page.getByTestId('devtools-notice').filter({ hasText: 'counters reset' }).waitFor()
    const before = await page.textContent('#n')
    await bump()
    await page.locator('#error', { hasText: 'AUDIT_BLOCK' }).waitFor()
    expect(await page.textContent('#n')).toBe(before)
    expect(await page.evaluate(() => (window as { __kept?: boolean }).__kept)).toBe(true)
    expect(pageErrors).toEqual([])
  })

  it('editing a workflow updates its manager in the state it is in', async () => {
    await page.click('#go')
    await page.locator('#wf', { hasText: 'BUSY' }).waitFor()
    // PAUSE means nothing yet.
    await page.click('#pause')
    expect(await page.textContent('#wf')).toBe('BUSY')
    await edit(
      'workflow.yaml',
      workflow('STOP: IDLE, PAUSE: PAUSED', '  PAUSED:\n    events: { GO: BUSY }\n'),
      'workflow workflow.yaml updated',
    )
    expect(await page.textContent('#wf')).toBe('BUSY')
    await page.click('#pause')
    await page.locator('#wf', { hasText: 'PAUSED' }).waitFor()
    expect(await page.evaluate(() => (window as { __kept?: boolean }).__kept)).toBe(true)
    expect(pageErrors).toEqual([])
  })

  it('editing a Flux pipeline changes the next run, without reloading the page', async () => {
    // The recipe test left a limit of 0 on bump.
    await edit('audit_recipe.yaml', recipe(1000), 'audit recipe replaced')
    await page.click('#flux')
    await page.locator('#ran', { hasText: 'bump' }).waitFor()
    const before = Number(await page.textContent('#n'))
    await edit('pipeline.yaml', 'steps:\n  - bump\n  - bump\n', 'pipeline pipeline.yaml updated')
    await page.click('#flux')
    await page.locator('#ran', { hasText: 'bump,bump' }).waitFor()
    // Before, Vite updated the pipeline's importers: here, as in most apps, a page reload.
    expect(await page.evaluate(() => (window as { __kept?: boolean }).__kept)).toBe(true)
    expect(Number(await page.textContent('#n'))).toBe(before + 2)
    expect(pageErrors).toEqual([])
  })
})
