/**
 * The notice live editing (`theus/vite`) sends when it hot-replaces something on an engine: a
 * DOM event on `globalThis`, so the panel hears it without either importing the other.
 */

/**
 * The event's name.
 * @example
 * addEventListener(HMR_EVENT, (e) => console.log((e as CustomEvent<TheusHmrNotice>).detail.message))
 */
export const HMR_EVENT = 'theus:hmr'

/** `detail` of a `'theus:hmr'` event. */
export interface TheusHmrNotice {
  /** What was replaced: process definitions, the audit recipe, or a workflow's managers. */
  kind: 'process' | 'recipe' | 'workflow'
  /** The engine concerned (absent: every engine). */
  engine?: unknown
  /** What happened, in words, as the panel shows it. */
  message: string
}
