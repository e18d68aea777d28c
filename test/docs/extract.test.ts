/**
 * The sample extractor's rules (samples.ts), on small pages written for the test: what is a
 * sample, what a title and `run` mean, how a skip marker works, how the tutorial accumulates, and
 * which samples need `createProcess`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildProjects, extractSamples, finishedTutorial, withoutCreateProcess } from './samples.js'

const root = mkdtempSync(join(tmpdir(), 'theus-docs-extract-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function page(path: string, text: string): string {
  const file = join(root, path)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, text)
  return file
}

const fence = '```'

describe('extractSamples', () => {
  it('reads the language, the [file] title, the run flag and the code of each block', () => {
    const file = page(
      'docs/a.md',
      [
        '# A',
        `${fence}ts [src/x.ts] run`,
        'export const x = 1',
        fence,
        '- in a list:',
        `  ${fence}tsx`,
        '  const y = <b />',
        `  ${fence}`,
        `${fence}yaml [specs/r.yaml]`,
        'a: 1',
        fence,
      ].join('\n'),
    )
    expect(extractSamples(root, file)).toEqual([
      {
        page: 'docs/a.md',
        line: 2,
        lang: 'ts',
        title: 'src/x.ts',
        run: true,
        code: 'export const x = 1\n',
        skip: undefined,
      },
      {
        page: 'docs/a.md',
        line: 6,
        lang: 'tsx',
        title: undefined,
        run: false,
        code: 'const y = <b />\n',
        skip: undefined,
      },
      {
        page: 'docs/a.md',
        line: 9,
        lang: 'yaml',
        title: 'specs/r.yaml',
        run: false,
        code: 'a: 1\n',
        skip: undefined,
      },
    ])
  })

  it('takes a skip-check marker with its reason, and refuses a marker it does not know', () => {
    const skipped = page(
      'docs/b.md',
      `<!-- sample: skip-check pseudo-code, not a module -->\n${fence}ts\nfoo(\n${fence}\n`,
    )
    expect(extractSamples(root, skipped)[0]?.skip).toBe('pseudo-code, not a module')
    const typo = page('docs/c.md', `<!-- sample: skip this -->\n${fence}ts\nfoo(\n${fence}\n`)
    expect(() => extractSamples(root, typo)).toThrow(/unknown sample marker/)
  })
})

describe('buildProjects', () => {
  it('names untitled blocks by line, makes scripts modules, leaves skipped blocks out', () => {
    const dir = mkdtempSync(join(root, 'p-'))
    page(
      `${dir.slice(root.length + 1)}/docs/page.md`,
      `${fence}ts\nconst a = 1\n${fence}\n<!-- sample: skip-check a fragment -->\n${fence}ts\nb(\n${fence}\n`,
    )
    const [project] = buildProjects(dir, join(dir, 'docs'))
    expect(project?.files.map((f) => [f.path, f.code])).toEqual([
      ['sample-1.ts', 'const a = 1\nexport {}\n'],
    ])
  })

  it('lets each tutorial chapter start from the files of the chapters before it', () => {
    const dir = mkdtempSync(join(root, 't-'))
    const rel = dir.slice(root.length + 1)
    page(
      `${rel}/docs/tutorial/01-a.md`,
      `${fence}ts [src/a.ts]\nexport const a = 1\n${fence}\n${fence}ts [src/b.ts]\nexport const b = 1\n${fence}\n`,
    )
    page(
      `${rel}/docs/tutorial/02-b.md`,
      `${fence}ts [src/b.ts] run\nexport const b = 2\n${fence}\n`,
    )
    page(`${rel}/docs/tutorial/index.md`, '# Tutorial\n')
    const projects = buildProjects(dir, join(dir, 'docs'))
    const second = projects.find((p) => p.page === 'docs/tutorial/02-b.md')
    expect(second?.files.map((f) => [f.path, f.code])).toEqual([
      ['src/a.ts', 'export const a = 1\n'],
      ['src/b.ts', 'export const b = 2\n'],
    ])
    expect(second?.runs.map((f) => f.path)).toEqual(['src/b.ts'])
    expect(finishedTutorial(projects).map((f) => `${f.path}@${f.origin.page}`)).toEqual([
      'src/a.ts@docs/tutorial/01-a.md',
      'src/b.ts@docs/tutorial/02-b.md',
    ])
  })
})

describe('withoutCreateProcess', () => {
  it('drops the files that use createProcess, directly or through a relative import', () => {
    const dir = mkdtempSync(join(root, 'c-'))
    page(
      `${dir.slice(root.length + 1)}/docs/g.md`,
      [
        `${fence}ts [ctx.ts]`,
        "import { createProcess } from 'theus'",
        'export const process = createProcess<{}>()',
        fence,
        `${fence}ts [uses.ts] run`,
        "import { process } from './ctx'",
        'export const p = process',
        fence,
        `${fence}ts [plain.ts] run`,
        "import { TheusEngine } from 'theus'",
        'export const e = TheusEngine',
        fence,
      ].join('\n'),
    )
    const { projects, dropped } = withoutCreateProcess(buildProjects(dir, join(dir, 'docs')))
    expect(dropped.map((s) => s.title)).toEqual(['ctx.ts', 'uses.ts'])
    expect(projects[0]?.files.map((f) => f.path)).toEqual(['plain.ts'])
    expect(projects[0]?.runs.map((f) => f.path)).toEqual(['plain.ts'])
  })
})
