/**
 * `theus/sync`: the same state across tabs (`syncTabs`) and with an authoritative server
 * (`connectTheusServer`). Nothing here is imported by `theus` itself.
 */

export type {
  ServerRefusedEvent,
  ServerSync,
  ServerSyncOptions,
  WebSocketLike,
} from './connectTheusServer.js'
export { connectTheusServer } from './connectTheusServer.js'
export type { SyncConflictEvent, SyncLocks, SyncTabsOptions, TabSync } from './syncTabs.js'
export { syncTabs } from './syncTabs.js'
