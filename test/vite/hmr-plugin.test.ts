/** What `theus/vite` adds for live editing in `vite dev`, and only there. */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type TheusPluginOptions, theusPlugin } from 'theus/vite'
import { describe, expect, it, vi } from 'vitest'

type Hook = (...args: unknown[]) => unknown
const call = (hook: unknown, ...args: unknown[]) =>
  (typeof hook === 'function' ? hook : (hook as { handler: Hook }).handler).call(
    {
      error: (e: unknown) => {
        throw e
      },
    },
    ...args,
  )

function plugin(
  command: 'serve' | 'build',
  options: TheusPluginOptions = {},
  isProduction = false,
) {
  const p = theusPlugin(options)
  call(p.configResolved, { command, isProduction })
  return {
    transform: (code: string, id: string) =>
      call(p.transform, code, id) as { code: string; map: unknown } | null | undefined,
    resolveId: (id: string) => call(p.resolveId, id, undefined, {}) as string | null,
    configureServer: (server: unknown) => call(p.configureServer, server),
  }
}

const PROCESSES = `import { process } from 'theus'
export const bump = process({ outputs: ['domain.n'] }, function bump(ctx) { ctx.domain.n++ })
`
const RECIPE = 'process_recipes:\n  bump:\n    outputs:\n      - field: domain.n\n        max: 5\n'
const WORKFLOW = 'states:\n  IDLE:\n    events: { GO: IDLE }\n'
const FLUX = 'steps:\n  - bump\n'

describe('theus/vite live editing', () => {
  it('makes process modules self-accepting in vite dev, appended so lines do not move', () => {
    const out = plugin('serve').transform(PROCESSES, '/app/src/processes.ts')!
    expect(out.code.startsWith(PROCESSES)).toBe(true)
    expect(out.code).toContain('import.meta.hot.accept((mod) => __theus_acceptProcesses(')
    expect(out.code).toContain('"/app/src/processes.ts"')
    expect(out.code).toContain('from "virtual:theus-hmr"')
    expect(out.map).toBeNull()
  })

  it('leaves modules without process({ alone, and Theus’s own files and node_modules', () => {
    const p = plugin('serve')
    expect(p.transform('export const x = 1\n', '/app/src/util.ts')).toBeNull()
    expect(p.transform(PROCESSES, '/app/node_modules/lib/index.js')).toBeNull()
    const own = fileURLToPath(new URL('../../src/engine/TheusEngine.ts', import.meta.url))
    expect(p.transform(PROCESSES, own)).toBeNull()
    expect(p.transform(PROCESSES, '/app/src/processes.ts?raw')).toBeNull()
  })

  it('hmr.include names the process modules explicitly; hmr: false turns it off', () => {
    const p = plugin('serve', { hmr: { include: /\/procs\// } })
    expect(p.transform('export const x = 1\n', '/app/procs/a.ts')?.code).toContain(
      '__theus_acceptProcesses',
    )
    expect(p.transform(PROCESSES, '/app/src/processes.ts')).toBeNull()
    expect(plugin('serve', { hmr: false }).transform(PROCESSES, '/app/p.ts')).toBeNull()
  })

  it('adds nothing in a build, so production bundles hold no live-editing code', () => {
    const p = plugin('build', {}, true)
    expect(p.transform(PROCESSES, '/app/src/processes.ts')).toBeNull()
    expect(p.transform(RECIPE, '/app/audit_recipe.yaml')!.code).not.toContain('import.meta.hot')
    expect(p.resolveId('virtual:theus-hmr')).toBeNull()
  })

  it('makes recipes, workflows and Flux pipelines self-accepting in vite dev', () => {
    const p = plugin('serve')
    const recipe = p.transform(RECIPE, '/app/specs/audit_recipe.yaml')!.code
    expect(recipe).toContain('import { acceptRecipe as __theus_accept }')
    expect(recipe).toContain('export default __theus_data')
    const workflow = p.transform(WORKFLOW, '/app/workflows/workflow.yaml')!.code
    expect(workflow).toContain('import { acceptWorkflow as __theus_accept }')
    // A pipeline not self-accepting made Vite update its importers: a page reload in most apps,
    // losing the state (the playground's interest.yaml did).
    const flux = p.transform(FLUX, '/app/workflows/flux.yaml')!.code
    expect(flux).toContain('import { acceptFlux as __theus_accept }')
    expect(flux).toContain('import.meta.hot.accept()')
    expect(flux).toContain('export default __theus_data')
  })

  it('resolves the runtime module to a file that exists', () => {
    const file = plugin('serve').resolveId('virtual:theus-hmr')
    expect(file).toMatch(/hmrRuntime\.ts$|vite-hmr\.js$/)
    expect(existsSync(file!)).toBe(true)
  })

  it('turns a refused live edit into an error in Vite’s overlay', () => {
    const handlers = new Map<string, (data: unknown) => void>()
    const server = {
      ws: { on: (event: string, h: (d: unknown) => void) => handlers.set(event, h), send: vi.fn() },
      config: { logger: { error: vi.fn() } },
    }
    plugin('serve').configureServer(server)
    handlers.get('theus:hmr-error')!({
      file: '/app/src/processes.ts',
      message: "Live edit of 'bump' refused",
      stack: 'at bump',
    })
    expect(server.ws.send).toHaveBeenCalledWith({
      type: 'error',
      err: expect.objectContaining({
        message: "Live edit of 'bump' refused",
        plugin: 'theus',
        id: '/app/src/processes.ts',
      }),
    })
    expect(server.config.logger.error).toHaveBeenCalled()
  })
})
