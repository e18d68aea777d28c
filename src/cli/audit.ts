/**
 * `theus audit gen-spec` and `theus audit inspect`: the audit recipe seen from the command line.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import {
  isMap,
  isScalar,
  type Pair,
  type ParsedNode,
  parseDocument,
  Scalar,
  type YAMLMap,
  YAMLSeq,
} from 'yaml'
import { createAuditor } from '../audit/auditor.js'
import type { AuditRecipe, NormalizedRule } from '../audit/recipe.js'
import { suggest } from '../errors.js'
import { parseAuditRecipe } from '../yaml/recipe.js'
import { type CommandSpec, flag, type Parsed, str, strs } from './args.js'
import { CliError, type CliIO, makeDirs, oneLine, readIfExists, shown } from './io.js'
import { listSources, type ScannedProcess, scanFiles } from './scan.js'

const DEFAULT_RECIPE = 'specs/audit_recipe.yaml'
const DEFAULT_PROCESSES = 'src/processes'
const RESERVED_NAMES = ['__proto__', 'constructor', 'prototype']

/** `theus audit gen-spec`. */
export const genSpecCommand: CommandSpec = {
  name: 'audit gen-spec',
  positionals: [],
  options: {
    recipe: { type: 'string' },
    processes: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
  },
  help: `Usage: theus audit gen-spec [--recipe <file>] [--processes <dir>]... [--dry-run]

Adds a rule skeleton to the audit recipe for every process that has none. The recipe's
existing entries, order and comments are kept; nothing is ever removed or changed.

Processes are found by reading the source files (not by running them): a call
process({ ...contract }, function name(ctx, args) { ... }) or defineProcess(...), named by
the contract's name: '...' or by the function's name.

Options:
  --recipe <file>      the audit recipe (default ${DEFAULT_RECIPE}); created when missing
  --processes <path>   a directory or file to scan (default ${DEFAULT_PROCESSES}); repeatable
  --dry-run            print the resulting recipe instead of writing it
  -h, --help           show this help
`,
}

/** `theus audit inspect <process>`. */
export const inspectCommand: CommandSpec = {
  name: 'audit inspect',
  positionals: ['process'],
  options: {
    recipe: { type: 'string' },
    processes: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
  help: `Usage: theus audit inspect <process> [--recipe <file>] [--processes <dir>]... [--json]

Prints the effective audit rules of a process (inherited ones first, each marked with the
recipe it comes from), its side effects and errors, and the contract found in its source.

Options:
  --recipe <file>      the audit recipe (default ${DEFAULT_RECIPE})
  --processes <path>   where to look for the process's contract (default ${DEFAULT_PROCESSES})
  --json               print the same as JSON
  -h, --help           show this help
`,
}

function findProcesses(io: CliIO, parsed: Parsed): ReturnType<typeof scanFiles> {
  const dirs = strs(parsed, 'processes', [DEFAULT_PROCESSES]).map((p) => resolve(io.cwd, p))
  return scanFiles(listSources(dirs))
}

// A --processes path that does not exist is a typo to report, never an empty scan.
function requireProcessDirs(io: CliIO, dirs: readonly string[]): void {
  const missingDir = dirs.find((d) => !existsSync(resolve(io.cwd, d)))
  if (missingDir !== undefined) {
    throw new CliError(
      `no processes at ${missingDir}; pass --processes <dir> with the folder of your process() definitions.`,
    )
  }
}

function loadRecipe(io: CliIO, path: string, text: string): AuditRecipe {
  try {
    return parseAuditRecipe(text, { filename: shown(io, path) })
  } catch (e) {
    // `error.issues` is for code; the command shows one problem at a time.
    const message = oneLine((e as Error).message).replace(
      / in error\.issues\)$/,
      ', shown once this one is fixed)',
    )
    throw new CliError(message)
  }
}

// The recipe was checked by Theus's own loader (duplicate keys included) before this parse,
// which only edits it or reads positions. yaml's own duplicate-key check compares every key with
// every other: minutes for a recipe of a few MB (SPEC §10.4 wants linear time).
function yamlDocument(text: string): ReturnType<typeof parseDocument> {
  return parseDocument(text, { schema: 'core', uniqueKeys: false })
}

/** Runs `theus audit gen-spec`. */
export function genSpec(io: CliIO, parsed: Parsed): number {
  const recipePath = resolve(io.cwd, str(parsed, 'recipe', DEFAULT_RECIPE))
  const dirs = strs(parsed, 'processes', [DEFAULT_PROCESSES])
  requireProcessDirs(io, dirs)
  const before = readIfExists(recipePath, io)
  // A file with nothing but comments (or nothing at all) is a recipe still to be written: its
  // comments stay and the table is added below them, as when the file is missing.
  const blank = before !== undefined && isBlankYaml(before)
  const text =
    before === undefined
      ? RECIPE_HEADER
      : blank
        ? `${before}${before === '' || before.endsWith('\n') ? '' : '\n'}process_recipes: {}\n`
        : before
  if (before !== undefined && !blank) loadRecipe(io, recipePath, before)
  const found = findProcesses(io, parsed)
  const { problems } = found
  // A recipe cannot name these (RecipeError): skip them with a warning at their source, rather
  // than fail on a line of the file this command was about to write.
  const processes = found.processes.filter((p) => {
    const reserved = RESERVED_NAMES.includes(p.name)
    if (reserved) {
      problems.push({
        file: p.file,
        line: p.line,
        message: `'${p.name}' cannot have an audit recipe (a reserved name); rename the process`,
      })
    }
    return !reserved
  })
  const doc = yamlDocument(text)
  if (doc.contents === null || doc.contents === undefined) {
    doc.contents = doc.createNode({}) as never
  }
  const root = doc.contents as unknown
  if (!isMap(root)) {
    throw new CliError(
      `${shown(io, recipePath)}: the top level must be a mapping with process_recipes; fix the file or pass another --recipe.`,
    )
  }
  const top = root as YAMLMap<unknown, unknown>
  let table = top.get('process_recipes', true) as unknown
  if (!isMap(table)) {
    table = doc.createNode({})
    top.set('process_recipes', table)
  }
  const recipes = table as YAMLMap<unknown, unknown>
  const existing = new Set(recipes.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key)))
  const missing = processes.filter((p) => !existing.has(p.name))
  const added = missing.map((p) => p.name)
  const out =
    missing.length === 0
      ? text
      : appendEntries(
          text,
          recipes,
          missing.map((p) => skeleton(doc, io, p)),
          doc,
          // A file written with Windows line ends keeps them: the new lines match the old ones.
          /\r\n/.test(text) ? '\r\n' : '\n',
        )
  // The result must still be a valid recipe: a skeleton is never written broken.
  loadRecipe(io, recipePath, out)
  // Warnings only once nothing can fail any more: a failure stays one line.
  for (const p of problems) io.stderr(`warning: ${shown(io, p.file)}:${p.line}: ${p.message}\n`)
  if (flag(parsed, 'dry-run')) {
    io.stdout(out)
    return 0
  }
  if (added.length === 0) {
    io.stdout(
      processes.length === 0
        ? `no processes found in ${dirs.join(', ')}; ${shown(io, recipePath)} unchanged\n`
        : `every process has a recipe; ${shown(io, recipePath)} unchanged\n`,
    )
    return 0
  }
  makeDirs(dirname(recipePath))
  writeFileSync(recipePath, out)
  io.stdout(
    `${before === undefined ? 'created' : 'updated'} ${shown(io, recipePath)}: added ${added.join(', ')}\n`,
  )
  return 0
}

/** Holds no YAML value: empty, blank lines, comments, or bare document markers. */
function isBlankYaml(text: string): boolean {
  const doc = yamlDocument(text)
  return doc.errors.length === 0 && (doc.contents === null || doc.contents === undefined)
}

// Inserts the new entries as text after the last existing entry of a block mapping, so every
// byte of the existing file (formatting, quotes, comments) stays as it was. An empty or flow
// mapping is rewritten through the Document API instead, which still keeps comments.
function appendEntries(
  text: string,
  recipes: YAMLMap<unknown, unknown>,
  pairs: Pair[],
  doc: ReturnType<typeof parseDocument>,
  eol: string,
): string {
  const first = recipes.items[0]?.key as { range?: [number, number, number] } | undefined
  const end = recipes.range?.[1]
  if (recipes.flow || first?.range === undefined || end === undefined) {
    recipes.flow = false
    for (const pair of pairs) recipes.items.push(pair as Pair<unknown, unknown>)
    return doc.toString({ lineWidth: 0, flowCollectionPadding: false }).replace(/\r?\n/g, eol)
  }
  const lineStart = text.lastIndexOf('\n', first.range[0] - 1) + 1
  const indent = ' '.repeat(first.range[0] - lineStart)
  const fresh = parseDocument('{}')
  const map = fresh.createNode({}) as YAMLMap
  map.flow = false
  for (const pair of pairs) map.items.push(pair as Pair<ParsedNode, ParsedNode>)
  fresh.contents = map as never
  const block = fresh
    .toString({ lineWidth: 0, flowCollectionPadding: false })
    .split('\n')
    .map((l) => (l === '' ? l : indent + l))
    .join(eol)
  let at: number
  if (end > 0 && text[end - 1] === '\n') at = end
  else {
    const nl = text.indexOf('\n', end)
    at = nl < 0 ? text.length : nl + 1
  }
  const head = text.slice(0, at)
  // Only the inserted lines take `eol`: a file with mixed line ends keeps every existing byte.
  return `${head}${head.endsWith('\n') ? '' : eol}${block}${text.slice(at)}`
}

const RECIPE_HEADER = `# Audit recipe: the rules each process's input and output gates check (theus docs/recipes.md).
# Levels: S stop the engine, A abort the workflow, B block the run, C warn.
process_recipes: {}
`

function skeleton(doc: ReturnType<typeof parseDocument>, io: CliIO, p: ScannedProcess): Pair {
  const flowList = (items: string[]) => {
    const seq = new YAMLSeq()
    for (const i of items) seq.items.push(new Scalar(i))
    seq.flow = true
    return seq
  }
  const value = doc.createNode({}) as YAMLMap
  value.set('inputs', flowList([]))
  value.set('outputs', flowList([]))
  value.set('side_effects', flowList(p.sideEffects))
  value.set('errors', flowList(p.errors))
  const key = new Scalar(p.name)
  const hints = [` ${p.name} (${shown(io, p.file)}:${p.line}), added by theus audit gen-spec.`]
  if (p.inputs.length > 0) hints.push(` contract inputs: ${p.inputs.join(', ')}`)
  if (p.outputs.length > 0) hints.push(` contract outputs: ${p.outputs.join(', ')}`)
  hints.push(
    ' a rule: - { field: <arg or path>, min|max|eq|neq|min_len|max_len|regex: <limit>, level: S|A|B|C }',
  )
  key.commentBefore = hints.join('\n')
  const pair = doc.createPair(key, value)
  return pair
}

interface RuleView extends NormalizedRule {
  /** The recipe entry the rule is written in. */
  from: string
}

/** Runs `theus audit inspect <process>`. */
export function inspect(io: CliIO, parsed: Parsed): number {
  const name = parsed.positionals[0]!
  // Without the default folder the recipe alone is shown; a folder the user named must exist.
  if (parsed.values.processes !== undefined) requireProcessDirs(io, strs(parsed, 'processes', []))
  const recipePath = resolve(io.cwd, str(parsed, 'recipe', DEFAULT_RECIPE))
  const text = readIfExists(recipePath, io)
  if (text === undefined) {
    throw new CliError(
      `no audit recipe at ${shown(io, recipePath)}; create one with 'theus audit gen-spec' or pass --recipe <file>.`,
    )
  }
  const recipe = loadRecipe(io, recipePath, text)
  const { processes } = findProcesses(io, parsed)
  const contract = processes.find((p) => p.name === name)
  const auditor = createAuditor(recipe, { emit() {} })
  const rules = auditor.rulesOf(name)
  if (rules === undefined && contract === undefined) {
    const known = [...Object.keys(recipe.process_recipes), ...processes.map((p) => p.name)]
    const hint = suggest(name, known)
    throw new CliError(
      `unknown process '${name}': not in ${shown(io, recipePath)} nor in the scanned sources${hint ? `; did you mean '${hint}'?` : known.length > 0 ? `; known: ${[...new Set(known)].join(', ')}.` : '.'}`,
    )
  }
  const parents = parentsOf(text)
  const withOrigin = (gate: 'inputs' | 'outputs'): RuleView[] =>
    rules === undefined ? [] : origins(name, gate, auditor, parents)
  const view = {
    process: name,
    recipe: shown(io, recipePath),
    inherits: parents.get(name) ?? null,
    inputs: withOrigin('inputs'),
    outputs: withOrigin('outputs'),
    side_effects: rules?.side_effects ?? [],
    errors: rules?.errors ?? [],
    contract:
      contract === undefined
        ? null
        : {
            file: `${shown(io, contract.file)}:${contract.line}`,
            inputs: contract.inputs,
            outputs: contract.outputs,
            errors: contract.errors,
            sideEffects: contract.sideEffects,
          },
  }
  if (flag(parsed, 'json')) {
    io.stdout(`${JSON.stringify(view, null, 2)}\n`)
    return 0
  }
  const lines: string[] = []
  if (rules === undefined) {
    lines.push(`${name}: no recipe in ${view.recipe}; the process runs without audit rules.`)
    lines.push(
      RESERVED_NAMES.includes(name)
        ? `  a recipe cannot name '${name}' (a reserved name): rename the process to give it rules`
        : `  add a skeleton with: theus audit gen-spec`,
    )
  } else {
    lines.push(`${name} (${view.recipe})`)
    if (view.inherits !== null) lines.push(`  inherits: ${view.inherits}`)
    for (const gate of ['inputs', 'outputs'] as const) {
      const gateRules = view[gate]
      lines.push(
        `  ${gate === 'inputs' ? 'input' : 'output'} rules: ${gateRules.length === 0 ? 'none' : ''}`.trimEnd(),
      )
      for (const r of gateRules) lines.push(`    - ${formatRule(r, name)}`)
    }
    lines.push(`  side effects: ${list(view.side_effects)}`)
    lines.push(`  errors: ${list(view.errors)}`)
  }
  if (view.contract !== null) {
    const c = view.contract
    lines.push(`  contract (${c.file}):`)
    lines.push(`    inputs: ${list(c.inputs)}`)
    lines.push(`    outputs: ${list(c.outputs)}`)
    lines.push(`    errors: ${list(c.errors)}`)
    lines.push(`    side effects: ${list(c.sideEffects)}`)
    const undeclared = view.errors.filter((e) => !c.errors.includes(e))
    if (rules !== undefined && undeclared.length > 0) {
      lines.push(
        `  note: the recipe lists errors the contract does not declare: ${undeclared.join(', ')}`,
      )
    }
  }
  io.stdout(`${lines.join('\n')}\n`)
  return 0
}

function list(items: readonly string[]): string {
  return items.length === 0 ? 'none' : items.join(', ')
}

function formatRule(r: RuleView, self: string): string {
  const limit = typeof r.limit === 'string' ? JSON.stringify(r.limit) : String(r.limit)
  const parts = [`${r.field} ${r.condition} ${limit}`, `level ${r.level}`]
  if (r.maxThreshold !== 1) parts.push(`threshold ${r.maxThreshold}`)
  if (r.minThreshold !== 0) parts.push(`early warning at ${r.minThreshold}`)
  if (!r.resetOnSuccess) parts.push('no reset on success')
  if (r.message !== undefined) parts.push(`message ${JSON.stringify(r.message)}`)
  if (r.from !== self) parts.push(`(inherited from ${r.from})`)
  return parts.join(', ')
}

// `inherits` of every entry, read from the text (the normalised recipe has it resolved away).
function parentsOf(text: string): Map<string, string> {
  const out = new Map<string, string>()
  const value = yamlDocument(text).toJS() as {
    process_recipes?: Record<string, { inherits?: unknown } | null> | null
  } | null
  for (const [k, v] of Object.entries(value?.process_recipes ?? {})) {
    if (typeof v?.inherits === 'string') out.set(k, v.inherits)
  }
  return out
}

// Inherited rules come first: the first n rules of a process are its parent's n effective rules.
function origins(
  name: string,
  gate: 'inputs' | 'outputs',
  auditor: ReturnType<typeof createAuditor>,
  parents: Map<string, string>,
): RuleView[] {
  const own = auditor.rulesOf(name)?.[gate] ?? []
  const parent = parents.get(name)
  const inherited = parent === undefined ? [] : origins(parent, gate, auditor, parents)
  return own.map((r, i) => ({ ...r, from: inherited[i]?.from ?? name }))
}
