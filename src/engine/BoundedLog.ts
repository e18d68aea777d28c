/**
 * The engine's records (history, run log, audit log, `ctx.log` entries): an append-only list
 * with a limit, O(1) per append. A bounded list is a ring (dropping the oldest entry costs
 * nothing, where `Array.prototype.shift` moves every entry); an unbounded one is a plain array.
 * Readers get read-only arrays, oldest first.
 */
export class BoundedLog<T> {
  private buf: T[] = []
  /** Index of the oldest entry once the ring is full. */
  private start = 0
  private view: readonly T[] | undefined

  /** `seal` freezes an entry when a reader first sees it (freezing on every append costs). */
  constructor(
    private readonly limit: number,
    private readonly seal: (entry: T) => void = Object.freeze,
  ) {}

  get length(): number {
    return this.buf.length
  }

  push(entry: T): void {
    if (this.limit <= 0) return
    if (this.buf.length < this.limit) this.buf.push(entry)
    else {
      this.buf[this.start] = entry
      this.start = (this.start + 1) % this.buf.length
    }
    if (this.start !== 0 || this.limit !== Number.POSITIVE_INFINITY) this.view = undefined
  }

  /** Removes and returns the newest entry (sealed). */
  pop(): T | undefined {
    this.normalize()
    this.view = undefined
    const e = this.buf.pop()
    if (e !== undefined) this.seal(e)
    return e
  }

  /**
   * The entries, oldest first, as a read-only array: a frozen copy made once per change for a
   * bounded log, a live read-only view for an unbounded one (copying it would cost its length).
   */
  list(): readonly T[] {
    if (this.view !== undefined) return this.view
    if (this.limit === Number.POSITIVE_INFINITY)
      this.view = new Proxy(this.buf, readonlyTraps as ProxyHandler<T[]>)
    else {
      this.normalize()
      this.view = Object.freeze(this.buf.slice())
    }
    return this.view
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
}
