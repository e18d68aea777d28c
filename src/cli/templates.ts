/**
 * The files of `theus init`: a Vite + React + TypeScript app around the bank example. The
 * context module and the schema file are not here: `init` writes them with the same code as
 * `theus schema code` and `theus schema gen`, so the three always agree.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ContextSchemaModel, FieldSpec } from './schemaModel.js'

/**
 * The React sources of the scaffold are real files in the package's `templates/app/`, so that
 * they stay readable and formatted, and the library's own sources never contain app code.
 * Found by walking up from this module: `src/cli/` in the repository, `dist/` once built.
 */
function templateFile(rel: string): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const file = join(dir, 'templates', 'app', rel)
    if (existsSync(file)) return readFileSync(file, 'utf8')
    const up = dirname(dir)
    if (up === dir)
      throw new Error(`theus: the scaffold template ${rel} is missing from the package`)
    dir = up
  }
}

/** Versions written into the app's package.json. */
export interface TemplateVersions {
  theus: string
  react: string
  reactDom: string
  zod: string
  vite: string
  typescript: string
  typesReact: string
  typesReactDom: string
  typesNode: string
}

/** The bank context of SPEC §1, as a schema model. */
export function bankModel(): ContextSchemaModel {
  const f = (spec: FieldSpec): FieldSpec => spec
  return {
    fields: new Map<string, FieldSpec>([
      ['global', f({ type: 'object', zone: 'data' })],
      ['global.max_transfer', f({ type: 'integer', zone: 'data', default: 10000, min: 0 })],
      ['domain', f({ type: 'object', zone: 'data' })],
      [
        'domain.accounts',
        f({ type: 'record', zone: 'data', values: 'number', default: { Alice: 1000, Bob: 0 } }),
      ],
      ['domain.total_reserves', f({ type: 'number', zone: 'data', default: 1000000, min: 0 })],
      ['domain.sig_fraud_detected', f({ type: 'boolean', zone: 'signal', default: false })],
      ['domain.meta_last_tx', f({ type: 'string', zone: 'meta', default: '' })],
      ['domain.heavy_chart', f({ type: 'Float64Array', zone: 'heavy', length: 365 })],
    ]),
  }
}

/** Every file but the context module and the schema file, by path. */
export function appFiles(name: string, v: TemplateVersions): Record<string, string> {
  const pkg = {
    name,
    private: true,
    version: '0.0.0',
    type: 'module',
    scripts: {
      dev: 'vite',
      build: 'tsc --noEmit && vite build',
      preview: 'vite preview',
      typecheck: 'tsc --noEmit',
      'audit:gen-spec': 'theus audit gen-spec',
      'schema:gen': 'theus schema gen',
    },
    dependencies: {
      react: v.react,
      'react-dom': v.reactDom,
      theus: v.theus,
      zod: v.zod,
    },
    devDependencies: {
      '@types/node': v.typesNode,
      '@types/react': v.typesReact,
      '@types/react-dom': v.typesReactDom,
      typescript: v.typescript,
      vite: v.vite,
    },
  }
  return {
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    '.gitignore': 'node_modules\ndist\n*.local\n',
    'README.md': README(name),
    'index.html': `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>${escapeHtml(name)}</title>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/src/main.tsx"></script>
  </body>
</html>
`,
    'vite.config.ts': `import theus from 'theus/vite'
import { defineConfig } from 'vite'

// theus() compiles the YAML recipe and workflow at build time: the bundle ships plain data,
// and a mistake in them fails the build with its file, line and column.
export default defineConfig({
  plugins: [theus()],
  // One copy of each, also when theus is linked from a checkout (file:), whose own
  // node_modules would otherwise hand theus/react a second React.
  resolve: { dedupe: ['react', 'react-dom', 'theus'] },
})
`,
    'tsconfig.json': `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          module: 'ESNext',
          moduleResolution: 'Bundler',
          jsx: 'react-jsx',
          strict: true,
          noUncheckedIndexedAccess: true,
          verbatimModuleSyntax: true,
          isolatedModules: true,
          skipLibCheck: true,
          noEmit: true,
        },
        include: ['src', 'vite.config.ts'],
      },
      null,
      2,
    )}\n`,
    'src/env.d.ts': `/// <reference types="vite/client" />

// Theus YAML files, compiled by the theus() Vite plugin into plain objects.
declare module '*.yaml' {
  const data: Record<string, unknown>
  export default data
}
`,
    'src/engine.ts': templateFile('src/engine.ts'),
    'src/hooks.ts': templateFile('src/hooks.ts'),
    'src/process.ts': templateFile('src/process.ts'),
    'src/main.tsx': templateFile('src/main.tsx'),
    'src/App.tsx': templateFile('src/App.tsx'),
    'src/processes/transfer.ts': templateFile('src/processes/transfer.ts'),
    'src/processes/notify.ts': templateFile('src/processes/notify.ts'),
    'specs/audit_recipe.yaml': `# Audit recipe: the rules each process's input and output gates check.
# Levels: S stop the engine, A abort the workflow, B block the run, C warn.
# Add a skeleton for every new process with: npx theus audit gen-spec
# See what applies to one process with:     npx theus audit inspect transfer
process_recipes:
  transfer:
    inputs:
      - field: amount # args first, then a context path
        max: 10000
        level: B
        message: A transfer is limited to 10000
    outputs:
      - field: domain.total_reserves
        min: 0
        level: S
        message: Reserves must never be negative
    side_effects: []
    errors: [ValueError]
  notify:
    inputs: []
    outputs: []
    side_effects: []
    errors: []
`,
    'workflows/workflow.yaml': `# The bank's state machine: CMD_TX runs transfer, then notify, then back to IDLE.
initial: IDLE
states:
  IDLE:
    events: { CMD_TX: PROCESSING }
  PROCESSING:
    entry: transfer
    events: { EVT_SUCCESS: NOTIFY, EVT_FAIL: IDLE }
  NOTIFY:
    entry: [notify]
    events: { EVT_CHAIN_DONE: IDLE }
`,
  }
}

function README(name: string): string {
  return `# ${name}

A Vite + React app on [Theus](https://www.npmjs.com/package/theus).

\`\`\`sh
npm install
npm run dev
\`\`\`

- \`src/context.ts\`: the context (zod schema and initial value), mirrored by \`specs/context_schema.yaml\`
  (\`npx theus schema gen\` writes the YAML from the module, \`npx theus schema code\` the reverse).
- \`src/processes/\`: the processes, made with \`process\` from \`src/process.ts\` (typed by the context) and
  listed in \`src/engine.ts\`; \`src/hooks.ts\` has the React hooks typed for that engine.
- \`specs/audit_recipe.yaml\`: the audit rules (\`npx theus audit gen-spec\`, \`npx theus audit inspect <process>\`).
- \`workflows/workflow.yaml\`: the state machine.
`
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)
}
