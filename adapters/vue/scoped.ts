import {
  customRef,
  getCurrentScope,
  hasInjectionContext,
  inject,
  onScopeDispose,
  type ShallowRef,
  shallowReadonly,
  ssrContextKey,
} from 'vue'

/**
 * Subscribes for the life of the current effect scope (a component, or an `effectScope`).
 * Never called during a server render (each composable returns a `serverRef` there): Vue never
 * disposes component scopes on the server, so a subscription would leak.
 */
export function subscribeInScope(subscribe: () => () => void): void {
  const stop = subscribe()
  if (getCurrentScope()) onScopeDispose(stop)
}

/** True during a server render (`renderToString` of `vue/server-renderer`). */
export function onServer(): boolean {
  return hasInjectionContext() && inject(ssrContextKey, null) !== null
}

/**
 * The ref a composable returns during a server render: it calls `read` at each read, so a
 * render after `onServerPrefetch` or an async `setup` shows the state of then (SPEC §7: the
 * server renders the current snapshot), with no subscription. A mirror set at setup, or a
 * computed (Vue caches it there until a Vue ref changes), would show the state of the setup.
 */
export function serverRef<T>(read: () => T): Readonly<ShallowRef<T>> {
  return shallowReadonly(customRef(() => ({ get: read, set() {} }))) as Readonly<ShallowRef<T>>
}
