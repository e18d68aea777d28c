import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAuditRecipe } from 'theus/yaml'
import { describe, expect, it } from 'vitest'
import { expectOneLine, run, tempDir, writeFiles } from './helpers.js'

const PROCESSES = {
  'src/processes/transfer.ts': `import { process } from 'theus'
export const transfer = process(
  {
    inputs: ['domain.accounts'],
    outputs: ['domain.accounts', 'domain.total_reserves'],
    errors: ['ValueError'],
    sideEffects: ['email'],
  },
  function transfer(ctx, args: { amount: number }) {
    // process({}, function fake() {}) in a comment is not a process
    const s = "process({ name: 'alsoFake' }, function x() {})"
    return s
  },
)
`,
  'src/processes/more.ts': `import { defineProcess } from 'theus'
export const a = defineProcess({ name: 'audit_log', outputs: ['domain.meta_log'] }, async (ctx) => {})
export const b = defineProcess<{ n: number }>({ outputs: ['domain.n'] }, async function increment(ctx, args) {})
export const c = defineProcess({ outputs: ['domain.n'] }, (ctx) => {})
`,
}

const RECIPE = `# Bank rules: reviewed by compliance, keep this comment.
process_recipes:
  # money rules shared by every money-moving process
  base_money_rules:
    inputs:
      - field: amount
        min: 0
        level: B # negative amounts are blocked
  transfer:
    inherits: base_money_rules
    inputs:
      - { field: amount, max: 10000, level: B, threshold: 3 }
    outputs:
      - field: domain.total_reserves
        min: 0
        level: S
        message: Reserves must never be negative
    errors: [ValueError]
  # end of the process recipes
description: 'Bank rules, v1'
`

describe('theus audit gen-spec', () => {
  it('adds a skeleton for every process without a recipe and keeps content and comments', async () => {
    const dir = tempDir()
    writeFiles(dir, { ...PROCESSES, 'specs/audit_recipe.yaml': RECIPE })
    const r = await run(dir, 'audit', 'gen-spec')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('added audit_log, increment')
    const text = readFileSync(join(dir, 'specs/audit_recipe.yaml'), 'utf8')
    // Every original line is kept byte for byte; the skeletons go after the last entry.
    const at = text.indexOf('  # audit_log')
    expect(at).toBeGreaterThan(0)
    expect(text.slice(0, at) + text.slice(text.indexOf('  # end of'))).toBe(RECIPE)
    expect(text).toContain('# negative amounts are blocked')
    const recipe = parseAuditRecipe(text)
    expect(Object.keys(recipe.process_recipes)).toEqual([
      'base_money_rules',
      'transfer',
      'audit_log',
      'increment',
    ])
    expect(recipe.process_recipes.increment).toEqual({
      inputs: [],
      outputs: [],
      side_effects: [],
      errors: [],
    })
    expect(text).toContain('# contract outputs: domain.meta_log')
    // The anonymous arrow function has no readable name: a warning, never a guess.
    expect(r.stderr).toMatch(/more\.ts:4: a process without a readable name/)
  })

  it('creates the recipe when it is missing, with the contract errors and side effects', async () => {
    const dir = tempDir()
    writeFiles(dir, PROCESSES)
    const r = await run(dir, 'audit', 'gen-spec')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('created specs/audit_recipe.yaml')
    const recipe = parseAuditRecipe(readFileSync(join(dir, 'specs/audit_recipe.yaml'), 'utf8'))
    expect(recipe.process_recipes.transfer).toEqual({
      inputs: [],
      outputs: [],
      side_effects: ['email'],
      errors: ['ValueError'],
    })
    expect(recipe.process_recipes).not.toHaveProperty('fake')
    expect(recipe.process_recipes).not.toHaveProperty('alsoFake')
  })

  it('fills a recipe file that holds only comments (or nothing), keeping the comments', async () => {
    for (const start of [
      '',
      '# Rules for the bank: written by hand.\n',
      '# no newline at the end',
    ]) {
      const dir = tempDir()
      writeFiles(dir, { ...PROCESSES, 'specs/audit_recipe.yaml': start })
      const r = await run(dir, 'audit', 'gen-spec')
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('updated specs/audit_recipe.yaml: added')
      const text = readFileSync(join(dir, 'specs/audit_recipe.yaml'), 'utf8')
      expect(text.startsWith(start)).toBe(true)
      expect(Object.keys(parseAuditRecipe(text).process_recipes).sort()).toEqual([
        'audit_log',
        'increment',
        'transfer',
      ])
    }
  })

  it('keeps Windows line ends (CRLF) in a recipe that has them', async () => {
    const dir = tempDir()
    const crlf = RECIPE.replace(/\n/g, '\r\n')
    writeFiles(dir, { ...PROCESSES, 'specs/audit_recipe.yaml': crlf })
    expect((await run(dir, 'audit', 'gen-spec')).code).toBe(0)
    const text = readFileSync(join(dir, 'specs/audit_recipe.yaml'), 'utf8')
    expect(text.startsWith(crlf.slice(0, crlf.lastIndexOf('  # end of the process recipes')))).toBe(
      true,
    )
    expect(text.replace(/\r\n/g, '')).not.toContain('\n')
    expect(Object.keys(parseAuditRecipe(text).process_recipes)).toContain('increment')
  })

  it('refuses a recipe that is not UTF-8 text and leaves it byte for byte (a Latin-1 é became U+FFFD)', async () => {
    const dir = tempDir()
    const latin1 = Buffer.from(`# r\xe9sum\xe9 des r\xe8gles\n${RECIPE}`, 'latin1')
    const utf16 = Buffer.from(`\uFEFF${RECIPE}`, 'utf16le')
    for (const [name, bytes] of [
      ['latin1.yaml', latin1],
      ['utf16.yaml', utf16],
    ] as const) {
      writeFiles(dir, PROCESSES)
      writeFileSync(join(dir, name), bytes)
      const r = await run(dir, 'audit', 'gen-spec', '--recipe', name)
      expect(expectOneLine(r)).toBe(
        `theus: ${name} is not UTF-8 text; save it as UTF-8 and run again.`,
      )
      expect(readFileSync(join(dir, name)).equals(bytes)).toBe(true)
      const inspected = await run(dir, 'audit', 'inspect', 'transfer', '--recipe', name)
      expect(expectOneLine(inspected)).toContain('is not UTF-8 text')
    }
  })

  it('keeps a UTF-8 BOM at the start of the recipe', async () => {
    const dir = tempDir()
    writeFiles(dir, { ...PROCESSES, 'specs/audit_recipe.yaml': `\uFEFF${RECIPE}` })
    expect((await run(dir, 'audit', 'gen-spec')).code).toBe(0)
    const text = readFileSync(join(dir, 'specs/audit_recipe.yaml'), 'utf8')
    expect(text.startsWith(`\uFEFF${RECIPE.slice(0, 40)}`)).toBe(true)
    expect(Object.keys(parseAuditRecipe(text).process_recipes)).toContain('increment')
  })

  it('skips a process whose name a recipe cannot hold, with a warning at its source (was a failure at a line of the unwritten recipe)', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'src/processes/odd.ts': `import { process } from 'theus'
export const a = process({ name: 'constructor', outputs: ['domain.x'] }, (ctx) => {})
export const b = process({ outputs: ['domain.x'] }, function toString(ctx) {})
export const c = process({ name: 'a: b', outputs: ['domain.x'] }, (ctx) => {})
`,
    })
    const r = await run(dir, 'audit', 'gen-spec')
    expect(r.code).toBe(0)
    expect(r.stderr).toBe(
      "warning: src/processes/odd.ts:2: 'constructor' cannot have an audit recipe (a reserved name); rename the process\n",
    )
    expect(r.stdout).toContain('added toString, a: b')
    const text = readFileSync(join(dir, 'specs/audit_recipe.yaml'), 'utf8')
    expect(Object.keys(parseAuditRecipe(text).process_recipes)).toEqual(['toString', 'a: b'])
    const inspected = await run(dir, 'audit', 'inspect', 'constructor')
    expect(inspected.code).toBe(0)
    expect(inspected.stdout).toContain("a recipe cannot name 'constructor'")
    expect(inspected.stdout).not.toContain('gen-spec')
  })

  it('reads Unicode function names, as the engine names the process (they were skipped as unnamed)', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'src/processes/u.ts': `import { process } from 'theus'
export const a = process({ outputs: ['domain.x'] }, function überweisung(ctx) {})
export const b = process({ outputs: ['domain.x'] }, async function 转账(ctx) {})
`,
    })
    const r = await run(dir, 'audit', 'gen-spec')
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain('added überweisung, 转账')
    const inspected = await run(dir, 'audit', 'inspect', '转账')
    expect(inspected.stdout).toContain('contract (src/processes/u.ts:3)')
  })

  it('keeps every byte of a file with mixed line ends; only the added lines take CRLF (its LF lines became CRLF)', async () => {
    const dir = tempDir()
    const mixed = RECIPE.replace(/\n/g, '\r\n').replace(
      'keep this comment.\r\n',
      'keep this comment.\n',
    )
    writeFiles(dir, { ...PROCESSES, 'specs/audit_recipe.yaml': mixed })
    expect((await run(dir, 'audit', 'gen-spec')).code).toBe(0)
    const text = readFileSync(join(dir, 'specs/audit_recipe.yaml'), 'utf8')
    const end = mixed.lastIndexOf('  # end of the process recipes')
    expect(text.startsWith(mixed.slice(0, end))).toBe(true)
    expect(text.endsWith(mixed.slice(end))).toBe(true)
    expect(text.slice(end, text.length - (mixed.length - end)).replace(/\r\n/g, '')).not.toContain(
      '\n',
    )
  })

  it('reads past regular expression literals and nested template literals (a /`/ hid every process after it)', async () => {
    const dir = tempDir()
    writeFiles(dir, {
      'src/processes/r.tsx': `import { process } from 'theus'
const QUOTE = /['"{]/g
const half = 10 / 2 // a division; it's a comment
export const first = process({ outputs: ['domain.x'] }, function first(ctx) {
  return \`a \${\`b \${"}"} c\`} d\`
})
const strip = (x: string) => x.replace(/\`/g, '').replace(/[/{]/, '')
export const second = process({ outputs: ['domain.y'] }, function second(ctx) {})
const view = <p>{half}</p>
export const third = process({ outputs: ['domain.z'] }, function third(ctx) {})
`,
    })
    const r = await run(dir, 'audit', 'gen-spec')
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain('added first, second, third')
  })

  it('changes nothing on a second run', async () => {
    const dir = tempDir()
    writeFiles(dir, PROCESSES)
    await run(dir, 'audit', 'gen-spec')
    const before = readFileSync(join(dir, 'specs/audit_recipe.yaml'), 'utf8')
    const r = await run(dir, 'audit', 'gen-spec')
    expect(r.stdout).toContain('every process has a recipe')
    expect(readFileSync(join(dir, 'specs/audit_recipe.yaml'), 'utf8')).toBe(before)
  })

  it('prints the result and writes nothing with --dry-run', async () => {
    const dir = tempDir()
    writeFiles(dir, PROCESSES)
    const r = await run(dir, 'audit', 'gen-spec', '--dry-run')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('transfer:')
    expect(existsSync(join(dir, 'specs/audit_recipe.yaml'))).toBe(false)
  })

  it('reads --recipe and --processes', async () => {
    const dir = tempDir()
    writeFiles(dir, { 'lib/p.js': PROCESSES['src/processes/transfer.ts'] })
    const r = await run(dir, 'audit', 'gen-spec', '--recipe', 'rules.yaml', '--processes', 'lib')
    expect(r.code).toBe(0)
    expect(
      Object.keys(parseAuditRecipe(readFileSync(join(dir, 'rules.yaml'), 'utf8')).process_recipes),
    ).toEqual(['transfer'])
  })

  it('refuses to edit an invalid recipe, with one line and its position, and leaves it as it was', async () => {
    const dir = tempDir()
    const bad = 'process_recipes:\n  transfer:\n    inputs:\n      - { field: amount, maxx: 3 }\n'
    writeFiles(dir, { ...PROCESSES, 'specs/audit_recipe.yaml': bad })
    const line = expectOneLine(await run(dir, 'audit', 'gen-spec'))
    expect(line).toMatch(/audit_recipe\.yaml:4:\d+/)
    expect(readFileSync(join(dir, 'specs/audit_recipe.yaml'), 'utf8')).toBe(bad)
  })

  it("counts a recipe's other problems without pointing a command-line user at error.issues", async () => {
    const dir = tempDir()
    const bad = 'process_recipes:\n  a:\n    inherits: b\n  b:\n    inherits: a\n'
    writeFiles(dir, { ...PROCESSES, 'specs/audit_recipe.yaml': bad })
    for (const argv of [
      ['audit', 'gen-spec'],
      ['audit', 'inspect', 'a'],
    ]) {
      const line = expectOneLine(await run(dir, ...argv))
      expect(line).toMatch(/audit_recipe\.yaml:3:\d+: .*inherits itself/)
      expect(line).not.toContain('error.issues')
      expect(line).toMatch(/\(1 more problem, shown once this one is fixed\)$/)
    }
  })

  it('refuses a missing processes directory with one line', async () => {
    const line = expectOneLine(await run(tempDir(), 'audit', 'gen-spec'))
    expect(line).toContain('no processes at src/processes')
  })

  it('reads a folder reached through a link loop once (was an unexpected ELOOP, exit 2)', async () => {
    const dir = tempDir()
    writeFiles(dir, PROCESSES)
    symlinkSync('..', join(dir, 'src/processes/loop'), 'dir')
    const r = await run(dir, 'audit', 'gen-spec', '--dry-run')
    expect(r.code).toBe(0)
    // Each file once: no "also defined at" for the same file seen through the link.
    expect(r.stderr).not.toContain('also defined')
    expect(r.stdout).toContain('transfer:')
  })

  it('has --help', async () => {
    const r = await run(tempDir(), 'audit', 'gen-spec', '--help')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Usage: theus audit gen-spec')
  })
})

describe('theus audit inspect', () => {
  const project = () => {
    const dir = tempDir()
    writeFiles(dir, { ...PROCESSES, 'specs/audit_recipe.yaml': RECIPE })
    return dir
  }

  it('prints the effective rules, inherited ones first and marked, side effects and errors', async () => {
    const r = await run(project(), 'audit', 'inspect', 'transfer')
    expect(r.code).toBe(0)
    const out = r.stdout
    expect(out).toContain('inherits: base_money_rules')
    const inherited = out.indexOf('amount min 0, level B, (inherited from base_money_rules)')
    const own = out.indexOf('amount max 10000, level B, threshold 3')
    expect(inherited).toBeGreaterThan(0)
    expect(own).toBeGreaterThan(inherited)
    expect(out).toContain(
      'domain.total_reserves min 0, level S, message "Reserves must never be negative"',
    )
    expect(out).toContain('errors: ValueError')
    expect(out).toContain('side effects: email')
    expect(out).toContain('contract (src/processes/transfer.ts:2)')
  })

  it('prints JSON with --json', async () => {
    const r = await run(project(), 'audit', 'inspect', 'transfer', '--json')
    const view = JSON.parse(r.stdout)
    expect(view.inputs.map((x: { from: string }) => x.from)).toEqual([
      'base_money_rules',
      'transfer',
    ])
    expect(view.errors).toEqual(['ValueError'])
  })

  it('says when a known process has no recipe, and exits 0', async () => {
    const r = await run(project(), 'audit', 'inspect', 'increment')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('increment: no recipe')
  })

  it('refuses an unknown process with a did-you-mean', async () => {
    const line = expectOneLine(await run(project(), 'audit', 'inspect', 'transfr'))
    expect(line).toContain("did you mean 'transfer'?")
  })

  it('refuses a missing recipe and a missing <process> with one line', async () => {
    expect(expectOneLine(await run(tempDir(), 'audit', 'inspect', 'x'))).toContain(
      'no audit recipe at',
    )
    expect(expectOneLine(await run(tempDir(), 'audit', 'inspect'))).toContain('needs <process>')
  })

  it('refuses a --processes path that does not exist instead of showing the recipe alone', async () => {
    const r = await run(project(), 'audit', 'inspect', 'transfer', '--processes', 'src/procs')
    expect(r.stdout).toBe('')
    expect(expectOneLine(r)).toContain('no processes at src/procs')
    // The default folder may be missing: the recipe is shown on its own.
    const dir = tempDir()
    writeFiles(dir, { 'specs/audit_recipe.yaml': RECIPE })
    expect((await run(dir, 'audit', 'inspect', 'transfer')).code).toBe(0)
  })

  it('never writes a file', async () => {
    const dir = project()
    writeFileSync(join(dir, 'specs/audit_recipe.yaml'), RECIPE)
    await run(dir, 'audit', 'inspect', 'transfer')
    expect(readFileSync(join(dir, 'specs/audit_recipe.yaml'), 'utf8')).toBe(RECIPE)
  })
})
