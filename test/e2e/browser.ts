/**
 * What every browser test shares: Debian's Chromium driven by playwright-core with the flags of
 * STYLE.md, a free port on 127.0.0.1, and the playground's production build served by
 * `vite preview`. One place, so a flag or a build step changes once for every e2e file.
 */
import { existsSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { build, type PreviewServer, preview } from 'vite'

export const root = fileURLToPath(new URL('../..', import.meta.url))
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

/** A port nobody listens on now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(addr)))
    })
  })
}

/**
 * Chromium with a fresh profile in `profileDir`. A broken page fails in 15 s, not after the
 * 30 s default, once per test.
 */
export async function launchChromium(
  profileDir: string,
  viewport?: { width: number; height: number },
): Promise<BrowserContext> {
  if (!existsSync('/usr/bin/chromium'))
    throw new Error(
      'Chromium is not installed at /usr/bin/chromium: run `apt-get update && apt-get install -y chromium` (README, "Working on Theus"); .ci/run does it for CI.',
    )
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    ...(viewport ? { viewport } : {}),
  })
  context.setDefaultTimeout(15_000)
  return context
}

/** The playground built for production into `outDir` and served by `vite preview`. */
export async function previewPlayground(
  outDir: string,
): Promise<{ server: PreviewServer; url: string }> {
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
  const server = await preview({
    configFile,
    root: playground,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: await freePort(), strictPort: true, open: false },
  })
  return { server, url: server.resolvedUrls?.local[0] ?? '' }
}

/** Collects the page's uncaught errors and console errors into `errors` (a test expects none). */
export function watchErrors(page: Page, errors: string[]): Page {
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  return page
}
