/**
 * The engine's records (history, run log, audit log, `ctx.log` entries): an append-only list
 * with a limit, O(1) per append. A bounded list is a ring (dropping the oldest entry costs
 * nothing, where `Array.prototype.shift` moves every entry); an unbounded one is a plain array.
 * Readers get read-only arrays, oldest first, of sealed (frozen) entries.
 */
export class BoundedLog<T> {
  private buf: T[] = []
  /** Index of the oldest entry once the ring is full. */
  private start = 0
  private view: readonly T[] | undefined
  /** How many of the newest entries are not sealed yet (sealed when a reader comes). */
  private fresh = 0

  /**
   * `seal` freezes an entry before a reader sees it (freezing on every append costs); when it
   * returns an object, that object replaces the entry (an entry recorded in a cheaper form).
   */
  constructor(
    private readonly limit: number,
    private readonly seal: (entry: T) => T | undefined | void = Object.freeze,
  ) {}

  get length(): number {
    return this.buf.length
  }

  /** Appends an entry; returns the entry it pushed out of a full ring, if any. */
  push(entry: T): T | undefined {
    if (this.limit <= 0) return undefined
    let dropped: T | undefined
    if (this.buf.length < this.limit) this.buf.push(entry)
    else {
      dropped = this.buf[this.start]
      this.buf[this.start] = entry
      this.start = (this.start + 1) % this.buf.length
    }
    if (this.fresh < this.buf.length) this.fresh++
    if (this.start !== 0 || this.limit !== Number.POSITIVE_INFINITY) this.view = undefined
    return dropped
  }

  /** The newest entry (sealed), without removing it. */
  last(): T | undefined {
    if (this.buf.length === 0) return undefined
    this.sealFresh()
    return this.buf[(this.start + this.buf.length - 1) % this.buf.length]
  }

  /** Removes and returns the newest entry (sealed). */
  pop(): T | undefined {
    this.normalize()
    this.sealFresh()
    this.view = undefined
    return this.buf.pop()
  }

  /**
   * The entries, oldest first, as a read-only array: a frozen copy made once per change for a
   * bounded log, a live read-only view for an unbounded one (copying it would cost its length).
   */
  list(): readonly T[] {
    this.sealFresh()
    if (this.view !== undefined) return this.view
    if (this.limit === Number.POSITIVE_INFINITY)
      this.view = new Proxy(this.buf, readonlyTraps as ProxyHandler<T[]>)
    else {
      this.normalize()
      this.view = Object.freeze(this.buf.slice())
    }
    return this.view
  }

  /** Seals the entries appended since the last reader came: O(new entries). */
  private sealFresh(): void {
    const n = this.buf.length
    for (let i = n - this.fresh; i < n; i++) {
      const j = (this.start + i) % n
      const sealed = this.seal(this.buf[j]!)
      if (sealed !== undefined && sealed !== null) this.buf[j] = sealed as T
    }
    this.fresh = 0
  }

  private normalize(): void {
    if (this.start === 0) return
    this.buf = [...this.buf.slice(this.start), ...this.buf.slice(0, this.start)]
    this.start = 0
  }
}

const refuse = (): never => {
  throw new TypeError(
    "This array is read-only: it is the engine's record, changed only by the engine.",
  )
}
const readonlyTraps: ProxyHandler<unknown[]> = {
  set: refuse,
  deleteProperty: refuse,
  defineProperty: refuse,
  setPrototypeOf: refuse,
  preventExtensions: refuse,
}
