#!/usr/bin/env node
// Lists relative Markdown links in README.md and docs/ that point at files that do not exist.
// Usage: node scripts/check-links.mjs; exit code 1 when any link is broken.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

function markdownFiles(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    if (statSync(p).isDirectory()) return markdownFiles(p)
    return p.endsWith('.md') ? [p] : []
  })
}

const broken = []
for (const file of [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))]) {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '')
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:|^#/.test(target)) continue
    const path = target.split('#')[0]
    if (!existsSync(join(dirname(file), path))) broken.push(`${relative(root, file)}: ${target}`)
  }
}

for (const b of broken) console.log(b)
console.log(`${broken.length} broken link${broken.length === 1 ? '' : 's'}`)
process.exit(broken.length ? 1 : 0)
