import { normalizePath, parsePath } from 'theus'
import { describe, expect, it } from 'vitest'

describe('parsePath', () => {
  it('splits a dotted path into its segments', () => {
    expect(parsePath('domain.accounts.Alice')).toEqual(['domain', 'accounts', 'Alice'])
  })

  it('reads [0] as the same path as .0', () => {
    expect(parsePath('domain.items[0]')).toEqual(['domain', 'items', '0'])
    expect(parsePath('domain.items[0]')).toEqual(parsePath('domain.items.0'))
    expect(parsePath('domain.items[2].name')).toEqual(['domain', 'items', '2', 'name'])
  })

  it('resolves the domain_ctx. and global_ctx. aliases', () => {
    expect(parsePath('domain_ctx.accounts')).toEqual(['domain', 'accounts'])
    expect(parsePath('global_ctx.max_transfer')).toEqual(['global', 'max_transfer'])
    expect(parsePath('domain_ctx.items[0]')).toEqual(['domain', 'items', '0'])
  })

  it('returns undefined for a path that is not a non-empty string', () => {
    expect(parsePath('')).toBeUndefined()
    expect(parsePath(42)).toBeUndefined()
    expect(parsePath(null)).toBeUndefined()
    expect(parsePath(undefined)).toBeUndefined()
  })

  it('returns undefined for empty segments', () => {
    expect(parsePath('domain..x')).toBeUndefined()
    expect(parsePath('.domain')).toBeUndefined()
    expect(parsePath('domain.')).toBeUndefined()
  })
})

describe('normalizePath', () => {
  it('gives the canonical dotted form', () => {
    expect(normalizePath('domain_ctx.items[0]')).toBe('domain.items.0')
    expect(normalizePath('global_ctx.a.b')).toBe('global.a.b')
    expect(normalizePath('domain.items.0')).toBe('domain.items.0')
  })

  it('treats bracket and dot forms as one path', () => {
    expect(normalizePath('domain.grid[1][2]')).toBe(normalizePath('domain.grid.1.2'))
  })
})
