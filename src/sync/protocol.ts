/**
 * The messages between `theus/server` and `connectTheusServer`, one JSON text frame each.
 * State values inside (args, patch values, snapshots) go through persist's JSON codec, so Map,
 * Set, Date, undefined and typed arrays survive. Documented in docs/sync.md.
 */
import type { Patch } from 'theus'
import { TheusError } from 'theus'
import { decode, encode } from '../engine/persist/codec.js'

/** Client → server. */
export type ClientMessage =
  /** First message of each connection: who, the last sequence number applied, runs in flight. */
  | { t: 'hello'; client: string; lastSeq: number | null; pending: number[] }
  /** A run: `id` grows per client; `baseSeq` is the sequence number the client ran it on. */
  | { t: 'run'; id: number; process: string; args: unknown; baseSeq: number }

/** Server → client. */
export type ServerMessage =
  /** A commit in the server's order (of any client, or of the server itself). */
  | {
      t: 'commit'
      seq: number
      client: string | null
      id: number | null
      process: string
      args: unknown
      patches: Patch[]
    }
  /** The whole data zone at `seq`: for a new client, or one too far behind for the backlog. */
  | { t: 'snapshot'; seq: number; state: unknown }
  /** A run of this client that committed nothing on the server. */
  | { t: 'done'; id: number }
  /** A run of this client the server refused: its error's code, name and message. */
  | { t: 'refused'; id: number; code: string; name: string; message: string }
  /** End of the catch-up after `hello`: runs with an id above `lastRunId` were never received. */
  | { t: 'welcome'; seq: number; lastRunId: number }

/** Encodes a message as one text frame. */
export function encodeMessage(m: ClientMessage | ServerMessage): string {
  return JSON.stringify(encode(m))
}

/**
 * Decodes one frame. A frame that is not JSON, not an object with a known `t`, or that holds a
 * `__proto__` key anywhere is refused with `INVALID_ARGS` (nothing reaches a prototype).
 */
export function decodeMessage<T extends ClientMessage | ServerMessage>(
  text: string,
  kinds: readonly string[],
): T {
  let raw: unknown
  try {
    raw = JSON.parse(text, (k, v) => {
      if (k === '__proto__') throw new TypeError('a __proto__ key')
      return v
    })
  } catch (e) {
    throw new TheusError(
      'INVALID_ARGS',
      `A sync message could not be read (${(e as Error).message}); it was ignored. Messages are the JSON frames that theus/sync sends.`,
      { cause: e },
    )
  }
  const m = decode(raw) as { t?: unknown } | null
  if (m === null || typeof m !== 'object' || typeof m.t !== 'string' || !kinds.includes(m.t))
    throw new TheusError(
      'INVALID_ARGS',
      `A sync message has no known type (expected one of ${kinds.join(', ')}); it was ignored.`,
    )
  return m as T
}
