#!/usr/bin/env node
// Lists relative Markdown links in README.md, docs/ and examples/ that point at files that do not
// exist, or at a `#heading` that the target page does not have. The docs site build
// (`npm run docs:build`, VitePress) fails on dead page links too; this script also checks the
// README (outside the site), the examples, and anchors, which VitePress leaves alone.
// Usage: node scripts/check-links.mjs; exit code 1 when any link is broken.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// Generated (docs/api, by TypeDoc) or built output: not sources of links.
const skipDirs = new Set(['node_modules', '.vitepress', 'api', 'dist'])

function markdownFiles(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    if (statSync(p).isDirectory()) return skipDirs.has(f) ? [] : markdownFiles(p)
    return p.endsWith('.md') ? [p] : []
  })
}

// The slugs VitePress gives headings (@mdit-vue/shared's slugify), so `page.md#some-heading`
// can be checked against the page's headings.
function slugify(text) {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036F]/g, '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
    .replace(/[\u0000-\u001f]/g, '')
    .replace(/[\s~`!@#$%^&*()\-_+=[\]{}|\\;:"'“”‘’<>,.?/]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/^(\d)/, '_$1')
    .toLowerCase()
}

const anchorsOf = new Map()
function anchors(file) {
  if (!anchorsOf.has(file)) {
    const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '')
    const seen = new Map()
    const set = new Set()
    for (const [, heading] of text.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
      const plain = heading.replace(/`([^`]*)`/g, '$1').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      const base = slugify(plain)
      const n = seen.get(base) ?? 0
      seen.set(base, n + 1)
      set.add(n === 0 ? base : `${base}-${n}`)
    }
    for (const [, id] of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) set.add(id)
    anchorsOf.set(file, set)
  }
  return anchorsOf.get(file)
}

const files = [
  join(root, 'README.md'),
  ...markdownFiles(join(root, 'docs')),
  ...markdownFiles(join(root, 'examples')),
]
const broken = []
for (const file of files) {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '')
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target)) continue
    const [path, hash] = target.split('#')
    const resolved = path ? join(dirname(file), path) : file
    if (!existsSync(resolved)) {
      broken.push(`${relative(root, file)}: ${target}`)
      continue
    }
    if (hash && resolved.endsWith('.md') && !anchors(resolved).has(hash))
      broken.push(`${relative(root, file)}: ${target} (no heading '#${hash}' there)`)
  }
}

for (const b of broken) console.log(b)
console.log(`${broken.length} broken link${broken.length === 1 ? '' : 's'}`)
process.exit(broken.length ? 1 : 0)
