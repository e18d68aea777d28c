import { resolveZone, TheusError } from 'theus'
import { describe, expect, it } from 'vitest'

describe('resolveZone', () => {
  it('maps sig_ and cmd_ to the signal zone', () => {
    expect(resolveZone('domain.sig_fraud_detected')).toBe('signal')
    expect(resolveZone('domain.cmd_start')).toBe('signal')
  })

  it('maps meta_ to the meta zone', () => {
    expect(resolveZone('domain.meta_last_tx')).toBe('meta')
  })

  it('maps heavy_ to the heavy zone', () => {
    expect(resolveZone('domain.heavy_chart')).toBe('heavy')
  })

  it('maps an unprefixed path to the data zone', () => {
    expect(resolveZone('domain.accounts.Alice')).toBe('data')
    expect(resolveZone('domain')).toBe('data')
    expect(resolveZone('global.max_transfer')).toBe('data')
  })

  it('lets the first prefixed segment from the root decide', () => {
    expect(resolveZone('domain.meta_info.sig_x')).toBe('meta')
    expect(resolveZone('domain.sig_events.heavy_blob')).toBe('signal')
    expect(resolveZone('domain.heavy_data.meta_x')).toBe('heavy')
    expect(resolveZone('domain.stuff.cmd_go')).toBe('signal')
  })

  it('checks every segment, not only the last', () => {
    expect(resolveZone('domain.sig_alerts.count')).toBe('signal')
    expect(resolveZone('domain.heavy_frames.0')).toBe('heavy')
  })

  it('understands aliases and brackets', () => {
    expect(resolveZone('domain_ctx.sig_done')).toBe('signal')
    expect(resolveZone('domain.heavy_frames[0]')).toBe('heavy')
  })

  it('needs the prefix at the start of a segment', () => {
    expect(resolveZone('domain.is_sig_x')).toBe('data')
    expect(resolveZone('domain.signal')).toBe('data')
    expect(resolveZone('domain.metadata')).toBe('data')
    expect(resolveZone('domain.heavy')).toBe('data')
  })

  it('refuses a path that is neither a string nor segments with INVALID_ARGS, not a TypeError', () => {
    for (const bad of [5, null, undefined, {}, [1]]) {
      let err: unknown
      try {
        resolveZone(bad as never)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(TheusError)
      expect((err as TheusError).code).toBe('INVALID_ARGS')
      expect((err as TheusError).message).toMatch(/resolveZone\(\) takes a dotted path/)
    }
    expect(resolveZone(['domain', 'meta_x'])).toBe('meta')
  })
})
