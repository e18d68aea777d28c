import { getCurrentScope, hasInjectionContext, inject, onScopeDispose, ssrContextKey } from 'vue'

/**
 * Subscribes for the life of the current effect scope (a component, or an `effectScope`).
 * During a server render nothing is subscribed: the render reads the current snapshot once,
 * and Vue never disposes component scopes on the server, so a subscription would leak.
 */
export function subscribeInScope(subscribe: () => () => void): void {
  if (onServer()) return
  const stop = subscribe()
  if (getCurrentScope()) onScopeDispose(stop)
}

/** True during a server render (`renderToString` of `vue/server-renderer`). */
export function onServer(): boolean {
  return hasInjectionContext() && inject(ssrContextKey, null) !== null
}
