#!/usr/bin/env node
// Screenshots of the built docs site for the README: the home page and a tutorial chapter.
// Run after `npm run docs:build`: serves docs/.vitepress/dist as `vitepress preview` does and
// drives Debian's Chromium (STYLE.md) with playwright-core. Writes docs/public/screenshots/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { serve } from 'vitepress'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'docs/public/screenshots')
const port = 4319
const shots = [
  { path: '/', file: 'home.png' },
  { path: '/tutorial/02-first-process', file: 'tutorial.png' },
]

mkdirSync(out, { recursive: true })
const server = await serve({ root: join(root, 'docs'), port })
const profile = mkdtempSync(join(tmpdir(), 'theus-shots-'))
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 800 },
  colorScheme: 'light',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
})
try {
  const page = await context.newPage()
  for (const shot of shots) {
    await page.goto(`http://localhost:${port}${shot.path}`, { waitUntil: 'networkidle' })
    await page.screenshot({ path: join(out, shot.file) })
    console.log(`wrote docs/public/screenshots/${shot.file}`)
  }
} finally {
  await context.close()
  server.server?.close()
  rmSync(profile, { recursive: true, force: true })
}
