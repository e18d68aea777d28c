import type { PersistStorage } from 'theus'

/** A `localStorage`-like store that counts writes, shared by the persist suites. */
export class MemoryStorage implements PersistStorage {
  readonly data = new Map<string, string>()
  readonly writes: string[] = []
  constructor(seed: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(seed)) this.data.set(k, v)
  }
  getItem(key: string): string | null {
    return this.data.get(key) ?? null
  }
  setItem(key: string, value: string): void {
    this.writes.push(key)
    this.data.set(key, String(value))
  }
  removeItem(key: string): void {
    this.data.delete(key)
  }
}
