/**
 * Extracts the code samples of the documentation site (docs/**.md) and lays them out as
 * modules, for `samples.test.ts` to type-check and run. The conventions, also described in
 * docs/guide/writing-docs.md:
 *
 * - Every ```ts / ```tsx block is a module, type-checked with the repository's compiler options
 *   and `theus`, `theus/*` mapped to the sources.
 * - ```ts [src/engine.ts] names the file: the block is written at that path in the page's own
 *   folder, so other blocks of the page import it (`import { engine } from './src/engine'`).
 *   Titled blocks of other languages (```yaml [specs/audit_recipe.yaml]) are written too.
 *   A titled block is a whole file.
 * - The tutorial (docs/tutorial/) builds one app: each chapter starts from the files of the
 *   chapters before it, and its own titled blocks replace or add files.
 * - ```ts run (or ```ts [src/x.test.ts] run) is also run: a block that imports `vitest` is a
 *   test file; any other is imported by a generated test and must not throw.
 * - `<!-- sample: skip-check <reason> -->` on the line before a fence leaves that block out,
 *   with its reason (a fragment, pseudo-code, a file of another project). Nothing is left out
 *   without one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, posix, relative, sep } from 'node:path'

export interface Sample {
  /** The page, relative to the repository (`docs/tutorial/01-context.md`). */
  page: string
  /** 1-based line of the opening fence. */
  line: number
  lang: string
  /** The file name given in `[...]`, if any. */
  title: string | undefined
  run: boolean
  code: string
  /** The reason given by a `skip-check` marker, if any. */
  skip: string | undefined
}

const TS_LANGS = new Set(['ts', 'tsx', 'typescript'])
const SKIP_MARKER = /^<!--\s*sample:\s*skip-check\s+(\S[\s\S]*?)\s*-->$/
const OTHER_MARKER = /^<!--\s*sample:/

export function isTypeScript(sample: Sample): boolean {
  return TS_LANGS.has(sample.lang)
}

/** Markdown pages of the site, sorted, leaving out generated and machinery folders. */
export function sitePages(docsDir: string): string[] {
  const skip = new Set(['.vitepress', 'api', 'public', 'node_modules'])
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((name) => {
        const path = join(dir, name)
        if (statSync(path).isDirectory()) return skip.has(name) ? [] : walk(path)
        return name.endsWith('.md') ? [path] : []
      })
  return walk(docsDir)
}

/** The fenced code blocks of one page, with their markers. */
export function extractSamples(root: string, file: string): Sample[] {
  const page = relative(root, file).split(sep).join('/')
  const lines = readFileSync(file, 'utf8').split('\n')
  const samples: Sample[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`{:[]*)([^`]*)$/.exec(lines[i] ?? '')
    if (!open) continue
    const [, indent = '', fence = '```', langRaw = '', infoRest = ''] = open
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const l = lines[j] ?? ''
      if (l.trimStart().startsWith(fence) && l.trim() === l.trim().replace(/[^`~]/g, '')) break
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l.trimStart())
    }
    const prev = (lines[i - 1] ?? '').trim()
    const marker = SKIP_MARKER.exec(prev)
    if (!marker && OTHER_MARKER.test(prev))
      throw new Error(
        `${page}:${i}: unknown sample marker '${prev}'; write <!-- sample: skip-check <reason> -->`,
      )
    samples.push({
      page,
      line: i + 1,
      lang: langRaw.toLowerCase(),
      title: /\[([^\]]+)\]/.exec(infoRest)?.[1]?.trim(),
      run: /(^|\s)run(\s|$)/.test(infoRest.replace(/\[[^\]]*\]/, ' ')),
      code: `${body.join('\n')}\n`,
      skip: marker?.[1],
    })
    i = j
  }
  return samples
}

/** A chapter of the tutorial (`docs/tutorial/01-context.md`): chapters build one app, in order. */
export const TUTORIAL_CHAPTER = /^docs\/tutorial\/\d\d-[^/]+\.md$/

export interface SampleFile {
  /** Path inside the page's folder (`src/engine.ts`, `sample-12.ts`). */
  path: string
  code: string
  /** The block it comes from (for a file inherited from an earlier chapter, that chapter's). */
  origin: Sample
}

export interface PageProject {
  page: string
  /** Folder name under the samples directory. */
  dir: string
  files: SampleFile[]
  /** The run blocks of this page, as paths in `files`. */
  runs: SampleFile[]
}

function extOf(lang: string): string {
  return lang === 'tsx' ? 'tsx' : 'ts'
}

/**
 * One project per page: its files (titled blocks at their paths, untitled TypeScript blocks as
 * `sample-<line>.ts`), tutorial chapters inheriting the files of the chapters before them.
 */
export function buildProjects(root: string, docsDir: string): PageProject[] {
  const projects: PageProject[] = []
  let tutorialFiles = new Map<string, SampleFile>()
  for (const file of sitePages(docsDir)) {
    const samples = extractSamples(root, file).filter((s) => !s.skip)
    const page = relative(root, file).split(sep).join('/')
    const inTutorial = TUTORIAL_CHAPTER.test(page)
    const files = new Map<string, SampleFile>(inTutorial ? tutorialFiles : [])
    const runs: SampleFile[] = []
    for (const s of samples) {
      if (!s.title && !isTypeScript(s)) continue
      if (s.title && !/\.[a-z]+$/i.test(s.title)) continue
      const path = s.title ?? `sample-${s.line}.${extOf(s.lang)}`
      // A block without import or export would be a script, whose declarations leak into every
      // other script of the program: make each one a module of its own.
      const code =
        /\.tsx?$/.test(path) && !path.endsWith('.d.ts') && !/^\s*(import|export)\s/m.test(s.code)
          ? `${s.code}export {}\n`
          : s.code
      const f: SampleFile = { path, code, origin: s }
      files.set(path, f)
      if (s.run) runs.push(f)
    }
    if (inTutorial) tutorialFiles = new Map([...files].filter(([, f]) => f.origin.title))
    projects.push({
      page,
      dir: page.replace(/^docs\//, '').replace(/\.md$/, ''),
      files: [...files.values()],
      runs,
    })
  }
  return projects
}

/** The tutorial's files after its last chapter: what examples/tutorial-bank must hold. */
export function finishedTutorial(projects: PageProject[]): SampleFile[] {
  const chapters = projects.filter((p) => TUTORIAL_CHAPTER.test(p.page))
  return chapters.at(-1)?.files.filter((f) => f.origin.title) ?? []
}

/** The project file a relative import names, if any. */
function resolveImport(files: Map<string, SampleFile>, from: string, spec: string) {
  const base = posix.normalize(posix.join(posix.dirname(from), spec))
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`]) {
    const f = files.get(candidate)
    if (f) return f
  }
  return undefined
}

/**
 * Whether a file, or a file it imports (relatively, inside its page's project), uses
 * `createProcess` (SPEC §11). Used only while the engine being tested does not export it yet.
 */
export function usesCreateProcess(project: PageProject, file: SampleFile): boolean {
  const files = new Map(project.files.map((f) => [f.path, f]))
  const seen = new Set<string>()
  const visit = (f: SampleFile): boolean => {
    if (seen.has(f.path)) return false
    seen.add(f.path)
    if (/\bcreateProcess\b/.test(f.code)) return true
    for (const [, spec] of f.code.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = spec ? resolveImport(files, f.path, spec) : undefined
      if (target && visit(target)) return true
    }
    return false
  }
  return visit(file)
}

/** Drops, from every project, the files that need `createProcess`; returns what was dropped. */
export function withoutCreateProcess(projects: PageProject[]): {
  projects: PageProject[]
  dropped: Sample[]
} {
  const dropped = new Map<string, Sample>()
  const kept = projects.map((p) => {
    const needs = new Set(p.files.filter((f) => usesCreateProcess(p, f)).map((f) => f.path))
    for (const f of p.files)
      if (needs.has(f.path)) dropped.set(`${f.origin.page}:${f.origin.line}`, f.origin)
    return {
      ...p,
      files: p.files.filter((f) => !needs.has(f.path)),
      runs: p.runs.filter((f) => !needs.has(f.path)),
    }
  })
  return { projects: kept, dropped: [...dropped.values()] }
}
