import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { theusPlugin } from './src/vite/index.js'

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url))

// One config for three jobs: the playground dev server (`vite`), the library build
// (`vite build --mode lib`) and the test runner (`vitest`, node and jsdom projects).
// The aliases point `theus/*` at the sources, so tests and the playground import exactly
// the public names a user imports.
const alias = [
  { find: /^theus\/react$/, replacement: r('./adapters/react/index.ts') },
  { find: /^theus\/vue$/, replacement: r('./adapters/vue/index.ts') },
  { find: /^theus\/devtools\/react$/, replacement: r('./adapters/react/devtools.ts') },
  { find: /^theus\/devtools$/, replacement: r('./src/devtools/index.ts') },
  { find: /^theus\/vite$/, replacement: r('./src/vite/index.ts') },
  { find: /^theus\/yaml$/, replacement: r('./src/yaml/index.ts') },
  { find: /^theus\/workflow$/, replacement: r('./src/workflow/index.ts') },
  { find: /^theus$/, replacement: r('./src/index.ts') },
]

export default defineConfig(({ mode }) => {
  if (mode === 'lib') {
    return {
      // The published JSX must not depend on the NODE_ENV of whoever builds (vitest sets
      // `test`, which would emit `react/jsx-dev-runtime` calls and absolute file names).
      oxc: { jsx: { runtime: 'automatic', development: false } },
      build: {
        outDir: 'dist',
        emptyOutDir: true,
        minify: false,
        sourcemap: true,
        target: 'es2022',
        lib: {
          entry: {
            index: r('./src/index.ts'),
            react: r('./adapters/react/index.ts'),
            vue: r('./adapters/vue/index.ts'),
            vite: r('./src/vite/index.ts'),
            'vite-hmr': r('./src/vite/hmrRuntime.ts'),
            devtools: r('./src/devtools/index.ts'),
            'devtools-react': r('./adapters/react/devtools.ts'),
            yaml: r('./src/yaml/index.ts'),
            workflow: r('./src/workflow/index.ts'),
            cli: r('./src/cli/index.ts'),
          },
          formats: ['es'],
        },
        rollupOptions: {
          // Adapters import `theus` as an external, so an app holds one engine copy.
          external: (id: string) =>
            id === 'theus' ||
            id.startsWith('theus/') ||
            id.startsWith('node:') ||
            /^(react|react-dom|vue|vite|yaml|zod|immer|@preact\/signals-core)(\/|$)/.test(id),
        },
      },
    }
  }
  return {
    ...(mode === 'test' ? {} : { root: r('./playground') }),
    resolve: { alias },
    // The playground imports its YAML recipe and workflows compiled by theus/vite; tests load
    // YAML through their own means.
    plugins: mode === 'test' ? [] : [theusPlugin()],
    // A process takes its name from its function unless the contract sets `name`, and the
    // minifier drops function names: keep them, as every app that names processes so must.
    build: { rolldownOptions: { output: { keepNames: true } } },
    test: {
      root: r('.'),
      projects: [
        {
          resolve: { alias },
          test: {
            name: 'node',
            environment: 'node',
            include: ['test/**/*.test.ts'],
            exclude: ['test/e2e/**', 'test/pack/**', 'test/**/*.dom.test.ts'],
          },
        },
        {
          resolve: { alias },
          test: {
            name: 'dom',
            environment: 'jsdom',
            include: ['test/**/*.dom.test.ts', 'test/**/*.test.tsx'],
            exclude: ['test/e2e/**', 'test/pack/**'],
          },
        },
        {
          // Type-level tests (`*.test-d.ts`: expectTypeOf, @ts-expect-error), checked by tsc
          // with the project's tsconfig: a wrong type fails `npm test`, not only `npm run typecheck`.
          test: {
            name: 'types',
            include: [],
            typecheck: {
              enabled: true,
              only: true,
              include: ['test/**/*.test-d.ts'],
              tsconfig: r('./tsconfig.json'),
            },
          },
        },
        {
          resolve: { alias },
          // Slow, whole-package checks: the playground in a real Chromium, and the packed
          // tarball installed into a temporary project.
          test: {
            name: 'e2e',
            environment: 'node',
            include: ['test/e2e/**/*.test.ts', 'test/pack/**/*.test.ts'],
            testTimeout: 120_000,
            hookTimeout: 180_000,
          },
        },
      ],
    },
  }
})
