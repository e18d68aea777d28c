/**
 * The `include` / `exclude` filter of the plugin: what Vite's `createFilter` (from
 * `@rollup/pluginutils`) does, without importing `vite` at run time. SPEC's table lets
 * `theus/vite` import only `theus`, `yaml` and node, so the entry (and `compileTheusYaml`) loads
 * where Vite is not installed; the plugin still gets the same answers inside Vite.
 *
 * Globs are picomatch's with `dot: true`: `*`, `**`, `?`, `[...]`, `{a,b}` and `\` escapes
 * (no extglobs such as `+(a|b)`, and parentheses are plain characters where picomatch would read
 * a regex group: use a RegExp for those). A relative glob is resolved against the
 * working directory when it is used, as Vite does; one starting with `**` is matched as is.
 */
import { isAbsolute, posix, resolve } from 'node:path'

/** A glob, a RegExp, a list of them, or nothing (Vite's `FilterPattern`). */
export type FilterPattern = ReadonlyArray<string | RegExp> | string | RegExp | null

const toPosix = (p: string): string => p.replace(/\\/g, '/')

/**
 * `id → boolean`: false for a virtual id (`\0`), for anything `exclude` matches, and for what
 * `include` does not match when it is given.
 * @example
 * createFilter('**\/specs/*.yaml')('/app/specs/audit_recipe.yaml') // true
 */
export function createFilter(
  include?: FilterPattern,
  exclude?: FilterPattern,
): (id: unknown) => boolean {
  const includes = matchers(include)
  const excludes = matchers(exclude)
  return (id) => {
    if (typeof id !== 'string' || id.includes('\0')) return false
    const path = toPosix(id)
    if (excludes.some((m) => m(path))) return false
    return includes.length === 0 || includes.some((m) => m(path))
  }
}

function matchers(pattern: FilterPattern | undefined): ((path: string) => boolean)[] {
  const list: readonly (string | RegExp)[] =
    pattern == null
      ? []
      : typeof pattern === 'string' || pattern instanceof RegExp
        ? [pattern]
        : pattern
  return list.map((p) => {
    if (p instanceof RegExp) {
      return (path) => {
        p.lastIndex = 0
        return p.test(path)
      }
    }
    if (isAbsolute(p) || p.startsWith('**')) {
      const re = globToRegExp(toPosix(p))
      return (path) => re.test(path)
    }
    let cwd: string | undefined
    let re = /$^/
    return (path) => {
      if (cwd !== process.cwd()) {
        cwd = process.cwd()
        // The directory is literal text: its special characters are escaped for the glob.
        const base = toPosix(resolve(cwd)).replace(/[-^$*+?.()|[\]{}]/g, '\\$&')
        re = globToRegExp(posix.join(base, toPosix(p)))
      }
      return re.test(path)
    }
  })
}

/** A whole-path RegExp for one glob. */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${globBody(glob)}$`)
}

function globBody(glob: string): string {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '\\' && i + 1 < glob.length) {
      out += literal(glob[++i]!)
    } else if (c === '*') {
      let j = i
      while (glob[j + 1] === '*') j++
      const segmentStart = i === 0 || glob[i - 1] === '/'
      const segmentEnd = j + 1 === glob.length || glob[j + 1] === '/'
      if (j > i && segmentStart && segmentEnd) {
        if (j + 1 === glob.length) {
          // `a/**` matches `a` and everything under it.
          if (out.endsWith('/')) out = `${out.slice(0, -1)}(?:/.*)?`
          else out += '.*'
        } else {
          // `**/` matches no directory or any number of them.
          out += '(?:.*/)?'
          j++
        }
      } else out += '[^/]*'
      i = j
    } else if (c === '?') {
      out += '[^/]'
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2)
      if (close < 0) out += '\\['
      else {
        // As picomatch reads it here, `[!a]` is the set of `!` and `a`: negate with `[^a]`.
        const body = glob.slice(i + 1, close).replace(/^!/, '\\!')
        out += `[${body}]`
        i = close
      }
    } else if (c === '{') {
      const close = closingBrace(glob, i)
      const alternatives = close < 0 ? [] : splitTopLevel(glob.slice(i + 1, close))
      if (alternatives.length < 2) out += '\\{'
      else {
        out += `(?:${alternatives.map(globBody).join('|')})`
        i = close
      }
    } else out += literal(c)
  }
  return out
}

function literal(c: string): string {
  return /[-^$*+?.()|[\]{}\\]/.test(c) ? `\\${c}` : c
}

function closingBrace(glob: string, open: number): number {
  let depth = 0
  for (let i = open; i < glob.length; i++) {
    if (glob[i] === '\\') i++
    else if (glob[i] === '{') depth++
    else if (glob[i] === '}' && --depth === 0) return i
  }
  return -1
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') i++
    else if (body[i] === '{') depth++
    else if (body[i] === '}') depth--
    else if (body[i] === ',' && depth === 0) {
      parts.push(body.slice(start, i))
      start = i + 1
    }
  }
  parts.push(body.slice(start))
  return parts
}
